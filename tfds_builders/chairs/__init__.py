"""chairs: Chair-CAD rotation videos from the "Seeing 3D chairs" renders."""

from tfds_builders.chairs.chairs_dataset_builder import Chairs

__all__ = ["Chairs"]
