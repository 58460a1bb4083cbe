"""videovae: KL, prior, conditional sampling, labels, control, end to end."""

import dataclasses
import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from conftest import train_and_check_resume
from conftest import load_config
from tfds_builders.shape_motion import shape_motion_dataset_builder as sm
from video_inference import checkpoints
from video_inference import input_pipeline
from video_inference import modes
from video_inference import models
from video_inference import sampling
from video_inference import train
from video_inference import visualization
from video_inference.models.videovae import networks
from video_inference.models.videovae import model as videovae_model


def _tiny(**model_overrides):
  config = load_config("videovae_shapes", "tiny")
  config.model.update(**model_overrides)
  model = models.build_model(config)
  return config, model, model.create_state(jax.random.key(0))


def _batch(num_videos=4, num_frames=4):
  shapes = sm.ShapeMotionConfig(name="t", num_frames=num_frames, size=32)
  examples = [sm.generate_video(shapes, i) for i in range(num_videos)]
  videos = np.stack([e["video"] for e in examples]) / 127.5 - 1.0
  names = {"shape": sm.SHAPES, "direction": sm.DIRECTIONS}
  batch = {"video": jnp.asarray(videos, jnp.float32),
           "anchor_mask": jnp.zeros((num_videos, num_frames), bool),
           "index": jnp.arange(num_videos, dtype=jnp.int32)}
  for label, values in names.items():
    batch[label] = jnp.asarray([values.index(e[label]) for e in examples],
                               jnp.int32)
  return batch


def test_kl_is_non_negative_and_zero_when_posterior_equals_prior():
  rng = np.random.default_rng(0)
  mean_q, mean_p = rng.normal(size=(2, 50, 8))
  log_var_q, log_var_p = rng.normal(size=(2, 50, 8))
  kl = networks.gaussian_kl(mean_q, log_var_q, mean_p, log_var_p)
  assert kl.shape == (50,) and np.all(kl > 0)
  np.testing.assert_allclose(
      networks.gaussian_kl(mean_q, log_var_q, mean_q, log_var_q), 0.0,
      atol=1e-6)
  # Against the closed form of one dimension: KL(N(1, 1) || N(0, 4)).
  one = networks.gaussian_kl(np.array([1.0]), np.array([0.0]),
                             np.array([0.0]), np.log(np.array([4.0])))
  np.testing.assert_allclose(one, np.log(2.0) + 2.0 / 8.0 - 0.5, rtol=1e-6)


