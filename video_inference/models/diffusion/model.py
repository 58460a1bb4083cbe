"""Training and sampling of the diffusion family: one network for every
anchor task.

Masked conditional video diffusion as MCVD ("MCVD: Masked Conditional
Video Diffusion for Prediction, Generation, and Interpolation", Voleti,
Jolicoeur-Martineau and Pal, NeurIPS 2022) frames it: the denoiser sees
the anchor frames and which frames they are, anchors are masked at random
while training, so one network serves inference from scattered frames,
inbetweening, prediction and generation. MCVD conditions on past and
future blocks of frames; here anchors sit at any times of the clip (the
library's anchor masks), which MCVD does not do. Networks are in
`networks.py`.

Training (`denoise` phase):
- Continuous time t ~ U(0, 1) and the cosine schedule alpha_t =
  cos(pi t / 2), sigma_t = sin(pi t / 2) (Nichol and Dhariwal, ICML 2021,
  in the continuous form), z_t = alpha_t x + sigma_t eps, and the
  v-prediction objective v = alpha_t eps - sigma_t x (Salimans and Ho,
  "Progressive Distillation for Fast Sampling of Diffusion Models", ICLR
  2022): mean squared error of v over the frames that are not anchors
  (anchors are given, not generated), weighted per pixel by
  `reconstruction_weights` (off by default; Shape Motion weighs its
  moving shape, see base.foreground_weights).
- Anchors come from the input pipeline with the config's strategy; with
  probability `model.unconditional_rate` a clip's anchors are all dropped
  (classifier-free guidance's training, Ho and Salimans, 2021), so the
  strategy `none` works from the same network.
- Adam with the global norm of the gradient clipped to 1, and an
  exponential moving average of the weights (`model.ema_decay`) kept in
  the state's model_state: sampling uses the average.

Sampling (`generate`): DDIM (Song, Meng and Ermon, ICLR 2021) over
`model.sampling.steps` equal steps of t from 1 to 0, eta = 0 (each step
deterministic; samples differ by their starting noise), the predicted
clean clip clipped to [-1, 1] at every step, optionally classifier-free
guidance (`model.sampling.guidance`: v = (1 + w) v(anchors) - w v(none);
0, off, one network call a step). The anchors are pasted at their times in the
output, so they are exact. A row without anchors is generated
unconditionally. There is no deterministic mode (the papers' z = mu has
no counterpart: the mean of the samples is a blur, not a sample).

Choices where the papers are silent for this use: t is clipped to [1e-4,
0.9999] so the log-SNR the network reads stays finite; the noise level
enters the network as log-SNR; the schedule has no shift for the small
32x32 frames.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import optax

from video_inference.models import base
from video_inference.models.diffusion import networks

_T_MIN, _T_MAX = 1e-4, 1.0 - 1e-4


def alpha_sigma(t: jnp.ndarray) -> tuple[jnp.ndarray, jnp.ndarray]:
  """The cosine schedule's signal and noise scales at times t in [0, 1]."""
  t = jnp.clip(t, _T_MIN, _T_MAX)
  return jnp.cos(0.5 * math.pi * t), jnp.sin(0.5 * math.pi * t)


def log_snr(t: jnp.ndarray) -> jnp.ndarray:
  alpha, sigma = alpha_sigma(t)
  return 2.0 * (jnp.log(alpha) - jnp.log(sigma))


def _frames(values: jnp.ndarray) -> jnp.ndarray:
  """[B] or [B, N] -> broadcastable against [B, N, H, W, C]."""
  return values.reshape(values.shape + (1,) * (5 - values.ndim))


