"""mocogan_actions: MoCoGAN's Weizmann action strips (manual download)."""

from tfds_builders.mocogan_actions.mocogan_actions_dataset_builder import (
  MocoganActions,
)

__all__ = ["MocoganActions"]
