"""The inbetween3d family: App. A sizes, fusion gates, losses, baselines,
and the shared loop end to end (train -> checkpoint -> resume)."""

import functools
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from conftest import assert_trees_equal
from conftest import train_and_check_resume
from conftest import load_config
from video_inference import checkpoints
from video_inference import models
from video_inference import sampling
from video_inference.models import base
from video_inference.models.inbetween3d import networks
from video_inference.models.inbetween3d import model as inbetween3d_model


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
      lambda v, x: networks.ImageEncoder(64, 64).apply(
          {"params": v["params"]["encoder"],
           "batch_stats": v["batch_stats"]["encoder"]}, x, train=False),
      variables, frames)
  assert encoded.shape == (2, 8, 8, 64)
  video = jax.eval_shape(
      lambda v, x, u: paper_model.generator.apply(
          v, x, jnp.asarray(paper_model.first_last_mask(2)), u, train=False),
      variables, jax.ShapeDtypeStruct((2, 16, 64, 64, 3), jnp.float32),
      jax.ShapeDtypeStruct((2, 128), jnp.float32))
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


def _first_last_video(model, start, end):
  video = jnp.zeros((len(start), model.num_frames) + start.shape[1:])
  return video.at[:, 0].set(start).at[:, -1].set(end)


def test_gates_lie_in_0_1_and_depend_on_the_noise(tiny):
  config, model, state = tiny
  variables = model.sampling_variables(state)
  video = _first_last_video(model, _frames(1), _frames(2))
  mask = jnp.asarray(model.first_last_mask(2))

  def gates(seed):
    noise = jax.random.normal(jax.random.key(seed), (2, config.model.noise_dim))
    _, captured = model.generator.apply(variables, video, mask, noise,
                                        train=False, mutable=["intermediates"])
    return jax.tree_util.tree_leaves(captured)

  first, second = gates(0), gates(1)
  assert len(first) == 2 * config.model.num_blocks
  for a, b in zip(first, second):
    assert float(a.min()) > 0.0 and float(a.max()) < 1.0
    assert not np.allclose(a, b)


@pytest.mark.parametrize("bias", [0.0, -2.0])
def test_gates_start_at_the_sigmoid_of_their_initial_bias(tiny, bias):
  config, _, _ = tiny
  config = config.copy_and_resolve_references()
  config.model.gate_bias_init = bias
  model = models.build_model(config)
  generator = model.generator
  assert generator.gate_bias_init == bias
  video = _first_last_video(model, _frames(1, 8), _frames(2, 8))
  mask = jnp.asarray(model.first_last_mask(8))
  noise = jax.random.normal(jax.random.key(3), (8, config.model.noise_dim))
  variables = jax.jit(generator.init, static_argnames="train")(
      jax.random.key(0), video, mask, noise, train=False)
  for block in variables["params"]["latent_generator"].values():
    for gate in ("gate_start", "gate_end"):
      np.testing.assert_array_equal(block[gate]["bias"], bias)
  _, captured = jax.jit(functools.partial(
      generator.apply, train=False, mutable=["intermediates"]))(
          variables, video, mask, noise)
  gates = np.concatenate([np.ravel(g) for g in
                          jax.tree_util.tree_leaves(captured)])
  # The noise spreads the gates around sigmoid(bias) (0.5 or 0.12).
  assert abs(gates.mean() - 1 / (1 + np.exp(-bias))) < 0.1


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


