"""mug: MUG Facial Expression Database in 16-frame clips (manual download)."""

from tfds_builders.mug.mug_dataset_builder import Mug

__all__ = ["Mug"]
