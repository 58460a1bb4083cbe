"""weizmann: Weizmann human actions (download); navsynth, videovae configs."""

from tfds_builders.weizmann.weizmann_dataset_builder import Weizmann

__all__ = ["Weizmann"]