def test_anchor_reconstruction_reads_the_discarded_anchor_renderings(tiny):
  config, _, state = tiny
  config = config.copy_and_resolve_references()
  config.loss.update(anchor_reconstruction_weight=2.0, foreground_weight=10.0)
  model = models.build_model(config)
  videos = jax.random.uniform(jax.random.key(6), (2, 16, 32, 32, 3),
                              minval=-1, maxval=1)
  mask = jnp.asarray(model.first_last_mask(2))
  # The noise the losses draw from their rng (its first split).
  noise = model._training_noise(jax.random.split(jax.random.key(7))[0],
                                videos)
  variables = {"params": state.params["generator"],
               "batch_stats": state.model_state["generator"]}
  apply = jax.jit(functools.partial(model.generator.apply, train=True,
                                    mutable=["batch_stats"]),
                  static_argnames="replace_anchors")
  rendered, _ = apply(variables, videos, mask, noise, replace_anchors=False)
  output, _ = apply(variables, videos, mask, noise)
  # The output holds the anchors; the rendering is G_V's own, elsewhere equal.
  np.testing.assert_array_equal(output[:, [0, -1]], videos[:, [0, -1]])
  np.testing.assert_array_equal(output[:, 1:-1], rendered[:, 1:-1])
  assert float(jnp.abs(rendered[:, 0] - videos[:, 0]).max()) > 0.1
  weights = base.foreground_weights(videos, 10.0,
                                    config.loss.foreground_tolerance)
  expected = jnp.mean((weights * jnp.abs(rendered - videos))[:, [0, -1]])
  term = model.anchor_reconstruction(rendered, videos, mask)
  np.testing.assert_allclose(term, expected, rtol=1e-5)

  def losses(params):
    return model.losses(params, state.model_state, videos, mask,
                        jax.random.key(7))
  total, (metrics, _) = jax.jit(losses)(state.params)
  np.testing.assert_allclose(metrics["anchor_reconstruction"], term, rtol=1e-5)
  paper_total = sum(metrics[k] for k in (
      "generator", "video_discriminator", "image_discriminator",
      "gradient_penalty"))
  np.testing.assert_allclose(total, paper_total + 2.0 * term, rtol=1e-5)


def test_first_and_last_anchors_read_the_papers_gates_and_encodings():
  """With anchors at 0 and T-1 every cell fuses E(x_s) with g_s and E(x_e)
  with g_e read at its own index: eq. 4 exactly, at every level."""
  mask = np.zeros((1, 16), bool)
  mask[0, [0, 15]] = True
  times, valid = networks.anchor_slots(jnp.asarray(mask), max_anchors=4)
  np.testing.assert_array_equal(valid[0], [True, True, False, False])
  for length in (4, 8, 16):
    plan = networks.fusion_plan(times, valid, 16, length)
    np.testing.assert_array_equal(plan.left_slot, 0)
    np.testing.assert_array_equal(plan.right_slot, 1)
    assert bool(plan.has_left.all()) and bool(plan.has_right.all())
    np.testing.assert_array_equal(plan.start_gate_index[0], np.arange(length))
    np.testing.assert_array_equal(plan.end_gate_index[0], np.arange(length))
  # z(0) of the first level: (E(x_s), E(x_s), E(x_e), E(x_e)), section 3.2.
  np.testing.assert_array_equal(
      networks.nearest_anchor_slot(times, valid, 16, 4)[0], [0, 0, 1, 1])


def test_any_anchor_times_read_gates_at_their_distance():
  mask = np.zeros((1, 16), bool)
  mask[0, [3, 9]] = True
  times, valid = networks.anchor_slots(jnp.asarray(mask), max_anchors=3)
  plan = jax.tree_util.tree_map(lambda x: np.asarray(x[0]),
                                networks.fusion_plan(times, valid, 16, 16))
  # Frames 0-2 precede the first anchor: only an "end" anchor (slot 0),
  # whose gate is g_e read 3, 2, 1 frames before the end.
  np.testing.assert_array_equal(plan.has_left[:3], False)
  np.testing.assert_array_equal(plan.right_slot[:3], 0)
  np.testing.assert_array_equal(plan.end_gate_index[:3], [12, 13, 14])
  # Frames 3-9 lie between anchors 3 and 9.
  np.testing.assert_array_equal(plan.left_slot[3:10], 0)
  np.testing.assert_array_equal(plan.right_slot[3:10], 1)
  np.testing.assert_array_equal(plan.start_gate_index[3:10], np.arange(7))
  np.testing.assert_array_equal(plan.end_gate_index[3:10], np.arange(9, 16))
  # Frames 10-15 follow the last anchor: g_s read 1..6 frames after it.
  np.testing.assert_array_equal(plan.has_right[10:], False)
  np.testing.assert_array_equal(plan.left_slot[10:], 1)
  np.testing.assert_array_equal(plan.start_gate_index[10:], np.arange(1, 7))


