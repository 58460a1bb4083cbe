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
