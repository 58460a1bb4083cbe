"""The reconstruction evaluator and the families' reconstruct hooks."""

import jax
import numpy as np
import pytest

from conftest import load_config
from video_inference import models
from video_inference.evaluation import reconstruction


class _Context:
  def __init__(self, model, clips):
    self.model, self.variables, self.clips = model, None, clips
    self.config = load_config("sdvi_shapes", "tiny")
    self.rng = jax.random.key(0)


class _Echo:
  """Reconstructs a clip exactly but for a fixed error."""
  can_reconstruct = True

  def __init__(self, error):
    self.error = error

  def reconstruct(self, variables, clips, rng):
    del variables, rng
    return np.clip(clips["video"] + self.error, -1, 1)


def _clips(count=12):
  videos = np.full((count, 4, 32, 32, 3), -1.0, np.float32)
  videos[:, :, 10:16, 10:16] = 0.8  # A small shape on black.
  return {"video": videos, "index": np.arange(count, dtype=np.int32)}


def test_a_good_reconstruction_beats_black_and_a_bad_one_does_not():
  clips = _clips()
  good = reconstruction.Reconstruction(_Context(_Echo(0.01), clips), None)
  metrics = good.finish()["metrics"]
  assert metrics["reconstruction_psnr"]["mean"] == pytest.approx(
      10 * np.log10(1 / 0.005**2), abs=0.1)
  # Black misses only the shape: 36 of 1024 pixels by 0.9 of the range.
  assert metrics["reconstruction_psnr_black"]["mean"] == pytest.approx(
      10 * np.log10(1024 / (36 * 0.9**2)), abs=0.1)
  assert metrics["reconstruction_psnr_minus_black"]["ci95_low"] > 20
  bad = reconstruction.Reconstruction(_Context(_Echo(0.5), clips), None)
  assert bad.finish()["metrics"]["reconstruction_psnr_minus_black"][
      "mean"] < 0


def test_families_without_a_reconstruction_report_nothing():
  model = models.build_model(load_config("sdvi_shapes", "tiny"))
  assert not model.can_reconstruct
  evaluator = reconstruction.Reconstruction(_Context(model, _clips()), None)
  assert evaluator.finish()["metrics"] == {}


@pytest.mark.parametrize("name", ["navsynth_shapes", "videovae_shapes"])
def test_family_reconstructions_have_the_clips_shape(name):
  config = load_config(name, "tiny")
  model = models.build_model(config)
  assert model.can_reconstruct
  state = model.create_state(jax.random.key(0))
  clips = _clips(count=3)
  for label in config.dataset.labels:
    clips[label] = np.zeros(3, np.int32)
  variables = model.sampling_variables(state)
  first = np.asarray(model.reconstruct(variables, clips, jax.random.key(1)))
  again = np.asarray(model.reconstruct(variables, clips, jax.random.key(2)))
  assert first.shape == clips["video"].shape
  np.testing.assert_allclose(first, again, atol=1e-6)  # No sampling.