@pytest.fixture(scope="module")
def any_anchor_model():
  config = load_config("inbetween3d_shapes", "tiny")
  config.model.max_anchors = 4
  config.anchors.update(strategy="random", min_anchors=1, max_anchors=4)
  model = models.build_model(config)
  return model, jax.jit(model.create_state)(jax.random.key(0))


def test_any_anchor_sampling_honours_the_anchors(any_anchor_model):
  model, state = any_anchor_model
  variables = model.sampling_variables(state)
  rng = np.random.default_rng(0)
  anchors = rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
  times = [2, 7, 12]  # Inference from scattered frames.
  videos = sampling.sample(model, variables, anchors, times, 16, 3,
                           jax.random.key(0))
  assert videos.shape == (3, 16, 32, 32, 3)
  for sample in videos:
    np.testing.assert_array_equal(sample[times], anchors)
  assert len({v.tobytes() for v in videos}) == 3  # K distinct samples.
  # The middle anchor shapes the frames around it.
  changed = anchors.copy()
  changed[1] = 255 - changed[1]
  other = sampling.sample(model, variables, changed, times, 16, 3,
                          jax.random.key(0))
  assert np.abs(other[:, 6].astype(int) - videos[:, 6]).max() > 0
  # Prediction: the first 4 frames given.
  predicted = sampling.sample(model, variables, anchors[:1].repeat(4, 0),
                              [0, 1, 2, 3], 16, 2, jax.random.key(1))
  np.testing.assert_array_equal(predicted[:, :4], np.broadcast_to(
      anchors[:1], (2, 4, 32, 32, 3)))


def test_any_anchor_model_trains_on_scattered_anchors(any_anchor_model):
  model, state = any_anchor_model
  mask = np.zeros((2, 16), bool)
  mask[0, [1, 6, 11]] = True
  mask[1, [4]] = True
  videos = jax.random.uniform(jax.random.key(2), (2, 16, 32, 32, 3),
                              minval=-1, maxval=1)
  _, metrics = jax.jit(model.gan_step)(
      state, {"video": videos, "anchor_mask": jnp.asarray(mask)},
      jax.random.key(0))
  assert all(np.isfinite(float(v)) for v in metrics.values()), metrics
  assert float(metrics["gradient_penalty"]) > 0


def test_requests_the_model_cannot_honour_are_refused(tiny, any_anchor_model):
  config, model, state = tiny
  variables = model.sampling_variables(state)
  num_frames = config.dataset.num_frames
  three = np.zeros((3, 32, 32, 3), np.uint8)
  with pytest.raises(ValueError, match="at most model.max_anchors=2"):
    sampling.sample(model, variables, three, [0, 5, 15], num_frames, 1,
                    jax.random.key(0))
  with pytest.raises(ValueError, match="no prior"):
    sampling.sample(model, variables, np.zeros((0, 32, 32, 3)), [],
                    num_frames, 1, jax.random.key(0))
  with pytest.raises(ValueError, match="exactly its 16"):
    model.generate(variables, np.zeros((1, 8, 32, 32, 3), np.float32),
                   np.eye(1, 8, dtype=bool), jax.random.key(0), 8)
  naive_config = load_config("inbetween3d_shapes", "tiny")
  naive_config.model.variant = "naive"
  naive = models.build_model(naive_config)
  naive_state = jax.eval_shape(naive.create_state, jax.random.key(0))
  with pytest.raises(ValueError, match=r"naive .* anchors at \[0, 3\]"):
    sampling.sample(naive, naive_state, three[:2], [0, 3], num_frames, 1,
                    jax.random.key(0))
  naive_config.anchors.strategy = "first_k"
  with pytest.raises(ValueError, match="strategy='first_last'"):
    models.build_model(naive_config)
  too_many = load_config("inbetween3d_shapes", "tiny")
  too_many.anchors.update(strategy="random", max_anchors=5)
  with pytest.raises(ValueError, match="raise model.max_anchors"):
    models.build_model(too_many)
  negative = load_config("inbetween3d_shapes", "tiny")
  negative.loss.anchor_reconstruction_weight = -1.0
  with pytest.raises(ValueError, match="anchor_reconstruction_weight must"):
    models.build_model(negative)


