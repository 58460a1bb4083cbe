"""The sdvi family's base config (the paper's sizes) and its test size."""

from __future__ import annotations

import ml_collections

from video_inference import config_lib


def base_config() -> ml_collections.ConfigDict:
  """The sdvi family at the paper's sizes (App. B)."""
  config = config_lib.common_config()
  config.family = "sdvi"
  config.model = dict(
      latent_dim=128,            # z_I; not given in the paper.
      video_latent_dim=256,      # z_T: the FC of 256*2 after E_T (App. A).
      base_channels=64,          # DCGAN width.
      discriminator_channels=64,
      gru_hidden_size=512,
      gru_layers=2,              # App. A: two-layer GRUs.
  )
  config.loss.update(
      encoder_recon_weight=50.0,   # lambda1, App. B.
      generator_recon_weight=0.5,  # lambda2, App. B.
      video_recon_weight=1.0,
      video_kl_weight=1.0,
      anchor_weight=1.0,
      content_weight=1.0,
      # Eq. 8's adversarial loss on videos decoded from z_T ~ N(0, I): eq. 12
      # leaves it out, but generation from the prior (Table II) needs the
      # prior path trained. 0 turns it off.
      prior_gan_weight=1.0,
  )
  # Paper setup (App. B; section IV-C: up to 6 anchors of 16 frames). The
  # paper gives neither batch size nor step counts.
  config.anchors.update(strategy="random", min_anchors=2, max_anchors=6)
  # Fig. 10's protocol: 100 anchor settings x 200 samples of z_T.
  config.evals.update(num_test_clips=100, num_samples=200)
  config.train.update(
      batch_size=32,
      num_steps=300_000,
      image_phase_steps=50_000,
      image_frames_per_clip=4,
      image_learning_rate=1e-4,                # E_I, G_I: App. B.
      image_finetune_learning_rate=0.0,        # Video phase; 0: the same.
      image_discriminator_learning_rate=2e-7,  # D_I: App. B.
      temporal_learning_rate=1e-4,             # E_T, G_T: not given.
      video_discriminator_learning_rate=1e-4,  # D_T: not given.
  )
  return config


def make_tiny(config: ml_collections.ConfigDict) -> None:
  """The sdvi part of the `:tiny` test size."""
  config.model.update(latent_dim=8, video_latent_dim=8, base_channels=8,
                      discriminator_channels=8, gru_hidden_size=16)
  config.train.image_phase_steps = 1


def apply_variant(config: ml_collections.ConfigDict, variant: str) -> None:
  """The `:variant` suffix of --config ('' or 'tiny') on this family."""
  config_lib.apply_variant(config, variant, make_tiny)
