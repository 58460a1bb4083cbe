"""Losses, training and generation of the inbetween3d family.

Paper: "From Here to There: Video Inbetweening Using Direct 3D
Convolutions", Li, Roblek and Tagliasacchi, 2019,
sections 3.4 and 4.1.
Networks are in `networks.py`.

One training phase, end to end: eqs. 7-9 with the non-saturating log-loss.
D_I sees one uniformly sampled intermediate frame per video per step (as the
paper does, following MoCoGAN); D_V the whole video. Both discriminators are
regularised by 0.1 x the squared norm of the gradient of their pre-sigmoid
logits with respect to their inputs. Adam(5e-5, 0.5, 0.999, eps 1e-8).

Choices where the paper is silent:
- The gradient penalty is applied on real and on generated inputs (both, as
  in Roth et al.'s regulariser that the paper simplifies to a constant
  weight), summed over input dimensions, averaged over the batch.
- Each network gets exactly the gradient of its own objective from one
  scalar with stop_gradient on what it must not move (as in sdvi's
  model.py).
- Anchors: training uses the batch's anchor mask (the paper's first + last
  frames under `anchors.strategy="first_last"`; any strategy whose anchor
  count fits `model.max_anchors` trains the any-time fusion of
  `networks.py`). D_I's frame is drawn uniformly among the non-anchor
  frames (the paper's intermediate frames when the anchors are first + last).
- `model.generator_ema_decay` > 0 (beyond the paper; 0 by default) samples
  from an exponential moving average of the generator's weights, debiased
  as Adam's moments are (optax.ema), instead of the last step's weights:
  averaging damps the oscillation of GAN training (Yazici et al., "The
  Unusual Effectiveness of Averaging in GAN Training", ICLR 2019). Training
  itself is unchanged: the same seed gives the same trained weights with
  or without it. The average keeps batch-norm statistics of its own,
  updated every step by a forward pass of the averaged generator on the
  step's batch (as the trained weights' are, momentum included): sampling
  the average with the trained weights' statistics drew noise (measured:
  docs/results.md). At 0 the train state holds no average, so checkpoints
  of runs without it restore as before.
- `loss.anchor_reconstruction_weight` > 0 (beyond the paper; 0 by
  default) adds to the generator's loss that weight times the L1 distance
  between G_V's own rendering of the anchor frames (3.3: it generates them
  and discards them) and the anchors, with foreground pixels weighted by
  1 + `loss.foreground_weight` (`reconstruction_weights`, as every
  family's reconstruction terms). The paper's losses are adversarial
  only, and no discriminator made the encoder keep the anchors' colour at
  our budgets (docs/results.md): this term asks the latent path to carry
  the anchors' appearance to the frames at their times, and says nothing
  of the frames between them, whose diversity it leaves to the noise.
- Generation takes 1..max_anchors anchors at any times (the naive baseline:
  first + last only, as the paper defines it); rows without anchors (a
  prior) are refused, with the reason.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax

from video_inference import anchors as anchors_lib
from video_inference.models import base
from video_inference.models.inbetween3d import networks

NETWORKS = ("generator", "video_discriminator", "image_discriminator")
stop = jax.lax.stop_gradient


def gradient_penalty(discriminate, params, inputs) -> jnp.ndarray:
  """Mean over the batch of ||d logit / d input||^2 (per-sample logits)."""
  grads = jax.grad(lambda x: jnp.sum(discriminate(params, x)))(inputs)
  return jnp.mean(jnp.sum(grads.reshape(grads.shape[0], -1)**2, axis=1))


class Inbetween3dModel(base.VideoModel):
  """See the module docstring of this file and of `networks.py`."""

  name = "inbetween3d"
  supports_prior = False
  added_model_fields = {"generator_ema_decay": 0.0, "gate_bias_init": 0.0}

  def __init__(self, config):
    super().__init__(config)
    model, train = config.model, config.train
    networks.check_num_frames(self.num_frames)
    self._check_anchor_config(config)
    self.generator = networks.Generator(
        self.num_frames, self.channels, model.base_channels,
        model.latent_channels, model.num_blocks, model.variant,
        model.max_anchors, model.gate_bias_init)
    self.video_discriminator = networks.VideoDiscriminator(
        model.discriminator_channels)
    self.image_discriminator = networks.ImageDiscriminator(
        model.discriminator_channels)
    adam = optax.adam(train.learning_rate, b1=train.adam_b1, b2=train.adam_b2,
                      eps=train.adam_eps)
    self.optimizers = {name: adam for name in NETWORKS}
    self.ema_decay = model.generator_ema_decay
    if not 0.0 <= self.ema_decay < 1.0:
      raise ValueError("model.generator_ema_decay must lie in [0, 1) (0: no "
                       f"average); got {self.ema_decay}.")
    self.generator_average = optax.ema(self.ema_decay, debias=True)
    if config.loss.anchor_reconstruction_weight < 0:
      raise ValueError(
          "loss.anchor_reconstruction_weight must be >= 0 (0: off, the "
          f"paper's losses); got {config.loss.anchor_reconstruction_weight}.")

  def _check_anchor_config(self, config):
    anchors, model = config.anchors, config.model
    most = {"first_last": 2, "first_k": anchors.first_k,
            "random": anchors.max_anchors}.get(anchors.strategy)
    if model.variant == "naive" and anchors.strategy != "first_last":
      raise ValueError(
          "The naive inbetween3d baseline decodes the first and last frames "
          "only (section 4.2); train it with anchors.strategy='first_last', "
          f"not {anchors.strategy!r}.")
    if most is not None and most > model.max_anchors:
      raise ValueError(
          f"anchors.strategy={anchors.strategy!r} gives up to {most} anchors "
          f"but model.max_anchors={model.max_anchors}; raise "
          "model.max_anchors or lower the anchor count.")
    if anchors.strategy == "random" and anchors.min_anchors < 1:
      raise ValueError("inbetween3d needs at least one anchor per clip "
                       "(anchors.min_anchors >= 1): it has no prior.")

  def first_last_mask(self, batch: int) -> np.ndarray:
    """[batch, T]: the paper's anchors, the first and last frames."""
    mask = anchors_lib.mask_from_times([0, self.num_frames - 1],
                                       self.num_frames)
    return np.tile(mask, (batch, 1))

  def create_state(self, rng):
    frames = jnp.zeros((1, self.resolution, self.resolution, self.channels))
    video = jnp.zeros((1, self.num_frames) + frames.shape[1:])
    noise = jnp.zeros((1, self.config.model.noise_dim))
    rngs = jax.random.split(rng, 3)
    generator_vars = self.generator.init(
        rngs[0], video, jnp.asarray(self.first_last_mask(1)), noise,
        train=False)
    params = {
        "generator": generator_vars["params"],
        "video_discriminator": self.video_discriminator.init(
            rngs[1], video)["params"],
        "image_discriminator": self.image_discriminator.init(
            rngs[2], frames)["params"],
    }
    model_state = {"generator": generator_vars["batch_stats"]}
    if self.ema_decay:
      model_state["generator_ema"] = self.generator_average.init(
          params["generator"])
      model_state["generator_ema_batch_stats"] = generator_vars["batch_stats"]
    return base.initial_state(params, self.optimizers, model_state)

  def phases(self):
    return [base.Phase("gan", 0, self.config.train.num_steps, self.gan_step)]

  def _discriminators(self):
    video = lambda p, x: self.video_discriminator.apply({"params": p}, x)
    image = lambda p, x: self.image_discriminator.apply({"params": p}, x)
    return video, image

  def losses(self, params, model_state, videos, anchor_mask, rng):
    """Eqs. 7-9 plus the gradient penalties; returns (total, aux)."""
    penalty_weight = self.config.loss.gradient_penalty
    rng_noise, rng_frame = jax.random.split(rng)
    batch = videos.shape[0]
    noise = self._training_noise(rng_noise, videos)
    rendered, updates = self.generator.apply(
        {"params": params["generator"],
         "batch_stats": model_state["generator"]},
        videos, anchor_mask, noise, train=True, mutable=["batch_stats"],
        replace_anchors=False)
    generated = base.paste_anchors(rendered, videos, anchor_mask)
    # One uniformly drawn non-anchor frame per video for D_I (section 3.4:
    # an intermediate frame).
    index = jax.random.categorical(
        rng_frame, jnp.where(anchor_mask, -jnp.inf, 0.0), axis=1)
    rows = jnp.arange(batch)
    real_frames, fake_frames = videos[rows, index], generated[rows, index]

    video_d, image_d = self._discriminators()
    dv, di = params["video_discriminator"], params["image_discriminator"]
    bce = base.sigmoid_cross_entropy
    loss_dv = bce(video_d(dv, videos), True) + bce(
        video_d(dv, stop(generated)), False)
    loss_di = bce(image_d(di, real_frames), True) + bce(
        image_d(di, stop(fake_frames)), False)
    penalty = jnp.zeros(())
    if penalty_weight:  # Double backprop is a large share of a CPU step.
      penalty = penalty_weight * (
          gradient_penalty(video_d, dv, videos)
          + gradient_penalty(video_d, dv, stop(generated))
          + gradient_penalty(image_d, di, real_frames)
          + gradient_penalty(image_d, di, stop(fake_frames)))
    loss_g = bce(video_d(stop(dv), generated), True) + bce(
        image_d(stop(di), fake_frames), True)
    total = loss_dv + loss_di + penalty + loss_g
    metrics = {"loss": total, "generator": loss_g,
               "video_discriminator": loss_dv,
               "image_discriminator": loss_di, "gradient_penalty": penalty}
    weight = self.config.loss.anchor_reconstruction_weight
    if weight:  # Off, the step computes exactly the paper's losses.
      reconstruction = self.anchor_reconstruction(rendered, videos,
                                                  anchor_mask)
      total = total + weight * reconstruction
      metrics.update(loss=total, anchor_reconstruction=reconstruction)
    return total, (metrics, updates["batch_stats"])

  def anchor_reconstruction(self, rendered, videos, anchor_mask):
    """Mean foreground-weighted L1 between G_V's own rendering of the anchor
    frames, which 3.3 discards, and the anchors (beyond the paper)."""
    weights = self.reconstruction_weights(videos)
    per_frame = jnp.mean(weights * jnp.abs(rendered - videos), axis=(2, 3, 4))
    mask = anchor_mask.astype(per_frame.dtype)
    return jnp.sum(per_frame * mask) / jnp.maximum(jnp.sum(mask), 1.0)

  def gan_step(self, state, batch, rng):
    grads, (metrics, batch_stats) = self.grad(
        self.losses, state.params, state.model_state, batch["video"],
        batch["anchor_mask"], rng)
    state = base.apply_updates(state, grads, self.optimizers, NETWORKS)
    model_state = {"generator": batch_stats}
    if self.ema_decay:
      _, model_state["generator_ema"] = self.generator_average.update(
          state.params["generator"], state.model_state["generator_ema"])
      model_state["generator_ema_batch_stats"] = self._average_statistics(
          model_state["generator_ema"],
          state.model_state["generator_ema_batch_stats"], batch,
          jax.random.fold_in(rng, 1))
    return state.replace(model_state=model_state), metrics

  def _training_noise(self, rng, videos):
    """The generator's noise u (section 3.2), one row per video of a batch,
    in the batch's dtype."""
    return jax.random.normal(
        rng, (videos.shape[0], self.config.model.noise_dim)).astype(
            videos.dtype)

  def _averaged_params(self, average):
    """The debiased average of optax.ema's state `average`."""
    # The count is clamped only so that no 0 / 0 is computed before the
    # first step; the weights themselves are used then.
    return optax.tree_utils.tree_bias_correction(
        average.ema, self.ema_decay, jnp.maximum(average.count, 1))

  def _average_statistics(self, average, batch_stats, batch, rng):
    """The averaged generator's batch-norm statistics after one forward
    pass on `batch` (training mode), as the trained weights' are updated."""
    videos = batch["video"]
    _, updates = self.generator.apply(
        {"params": stop(self._averaged_params(average)),
         "batch_stats": batch_stats},
        videos, batch["anchor_mask"], self._training_noise(rng, videos),
        train=True, mutable=["batch_stats"])
    return updates["batch_stats"]

  def sampling_variables(self, state):
    if not self.ema_decay:
      return {"params": state.params["generator"],
              "batch_stats": state.model_state["generator"]}
    average = state.model_state["generator_ema"]
    params = jax.tree.map(
        lambda mean, trained: jnp.where(average.count > 0, mean, trained),
        self._averaged_params(average), state.params["generator"])
    return {"params": params,
            "batch_stats": state.model_state["generator_ema_batch_stats"]}

  def check_anchor_mask(self, anchor_mask, num_frames: int) -> None:
    """Refuses, with the reason, requests this model cannot honour."""
    mask = np.asarray(anchor_mask)
    if num_frames != self.num_frames:
      raise ValueError(
          f"inbetween3d generates clips of exactly its {self.num_frames} "
          f"training frames (fully convolutional in time, fixed T); got "
          f"num_frames={num_frames}.")
    counts = mask.sum(axis=1)
    if (counts == 0).any():
      raise ValueError("inbetween3d has no prior to sample without anchors; "
                       "give each row at least one anchor frame.")
    most = self.config.model.max_anchors
    if (counts > most).any():
      too_many = sorted({int(c) for c in counts[counts > most]})
      raise ValueError(
          f"This inbetween3d model fuses at most model.max_anchors={most} "
          f"anchors; got rows with {too_many}.")
    if self.config.model.variant == "naive" and not np.all(
        mask == self.first_last_mask(len(mask))):
      times = sorted({int(t) for t in np.nonzero(mask)[1]})
      raise ValueError(
          "The naive inbetween3d baseline decodes exactly the first and last "
          f"of its {self.num_frames} frames (section 4.2); got anchors at "
          f"{times}.")

  def generate(self, variables, anchor_video, anchor_mask, rng, num_frames,
               deterministic=False, conditioning=None):
    del conditioning  # No labels to condition on.
    self.check_anchor_mask(anchor_mask, num_frames)
    return self._generate(variables, anchor_video, jnp.asarray(anchor_mask),
                          rng, deterministic)

  @functools.partial(jax.jit, static_argnums=(0, 5))
  def _generate(self, variables, anchor_video, anchor_mask, rng,
                deterministic):
    noise = jax.random.normal(
        rng, (anchor_video.shape[0], self.config.model.noise_dim))
    if deterministic:
      noise = jnp.zeros_like(noise)
    return self.generator.apply(variables, anchor_video, anchor_mask, noise,
                                train=False)