def test_full_covariance_kl_is_the_closed_form_of_u_var_ut():
  rng = np.random.default_rng(1)
  size = 5
  mean_q, log_var_q, mean_p, log_var_p = rng.normal(size=(4, 3, size))
  lower = networks.unit_lower_triangular(
      jnp.asarray(rng.normal(size=(3, size * (size - 1) // 2))), size)
  kl = networks.gaussian_kl(mean_q, log_var_q, mean_p, log_var_p, lower)
  for b in range(3):
    cov_p = lower[b] @ np.diag(np.exp(log_var_p[b])) @ lower[b].T
    inverse, diff = np.linalg.inv(cov_p), mean_q[b] - mean_p[b]
    expected = 0.5 * (np.trace(inverse @ np.diag(np.exp(log_var_q[b])))
                      + diff @ inverse @ diff - size
                      + np.linalg.slogdet(cov_p)[1] - log_var_q[b].sum())
    np.testing.assert_allclose(kl[b], expected, rtol=1e-4)
  # U = I is the diagonal prior.
  np.testing.assert_allclose(
      networks.gaussian_kl(mean_q, log_var_q, mean_p, log_var_p,
                           jnp.broadcast_to(jnp.eye(size), (3, size, size))),
      networks.gaussian_kl(mean_q, log_var_q, mean_p, log_var_p), rtol=1e-5)


def test_the_sampler_draws_through_the_full_prior_covariance():
  config, model, state = _tiny(prior_covariance="full")
  size = config.model.latent_dim
  below = size * (size - 1) // 2
  dense = state.params["vae"]["params"]["prior"]["Dense_0"]
  assert dense["kernel"].shape[1] == 2 * size + below
  control = {"shape": 1, "direction": 0}

  def draw(model, dense_params):
    params = jax.tree_util.tree_map(lambda x: x, state.params["vae"])
    params["params"]["prior"]["Dense_0"] = dense_params
    return sampling.sample(model, {"vae": params}, [], [], 4, 3,
                           jax.random.key(3), attributes=control)

  def with_below_diagonal(value):
    return {"kernel": dense["kernel"].at[:, 2 * size:].set(0.0),
            "bias": dense["bias"].at[2 * size:].set(value)}

  # U = I draws what the diagonal prior with the same weights draws ...
  diagonal = _tiny(prior_covariance="diagonal")[1]
  np.testing.assert_array_equal(
      draw(model, with_below_diagonal(0.0)),
      draw(diagonal, {"kernel": dense["kernel"][:, :2 * size],
                      "bias": dense["bias"][:2 * size]}))
  # ... and the frames move with U's entries.
  assert not np.array_equal(draw(model, with_below_diagonal(0.0)),
                            draw(model, with_below_diagonal(2.0)))
  # Training reads the same prior: a finite loss with U in the KL.
  loss, metrics = model.vae_losses(state.params["vae"], state.params,
                                   _batch(), jax.random.key(0), 0)
  assert np.isfinite(float(loss)) and float(metrics["kl_per_frame"]) > 0
  with pytest.raises(ValueError, match="prior_covariance='dense'.*full"):
    _tiny(prior_covariance="dense")


def test_the_prior_is_a_function_of_the_lstm_state():
  config, model, state = _tiny()
  vae, params = model.vae, state.params["vae"]
  attributes = jnp.zeros((2, model.attribute_size)).at[:, 0].set(1.0)
  carry = vae.apply(params, 2, method=vae.initial_carry)
  moved = (carry[0], carry[1] + jnp.arange(carry[1].size).reshape(
      carry[1].shape) / carry[1].size)
  before = vae.apply(params, carry, attributes, method=vae.prior_params)
  after = vae.apply(params, moved, attributes, method=vae.prior_params)
  assert not np.allclose(before[0], after[0])
  assert not np.allclose(before[1], after[1])
  # ... and of the attributes in the structured model (eq. 5).
  other = jnp.zeros_like(attributes).at[:, 1].set(1.0)
  assert not np.allclose(
      before[0], vae.apply(params, carry, other, method=vae.prior_params)[0])


def test_conditional_sampling_feeds_z_to_the_lstm():
  sizes = {}
  for conditional in (True, False):
    config, model, state = _tiny(conditional=conditional)
    vae, params = model.vae, state.params["vae"]
    latent = config.model.latent_dim
    kernel = params["params"]["lstm"]["ii"]["kernel"]
    sizes[conditional] = kernel.shape[0]
    carry = vae.apply(params, 1, method=vae.initial_carry)
    psi_q = jnp.ones((1, 2 * latent))
    one = vae.apply(params, carry, psi_q, jnp.zeros((1, latent)),
                    method=vae.advance)
    two = vae.apply(params, carry, psi_q, jnp.ones((1, latent)),
                    method=vae.advance)
    assert np.allclose(one[1], two[1]) != conditional
  latent = config.model.latent_dim
  assert sizes == {True: 3 * latent, False: 2 * latent}


def test_decoder_reads_the_attributes_only_when_asked():
  moved = {}
  for reads in (False, True):
    config, model, state = _tiny(decoder_reads_attributes=reads)
    vae, params = model.vae, state.params["vae"]
    z = jnp.ones((2, config.model.latent_dim))
    first = jnp.zeros((2, model.attribute_size)).at[:, 0].set(1.0)
    other = jnp.zeros((2, model.attribute_size)).at[:, 1].set(1.0)
    moved[reads] = not np.allclose(
        vae.apply(params, z, first, method=vae.decode),
        vae.apply(params, z, other, method=vae.decode))
  assert moved == {False: False, True: True}
  # -S has no attributes: its decoder takes z_t alone either way.
  _, model, state = _tiny(decoder_reads_attributes=True, structured=False)
  kernel = state.params["vae"]["params"]["decoder"]["Dense_0"]["kernel"]
  assert kernel.shape[0] == config.model.latent_dim


def test_unstructured_model_has_no_attribute_phase_or_inputs():
  config, model, state = _tiny(structured=False)
  assert [p.name for p in model.phases()] == ["vae"]
  assert "attributes" not in state.params
  assert model.conditioning_classes == {}
  assert model.labelled_only_steps() == 0
  with pytest.raises(ValueError, match="takes no attributes"):
    sampling.attribute_schedule(model, {"shape": 1}, 4)


def test_attribute_phase_learns_from_labelled_batches_only():
  config, model, _ = _tiny()
  config.train.update(attribute_steps=2, num_steps=5)
  model = models.build_model(config)
  assert model.labelled_only_steps() == 2
  phases = model.phases()
  late = [dataclasses.replace(phases[0], start_step=2, end_step=5),
          dataclasses.replace(phases[1], start_step=0, end_step=2)]
  model.phases = lambda: late
  with pytest.raises(ValueError, match="do not start the training"):
    model.labelled_only_steps()


def test_hidden_labels_are_ignored_by_the_classifier_and_inferred():
  config, model, state = _tiny()
  batch = _batch()
  hidden = dict(batch, shape=batch["shape"].at[2:].set(-1),
                direction=batch["direction"].at[2:].set(-1))
  rng = jax.random.key(1)

  def loss(batch):
    return videovae_model.classifier_losses(
        model.classifier, state.params["attributes"], batch, rng,
        model.attributes)[0]

  # Changing the videos of rows whose labels are hidden changes nothing.
  scrambled = dict(hidden, video=hidden["video"].at[2:].set(0.5))
  assert float(loss(hidden)) == pytest.approx(float(loss(scrambled)))
  assert float(loss(hidden)) != pytest.approx(float(loss(batch)))
  inferred = model.inferred_attributes(state.params, hidden)
  logits = model.classifier.apply(state.params["attributes"],
                                  hidden["video"])
  for name in ("shape", "direction"):
    np.testing.assert_array_equal(inferred[name][:2], batch[name][:2])
    np.testing.assert_array_equal(inferred[name][2:],
                                  np.argmax(logits[name][2:], -1))


def test_labelled_fraction_reaches_the_model_batches(tfds_dir):
  config = load_config("videovae_shapes", "tiny")
  config.dataset.data_dir = tfds_dir
  config.train.update(batch_size=8, num_steps=15)
  seen = {}
  for batch in input_pipeline.as_numpy(input_pipeline.train_dataset(config)):
    for index, shape in zip(batch["index"], batch["shape"]):
      seen[int(index)] = int(shape)
  visible = {i for i, shape in seen.items() if shape >= 0}
  assert len(seen) == 40
  assert len(visible) == round(0.2 * 40)


def test_attribute_schedule_switches_at_the_requested_frames():
  _, model, _ = _tiny()
  schedule = sampling.attribute_schedule(
      model, {"shape": [(0, 1), (2, 0)], "direction": 1}, 4)
  np.testing.assert_array_equal(schedule["shape"], [1, 1, 0, 0])
  np.testing.assert_array_equal(schedule["direction"], [1, 1, 1, 1])
  for bad, match in (({"colour": 1}, "Unknown attributes"),
                     ({"shape": 2}, "out of range"),
                     ({"shape": [(1, 0)]}, "must start at 0"),
                     ({"shape": [(0, 0), (4, 1)]}, "below num_frames"),
                     ({"shape": [1, 1, 0, 0]}, r"\(frame, class\)")):
    with pytest.raises(ValueError, match=match):
      sampling.attribute_schedule(model, bad, 4)


def test_transient_control_changes_the_video_from_the_switch_frame_on():
  _, model, state = _tiny()
  variables = model.sampling_variables(state)
  rng = jax.random.key(3)
  fixed = sampling.sample(model, variables, [], [], 4, 3, rng,
                          attributes={"shape": 0, "direction": 0})
  switched = sampling.sample(model, variables, [], [], 4, 3, rng,
                             attributes={"shape": [(0, 0), (2, 1)],
                                         "direction": 0})
  np.testing.assert_array_equal(fixed[:, :2], switched[:, :2])
  assert np.any(fixed[:, 2:] != switched[:, 2:])


def test_first_frame_is_the_only_anchor_and_is_reconstructed():
  _, model, state = _tiny()
  variables = model.sampling_variables(state)
  vae, params = model.vae, variables["vae"]
  control = {"shape": 0, "direction": 0}
  frames = np.asarray(_batch()["video"][:2, 0])
  for frame in frames:
    given = sampling.sample(model, variables, frame[None], [0], 4, 2,
                            jax.random.key(0), deterministic=True,
                            attributes=control)
    # Frame 0 is the decoded posterior mean of the anchor (section 4.2).
    carry = vae.apply(params, 1, method=vae.initial_carry)
    one_hot = jnp.asarray([[1.0, 0.0, 1.0, 0.0]])
    mean, _ = vae.apply(params, carry,
                        vae.apply(params, frame[None], method=vae.residual),
                        one_hot, method=vae.posterior_params)
    expected = visualization.to_uint8(np.asarray(
        vae.apply(params, mean, one_hot, method=vae.decode)))
    assert np.abs(given[:, 0].astype(int) - expected.astype(int)).max() <= 1
  prior = sampling.sample(model, variables, [], [], 4, 2, jax.random.key(0),
                          deterministic=True, attributes=control)
  assert given.shape == (2, 4, 32, 32, 3)
  assert np.any(given[:, 0] != prior[:, 0])
  for times in ([1], [0, 3]):
    with pytest.raises(ValueError, match="first frame only"):
      sampling.sample(model, variables, np.repeat(frame[None], len(times), 0),
                      times, 4, 1, jax.random.key(0))


def test_unspecified_attributes_are_drawn_per_video():
  _, model, state = _tiny()
  values = model._conditioning_values({"shape": jnp.full((64, 4), 1)}, 64, 4,
                                      jax.random.key(0))
  assert np.all(values["shape"] == 1)
  direction = np.asarray(values["direction"])
  assert np.all(direction == direction[:, :1])  # Constant over time.
  assert set(direction[:, 0].tolist()) == {0, 1}


def test_configured_attributes_must_match_the_dataset():
  config, model, _ = _tiny()

  class Source:
    class dataset_info:  # noqa: N801 - mimics the TFDS attribute.
      features = {"shape": type("L", (), {"num_classes": 3})(),
                  "direction": type("L", (), {"num_classes": 2})()}

  with pytest.raises(ValueError, match="attributes.shape=3"):
    model.check_training_data(Source())
  config.dataset.labels = ("direction",)
  with pytest.raises(ValueError, match="must also be in dataset.labels"):
    models.build_model(config)


@pytest.fixture(scope="module")
def classifier_run(tmp_path_factory, tfds_dir):
  config = load_config("classifier_shapes", "tiny")
  config.dataset.data_dir = tfds_dir
  workdir = str(tmp_path_factory.mktemp("classifier"))
  summary = train.train_and_evaluate(config, workdir, jax.devices()[:1])
  return workdir, summary


def test_classifier_trains_and_reports_accuracy(classifier_run):
  workdir, summary = classifier_run
  with open(summary["eval_json"]) as f:
    metrics = json.load(f)["metrics"]
  assert {"accuracy", "accuracy_shape", "accuracy_direction"} <= set(metrics)
  assert summary["sample_files"] == []


def test_train_checkpoint_resume_is_bit_exact(tfds_dir, tmp_path,
                                              classifier_run):
  config = load_config("videovae_shapes", "tiny")
  config.dataset.data_dir = tfds_dir
  config.evals.attribute_scores.classifier_workdir = classifier_run[0]
  # Stops inside the "vae" phase.
  whole = train_and_check_resume(config, tmp_path, stop_at=2)
  assert whole["step"] == 3
  with open(whole["eval_json"]) as f:
    metrics = json.load(f)["metrics"]
  assert {"intra_e", "inter_e", "i_score", "i_score_real",
          "inter_e_real"} <= set(metrics)
  assert whole["sample_files"]
  paths = modes.run("attributes", config, str(tmp_path / "whole"))
  assert sorted(os.path.basename(p) for p in paths) == [
      "partial_direction.gif", "partial_direction_grid.png",
      "partial_shape.gif", "partial_shape_grid.png",
      "transient_direction.gif", "transient_direction_grid.png",
      "transient_shape.gif", "transient_shape_grid.png"]


def test_missing_classifier_fails_before_training(tfds_dir, tmp_path):
  config = load_config("videovae_shapes", "tiny")
  config.dataset.data_dir = tfds_dir
  config.evals.attribute_scores.classifier_workdir = str(tmp_path / "none")
  with pytest.raises(FileNotFoundError, match="evals.attribute_scores"):
    train.train_and_evaluate(config, str(tmp_path / "run"))
  assert not (tmp_path / "run" / "checkpoints").exists()


def test_mismatched_classifier_fails_before_training(tfds_dir, tmp_path,
                                                     classifier_run):
  config = load_config("videovae_shapes", "tiny")
  config.dataset.data_dir = tfds_dir
  config.evals.attribute_scores.classifier_workdir = classifier_run[0]
  config.dataset.num_frames = 5
  with pytest.raises(ValueError, match=r"\(4, 32, 3\), this run makes "
                     r"\(5, 32, 3\)"):
    train.train_and_evaluate(config, str(tmp_path / "run"))
  config.dataset.num_frames = 4
  config.evals.attribute_scores.labels = ("hue",)
  with pytest.raises(ValueError, match="names \\['hue'\\]"):
    train.train_and_evaluate(config, str(tmp_path / "run"))
  assert not (tmp_path / "run" / "checkpoints").exists()


def test_the_elbo_is_causal_in_time():
  """KL and frame t use x_<=t only (eq. 9's filtering posterior)."""
  _, model, state = _tiny(dropout=0.0)  # Only the inputs differ.
  params = state.params["vae"]
  videos = _batch()["video"]
  attributes = jnp.zeros(videos.shape[:2] + (model.attribute_size,))
  changed = videos.at[:, 2:].set(-videos[:, 2:])
  rng = jax.random.key(0)
  _, kl, frames = model.elbo_terms(params, videos, attributes, rng)
  _, kl_changed, frames_changed = model.elbo_terms(params, changed,
                                                   attributes, rng)
  np.testing.assert_allclose(kl[:, :2], kl_changed[:, :2], rtol=1e-5)
  np.testing.assert_allclose(frames[:, :2], frames_changed[:, :2], atol=1e-6)
  assert not np.allclose(kl[:, 2:], kl_changed[:, 2:])


def _teacher_forced_frames(model, params, videos, attributes, feed):
  """Posterior-mean frames of a hand-written time loop whose LSTM reads
  feed(observed frame, decoded frame)."""
  vae = model.vae
  carry = vae.apply(params, videos.shape[0], method=vae.initial_carry)
  frames = []
  for t in range(videos.shape[1]):
    psi = vae.apply(params, videos[:, t], method=vae.residual)
    z, _ = vae.apply(params, carry, psi, attributes[:, t],
                     method=vae.posterior_params)
    frame = vae.apply(params, z, attributes[:, t], method=vae.decode)
    fed = vae.apply(params, feed(videos[:, t], jnp.clip(frame, -1, 1)),
                    method=vae.residual)
    carry = vae.apply(params, carry, fed, z, method=vae.advance)
    frames.append(frame)
  return jnp.stack(frames, axis=1)


@pytest.mark.parametrize("lstm_reads,feed", [
    ("data_frames", lambda observed, decoded: observed),
    ("decoded_frames", lambda observed, decoded: decoded)])
def test_the_lstm_reads_the_observed_or_the_decoded_frame(lstm_reads, feed):
  _, model, state = _tiny(dropout=0.0, lstm_reads=lstm_reads)
  params = state.params["vae"]
  batch = _batch()
  videos = batch["video"]
  attributes = model._attribute_frames(
      {"shape": batch["shape"], "direction": batch["direction"]},
      *videos.shape[:2])
  _, _, frames = model.elbo_terms(params, videos, attributes,
                                  jax.random.key(0), train=False)
  np.testing.assert_allclose(
      frames, _teacher_forced_frames(model, params, videos, attributes, feed),
      atol=1e-5)
  other = (lambda observed, decoded: decoded) if lstm_reads == "data_frames" \
      else (lambda observed, decoded: observed)
  # Frame 0 comes before any feedback; later frames tell the two apart.
  assert not np.allclose(
      frames[:, 1:], _teacher_forced_frames(model, params, videos,
                                            attributes, other)[:, 1:],
      atol=1e-5)
  # No gradient flows back through the decoded frame the LSTM reads.
  if lstm_reads == "decoded_frames":
    frame = jnp.ones((2, 32, 32, 3))
    grad = jax.grad(lambda f: jnp.sum(model._decoded_frame_encoding(
        params, f)))(frame)
    assert float(jnp.abs(grad).max()) == 0.0


@pytest.mark.parametrize("lstm_reads", ["data_frames", "decoded_frames"])
def test_the_sampler_feeds_the_given_first_frame_as_training_did(lstm_reads):
  # With decoded_frames the LSTM never read an observed frame in training,
  # so after frame 0 it reads the reconstruction of the given one.
  _, model, state = _tiny(dropout=0.0, lstm_reads=lstm_reads)
  variables = model.sampling_variables(state)
  vae, params = model.vae, variables["vae"]
  frame = jnp.asarray(_batch()["video"][:1, 0])
  one_hot = jnp.asarray([[1.0, 0.0, 1.0, 0.0]])
  carry = vae.apply(params, 1, method=vae.initial_carry)
  psi_first = vae.apply(params, frame, method=vae.residual)
  expected = []
  for t in range(4):
    if t == 0:
      z, _ = vae.apply(params, carry, psi_first, one_hot,
                       method=vae.posterior_params)
    else:
      z = vae.apply(params, carry, one_hot, method=vae.prior_params)[0]
    decoded = jnp.clip(vae.apply(params, z, one_hot, method=vae.decode),
                       -1, 1)
    fed = vae.apply(params, decoded, method=vae.residual)
    if t == 0 and lstm_reads == "data_frames":
      fed = psi_first
    carry = vae.apply(params, carry, fed, z, method=vae.advance)
    expected.append(decoded)
  anchor_video = jnp.zeros((1, 4) + frame.shape[1:]).at[:, 0].set(frame)
  mask = np.zeros((1, 4), bool)
  mask[:, 0] = True
  given = model.generate(variables, anchor_video, mask, jax.random.key(0), 4,
                         deterministic=True,
                         conditioning={"shape": 0, "direction": 0})
  np.testing.assert_allclose(given, jnp.stack(expected, axis=1), atol=1e-5)


def test_an_unknown_lstm_input_is_refused():
  with pytest.raises(ValueError, match="lstm_reads='frames'.*decoded_frames"):
    _tiny(lstm_reads="frames")


@pytest.mark.parametrize("activation,reaches", [
    ("relu", False), ("leaky_relu", True)])
def test_a_switched_off_hidden_layer_passes_gradient_only_when_leaky(
    activation, reaches):
  # A ReLU unit whose input stays negative passes no gradient, so it stays
  # off for good; trained Shape Motion encoders lose half their hidden
  # units this way (networks.py). A leaky unit still passes some.
  encoder = networks.ConvEncoder(((5, 4, 2), (3, 8, 2)), 16, 8, 0.0,
                                 activation)
  frames = jnp.asarray(_batch(2, 2)["video"][:, 0])
  params = encoder.init(jax.random.key(0), frames)
  params["params"]["Dense_0"]["bias"] = jnp.full((16,), -1e3)

  def output(p):
    return jnp.sum(encoder.apply(p, frames))

  grad = jax.grad(output)(params)["params"]["Conv_0"]["kernel"]
  assert (float(jnp.abs(grad).max()) > 1e-6) == reaches


def test_an_unknown_activation_is_refused_and_old_runs_read_relu():
  with pytest.raises(ValueError, match="activation='gelu'.*leaky_relu"):
    _tiny(activation="gelu")
  saved = checkpoints.saved_config(
      {"family": "videovae", "model": {"lstm_reads": "decoded_frames"}})
  assert saved.model.activation == "relu"
  assert saved.model.lstm_reads == "decoded_frames"
  assert saved.model.prior_covariance == "diagonal"


def test_each_phase_trains_only_its_networks():
  _, model, state = _tiny()
  batch = _batch()
  after_attributes, _ = model.attribute_step(state, batch, jax.random.key(0))
  after_vae, _ = model.vae_step(state, batch, jax.random.key(0))
  for trained, frozen, new in (("attributes", "vae", after_attributes),
                               ("vae", "attributes", after_vae)):
    same = jax.tree.leaves(jax.tree.map(np.array_equal, state.params[frozen],
                                        new.params[frozen]))
    moved = jax.tree.leaves(jax.tree.map(np.array_equal,
                                         state.params[trained],
                                         new.params[trained]))
    assert all(same) and not all(moved), trained


@pytest.mark.parametrize("output,background_bias,alive", [
    ("linear", -1.0, True), ("tanh", -10.0, False)])
def test_l1_gradient_reaches_a_decoder_drawing_the_black_background(
    output, background_bias, alive):
  # A decoder at the black background must still learn where a shape is:
  # through a saturated tanh the L1 gradient vanishes (the old decoder).
  decoder = networks.ConvDecoder(32, 3, ((5, 4, 2), (3, 8, 2)), 16, output)
  z = jnp.zeros((1, 8))
  params = decoder.init(jax.random.key(0), z)
  layers = [k for k in params["params"] if k.startswith("ConvTranspose")]
  frame_layer = [k for k in layers
                 if params["params"][k]["kernel"].shape[-1] == 3][0]
  params["params"][frame_layer]["kernel"] = jnp.zeros_like(
      params["params"][frame_layer]["kernel"])
  params["params"][frame_layer]["bias"] = jnp.full((3,), background_bias)
  target = jnp.full((1, 32, 32, 3), -1.0).at[:, 10:15, 10:15].set(0.8)

  def l1(p):
    return jnp.mean(jnp.abs(decoder.apply(p, z) - target))

  assert float(jnp.abs(decoder.apply(params, z) + 1).max()) < 1e-3
  grad = jax.grad(l1)(params)["params"][frame_layer]["bias"]
  assert (float(jnp.abs(grad).max()) > 1e-3) == alive


def test_kl_warmup_ramps_the_kl_weight_from_zero_over_the_vae_phase():
  config, model, state = _tiny()
  config.loss.update(kl_weight=5.0, kl_warmup_steps=4)
  start = config.train.attribute_steps
  weights = [float(model.kl_weight(jnp.int32(start + s)))
             for s in (-1, 0, 1, 3, 10)]
  assert weights == [0.0, 1.25, 2.5, 5.0, 5.0]
  # The step's loss uses the ramped weight: at the phase start the KL is
  # weighted by a quarter of loss.kl_weight, not by all of it.
  batch = _batch()
  _, metrics = model.vae_step(state.replace(step=jnp.int32(start)), batch,
                              jax.random.key(0))
  assert float(metrics["kl_weight"]) == 1.25
  config.loss.kl_warmup_steps = 0
  _, metrics = model.vae_step(state.replace(step=jnp.int32(start)), batch,
                              jax.random.key(0))
  assert float(metrics["kl_weight"]) == 5.0


def test_sampling_temperature_scales_the_prior_draw():
  config, model, state = _tiny()
  variables = model.sampling_variables(state)
  control = {"shape": 1, "direction": 0}

  def draw(temperature, deterministic=False):
    config.model.sampling.temperature = temperature
    return sampling.sample(model, variables, [], [], 4, 3, jax.random.key(3),
                           deterministic=deterministic,
                           attributes=control).astype(float)

  mean = draw(1.0, deterministic=True)
  np.testing.assert_array_equal(draw(0.0), mean)
  # The first frame's z is mean + T * std * noise: a lower temperature
  # stays nearer the prior mean's frame.
  near, far = draw(0.5), draw(1.0)
  assert 0 < np.abs(near - mean)[:, 0].mean() < np.abs(far - mean)[:, 0].mean()
  with pytest.raises(ValueError, match="temperature=-1.0"):
    draw(-1.0)


def test_evaluating_at_other_sampler_settings_keeps_the_runs_file(tmp_path):
  config = load_config("videovae_shapes", "tiny")
  workdir = str(tmp_path)
  checkpoints.save_run_config(config, workdir)
  assert modes.evaluation_tag(config, workdir, 7) == "7"
  config.model.sampling.temperature = 0.5
  assert modes.evaluation_tag(config, workdir, 7) == "7_temperature0.5"
  # A run saved before the setting existed: any value gets its own file.
  with config.unlocked():
    saved = config.copy_and_resolve_references()
    del saved.model["sampling"]
  checkpoints.save_run_config(saved, workdir)
  config.model.sampling.temperature = 1.0
  assert modes.evaluation_tag(config, workdir, 7) == "7_temperature1.0"


def test_evaluating_on_another_clip_set_keeps_the_runs_file(tmp_path):
  # A checkpoint scored on training clips (to choose it) once wrote over
  # its test figures in eval_<step>.json.
  config = load_config("videovae_shapes", "tiny")
  workdir = str(tmp_path)
  checkpoints.save_run_config(config, workdir)
  config.dataset.eval_split = "train"
  assert modes.evaluation_tag(config, workdir, 7) == "7_splittrain"
  config.dataset.eval_split = "test"
  saved_samples = config.evals.num_samples
  config.evals.num_samples = 8
  assert modes.evaluation_tag(config, workdir, 7) == "7_samples8"
  # Generation from the first frame (the paper's setting iv) of a run
  # trained and scored without anchors: its test clips' anchors differ.
  config.evals.num_samples = saved_samples
  config.anchors.strategy = "first_k"
  assert modes.evaluation_tag(config, workdir, 7) == "7_anchorsfirst_k"
