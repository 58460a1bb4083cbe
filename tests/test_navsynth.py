"""navsynth: losses, projections, latent tables, generation, end to end."""

import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from conftest import train_and_check_resume
from conftest import load_config
from tfds_builders.shape_motion import shape_motion_dataset_builder as sm
from video_inference import models
from video_inference import modes
from video_inference import sampling
from video_inference import train
from video_inference.models.navsynth import dictionary
from video_inference.models.navsynth import networks


def test_laplacian_pyramid_reconstructs_its_input():
  images = jax.random.uniform(jax.random.key(0), (3, 32, 32, 3))
  pyramid = networks.laplacian_pyramid(images, 4)
  assert [band.shape[1] for band in pyramid] == [32, 16, 8, 4]
  np.testing.assert_allclose(networks.reconstruct(pyramid), images,
                             atol=1e-5)
  # Band-pass: a constant image has no detail in the finer levels.
  flat = networks.laplacian_pyramid(jnp.full((1, 32, 32, 1), 0.3), 3)
  assert float(jnp.abs(flat[0]).max()) < 1e-5
  # The published code's 4 band-pass levels and the residual reach 2x2 at
  # 32x32 frames; one level more does not fit.
  assert networks.laplacian_pyramid(images, 5)[-1].shape[1] == 2
  with pytest.raises(ValueError, match="at least 32 pixels"):
    networks.laplacian_pyramid(jnp.zeros((1, 16, 16, 1)), 5)


def test_laplacian_l1_is_zero_only_for_equal_images():
  a = jax.random.uniform(jax.random.key(1), (2, 5, 16, 16, 3))
  assert networks.laplacian_l1(a, a, 3).shape == (2, 5)
  assert float(networks.laplacian_l1(a, a, 3).max()) == 0.0
  assert float(networks.laplacian_l1(a, a + 0.1, 3).min()) > 0.0


def test_triplet_loss_is_zero_when_the_margin_holds_and_positive_otherwise():
  anchor = jnp.zeros((4,))
  near, far = jnp.full((4,), 0.1), jnp.full((4,), 1.0)  # ||.||^2 0.04, 4.
  assert float(networks.triplet_hinge(anchor, near, far, 2.0)) == 0.0
  assert float(networks.triplet_hinge(anchor, far, near, 2.0)) == \
      pytest.approx(4.0 + 2.0 - 0.04)
  assert float(networks.triplet_hinge(anchor, near, far, 4.0)) == \
      pytest.approx(0.04 + 4.0 - 4.0, abs=1e-6)
  # A path where frames far apart are far in latent space meets the margin.
  spread = jnp.arange(8.0)[None, :, None] * jnp.ones((1, 8, 3))
  assert float(networks.triplet_loss(spread, jax.random.key(0), 2.0, 2)[0]) \
      == 0.0
  collapsed = jnp.zeros((1, 8, 3))
  assert float(networks.triplet_loss(collapsed, jax.random.key(0), 2.0, 2)[0]) \
      == pytest.approx(2.0)


def test_triplets_are_drawn_inside_and_outside_the_window():
  positive, negative, valid = networks.sample_triplets(jax.random.key(3), 64,
                                                       8, 2)
  anchors = np.arange(8)[None]
  gap_positive = np.abs(np.asarray(positive) - anchors)
  gap_negative = np.abs(np.asarray(negative) - anchors)
  assert np.all((gap_positive >= 1) & (gap_positive <= 2))
  assert np.all(gap_negative > 2)
  assert np.asarray(valid).all()
  # Frames 0..3 of a 4-frame clip: only anchors 0 and 3 have a negative.
  _, _, valid = networks.sample_triplets(jax.random.key(3), 1, 4, 2)
  assert np.asarray(valid)[0].tolist() == [True, False, False, True]


def test_projections_keep_the_unit_ball_and_the_rank():
  latents = 5.0 * jax.random.normal(jax.random.key(0), (10, 16, 7))
  projected = networks.project_to_unit_ball(latents)
  assert float(jnp.linalg.norm(projected, axis=-1).max()) <= 1.0 + 1e-6
  small = 0.02 * latents  # Norms ~0.26: inside, untouched.
  np.testing.assert_allclose(networks.project_to_unit_ball(small), small)
  for rank in (1, 2, 5):
    low = networks.project_rank(latents, rank)
    assert max(np.linalg.matrix_rank(np.asarray(m), tol=1e-4)
               for m in low) <= rank


@pytest.fixture(name="tiny")
def _tiny():
  config = load_config("navsynth_shapes", "tiny")
  return config, models.build_model(config)


