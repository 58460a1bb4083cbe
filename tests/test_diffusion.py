"""The diffusion family on its tiny config: the denoiser learns, anchors
are exact for every strategy, `none` generates, resume is bit-exact and 4
(fake) devices train as 1."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from conftest import load_config
from conftest import share_of_weights_apart
from conftest import train_and_check_resume
from video_inference import anchors
from video_inference import checkpoints
from video_inference import models
from video_inference import train
from video_inference.models.diffusion import model as diffusion_model


@pytest.fixture
def config(tfds_dir):
  config = load_config("diffusion_shapes")
  config.dataset.data_dir = tfds_dir
  return config


@pytest.fixture
def model(config):
  return models.build_model(config)


def _clips(model, count=2):
  rng = np.random.default_rng(0)
  shape = (count, model.num_frames, model.resolution, model.resolution,
           model.channels)
  # A bright square moving right on black: data with structure to learn.
  videos = -np.ones(shape, np.float32)
  for t in range(model.num_frames):
    videos[:, t, 8:16, 4 + 3 * t:12 + 3 * t] = rng.uniform(0, 1, (count, 1, 1,
                                                                  3))
  return jnp.asarray(videos)


def test_schedule_is_variance_preserving_and_snr_falls():
  t = jnp.linspace(0, 1, 11)
  alpha, sigma = diffusion_model.alpha_sigma(t)
  np.testing.assert_allclose(alpha**2 + sigma**2, 1.0, rtol=1e-6)
  assert bool(jnp.all(jnp.diff(diffusion_model.log_snr(t)) < 0))
  assert bool(jnp.all(jnp.isfinite(diffusion_model.log_snr(t))))


def test_denoiser_loss_falls_on_a_tiny_overfit(config):
  config.train.learning_rate = 3e-3
  config.model.unconditional_rate = 0.0
  model = models.build_model(config)
  state = jax.jit(model.create_state)(jax.random.key(0))
  videos = _clips(model)
  mask = jnp.zeros(videos.shape[:2], bool).at[:, 0].set(True)
  batch = {"video": videos, "anchor_mask": mask}
  # The same noise levels and noise before and after: a fair comparison.
  probe = jax.jit(lambda params: jnp.mean(jnp.stack([
      model.losses(params, videos, mask, jax.random.key(seed))[0]
      for seed in range(8)])))
  before = float(probe(state.params["denoiser"]))
  step = jax.jit(model.train_step)
  for index in range(80):
    state, metrics = step(state, batch, jax.random.key(index))
  assert np.isfinite(float(metrics["loss"]))
  after = float(probe(state.params["denoiser"]))
  assert after < 0.6 * before, (before, after)
  # The weights' average moved too (sampling uses it).
  moved = jax.tree.map(lambda a, b: float(jnp.max(jnp.abs(a - b))),
                       state.model_state["ema"],
                       jax.jit(model.create_state)(
                           jax.random.key(0)).model_state["ema"])
  assert max(jax.tree.leaves(moved)) > 0


@pytest.mark.parametrize("strategy", sorted(anchors.ANCHOR_STRATEGIES))
def test_anchors_are_exact_for_every_strategy(model, strategy):
  state = jax.jit(model.create_state)(jax.random.key(0))
  variables = model.sampling_variables(state)
  videos = _clips(model)
  rng = np.random.default_rng(1)
  mask = np.stack([anchors.sample_anchor_mask(
      rng, model.num_frames, strategy, min_anchors=1, max_anchors=3,
      first_k=2) for _ in range(videos.shape[0])])
  out = model.generate(variables, videos, jnp.asarray(mask),
                       jax.random.key(0), model.num_frames)
  out = np.asarray(out)
  assert out.shape == videos.shape and np.all(np.isfinite(out))
  assert np.all(np.abs(out) <= 1.0)
  np.testing.assert_array_equal(out[mask], np.asarray(videos)[mask])
  if strategy == "none":
    # Generation without anchors: another rng, another video.
    other = model.generate(variables, videos, jnp.asarray(mask),
                           jax.random.key(1), model.num_frames)
    assert not np.allclose(out, np.asarray(other))


def test_resume_is_bit_exact(config, tmp_path):
  config.train.update(sample_every=0)
  config.evals.update(best_metric="")
  whole = train_and_check_resume(config, tmp_path, stop_at=1)
  # The weights' average is part of the state and resumes too.
  assert "ema" in whole["state"].model_state


def test_four_devices_train_as_one(config, tmp_path):
  assert jax.device_count() == 4, "conftest sets 4 fake CPU devices"
  config.train.update(batch_size=4, sample_every=0)
  config.evals.update(batch_size=4, best_metric="")
  one = train.train_and_evaluate(config, str(tmp_path / "one"),
                                 devices=jax.devices()[:1])
  four = train.train_and_evaluate(config, str(tmp_path / "four"))
  np.testing.assert_allclose(four["metrics"]["loss"], one["metrics"]["loss"],
                             rtol=1e-4)
  assert share_of_weights_apart(
      jax.device_get(one["state"].params),
      jax.device_get(four["state"].params),
      config.train.learning_rate / 10) < 0.01


def test_a_run_can_be_sampled_with_other_sampler_settings(config, tmp_path):
  checkpoints.save_run_config(config, tmp_path)
  other = config.copy_and_resolve_references()
  other.model.sampling.update(steps=7, guidance=1.5)
  checkpoints.check_workdir_config(other, tmp_path, has_checkpoint=True)
  other.model.widths = (8, 8)
  with pytest.raises(checkpoints.WorkdirConfigMismatchError, match="widths"):
    checkpoints.check_workdir_config(other, tmp_path, has_checkpoint=True)
