"""The diffusion family's base config (64x64, 16 frames) and its test size."""

from __future__ import annotations

import ml_collections

from video_inference import config_lib


def base_config() -> ml_collections.ConfigDict:
  """Masked conditional video diffusion at 64x64, 16 frames."""
  config = config_lib.common_config()
  config.family = "diffusion"
  config.model = dict(
      widths=(64, 128, 256, 256),  # U-Net features per resolution level.
      attention_heads=4,
      # Attention over each frame's positions before the one over time, at
      # the lowest resolution (networks.py).
      spatial_attention=True,
      # Clips whose anchors are all dropped in training (classifier-free
      # guidance's rate; also what makes the strategy `none` work).
      unconditional_rate=0.1,
      ema_decay=0.999,
      # Read by the sampler only: a run can be evaluated with other values
      # (config_lib.SAMPLING_FIELD).
      sampling=dict(
          steps=50,                # DDIM steps.
          guidance=0.0,            # Classifier-free guidance weight w.
      ),
  )
  # Every task from one network: 0 to 6 anchors anywhere (0: generation).
  config.anchors.update(strategy="random", min_anchors=0, max_anchors=6)
  config.dataset.update(num_frames=16, resolution=64)
  config.train.update(batch_size=32, num_steps=200_000, learning_rate=2e-4,
                      adam_b1=0.9, adam_b2=0.99)
  config.evals.update(num_test_clips=100, num_samples=10,
                      best_metric="fvd", best_mode="min")
  return config


def make_tiny(config: ml_collections.ConfigDict) -> None:
  """The diffusion part of the `:tiny` test size."""
  config.model.update(widths=(8, 16), attention_heads=2, ema_decay=0.9)
  config.model.sampling.steps = 3


def apply_variant(config: ml_collections.ConfigDict, variant: str) -> None:
  """The `:variant` suffix of --config ('' or 'tiny') on this family."""
  config_lib.apply_variant(config, variant, make_tiny)
