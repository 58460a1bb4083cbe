"""The inbetween3d family: App. A sizes, fusion gates, losses, baselines,
and the shared loop end to end (train -> checkpoint -> resume)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from conftest import load_config
from video_inference import models
from video_inference import sampling
from video_inference import train
from video_inference.models import inbetween3d
from video_inference.models import inbetween3d_steps


def _count(tree):
  return sum(int(np.prod(x.shape)) for x in jax.tree_util.tree_leaves(tree))


def _conv(k, c_in, c_out):  # Kernel k (a tuple) plus bias.
  return int(np.prod(k)) * c_in * c_out + c_out


@pytest.fixture(scope="module")
def paper_model():
  return models.build_model(load_config("inbetween3d_ucf", ""))


@pytest.fixture(scope="module")
def paper_shapes(paper_model):
  return jax.eval_shape(paper_model.create_state, jax.random.key(0))


def test_paper_sized_modules_match_appendix_a(paper_shapes):
  params = paper_shapes.params
  generator = params["generator"]
  encoder = (_conv((4, 4), 3, 64) + _conv((3, 3), 64, 64)
             + _conv((4, 4), 64, 128) + _conv((3, 3), 128, 128)
             + _conv((4, 4), 128, 256) + _conv((3, 3), 256, 256)
             + _conv((3, 3), 256, 64) + 2 * (64 + 64 + 128 + 128 + 256 + 256
                                             + 64))  # BatchNorm scale+bias.
  assert _count(generator["encoder"]) == encoder
  video_generator = (
      _conv((3, 3, 3), 64, 256) + _conv((3, 3, 3), 256, 256)
      + _conv((3, 4, 4), 256, 128) + _conv((3, 3, 3), 128, 128)
      + _conv((3, 4, 4), 128, 64) + _conv((3, 3, 3), 64, 64)
      + _conv((3, 4, 4), 64, 3) + 2 * (256 + 256 + 128 + 128 + 64 + 64))
  assert _count(generator["video_generator"]) == video_generator
  blocks = generator["latent_generator"]
  assert len(blocks) == 24
  lengths = {4: 0, 8: 0, 16: 0}
  for name, block in blocks.items():
    length = block["noise_projection"]["kernel"].shape[1] // 64
    lengths[length] += 1
    assert _count(block) == (
        128 * length * 64 + length * 64            # A(l), b(l): eq. 1.
        + 3 * _conv((3,), 64, 64)                  # k_s, k_e, k_n.
        + 2 * _conv((3, 3, 3), 64, 64) + 2 * 2 * 64), name
  assert lengths == {4: 8, 8: 8, 16: 8}  # Coarse to fine, L/3 each.
  video_d = (_conv((4, 4, 4), 3, 64) + _conv((4, 4, 4), 64, 128)
             + _conv((4, 4, 4), 128, 256) + _conv((4, 4, 4), 256, 512)
             + 2 * (128 + 256 + 512) + 4 * 4 * 4 * 512 + 1)
  assert _count(params["video_discriminator"]) == video_d
  image_d = (_conv((3, 3), 3, 3)
             + sum(_conv((4, 4), c_in, c) + _conv((1, 1), c_in, c) + 2 * c
                   for c_in, c in ((3, 64), (64, 128), (128, 256),
                                   (256, 512)))
             + sum(_conv((3, 3), c, c) + 2 * c for c in (64, 128, 256))
             + 4 * 4 * 512 + 1)
  assert _count(params["image_discriminator"]) == image_d


def test_paper_sized_shapes(paper_model, paper_shapes):
  frames = jax.ShapeDtypeStruct((2, 64, 64, 3), jnp.float32)
  variables = {"params": paper_shapes.params["generator"],
               "batch_stats": paper_shapes.model_state["generator"]}
  encoded = jax.eval_shape(
      lambda v, x: inbetween3d.ImageEncoder(64, 64).apply(
          {"params": v["params"]["encoder"],
           "batch_stats": v["batch_stats"]["encoder"]}, x, train=False),
      variables, frames)
  assert encoded.shape == (2, 8, 8, 64)
  video = jax.eval_shape(
      lambda v, a, b, u: paper_model.generator.apply(v, a, b, u, train=False),
      variables, frames, frames, jax.ShapeDtypeStruct((2, 128), jnp.float32))
  assert video.shape == (2, 16, 64, 64, 3)


@pytest.fixture(scope="module")
def tiny():
  config = load_config("inbetween3d_shapes", "tiny")
  model = models.build_model(config)
  state = jax.jit(model.create_state)(jax.random.key(0))
  return config, model, state


def _frames(seed, count=2, size=32):
  return jax.random.uniform(jax.random.key(seed), (count, size, size, 3),
                            minval=-1, maxval=1)


def test_gates_lie_in_0_1_and_depend_on_the_noise(tiny):
  config, model, state = tiny
  variables = model.sampling_variables(state)
  start, end = _frames(1), _frames(2)

  def gates(seed):
    noise = jax.random.normal(jax.random.key(seed), (2, config.model.noise_dim))
    _, captured = model.generator.apply(variables, start, end, noise,
                                        train=False, mutable=["intermediates"])
    return jax.tree_util.tree_leaves(captured)

  first, second = gates(0), gates(1)
  assert len(first) == 2 * config.model.num_blocks
  for a, b in zip(first, second):
    assert float(a.min()) > 0.0 and float(a.max()) < 1.0
    assert not np.allclose(a, b)


def test_output_keeps_the_anchors_and_noise_changes_the_middle(tiny):
  config, model, state = tiny
  num_frames = config.dataset.num_frames
  video = jnp.zeros((2, num_frames, 32, 32, 3))
  video = video.at[:, 0].set(_frames(3)).at[:, -1].set(_frames(4))
  mask = np.zeros((2, num_frames), bool)
  mask[:, [0, -1]] = True
  variables = model.sampling_variables(state)
  a = model.generate(variables, video, mask, jax.random.key(0), num_frames)
  b = model.generate(variables, video, mask, jax.random.key(1), num_frames)
  np.testing.assert_array_equal(a[:, 0], video[:, 0])
  np.testing.assert_array_equal(a[:, -1], video[:, -1])
  assert float(jnp.abs(a[:, 1:-1] - b[:, 1:-1]).max()) > 1e-4


def test_other_anchor_patterns_and_the_prior_are_refused(tiny):
  config, model, state = tiny
  variables = model.sampling_variables(state)
  num_frames = config.dataset.num_frames
  video = np.zeros((1, num_frames, 32, 32, 3), np.float32)
  mask = np.zeros((1, num_frames), bool)
  mask[0, [0, 3]] = True
  with pytest.raises(ValueError, match="first"):
    model.generate(variables, video, mask, jax.random.key(0), num_frames)
  with pytest.raises(ValueError, match="no prior"):
    sampling.sample(model, variables, np.zeros((0, 32, 32, 3)), [],
                    num_frames, 1, jax.random.key(0))


def test_gradient_penalty_is_nonzero_and_differentiable(tiny):
  _, model, state = tiny
  discriminate = lambda p, x: model.image_discriminator.apply({"params": p}, x)
  params = state.params["image_discriminator"]
  value = inbetween3d_steps.gradient_penalty(discriminate, params, _frames(5))
  assert float(value) > 0
  grads = jax.grad(inbetween3d_steps.gradient_penalty, argnums=1)(
      discriminate, params, _frames(5))
  norms = [float(jnp.abs(g).max()) for g in jax.tree_util.tree_leaves(grads)]
  assert all(np.isfinite(norms)) and max(norms) > 0


# The full model trains in the end-to-end test below.
@pytest.mark.parametrize("variant", ["no_fusion", "naive"])
def test_baselines_build_and_train(variant):
  config = load_config("inbetween3d_shapes", "tiny")
  config.model.variant = variant
  model = models.build_model(config)
  state = jax.jit(model.create_state)(jax.random.key(0))
  videos = jax.random.uniform(jax.random.key(1), (2, 16, 32, 32, 3),
                              minval=-1, maxval=1)
  step = jax.jit(model.gan_step)
  new_state = state
  for index in range(2):
    new_state, metrics = step(new_state, {"video": videos},
                              jax.random.key(index))
    assert all(np.isfinite(float(v)) for v in metrics.values()), metrics
  for name in inbetween3d_steps.NETWORKS:
    before = jax.tree_util.tree_leaves(state.params[name])
    after = jax.tree_util.tree_leaves(new_state.params[name])
    assert any(not np.array_equal(a, b) for a, b in zip(before, after)), name
  # BatchNorm statistics move with training.
  assert not all(np.array_equal(a, b) for a, b in zip(
      jax.tree_util.tree_leaves(state.model_state),
      jax.tree_util.tree_leaves(new_state.model_state)))
  if variant == "no_fusion":
    assert "gate_start" not in str(jax.tree_util.tree_structure(
        state.params["generator"]))
  if variant == "naive":
    assert "latent_generator" not in state.params["generator"]


def test_train_checkpoint_resume_is_bit_exact(tfds_dir, tmp_path):
  config = load_config("inbetween3d_shapes", "tiny")
  config.dataset.data_dir = tfds_dir
  config.evals.update(best_metric="best_of_2_psnr", best_mode="max")
  devices = jax.devices()[:1]
  whole = train.train_and_evaluate(config, str(tmp_path / "whole"), devices)
  assert whole["step"] == 2 and whole["eval_json"]
  config.train.num_steps = 1
  train.train_and_evaluate(config, str(tmp_path / "parts"), devices)
  config.train.num_steps = 2
  resumed = train.train_and_evaluate(config, str(tmp_path / "parts"), devices)
  assert resumed["step"] == 2
  for tree in ("params", "model_state"):
    for a, b in zip(
        jax.tree_util.tree_leaves(jax.device_get(getattr(whole["state"], tree))),
        jax.tree_util.tree_leaves(jax.device_get(getattr(resumed["state"],
                                                         tree)))):
      np.testing.assert_array_equal(a, b)
