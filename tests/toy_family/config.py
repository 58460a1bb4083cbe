"""The toy family's config: the common fields and its own noise scale."""

import ml_collections

from video_inference import config_lib


def make_tiny(config: ml_collections.ConfigDict) -> None:
  config.train.learning_rate = 0.1


def get_config(variant: str = "") -> ml_collections.ConfigDict:
  config = config_lib.common_config()
  config.family = "toy"
  config.model = dict(noise_scale=0.1)
  config.train.learning_rate = 0.01
  config.lock()
  config_lib.apply_variant(config, variant, make_tiny)
  return config
