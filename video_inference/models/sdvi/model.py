"""Losses, training phases and generation of the sdvi family (SR-cGAN).

Paper: "Static2Dynamic: Video Inference from a Deep Glimpse", Yeh, Liu,
Chiu and Wang, IEEE TETCI 2020 (SR-cGAN), sections III-B to III-D and
App. B. Networks are in `networks.py`.

Phase "image" (eq. 4, App. B eq. 13): the frame VAE-GAN on single frames,
    E_I <- L_prior + lambda1 L_recon,  G_I <- L_GAN + lambda2 L_recon,
    D_I <- L_GAN,  lambda1 = 50, lambda2 = 0.5.
Phase "video" (eq. 12 without the frame terms, plus eq. 8): E_T, G_T, D_T
    are trained and E_I, G_I fine-tuned on L_TVAE + L_anchor + L_content
    + L_TGAN; D_I is frozen.

Choices where the paper is silent:
- L_recon is the squared error summed over a frame's pixels (the Gaussian
  negative log-likelihood up to constants, which is what "-E[log p(x|z)]"
  of eq. 2 sums over), averaged over frames; KL terms are summed over latent
  dimensions. With these scales lambda1 and lambda2 of App. B keep
  reconstruction dominant, as they are meant to.
- The video term of L_TVAE (eq. 9), -log p(v~ | z_T), sums the squared error
  over every frame of the video: one z_T explains all N frames, so its
  likelihood is their product. (A mean over frames weakens reconstruction
  against KL(q(z_T) || p) by N; on Shape Motion z_T then collapsed to the
  prior, KL ~0.2 nats, and the anchors were ignored.)
- The GAN terms use the non-saturating generator loss (-log D(G(z)))
  instead of minimising log(1 - D(G(z))), the usual practice since GANs.
- Each network gets exactly the gradient of its own objective: the terms are
  summed into one scalar with stop_gradient on everything the network must
  not move, so one backward pass serves all optimisers.
- E_T reads the anchors' latent means (not samples): the anchors are given,
  their encoding need not be noisy.
- The anchor loss (eq. 10) asks G_T's time logits at every output step t to
  predict t, summed over the N steps as the paper says, averaged over clips.
- Eq. 8 (L_TGAN: D_T against videos decoded from z_T ~ N(0, I)) is in
  section III-B but not in the overall objective of eq. 12. Without it
  nothing trains what the prior decodes to, and generation from the prior
  (Table II's setting, and sampling without anchors) rests on a path only
  the KL term touches. We add it, weighted by `loss.prior_gan_weight` (1;
  0 is eq. 12 as printed), on the one D_T with an empty anchor set (mask
  and anchor channels zero), so D_T needs no second network.
- Reconstruction terms (L_recon, eq. 9's video term) can weigh foreground
  pixels by 1 + `loss.foreground_weight` (base.foreground_weights; 0, off,
  by default; Shape Motion's config turns it on).
- E_I and G_I keep their App. B rate in the video phase unless
  `train.image_finetune_learning_rate` is set (the quick start trains the
  frame VAE fast, then fine-tunes it gently).
- Learning rates of E_T, G_T and D_T are not given; the configs use the E_I
  and G_I rate (1e-4) and Adam(0.5, 0.999) of App. B.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import optax

from video_inference.models import base
from video_inference.models import dcgan
from video_inference.models.sdvi import networks

IMAGE_NETWORKS = ("image_encoder", "image_generator", "image_discriminator")
VIDEO_NETWORKS = ("image_encoder", "image_generator", "temporal_encoder",
                  "temporal_generator", "video_discriminator")

stop = jax.lax.stop_gradient


def _sum_squared_error_per_frame(prediction, target, weights=1.0):
  """Mean over frames of the (weighted) squared error summed over each frame."""
  frames = prediction.reshape((-1,) + prediction.shape[-3:])
  targets = target.reshape(frames.shape)
  weights = jnp.broadcast_to(weights, prediction.shape[:-1] + (1,)).reshape(
      frames.shape[:-1] + (1,))
  return jnp.mean(jnp.sum(weights * (frames - targets)**2, axis=(1, 2, 3)))


def _sum_squared_error_per_video(prediction, target, weights=1.0):
  """Mean over videos of the (weighted) squared error summed over them."""
  return jnp.mean(jnp.sum(weights * (prediction - target)**2,
                          axis=(1, 2, 3, 4)))


def anchor_loss(time_logits: jnp.ndarray) -> jnp.ndarray:
  """Eq. 10: step t's time logits must predict t; summed over N, mean over B."""
  targets = jnp.broadcast_to(jnp.arange(time_logits.shape[1]),
                             time_logits.shape[:2])
  return jnp.mean(jnp.sum(optax.softmax_cross_entropy_with_integer_labels(
      time_logits, targets), axis=1))


