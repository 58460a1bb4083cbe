"""The evaluation classifier's base config, its 2-core CPU budget and its
test size. It sees the clips and predicts the labels of the videovae run it
scores, so it takes videovae's labelled datasets and its encoder."""

from __future__ import annotations

import ml_collections

from video_inference import config_lib
from video_inference.models.videovae import config as videovae_config


def base_config() -> ml_collections.ConfigDict:
  """The evaluation classifier of a dataset (videovae section 5.2)."""
  config = config_lib.common_config()
  config.family = "classifier"
  config.model = dict(
      attributes={},             # {label: classes}; each in dataset.labels.
      encoder_layers=((9, 10, 1), (7, 20, 3), (5, 40, 1), (3, 80, 3)),
      encoder_hidden=1024,
      features=512,
      hidden=512,
      dropout=0.5,
  )
  config.dataset.update(num_frames=16, resolution=64)
  config.anchors.update(strategy="none", min_anchors=0, max_anchors=0)
  config.train.update(batch_size=16, num_steps=5_000, learning_rate=1e-4,
                      adam_b1=0.9, adam_b2=0.999, eval_every=1000,
                      sample_every=0)
  for name in ("frames", "acd", "fvd"):
    config.evals[name].update(enabled=False, during_training=False)
  config.evals.classification.update(enabled=True, during_training=True)
  config.evals.update(num_test_clips=1024, best_metric="accuracy",
                      best_mode="max")
  config.sample.update(anchor_times=())
  return config


def cpu_sized(config: ml_collections.ConfigDict) -> None:
  """The evaluation classifier matching `videovae.config.cpu_sized`'s clips."""
  config.dataset.update(num_frames=10, resolution=32)
  config.model.update(encoder_layers=videovae_config.ENCODER_LAYERS_32,
                      encoder_hidden=512, features=256, hidden=128)
  config.train.update(num_steps=1000, log_every=50, checkpoint_every=500,
                      eval_every=500)


def make_tiny(config: ml_collections.ConfigDict) -> None:
  """The classifier part of the `:tiny` test size."""
  videovae_config.make_tiny_labelled_data(config)
  config.model.update(features=8, hidden=8)


def apply_variant(config: ml_collections.ConfigDict, variant: str) -> None:
  """The `:variant` suffix of --config ('' or 'tiny') on this family."""
  config_lib.apply_variant(config, variant, make_tiny)