def test_gradient_penalty_is_nonzero_and_differentiable(tiny):
  _, model, state = tiny
  discriminate = lambda p, x: model.image_discriminator.apply({"params": p}, x)
  params = state.params["image_discriminator"]
  value = inbetween3d_model.gradient_penalty(discriminate, params, _frames(5))
  assert float(value) > 0
  grads = jax.grad(inbetween3d_model.gradient_penalty, argnums=1)(
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
  batch = {"video": videos,
           "anchor_mask": jnp.asarray(model.first_last_mask(2))}
  step = jax.jit(model.gan_step)
  new_state = state
  for index in range(2):
    new_state, metrics = step(new_state, batch, jax.random.key(index))
    assert all(np.isfinite(float(v)) for v in metrics.values()), metrics
  for name in inbetween3d_model.NETWORKS:
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
  # The generator's average is part of what a checkpoint must restore.
  config.model.generator_ema_decay = 0.9
  whole = train_and_check_resume(config, tmp_path, stop_at=1)
  assert whole["step"] == 2 and whole["eval_json"]


def test_generator_average_is_what_samples_and_leaves_training_alone():
  config = load_config("inbetween3d_shapes", "tiny")
  assert "generator_ema" not in jax.eval_shape(
      models.build_model(config).create_state, jax.random.key(0)).model_state
  config.model.generator_ema_decay = decay = 0.5
  model = models.build_model(config)
  state = model.create_state(jax.random.key(0))
  assert_trees_equal(  # Nothing averaged yet: the weights.
      model.sampling_variables(state)["params"], state.params["generator"])
  videos = jax.random.uniform(jax.random.key(1), (2, 16, 32, 32, 3),
                              minval=-1, maxval=1)
  batch = {"video": videos,
           "anchor_mask": jnp.asarray(model.first_last_mask(2))}
  step, steps = jax.jit(model.gan_step), []
  for index in range(2):
    state, _ = step(state, batch, jax.random.key(index))
    steps.append(_leaves(state.params["generator"]))
  # Debiased: (decay * w1 + w2) / (1 + decay) after two steps.
  np.testing.assert_allclose(
      _leaves(model.sampling_variables(state)["params"]),
      (decay * steps[0] + steps[1]) / (1 + decay), rtol=1e-5, atol=1e-7)
  assert not np.allclose(steps[0], steps[1])
  # The average samples with batch-norm statistics of its own.
  assert not np.allclose(
      _leaves(model.sampling_variables(state)["batch_stats"]),
      _leaves(state.model_state["generator"]))
  # The average does not feed back into training: another average, the
  # same trained weights.
  average = state.model_state["generator_ema"]
  other = state.replace(model_state={
      **state.model_state,
      "generator_ema": average._replace(ema=jax.tree.map(
          lambda x: x + 1.0, average.ema))})
  assert_trees_equal(step(state, batch, jax.random.key(2))[0].params,
                     step(other, batch, jax.random.key(2))[0].params)
  config.model.generator_ema_decay = 1.0
  with pytest.raises(ValueError, match="generator_ema_decay must lie in"):
    models.build_model(config)


def _leaves(tree):
  return np.concatenate([np.ravel(x) for x in jax.tree_util.tree_leaves(tree)])


def test_runs_saved_before_the_generator_average_still_load(tmp_path):
  config = load_config("inbetween3d_shapes", "tiny")
  saved = json.loads(config.to_json_best_effort())
  del saved["model"]["generator_ema_decay"]
  del saved["model"]["gate_bias_init"]
  (tmp_path / "config.json").write_text(json.dumps(saved))
  loaded = checkpoints.load_run_config(tmp_path)
  assert loaded.model.generator_ema_decay == 0
  assert loaded.model.gate_bias_init == 0
  checkpoints.check_workdir_config(config, tmp_path, has_checkpoint=True)
  config.model.generator_ema_decay = 0.9
  with pytest.raises(checkpoints.WorkdirConfigMismatchError,
                     match="generator_ema_decay"):
    checkpoints.check_workdir_config(config, tmp_path, has_checkpoint=True)
