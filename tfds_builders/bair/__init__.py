"""bair: BAIR robot pushing sequences (download), split as in App. B."""

from tfds_builders.bair.bair_dataset_builder import Bair

__all__ = ["Bair"]
