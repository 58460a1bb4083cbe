"""The inbetween3d family's base config (the paper's sizes) and its test
size."""

from __future__ import annotations

import ml_collections

from video_inference import config_lib


def base_config() -> ml_collections.ConfigDict:
  """The inbetween3d family at the paper's sizes (section 3, 4.1, App. A)."""
  config = config_lib.common_config()
  config.family = "inbetween3d"
  config.model = dict(
      variant="full",            # "full", "no_fusion" or "naive" (4.2).
      base_channels=64,          # Encoder 64-256, G_V 256-64 (App. A).
      latent_channels=64,        # C of E(x) (3.1).
      discriminator_channels=64,  # D_V and D_I: 64 -> 512.
      num_blocks=24,             # L (3.2).
      noise_dim=128,             # D (3).
      # Anchors the generator fuses (beyond the paper, which has 2: first
      # and last). Train with an anchor strategy that fits it.
      max_anchors=2,
      # Beyond the paper: samples from an exponential moving average of the
      # generator's weights with this decay (0: the trained weights, as the
      # paper). See model.py.
      generator_ema_decay=0.0,
      # Beyond the paper, which does not say how the gates of eqs. 2-3 start:
      # the initial bias of both gate convolutions (0: sigmoid 0.5). See
      # networks.py.
      gate_bias_init=0.0,
  )
  config.loss.update(
      gradient_penalty=0.1,  # 3.4.
      # Beyond the paper: weight of an L1 term on G_V's rendering of the
      # anchor frames, which 3.3 discards (0: off). See model.py.
      anchor_reconstruction_weight=0.0)
  config.anchors.update(strategy="first_last")
  # 64x64, 16 frames; checkpoints selected by the validation FVD (4.1) of
  # 100 samples per pair (on 256 validation clips: the paper does not say
  # how many; the whole split every 5000 steps would cost more than the
  # training), and that checkpoint scored on the whole test split.
  config.dataset.update(num_frames=16, resolution=64,
                        validation_split="validation")
  config.evals.update(num_test_clips=0, num_samples=100, checkpoint="best",
                      num_validation_clips=256)
  config.train.update(
      batch_size=32,
      num_steps=500_000,
      checkpoint_every=5000,
      eval_every=5000,
      keep_checkpoints=3,
      learning_rate=5e-5,
      adam_eps=1e-8,
  )
  return config


def make_tiny(config: ml_collections.ConfigDict) -> None:
  """The inbetween3d part of the `:tiny` test size."""
  # Its coarse-to-fine generator needs a multiple of 8 frames, and the
  # MoCoGAN-style video discriminator (four unpadded 4-wide temporal
  # convolutions) at least 13: the paper's 16.
  config.dataset.num_frames = 16
  config.sample.anchor_times = (0, 15)
  config.model.update(base_channels=4, latent_channels=4,
                      discriminator_channels=4, num_blocks=3, noise_dim=8)


def apply_variant(config: ml_collections.ConfigDict, variant: str) -> None:
  """The `:variant` suffix of --config ('' or 'tiny') on this family."""
  config_lib.apply_variant(config, variant, make_tiny)