def _batch(num_videos=4, num_frames=4, seed=0):
  shapes = sm.ShapeMotionConfig(name="t", num_frames=num_frames, size=32,
                                seed=seed)
  videos = np.stack([sm.generate_video(shapes, i)["video"]
                     for i in range(num_videos)])
  return {"video": jnp.asarray(videos / 127.5 - 1.0, jnp.float32),
          "anchor_mask": jnp.zeros((num_videos, num_frames), bool),
          "index": jnp.arange(num_videos, dtype=jnp.int32)}, videos


def test_a_step_moves_only_the_batch_rows_and_keeps_them_in_the_ball(tiny):
  config, model = tiny
  state = model.create_state(jax.random.key(0))
  batch, _ = _batch()
  before = jax.device_get(state.params["latents"])
  state, metrics = jax.jit(model.joint_step)(state, batch, jax.random.key(1))
  after = jax.device_get(state.params["latents"])
  for table in ("static", "transient"):
    moved = np.any(before[table] != after[table],
                   axis=tuple(range(1, before[table].ndim)))
    assert moved[:4].all() and not moved[4:].any(), table
    norms = np.linalg.norm(after[table], axis=-1)
    assert norms.max() <= 1.0 + 1e-5
  assert np.isfinite(float(metrics["loss"]))
  assert config.model.num_static == 40


def test_static_latent_and_the_gru_get_gradients(tiny):
  # Two published-code pitfalls (docs/design.md): a static latent that never
  # receives a gradient, and a GRU unrolled one step (no recurrence).
  _, model = tiny
  state = model.create_state(jax.random.key(0))
  batch, _ = _batch()
  grads, _ = jax.grad(model.losses, has_aux=True)(state.params, batch,
                                                  jax.random.key(2))
  assert float(jnp.abs(grads["latents"]["static"][:4]).sum()) > 0
  transient = state.params["latents"]["transient"][:1]
  out = model.rnn.apply(state.params["rnn"], transient)
  changed = transient.at[:, 0].add(0.5)
  out_changed = model.rnn.apply(state.params["rnn"], changed)
  # Frame 3's output depends on frame 0's latent through the recurrence.
  assert float(jnp.abs(out_changed[:, 3] - out[:, 3]).max()) > 1e-6


def test_a_shared_row_moves_by_one_videos_step_whatever_the_batch(tiny):
  # The old update summed the row's gradients over the batch: a static row
  # shared by 4 clips of one video moved 4x as far as with 1 clip.
  config, _ = tiny
  config.model.update(static_key="shared", num_static=1)
  config.loss.update(static_weight=0.0, triplet_weight=0.0)
  model = models.build_model(config)
  state = model.create_state(jax.random.key(0))
  one, _ = _batch(num_videos=1)
  four = jax.tree.map(lambda x: jnp.concatenate([x] * 4), one)
  step = jax.jit(model.joint_step)
  moved = [np.asarray(step(state, batch, jax.random.key(1))[0].params[
      "latents"]["static"] - state.params["latents"]["static"])
           for batch in (one, four)]
  assert np.abs(moved[0]).max() > 0
  np.testing.assert_allclose(moved[1], moved[0], rtol=1e-4, atol=1e-7)


def test_the_triplet_term_reaches_the_gru(tiny):
  # On raw z_t (the old loss) the triplet term gave the GRU no gradient.
  config, _ = tiny
  config.dataset.num_frames = 8  # Anchors 0-2 and 5-7 have negatives (> 4).
  config.loss.triplet_negative_window = 4
  state = models.build_model(config).create_state(jax.random.key(0))
  batch, _ = _batch(num_frames=8)
  rnn_grads = []
  for weight in (0.0, 1.0):
    config.loss.triplet_weight = weight
    model = models.build_model(config)
    grads, _ = jax.grad(model.losses, has_aux=True)(state.params, batch,
                                                    jax.random.key(2))
    rnn_grads.append(grads["rnn"])
  difference = jax.tree.map(lambda a, b: float(jnp.abs(a - b).max()),
                            *rnn_grads)
  assert max(jax.tree.leaves(difference)) > 1e-6


def test_rank_projection_in_training(tiny):
  config, _ = tiny
  config.model.update(rank=1)
  model = models.build_model(config)
  state = model.create_state(jax.random.key(0))
  batch, _ = _batch()
  state, _ = jax.jit(model.joint_step)(state, batch, jax.random.key(1))
  transient = np.asarray(state.params["latents"]["transient"])
  assert max(np.linalg.matrix_rank(m, tol=1e-5) for m in transient[:4]) == 1


