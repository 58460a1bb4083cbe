"""The navsynth family's base config (Table 6's values) and its test size."""

from __future__ import annotations

import ml_collections

from video_inference import config_lib


def base_config() -> ml_collections.ConfigDict:
  """The navsynth family with Table 6's Chair-CAD values (supp. B)."""
  config = config_lib.common_config()
  config.family = "navsynth"
  config.model = dict(
      static_dim=206,            # D_s (Table 6).
      transient_dim=50,          # D_t.
      gru_hidden_size=500,       # One GRU layer of 500 (4.2).
      base_channels=64,          # DCGAN generator (4.2).
      # Which latent-table row a clip uses: "index" (per video), "shared"
      # (one for all), or a name in dataset.labels (per class).
      static_key="index",
      transient_key="index",
      num_static=1,              # Table rows; training checks they suffice.
      num_transient=1,
      rank=0,                    # rho of 3.3.1; 0: no rank projection.
  )
  config.loss.update(
      # l = 4 band-pass levels (Table 6) and the low-pass residual, as the
      # published code's LapLoss(max_levels=4) computes: 5 terms.
      pyramid_levels=5,
      static_weight=0.01,        # lambda_s.
      triplet_weight=0.01,       # lambda_t.
      triplet_margin=2.0,        # alpha, the hinge margin...
      triplet_window=2,          # ...and the positives' range in frames.
      # Negatives farther than this many frames (the published code's 5).
      triplet_negative_window=5,
  )
  config.dataset.update(num_frames=16, resolution=64, eval_split="train")
  config.anchors.update(strategy="random", min_anchors=1, max_anchors=1)
  config.train.update(
      batch_size=16,                  # Not given in the paper.
      # mu_gamma passes (configs) x updates_per_batch.
      num_steps=1025 * 300,
      generator_steps=1025 * 300,     # Phase "joint" end; see model.py.
      generator_learning_rate=6.25e-5,  # tau_G.
      rnn_learning_rate=6.25e-5,        # tau_R.
      latent_learning_rate=12.5,        # tau_Z (SGD).
      latent_momentum=0.9,
      # mu_{Z,theta} (Table 6): consecutive steps on each batch.
      updates_per_batch=300,
      adam_b1=0.9, adam_b2=0.999, adam_eps=1e-8,  # Supp. B.
  )
  # No anchors: the frame metrics (which score inferred frames against the
  # clip) and ACD do not apply; FVD and the paper's MCS/FCS do.
  # Section 4.4: 500 videos generated from the learned dictionary.
  config.evals.update(num_test_clips=250, num_samples=2)
  config.evals.frames.update(enabled=False, during_training=False)
  config.evals.acd.update(enabled=False, during_training=False)
  config.evals.mcs_fcs.update(enabled=True, during_training=True)
  config.evals.reconstruction.update(enabled=True, during_training=True)
  config.evals.update(best_metric="mcs", best_mode="min")
  config.sample.update(num_anchor_sets=4, num_samples=4, anchor_times=())
  return config


def make_tiny(config: ml_collections.ConfigDict) -> None:
  """The navsynth part of the `:tiny` test size."""
  # Tiny Shape Motion has 40 training videos; labels-keyed configs fall
  # back to per-video rows there.
  config.dataset.labels = ()
  config.sample.anchor_times = ()
  config.model.update(static_dim=4, transient_dim=4, gru_hidden_size=8,
                      base_channels=8, static_key="index",
                      transient_key="index", num_static=40,
                      num_transient=40)
  config.loss.pyramid_levels = 3
  config.train.update(generator_steps=1, updates_per_batch=2)


def apply_variant(config: ml_collections.ConfigDict, variant: str) -> None:
  """The `:variant` suffix of --config ('' or 'tiny') on this family."""
  config_lib.apply_variant(config, variant, make_tiny)
