"""Networks of Static2Dynamic video inference (SR-cGAN, Yeh et al.).

Paper: "Static2Dynamic: Video Inference from a Deep Glimpse", Yeh, Liu,
Chiu and Wang, IEEE TETCI 2020.

- Frame VAE-GAN (section III-B-1): E_I, G_I, D_I. The paper's Table III is
  missing from its text, so these are the DCGAN-style 64x64 networks of
  `dcgan.py` (4x4 stride-2 convolutions, channels doubling from
  `base_channels`, GroupNorm, LeakyReLU 0.2), with an image latent z_I of
  `latent_dim` (128 in the paper-sized configs; the paper does not give it).
- Temporal encoder E_T (section III-C-1, App. A): a 2-layer GRU that reads
  the anchors in time order. Its input at frame t is the anchor's latent
  mean concatenated with a one-hot of t; at frames without an anchor the GRU
  keeps its state, so M anchors at any times map to one fixed-shape
  computation. After the GRU an FC layer of 256*2 units with LeakyReLU, then
  linear heads for mu_T and log sigma_T^2 (the paper's FC "predicts" both; we
  keep the activation before the heads so that mu_T is not clipped).
- Temporal generator G_T: a 2-layer GRU whose initial state comes from z_T and
  whose input at every step is z_T; each step emits a frame latent z~_I^(t)
  and time logits over the clip's frames for the anchor loss (eq. 10).
- Video discriminator D_T (Table IV missing): the 3D DCGAN of `dcgan.py` on
  the video concatenated, along channels, with the anchor frames at their
  times (zeros elsewhere) and the anchor mask, which is how we read "D_T takes
  the concatenation of anchor frames A and the video" for a variable M.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from video_inference.models import dcgan


class StackedGRU(nn.Module):
  """GRU layers over time; `keep_state` freezes the state where True."""
  hidden_size: int
  num_layers: int

  @nn.compact
  def __call__(self, inputs, initial_state=None, keep_state=None):
    batch, num_steps = inputs.shape[:2]
    if keep_state is None:
      keep_state = jnp.zeros((batch, num_steps), bool)
    outputs = inputs
    for layer in range(self.num_layers):
      cell = nn.GRUCell(self.hidden_size, name=f"gru_{layer}")
      carry = (jnp.zeros((batch, self.hidden_size), inputs.dtype)
               if initial_state is None else initial_state[layer])

      def step(cell, carry, xs):
        x, keep = xs
        new_carry, _ = cell(carry, x)
        new_carry = jnp.where(keep[:, None], carry, new_carry)
        return new_carry, new_carry

      scan = nn.scan(step, variable_broadcast="params",
                     split_rngs={"params": False}, in_axes=1, out_axes=1)
      carry, outputs = scan(cell, carry, (outputs, keep_state))
    return outputs, carry


class TemporalEncoder(nn.Module):
  """Anchor latents and their times -> q(z_T | A, T) = N(mu_T, sigma_T)."""
  video_latent_dim: int
  hidden_size: int
  num_layers: int
  max_frames: int

  @nn.compact
  def __call__(self, anchor_latents, anchor_mask):
    """anchor_latents [B, T, D] (any value off-anchor), anchor_mask [B, T].

    T may be below `max_frames`: times are one-hot over `max_frames`.
    """
    num_frames = anchor_latents.shape[1]
    times = jax.nn.one_hot(jnp.arange(num_frames), self.max_frames,
                           dtype=anchor_latents.dtype)
    times = jnp.broadcast_to(times, anchor_latents.shape[:2] + times.shape[-1:])
    inputs = jnp.concatenate(
        [anchor_latents * anchor_mask[..., None], times], axis=-1)
    _, last_state = StackedGRU(self.hidden_size, self.num_layers)(
        inputs, keep_state=~anchor_mask)
    hidden = nn.leaky_relu(nn.Dense(2 * self.video_latent_dim)(last_state),
                           dcgan.LEAKY_SLOPE)
    mean = nn.Dense(self.video_latent_dim, name="mean")(hidden)
    log_var = nn.Dense(self.video_latent_dim, name="log_var")(hidden)
    return mean, log_var


class TemporalGenerator(nn.Module):
  """z_T -> per-frame image latents [B, N, D] and time logits [B, N, N_max]."""
  latent_dim: int
  hidden_size: int
  num_layers: int
  max_frames: int

  @nn.compact
  def __call__(self, video_latent, num_frames: int):
    batch = video_latent.shape[0]
    initial = nn.Dense(self.num_layers * self.hidden_size,
                       name="initial_state")(video_latent)
    initial = jnp.tanh(initial).reshape(batch, self.num_layers,
                                        self.hidden_size)
    initial = [initial[:, layer] for layer in range(self.num_layers)]
    inputs = jnp.broadcast_to(video_latent[:, None],
                              (batch, num_frames, video_latent.shape[-1]))
    outputs, _ = StackedGRU(self.hidden_size, self.num_layers)(inputs, initial)
    frame_latents = nn.Dense(self.latent_dim, name="frame_latent")(outputs)
    time_logits = nn.Dense(self.max_frames, name="time_logits")(outputs)
    return frame_latents, time_logits


def conditioned_video(videos, anchor_frames, anchor_mask):
  """D_T's input: video ++ anchors at their times ++ the anchor mask."""
  mask = anchor_mask[:, :, None, None, None].astype(videos.dtype)
  mask_channel = jnp.broadcast_to(mask, videos.shape[:-1] + (1,))
  return jnp.concatenate([videos, anchor_frames * mask, mask_channel], axis=-1)
