"""The one table of the project's datasets, by the names configs use.

`DATASETS`: each builder's TFDS name (`dataset.name` is 'name' or
'name/config') -> a `Dataset`, the builder class and what video_inference
says of it (`input_pipeline.DATASETS` is this table); `BUILDERS` maps the
same names to the builder classes alone. Defining a builder class also
registers it with TFDS, so `tfds.builder("kth")` works once this module is
imported, except for `ucf101`, whose name TFDS's own builder holds (see its
module).
"""

from __future__ import annotations

import dataclasses

import tensorflow_datasets as tfds

from tfds_builders.bair import Bair
from tfds_builders.chairs import Chairs
from tfds_builders.golf import Golf
from tfds_builders.kth import Kth
from tfds_builders.mocogan_actions import MocoganActions
from tfds_builders.mocogan_shapes import MocoganShapes
from tfds_builders.mug import Mug
from tfds_builders.shape_motion import ShapeMotion
from tfds_builders.ucf101 import Ucf101
from tfds_builders.weizmann import Weizmann


@dataclasses.dataclass(frozen=True)
class Dataset:
  """A dataset of the project: its builder and how it is prepared."""

  builder: type[tfds.core.DatasetBuilder]
  note: str  # What `prepare --list` calls it.
  procedural: bool = False  # Generated locally in seconds: prepared on use.

  @property
  def name(self) -> str:
    """The builder's TFDS name (its class name in snake_case)."""
    return self.builder.name

  @property
  def manual(self) -> bool:
    """Whether it needs files the user downloads by hand (`--manual_dir`)."""
    return bool(self.builder.MANUAL_DOWNLOAD_INSTRUCTIONS)


# The README's dataset table lists their configs, prepare commands and sizes.
DATASETS: dict[str, Dataset] = {
  dataset.name: dataset
  for dataset in (
    Dataset(ShapeMotion, "procedural Shape Motion", procedural=True),
    Dataset(MocoganShapes, "MoCoGAN's Shape Motion files"),
    Dataset(MocoganActions, "MoCoGAN's Weizmann action strips"),
    Dataset(Kth, "KTH human actions"),
    Dataset(Ucf101, "UCF101 action recognition"),
    Dataset(Bair, "BAIR robot pushing"),
    Dataset(Mug, "MUG facial expressions"),
    Dataset(Weizmann, "Weizmann human actions"),
    Dataset(Chairs, "Chair-CAD rendered chairs"),
    Dataset(Golf, "VGAN golf scenes"),
  )
}

BUILDERS = {name: dataset.builder for name, dataset in DATASETS.items()}
