"""mocogan_shapes: MoCoGAN's original Shape Motion files (manual download)."""

from tfds_builders.mocogan_shapes.mocogan_shapes_dataset_builder import (
  MocoganShapes,
)

__all__ = ["MocoganShapes"]