class SdviModel(base.VideoModel):
  """SR-cGAN: see the module docstring of this file and of `networks.py`."""

  name = "sdvi"
  has_deterministic_mode = True

  def __init__(self, config):
    super().__init__(config)
    model, train = config.model, config.train
    self.image_encoder = dcgan.FrameEncoder(model.latent_dim,
                                            model.base_channels)
    self.image_generator = dcgan.FrameDecoder(self.resolution, self.channels,
                                              model.base_channels)
    self.image_discriminator = dcgan.FrameDiscriminator(
        model.discriminator_channels)
    self.temporal_encoder = networks.TemporalEncoder(
        model.video_latent_dim, model.gru_hidden_size, model.gru_layers,
        max_frames=self.num_frames)
    self.temporal_generator = networks.TemporalGenerator(
        model.latent_dim, model.gru_hidden_size, model.gru_layers,
        max_frames=self.num_frames)
    self.video_discriminator = dcgan.VideoDiscriminator(
        model.discriminator_channels)

    def adam(learning_rate):
      return optax.adam(learning_rate, b1=train.adam_b1, b2=train.adam_b2)

    # E_I and G_I are updated at every step of both phases, so their
    # optimisers' step count is the global step: the rate drops to the
    # fine-tuning rate when the video phase starts.
    finetune_rate = (train.image_finetune_learning_rate
                     or train.image_learning_rate)
    image_rate = optax.piecewise_constant_schedule(
        train.image_learning_rate,
        {train.image_phase_steps: finetune_rate / train.image_learning_rate})
    self.optimizers = {
        "image_encoder": adam(image_rate),
        "image_generator": adam(image_rate),
        "image_discriminator": adam(train.image_discriminator_learning_rate),
        "temporal_encoder": adam(train.temporal_learning_rate),
        "temporal_generator": adam(train.temporal_learning_rate),
        "video_discriminator": adam(train.video_discriminator_learning_rate),
    }

  # ---------------------------------------------------------------- state --
  def create_state(self, rng):
    model = self.config.model
    frames = jnp.zeros((1, self.resolution, self.resolution, self.channels))
    video = jnp.zeros((1, self.num_frames) + frames.shape[1:])
    mask = jnp.zeros((1, self.num_frames), bool)
    rngs = dict(zip(self.optimizers, jax.random.split(rng, 6)))
    params = {
        "image_encoder": self.image_encoder.init(rngs["image_encoder"], frames),
        "image_generator": self.image_generator.init(
            rngs["image_generator"], jnp.zeros((1, model.latent_dim))),
        "image_discriminator": self.image_discriminator.init(
            rngs["image_discriminator"], frames),
        "temporal_encoder": self.temporal_encoder.init(
            rngs["temporal_encoder"],
            jnp.zeros((1, self.num_frames, model.latent_dim)), mask),
        "temporal_generator": self.temporal_generator.init(
            rngs["temporal_generator"], jnp.zeros((1, model.video_latent_dim)),
            self.num_frames),
        "video_discriminator": self.video_discriminator.init(
            rngs["video_discriminator"],
            networks.conditioned_video(video, video, mask)),
    }
    return base.initial_state(params, self.optimizers)

  def phases(self):
    train = self.config.train
    return [
        base.Phase("image", 0, train.image_phase_steps, self.image_step),
        base.Phase("video", train.image_phase_steps, train.num_steps,
                   self.video_step),
    ]

  # --------------------------------------------------------------- phases --
  def image_losses(self, params, frames, rng, weights=1.0):
    """Frame VAE-GAN terms of eqs. 2-3 routed per App. B eq. 13."""
    loss = self.config.loss
    rng_z, rng_prior = jax.random.split(rng)
    encode = self.image_encoder.apply
    decode = self.image_generator.apply
    discriminate = self.image_discriminator.apply
    enc_p, gen_p, disc_p = (params[n] for n in IMAGE_NETWORKS)

    mean, log_var = encode(enc_p, frames)
    latents = base.reparameterize(rng_z, mean, log_var)
    kl = jnp.mean(base.gaussian_kl(mean, log_var))
    # E_I sees lambda1 * recon; G_I sees lambda2 * recon; same forward values.
    recon_for_encoder = _sum_squared_error_per_frame(
        decode(stop(gen_p), latents), frames, weights)
    reconstructions = decode(gen_p, stop(latents))
    recon_for_generator = _sum_squared_error_per_frame(reconstructions, frames,
                                                       weights)
    from_prior = decode(gen_p, jax.random.normal(
        rng_prior, latents.shape).astype(latents.dtype))

    bce = base.sigmoid_cross_entropy
    gan_generator = (
        bce(discriminate(stop(disc_p), reconstructions), True)
        + bce(discriminate(stop(disc_p), from_prior), True))
    gan_discriminator = (
        bce(discriminate(disc_p, frames), True)
        + bce(discriminate(disc_p, stop(reconstructions)), False)
        + bce(discriminate(disc_p, stop(from_prior)), False))
    total = (kl + loss.encoder_recon_weight * recon_for_encoder
             + gan_generator + loss.generator_recon_weight * recon_for_generator
             + gan_discriminator)
    metrics = {
        "loss": total,
        "image/kl": kl,
        "image/recon_mse": jnp.mean((reconstructions - frames)**2),
        "image/generator_gan": gan_generator,
        "image/discriminator": gan_discriminator,
    }
    return total, metrics

  def image_step(self, state, batch, rng):
    videos = batch["video"]
    rng_frames, rng_loss = jax.random.split(rng)
    # Frames are independent images in this phase; a few per clip suffice.
    per_clip = min(self.config.train.image_frames_per_clip, videos.shape[1])
    picked = jax.random.permutation(rng_frames, videos.shape[1])[:per_clip]
    frames = videos[:, picked].reshape((-1,) + videos.shape[2:])
    weights = self.reconstruction_weights(videos)[:, picked].reshape(
        frames.shape[:-1] + (1,))
    grads, metrics = self.grad(
        self.image_losses, state.params, frames, rng_loss, weights)
    return base.apply_updates(state, grads, self.optimizers,
                              IMAGE_NETWORKS), metrics

  def encode_frames(self, encoder_params, videos):
    """Latent means of every frame: [B, T, latent_dim]."""
    mean, _ = self.image_encoder.apply(
        encoder_params, videos.reshape((-1,) + videos.shape[2:]))
    return mean.reshape(videos.shape[:2] + mean.shape[-1:])

  def decode_frames(self, generator_params, frame_latents):
    frames = self.image_generator.apply(
        generator_params, frame_latents.reshape((-1, frame_latents.shape[-1])))
    return frames.reshape(frame_latents.shape[:2] + frames.shape[1:])

  def video_losses(self, params, videos, anchor_mask, rng):
    """L_TVAE + L_anchor + L_content (eqs. 9-11), D_T maximising eq. 11."""
    loss = self.config.loss
    num_frames = videos.shape[1]
    rng_posterior, rng_prior = jax.random.split(rng)
    anchor_latents = self.encode_frames(params["image_encoder"], videos)
    mean, log_var = self.temporal_encoder.apply(
        params["temporal_encoder"], anchor_latents, anchor_mask)
    video_latent = base.reparameterize(rng_posterior, mean, log_var)
    frame_latents, time_logits = self.temporal_generator.apply(
        params["temporal_generator"], video_latent, num_frames)
    generated = self.decode_frames(params["image_generator"], frame_latents)

    recon = _sum_squared_error_per_video(generated, videos,
                                         self.reconstruction_weights(videos))
    kl = jnp.mean(base.gaussian_kl(mean, log_var))
    anchor = anchor_loss(time_logits)

    disc_p = params["video_discriminator"]
    discriminate = self.video_discriminator.apply
    real = networks.conditioned_video(videos, videos, anchor_mask)
    fake = networks.conditioned_video(generated, videos, anchor_mask)
    content_generator = base.sigmoid_cross_entropy(
        discriminate(stop(disc_p), fake), True)
    content_discriminator = (
        base.sigmoid_cross_entropy(discriminate(disc_p, real), True)
        + base.sigmoid_cross_entropy(discriminate(disc_p, stop(fake)), False))
    total = (loss.video_recon_weight * recon + loss.video_kl_weight * kl
             + loss.anchor_weight * anchor
             + loss.content_weight * content_generator + content_discriminator)
    metrics = {}
    if loss.prior_gan_weight:
      # Eq. 8 on D_T with an empty anchor set: videos decoded from z_T ~ p.
      no_anchors = jnp.zeros_like(anchor_mask)
      prior_latent = jax.random.normal(rng_prior, video_latent.shape)
      from_prior, _ = self.temporal_generator.apply(
          params["temporal_generator"],
          prior_latent.astype(video_latent.dtype), num_frames)
      from_prior = self.decode_frames(params["image_generator"], from_prior)
      prior_generator = base.sigmoid_cross_entropy(
          discriminate(stop(disc_p), networks.conditioned_video(
              from_prior, videos, no_anchors)), True)
      real_unconditioned = networks.conditioned_video(videos, videos,
                                                      no_anchors)
      prior_discriminator = (
          base.sigmoid_cross_entropy(discriminate(disc_p, real_unconditioned),
                                     True)
          + base.sigmoid_cross_entropy(discriminate(
              disc_p, networks.conditioned_video(stop(from_prior), videos,
                                             no_anchors)), False))
      total = total + loss.prior_gan_weight * (prior_generator
                                               + prior_discriminator)
      metrics.update({"video/prior_generator": prior_generator,
                      "video/prior_discriminator": prior_discriminator})
    metrics.update({
        "loss": total,
        "video/recon_mse": jnp.mean((generated - videos)**2),
        "video/kl": kl,
        "video/anchor": anchor,
        "video/content_generator": content_generator,
        "video/content_discriminator": content_discriminator,
    })
    return total, metrics

  def video_step(self, state, batch, rng):
    grads, metrics = self.grad(
        self.video_losses, state.params, batch["video"], batch["anchor_mask"],
        rng)
    return base.apply_updates(state, grads, self.optimizers,
                              VIDEO_NETWORKS), metrics

  # ----------------------------------------------------------- generation --
  @functools.partial(jax.jit, static_argnums=(0, 5, 6))
  def generate(self, variables, anchor_video, anchor_mask, rng, num_frames,
               deterministic=False, conditioning=None):
    del conditioning  # No labels to condition on.
    rng_posterior, rng_prior = jax.random.split(rng)
    anchor_latents = self.encode_frames(variables["image_encoder"],
                                        anchor_video)
    mean, log_var = self.temporal_encoder.apply(
        variables["temporal_encoder"], anchor_latents, anchor_mask)
    if deterministic:
      posterior, prior = mean, jnp.zeros_like(mean)
    else:
      posterior = base.reparameterize(rng_posterior, mean, log_var)
      prior = jax.random.normal(rng_prior, mean.shape).astype(mean.dtype)
    has_anchor = jnp.any(anchor_mask, axis=1, keepdims=True)
    video_latent = jnp.where(has_anchor, posterior, prior)
    frame_latents, _ = self.temporal_generator.apply(
        variables["temporal_generator"], video_latent, num_frames)
    return self.decode_frames(variables["image_generator"], frame_latents)
