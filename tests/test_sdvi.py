"""sdvi: network shapes, parameter counts, each loss term, routing, sampling."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from video_inference import sampling
from video_inference.models import base
from video_inference.models import build_model
from video_inference.models.sdvi import networks
from video_inference.models.sdvi import model as sdvi_model


def conv(k, cin, cout):
  return k * k * cin * cout + cout


def dense(cin, cout, bias=True):
  return cin * cout + (cout if bias else 0)


def gru(cin, hidden):
  # flax GRUCell: input projections with bias, recurrent ones without,
  # except the candidate's, which has one.
  return 3 * dense(cin, hidden) + 2 * dense(hidden, hidden, False) + dense(
      hidden, hidden)


def count(tree):
  return sum(x.size for x in jax.tree.leaves(tree))


@pytest.fixture
def model(tiny_config):
  return build_model(tiny_config)


@pytest.fixture
def state(model):
  return model.create_state(jax.random.key(0))


def test_parameter_counts_match_the_architecture(model, state):
  # Tiny: 32x32x3 frames, latent 8, z_T 8, width 8, GRU 16, 4 frames.
  p = state.params
  encoder = (conv(4, 3, 8) + conv(4, 8, 16) + 2 * 16 + conv(4, 16, 32) + 2 * 32
             + 2 * dense(4 * 4 * 32, 8))
  assert count(p["image_encoder"]) == encoder
  generator = (dense(8, 4 * 4 * 32) + 2 * 32 + conv(3, 32, 4 * 16) + 2 * 16
               + conv(3, 16, 4 * 8) + 2 * 8 + conv(3, 8, 4 * 3))
  assert count(p["image_generator"]) == generator
  discriminator = (conv(4, 3, 8) + conv(4, 8, 16) + conv(4, 16, 32)
                   + dense(4 * 4 * 32, 1))
  assert count(p["image_discriminator"]) == discriminator
  temporal_encoder = (gru(8 + 4, 16) + gru(16, 16) + dense(16, 16)
                      + 2 * dense(16, 8))
  assert count(p["temporal_encoder"]) == temporal_encoder
  temporal_generator = (dense(8, 2 * 16) + gru(8, 16) + gru(16, 16)
                        + dense(16, 8) + dense(16, 4))
  assert count(p["temporal_generator"]) == temporal_generator
  # D_T on video+anchors+mask (7 channels): per level a 4x4 spatial conv
  # and a kernel-3 temporal conv; 4 frames -> 2 after the first level.
  video_discriminator = (conv(4, 7, 8) + 3 * 8 * 8 + 8
                         + conv(4, 8, 16) + 3 * 16 * 16 + 16
                         + conv(4, 16, 32) + 3 * 32 * 32 + 32
                         + dense(2 * 4 * 4 * 32, 1))
  assert count(p["video_discriminator"]) == video_discriminator


def test_network_output_shapes(model, state):
  p = state.params
  frames = jnp.zeros((5, 32, 32, 3))
  mean, log_var = model.image_encoder.apply(p["image_encoder"], frames)
  assert mean.shape == log_var.shape == (5, 8)
  assert model.image_generator.apply(p["image_generator"],
                                     mean).shape == (5, 32, 32, 3)
  latents = jnp.zeros((3, 4, 8))
  mask = jnp.array([[1, 0, 0, 1]] * 3, bool)
  mu, _ = model.temporal_encoder.apply(p["temporal_encoder"], latents, mask)
  assert mu.shape == (3, 8)
  frame_latents, logits = model.temporal_generator.apply(
      p["temporal_generator"], mu, 4)
  assert frame_latents.shape == (3, 4, 8) and logits.shape == (3, 4, 4)
  videos = jnp.zeros((3, 4, 32, 32, 3))
  conditioned = networks.conditioned_video(videos, videos, mask)
  assert conditioned.shape == (3, 4, 32, 32, 7)
  assert model.video_discriminator.apply(p["video_discriminator"],
                                         conditioned).shape == (3,)


def test_paper_sized_networks_build_at_64x64(tfds_dir):
  from conftest import load_config
  config = load_config("sdvi_ucf", "")
  model = build_model(config)
  shapes = jax.eval_shape(model.create_state, jax.random.key(0))
  encoder = shapes.params["temporal_encoder"]["params"]
  assert encoder["Dense_0"]["kernel"].shape == (512, 512)
  video = jnp.zeros((1, 16, 64, 64, 3))
  out = jax.eval_shape(
      lambda params: model.generate(params, video, jnp.zeros((1, 16), bool),
                                    jax.random.key(0), 16), shapes.params)
  assert out.shape == (1, 16, 64, 64, 3)


def test_kl_is_zero_at_the_prior_and_positive_elsewhere():
  zeros = jnp.zeros((2, 5))
  np.testing.assert_allclose(base.gaussian_kl(zeros, zeros), 0.0, atol=1e-7)
  assert np.all(base.gaussian_kl(zeros + 0.5, zeros) > 0)
  assert np.all(base.gaussian_kl(zeros, zeros + 0.5) > 0)


def test_reconstruction_term_sums_over_pixels_and_averages_frames():
  a = jnp.zeros((2, 3, 4, 4, 1))
  assert float(sdvi_model._sum_squared_error_per_frame(a, a)) == 0.0
  b = a.at[0, 0].set(1.0)  # One frame of 16 pixels off by 1, of 6 frames.
  np.testing.assert_allclose(sdvi_model._sum_squared_error_per_frame(b, a),
                             16.0 / 6.0)


def test_video_reconstruction_term_sums_over_frames():
  a = jnp.zeros((2, 3, 4, 4, 1))
  b = a.at[0, 0].set(1.0).at[0, 2].set(1.0)  # 2 frames of video 0 off by 1.
  np.testing.assert_allclose(sdvi_model._sum_squared_error_per_video(b, a),
                             2 * 16.0 / 2)  # Summed per video, mean of 2.


def test_anchor_loss_rewards_the_right_times():
  num_frames = 4
  perfect = 50.0 * jax.nn.one_hot(jnp.arange(num_frames), num_frames)[None]
  assert float(sdvi_model.anchor_loss(perfect)) < 1e-6
  uniform = jnp.zeros((1, num_frames, num_frames))
  np.testing.assert_allclose(sdvi_model.anchor_loss(uniform),
                             num_frames * np.log(num_frames), rtol=1e-6)
  shifted = jnp.roll(perfect, 1, axis=-1)
  assert float(sdvi_model.anchor_loss(shifted)) > 100.0


def test_video_discriminator_sees_the_anchors(model, state):
  rng = np.random.default_rng(0)
  videos = jnp.asarray(rng.uniform(-1, 1, (1, 4, 32, 32, 3)), jnp.float32)
  mask = jnp.array([[True, False, False, True]])
  apply = lambda anchors: model.video_discriminator.apply(
      state.params["video_discriminator"],
      networks.conditioned_video(videos, anchors, mask))
  assert float(apply(videos)[0]) != float(apply(-videos)[0])


def test_image_phase_gradients_follow_app_b(model, state, tiny_config):
  """E_I gets d(KL + l1 recon), G_I d(GAN + l2 recon), D_I d(L_GAN) only."""
  loss_cfg = tiny_config.loss
  frames = jnp.asarray(np.random.default_rng(0).uniform(-1, 1, (4, 32, 32, 3)),
                       jnp.float32)
  rng = jax.random.key(3)
  grads, _ = jax.grad(model.image_losses, has_aux=True)(state.params, frames,
                                                        rng)
  p = state.params

  def encoder_objective(encoder_params):
    rng_z, _ = jax.random.split(rng)
    mean, log_var = model.image_encoder.apply(encoder_params, frames)
    z = base.reparameterize(rng_z, mean, log_var)
    recon = sdvi_model._sum_squared_error_per_frame(
        model.image_generator.apply(p["image_generator"], z), frames)
    return jnp.mean(base.gaussian_kl(mean, log_var)) + (
        loss_cfg.encoder_recon_weight * recon)

  expected = jax.grad(encoder_objective)(p["image_encoder"])
  for got, want in zip(jax.tree.leaves(grads["image_encoder"]),
                       jax.tree.leaves(expected)):
    np.testing.assert_allclose(got, want, rtol=2e-3, atol=1e-5)
  for name in ("temporal_encoder", "temporal_generator",
               "video_discriminator"):
    assert all(float(jnp.abs(g).max()) == 0.0
               for g in jax.tree.leaves(grads[name]))
  assert any(float(jnp.abs(g).max()) > 0
             for g in jax.tree.leaves(grads["image_discriminator"]))


def test_video_phase_freezes_the_frame_discriminator(model, state):
  batch = {
      "video": jnp.asarray(np.random.default_rng(0).uniform(
          -1, 1, (2, 4, 32, 32, 3)), jnp.float32),
      "anchor_mask": jnp.array([[1, 0, 0, 1], [0, 1, 0, 0]], bool),
  }
  new_state, metrics = model.video_step(state, batch, jax.random.key(0))
  assert int(new_state.step) == 1
  for name in ("image_discriminator",):
    for old, new in zip(jax.tree.leaves(state.params[name]),
                        jax.tree.leaves(new_state.params[name])):
      np.testing.assert_array_equal(old, new)
  for name in sdvi_model.VIDEO_NETWORKS:
    changed = [not np.array_equal(o, n) for o, n in zip(
        jax.tree.leaves(state.params[name]),
        jax.tree.leaves(new_state.params[name]))]
    assert any(changed), name
  for key in ("video/recon_mse", "video/kl", "video/anchor",
              "video/content_generator", "video/content_discriminator"):
    assert np.isfinite(float(metrics[key])), key


def test_eq_8_trains_the_prior_path(tiny_config, state):
  # Eq. 8: D_T judges videos decoded from z_T ~ N(0, I), and G_T / G_I
  # learn from it; before, nothing trained what the prior decodes to.
  batch = (jnp.asarray(np.random.default_rng(0).uniform(
      -1, 1, (2, 4, 32, 32, 3)), jnp.float32),
           jnp.array([[1, 0, 0, 1], [0, 1, 0, 0]], bool))
  grads = []
  for weight in (0.0, 1.0):
    tiny_config.loss.prior_gan_weight = weight
    model = build_model(tiny_config)
    grad, metrics = jax.grad(model.video_losses, has_aux=True)(
        state.params, *batch, jax.random.key(3))
    grads.append(grad)
  assert np.isfinite(float(metrics["video/prior_generator"]))
  for name in ("temporal_generator", "image_generator",
               "video_discriminator"):
    difference = max(float(jnp.abs(a - b).max()) for a, b in zip(
        jax.tree.leaves(grads[0][name]), jax.tree.leaves(grads[1][name])))
    assert difference > 1e-7, name
  # E_T is not on the prior path.
  for a, b in zip(jax.tree.leaves(grads[0]["temporal_encoder"]),
                  jax.tree.leaves(grads[1]["temporal_encoder"])):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_foreground_weights_mark_what_moves_over_the_clip():
  videos = np.full((1, 8, 16, 16, 3), -1.0, np.float32)
  for t in range(8):  # A 2x2 shape crossing the frame.
    videos[0, t, 4:6, 2 * t:2 * t + 2] = 0.6
  weights = np.asarray(base.foreground_weights(jnp.asarray(videos), 9.0, 0.1))
  assert weights.shape == (1, 8, 16, 16, 1)
  on_shape = videos[..., :1] > -1
  np.testing.assert_array_equal(weights[on_shape], 10.0)
  np.testing.assert_array_equal(weights[~on_shape], 1.0)
  # A still object is its own background: no extra weight.
  still = np.repeat(videos[:, :1], 8, axis=1)
  assert float(base.foreground_weights(jnp.asarray(still), 9.0, 0.1).max()) \
      == 1.0


def test_foreground_weight_raises_the_cost_of_missing_the_shape(tiny_config):
  videos = np.full((2, 4, 32, 32, 3), -1.0, np.float32)
  for t in range(4):
    videos[:, t, 8:12, 4 * t:4 * t + 4] = 0.8
  black = np.full_like(videos, -1.0)
  costs = []
  for weight in (0.0, 10.0):
    tiny_config.loss.foreground_weight = weight
    model = build_model(tiny_config)
    weights = model.reconstruction_weights(jnp.asarray(videos))
    costs.append(float(sdvi_model._sum_squared_error_per_video(
        jnp.asarray(black), jnp.asarray(videos), weights)))
  assert costs[1] == pytest.approx(11 * costs[0], rel=1e-5)


def test_sample_api_shapes_diversity_and_determinism(model, state):
  variables = model.sampling_variables(state)
  anchors = np.zeros((2, 32, 32, 3), np.uint8)
  videos = sampling.sample(model, variables, anchors, [0, 3], 4, 3,
                           jax.random.key(0))
  assert videos.shape == (3, 4, 32, 32, 3) and videos.dtype == np.uint8
  prior = sampling.sample(model, variables, np.zeros((0,)), [], 4, 2,
                          jax.random.key(1))
  assert not np.array_equal(prior[0], prior[1])
  mean_a = sampling.sample(model, variables, anchors, [0, 3], 4, 1,
                           jax.random.key(0), deterministic=True)
  mean_b = sampling.sample(model, variables, anchors, [0, 3], 4, 1,
                           jax.random.key(9), deterministic=True)
  np.testing.assert_array_equal(mean_a, mean_b)


@pytest.mark.parametrize("anchors,times,frames,message", [
    (np.zeros((2, 32, 32, 3), np.uint8), [0, 4], 4, r"\[4\] are out of range"),
    (np.zeros((2, 32, 32, 3), np.uint8), [2, 1], 4, "strictly increasing"),
    (np.zeros((1, 32, 32, 3), np.uint8), [0, 1], 4, "1 anchor frames but 2"),
    (np.zeros((1, 16, 16, 3), np.uint8), [0], 4, r"\[M, 32, 32, 3\]"),
    (np.zeros((1, 32, 32, 3), np.uint8), [0], 5, "1..4 frames"),
    (np.full((1, 32, 32, 3), 3.0, np.float32), [0], 4, r"\[-1, 1\]"),
])
def test_sample_api_rejects_bad_requests(model, state, anchors, times, frames,
                                         message):
  with pytest.raises(ValueError, match=message):
    sampling.sample(model, state.params, anchors, times, frames, 2,
                    jax.random.key(0))
