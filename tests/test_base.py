"""Shared pieces of models/base.py that every family's losses use."""

import jax.numpy as jnp
import numpy as np
import pytest

from video_inference.models import base


@pytest.mark.parametrize("frames", [1, 2, 4, 7, 16])
def test_median_over_frames_equals_jnp_median(frames):
  rng = np.random.default_rng(frames)
  videos = rng.uniform(-1, 1, (3, frames, 5, 6, 3)).astype(np.float32)
  videos[0] = np.round(videos[0] * 2) / 2  # Ties.
  videos[1, :, 0, 0] = 0.25  # A pixel constant over time.
  expected = jnp.median(videos, axis=1, keepdims=True)
  np.testing.assert_array_equal(base.median_over_frames(jnp.asarray(videos)),
                                expected)


def test_foreground_weights_mark_the_moving_shape():
  videos = np.full((1, 5, 4, 4, 3), -1.0, np.float32)
  for t in range(5):
    videos[0, t, t % 4, 1] = 1.0  # A pixel-sized shape moving down.
  weights = base.foreground_weights(jnp.asarray(videos), 10.0, 0.1)
  assert weights.shape == (1, 5, 4, 4, 1)
  assert float(weights[0, 2, 2, 1, 0]) == 11.0
  assert float(weights[0, 2, 0, 0, 0]) == 1.0
  assert int(np.sum(np.asarray(weights) == 11.0)) == 5


def test_black_background_weights_a_slow_shape_in_every_frame():
  # A shape that sits on one pixel for 4 of 5 frames is that pixel's
  # temporal median: "temporal_median" gives it no weight there, and
  # weights the frame where it is absent; "black" weights exactly the
  # shape's pixels.
  videos = np.full((1, 5, 4, 4, 3), -1.0, np.float32)
  videos[0, :4, 1, 1] = (0.8, -0.2, 0.5)
  median = np.asarray(base.foreground_weights(jnp.asarray(videos), 10.0, 0.1))
  black = np.asarray(base.foreground_weights(jnp.asarray(videos), 10.0, 0.1,
                                             "black"))
  assert median[0, :4, 1, 1, 0].tolist() == [1.0] * 4
  assert median[0, 4, 1, 1, 0] == 11.0
  assert black[0, :, 1, 1, 0].tolist() == [11.0] * 4 + [1.0]
  assert int(np.sum(black == 11.0)) == 4


def test_foreground_background_refuses_an_unknown_name():
  with pytest.raises(ValueError, match="valid: .*black.*temporal_median"):
    base.foreground_weights(jnp.zeros((1, 2, 2, 2, 3)), 1.0, 0.1, "white")


def test_an_older_run_config_reads_the_loss_fields_added_since():
  from video_inference import checkpoints
  config = checkpoints.saved_config(
      {"family": "sdvi", "loss": {"foreground_weight": 10.0}})
  assert config.loss.foreground_background == "temporal_median"
  assert config.loss.foreground_weight == 10.0
  kept = checkpoints.saved_config(
      {"loss": {"foreground_background": "black"}})
  assert kept.loss.foreground_background == "black"


def test_a_run_refuses_an_unknown_foreground_background_before_it_starts():
  from video_inference import config_lib
  config = config_lib.load_config_file("configs/sdvi_shapes.py:tiny")
  config.loss.foreground_background = "white"
  with pytest.raises(ValueError, match="loss.foreground_background='white'"):
    config_lib.check_run_settings(config)