def test_replay_after_overfitting_reproduces_the_videos():
  config = load_config("navsynth_shapes", "tiny")
  config.train.update(num_steps=500, generator_steps=500,
                      generator_learning_rate=1e-3, rnn_learning_rate=1e-3)
  config.model.update(base_channels=16, static_dim=8, transient_dim=8,
                      gru_hidden_size=32, num_static=4, num_transient=4)
  model = models.build_model(config)
  state = model.create_state(jax.random.key(0))
  batch, videos = _batch()
  step = jax.jit(model.joint_step)
  for index in range(500):
    state, _ = step(state, batch, jax.random.key(index))
  replayed = dictionary.sample_dictionary(model, state.params, [0, 1, 2, 3],
                                        [0, 1, 2, 3])
  mse = np.mean((replayed.astype(np.float64) - videos)**2)
  psnr = 10 * np.log10(255.0**2 / mse)
  # Black frames score 20.6 dB against these videos; 500 steps reach ~28.
  assert psnr > 25.0, psnr
  # Exchange: content of video 0 with the motion of video 1 is neither.
  exchanged = dictionary.sample_dictionary(model, state.params, [0], [1])
  assert np.abs(exchanged.astype(int) - replayed[0]).mean() > 0.1
  assert np.abs(exchanged.astype(int) - replayed[1]).mean() > 0.1


def test_dictionary_requests_are_checked(tiny):
  _, model = tiny
  state = model.create_state(jax.random.key(0))
  with pytest.raises(ValueError, match=r"transient rows \[40\] are out of"):
    dictionary.sample_dictionary(model, state.params, [0], [40])
  with pytest.raises(ValueError, match="1 static rows but 2 transient"):
    dictionary.sample_dictionary(model, state.params, [0], [1, 2])
  with pytest.raises(ValueError, match="cannot condition on anchor"):
    sampling.sample(model, state.params, np.zeros((1, 32, 32, 3), np.uint8),
                    [0], 4, 1, jax.random.key(0))
  with pytest.raises(ValueError, match="at least one frame between"):
    dictionary.interpolate_transient(model, state.params, 0, 0, 1, 2)
  video = dictionary.interpolate_transient(model, state.params, 0, 0, 0, 3)
  assert video.shape == (1, 4, 32, 32, 3) and video.dtype == np.uint8
  prior = sampling.sample(model, state.params, np.zeros((0, 32, 32, 3)), [],
                          4, 3, jax.random.key(0))
  assert prior.shape == (3, 4, 32, 32, 3)


def test_interpolation_keeps_the_ends_and_moves_the_middle(tiny):
  _, model = tiny
  state = model.create_state(jax.random.key(0))
  plain = model.generate_from_rows(state.params, jnp.array([0]),
                                   jnp.array([0]), 4)
  between = model.interpolate(state.params, jnp.array([0]), jnp.array([0]),
                              0, 3)
  np.testing.assert_allclose(between[:, 0], plain[:, 0], atol=1e-6)
  assert float(jnp.abs(between[:, 1] - plain[:, 1]).max()) > 1e-6


def test_too_small_tables_are_refused_with_the_fix(tiny):
  config, model = tiny
  config.model.update(num_transient=10)
  model = models.build_model(config)

  class Source:
    def __len__(self):
      return 40

  with pytest.raises(ValueError, match="num_transient=40"):
    model.check_training_data(Source())
  config.model.update(static_key="person")
  with pytest.raises(ValueError, match="dataset.labels"):
    models.build_model(config)


def test_train_checkpoint_resume_is_bit_exact(tfds_dir, tmp_path):
  config = load_config("navsynth_shapes", "tiny")
  config.dataset.data_dir = tfds_dir
  whole = train_and_check_resume(config, tmp_path, stop_at=1,
                                 generator_steps=1)
  assert whole["step"] == 2
  with open(whole["eval_json"]) as f:
    metrics = json.load(f)["metrics"]
  assert {"mcs", "fcs", "fcs_real_clips"} <= set(metrics)
  paths = modes.run("dictionary", config, str(tmp_path / "whole"))
  names = sorted(os.path.basename(p) for p in paths)
  assert names == ["exchange.gif", "exchange_grid.png", "exchange_table.png",
                   "interpolation.gif", "interpolation_grid.png", "replay.gif",
                   "replay_grid.png"]


def test_latent_tables_are_sharded_over_four_devices(tfds_dir, tmp_path):
  assert jax.device_count() == 4, "conftest sets 4 fake CPU devices"
  config = load_config("navsynth_shapes", "tiny")
  config.dataset.data_dir = tfds_dir
  config.train.update(batch_size=4)
  config.evals.update(batch_size=4)
  summary = train.train_and_evaluate(config, str(tmp_path / "four"))
  table = summary["state"].params["latents"]["transient"]
  assert len(table.sharding.device_set) == 4
  assert table.addressable_shards[0].data.shape[0] == 10  # 40 rows / 4.
  for network in ("rnn", "generator"):
    assert all(leaf.sharding.is_fully_replicated for leaf in
               jax.tree.leaves(summary["state"].params[network])), network