class DiffusionModel(base.VideoModel):
  """See the module docstring."""

  name = "diffusion"
  has_deterministic_mode = False

  def __init__(self, config):
    super().__init__(config)
    model, train = config.model, config.train
    self.denoiser = networks.SpaceTimeUNet(
        self.channels, tuple(model.widths), model.attention_heads,
        model.spatial_attention)
    self.optimizers = {"denoiser": optax.chain(
        optax.clip_by_global_norm(1.0),
        optax.adam(train.learning_rate, b1=train.adam_b1, b2=train.adam_b2))}

  def create_state(self, rng):
    video = jnp.zeros((1, self.num_frames, self.resolution, self.resolution,
                       self.channels))
    params = {"denoiser": self.denoiser.init(
        rng, video, video, jnp.zeros((1, self.num_frames), bool),
        jnp.zeros((1,)))}
    return base.initial_state(params, self.optimizers,
                              model_state={"ema": params["denoiser"]})

  def phases(self):
    return [base.Phase("denoise", 0, self.config.train.num_steps,
                       self.train_step)]

  def sampling_variables(self, state):
    return {"denoiser": state.model_state["ema"]}

  # -------------------------------------------------------------- training --
  def losses(self, params, videos, anchor_mask, rng):
    rng_time, rng_noise = jax.random.split(rng)
    batch = videos.shape[0]
    t = jax.random.uniform(rng_time, (batch,))
    alpha, sigma = alpha_sigma(t)
    alpha, sigma = (_frames(a).astype(videos.dtype) for a in (alpha, sigma))
    noise = jax.random.normal(rng_noise, videos.shape).astype(videos.dtype)
    noisy = alpha * videos + sigma * noise
    target = alpha * noise - sigma * videos
    predicted = self.denoiser.apply(params, noisy, videos, anchor_mask,
                                    log_snr(t).astype(videos.dtype))
    weights = self.reconstruction_weights(videos) * _frames(
        (~anchor_mask).astype(videos.dtype))
    squared = jnp.sum(weights * (predicted - target)**2)
    counted = jnp.sum(jnp.broadcast_to(weights, videos.shape))
    loss = squared / jnp.maximum(counted, 1.0)
    return loss, {"loss": loss,
                  "anchors_per_clip": jnp.mean(jnp.sum(anchor_mask, 1))}

  def train_step(self, state, batch, rng):
    rng_drop, rng_loss = jax.random.split(rng)
    videos, mask = batch["video"], batch["anchor_mask"]
    dropped = jax.random.bernoulli(
        rng_drop, self.config.model.unconditional_rate, (videos.shape[0],))
    mask = mask & ~dropped[:, None]
    grads, metrics = self.grad(self.losses, state.params["denoiser"], videos,
                               mask, rng_loss)
    state = base.apply_updates(state, grads={"denoiser": grads},
                               optimizers=self.optimizers,
                               trained=("denoiser",))
    decay = self.config.model.ema_decay
    ema = jax.tree.map(lambda average, new: decay * average + (1 - decay) * new,
                       state.model_state["ema"], state.params["denoiser"])
    return state.replace(model_state={"ema": ema}), metrics

  # -------------------------------------------------------------- sampling --
  def generate(self, variables, anchor_video, anchor_mask, rng, num_frames,
               deterministic=False, conditioning=None):
    del deterministic, conditioning  # No z = mu; no labels.
    return self._generate(variables, anchor_video, anchor_mask, rng,
                          num_frames)

  @functools.partial(jax.jit, static_argnums=(0, 5))
  def _generate(self, variables, anchor_video, anchor_mask, rng, num_frames):
    params = variables["denoiser"]
    steps = self.config.model.sampling.steps
    guidance = self.config.model.sampling.guidance
    shape = (anchor_video.shape[0], num_frames) + anchor_video.shape[2:]
    anchor_mask = anchor_mask.astype(bool)
    no_anchors = jnp.zeros_like(anchor_mask)

    def velocity(z, t):
      level = jnp.full((shape[0],), log_snr(t))
      v = self.denoiser.apply(params, z, anchor_video, anchor_mask, level)
      if guidance:
        free = self.denoiser.apply(params, z, anchor_video, no_anchors, level)
        v = (1 + guidance) * v - guidance * free
      return v

    def step(carry, index):
      z, _ = carry
      t, t_next = 1.0 - index / steps, 1.0 - (index + 1) / steps
      alpha, sigma = alpha_sigma(t)
      v = velocity(z, t)
      clean = jnp.clip(alpha * z - sigma * v, -1.0, 1.0)
      noise = (z - alpha * clean) / sigma
      alpha_next, sigma_next = alpha_sigma(t_next)
      return (alpha_next * clean + sigma_next * noise, clean), None

    z = jax.random.normal(rng, shape)
    # Only the last step's clean estimate is the sample.
    (_, videos), _ = jax.lax.scan(step, (z, jnp.zeros_like(z)),
                                  jnp.arange(steps))
    return base.paste_anchors(videos, anchor_video, anchor_mask)
