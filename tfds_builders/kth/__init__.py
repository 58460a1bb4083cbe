"""kth: KTH human actions as 16-frame 64x64 grey clips (downloaded)."""

from tfds_builders.kth.kth_dataset_builder import Kth

__all__ = ["Kth"]
