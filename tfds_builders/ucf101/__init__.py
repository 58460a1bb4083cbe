"""ucf101: UCF101 at 64x64 with the inbetweening paper's splits (download)."""

from tfds_builders.ucf101.ucf101_dataset_builder import Ucf101

__all__ = ["Ucf101"]
