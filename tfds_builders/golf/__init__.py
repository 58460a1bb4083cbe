"""golf: VGAN's stabilised golf (default) and beach clips (download)."""

from tfds_builders.golf.golf_dataset_builder import Golf

__all__ = ["Golf"]
