r"""Prepares a dataset's TFDS records (array_record) for training.

  python -m video_inference.prepare --list
  python -m video_inference.prepare --dataset=kth              # downloads
  python -m video_inference.prepare --dataset=kth/handwaving
  python -m video_inference.prepare --dataset=mug --manual_dir=DIR

This is the command the "dataset not prepared" errors print. TFDS writes
into a temporary folder and renames it when the build is complete, so an
interrupted or failed build leaves no half-written dataset behind, and a
prepared one is never rebuilt.
"""

import time

from absl import app
from absl import flags
from absl import logging
from etils import epath
import tensorflow_datasets as tfds

from video_inference import input_pipeline

_DATASET = flags.DEFINE_string(
    "dataset", None, f"'name' or 'name/config'; one of "
    f"{sorted(input_pipeline.DATASETS)}.")
_LIST = flags.DEFINE_bool(
    "list", False, "List the datasets, their configs and whether each is "
    "prepared in --data_dir, then exit.")
_DATA_DIR = flags.DEFINE_string(
    "data_dir", None, "TFDS data dir (default: $TFDS_DATA_DIR or "
    "~/tensorflow_datasets).")
_MANUAL_DIR = flags.DEFINE_string(
    "manual_dir", None, "Where the hand-downloaded files are, for datasets "
    "whose licence needs it.")


def _size_on_disk(path: str) -> int:
  # Recursion through iterdir rather than rglob or walk: on object stores
  # epath refuses `**` and its walk drops the gs:// scheme.
  path = epath.Path(path)
  if path.is_dir():
    return sum(_size_on_disk(child) for child in path.iterdir())
  return path.stat().length


def prepare(name: str, data_dir: str | None = None,
            manual_dir: str | None = None) -> str:
  """Prepares `name` in array_record format; returns its data directory."""
  builder = input_pipeline.get_builder(name, data_dir)
  if input_pipeline.is_prepared(builder):
    print(f"{name} is already prepared in {builder.data_dir}.")
    return builder.data_dir
  if manual_dir is not None and not epath.Path(manual_dir).is_dir():
    raise FileNotFoundError(
        f"--manual_dir={manual_dir} is not a directory. What {name} expects "
        "there:\n"
        + (builder.MANUAL_DOWNLOAD_INSTRUCTIONS or "(no manual files)"))
  start = time.time()
  download_config = tfds.download.DownloadConfig(manual_dir=manual_dir)
  builder.download_and_prepare(file_format="array_record",
                               download_config=download_config)
  splits = ", ".join(f"{split} {info.num_examples}"
                     for split, info in sorted(builder.info.splits.items()))
  print(f"Prepared {name} in {builder.data_dir} in "
        f"{time.time() - start:.0f} s: {splits} examples, "
        f"{_size_on_disk(builder.data_dir) / 2**20:.1f} MiB.")
  return builder.data_dir


def list_datasets(data_dir: str | None = None) -> list[str]:
  """One line per dataset config: name, source, prepared or not."""
  lines = []
  for name, spec in sorted(input_pipeline.DATASETS.items()):
    configs = [c.name for c in spec.builder.BUILDER_CONFIGS] or [None]
    for config in configs:
      full = f"{name}/{config}" if config else name
      builder = input_pipeline.get_builder(full, data_dir)
      state = ("prepared" if input_pipeline.is_prepared(builder) else
               "generated on first use" if spec.procedural else
               input_pipeline.prepare_command(full))
      lines.append(f"{full:28s} {spec.note:34s} {state}")
  return lines


def main(argv):
  del argv
  if _LIST.value:
    logging.set_verbosity(logging.WARNING)  # TFDS logs every info it loads.
    print("\n".join(list_datasets(_DATA_DIR.value)))
    return
  if not _DATASET.value:
    raise app.UsageError("--dataset is required (or --list); valid datasets: "
                         f"{sorted(input_pipeline.DATASETS)}.")
  prepare(_DATASET.value, _DATA_DIR.value, _MANUAL_DIR.value)


if __name__ == "__main__":
  app.run(main)
