"""The diffusion family's denoiser: a space-time U-Net on whole clips.

In the spirit of MCVD ("MCVD: Masked Conditional Video Diffusion for
Prediction, Generation, and Interpolation", Voleti, Jolicoeur-Martineau
and Pal, NeurIPS 2022) and the video U-Nets of "Video Diffusion Models"
(Ho, Salimans, Gritsenko, Chan, Norouzi and Fleet, NeurIPS 2022): one
network sees the noisy clip, the anchor frames at their times and the
anchor mask, and predicts the clip's velocity v (Salimans and Ho, ICLR
2022) for every frame.

Layout, chosen here (neither paper fixes one for 32x32 CPU training):
- (2+1)D residual blocks: a 3x3 convolution per frame, then a 3-tap
  convolution over time per pixel (R(2+1)D, Tran et al., CVPR 2018), each
  after GroupNorm and SiLU; the noise level enters every block as a scale
  and shift of its features (FiLM). XLA's CPU backend runs 2D and 1D
  convolutions on its fast path; 3D ones are its slow one
  (models/conv3d.py).
- Attention at the lowest resolution, factorised as in Video Diffusion
  Models: over space within each frame (every position of the 8x8 map
  attends to all positions of its frame; `spatial_attention`), then over
  time (every position attends to itself in every frame), so what an
  anchor shows anywhere in its frame (a shape's colour) reaches every
  position of every frame in two layers. Without the spatial part (our
  first layout) it reaches positions away from the shape's path only
  through the convolutions' receptive fields and GroupNorm's statistics,
  and the first run's samples drifted from the anchors' colour
  (docs/results.md).
- Down by a stride-2 4x4 convolution (as patches and a matmul on CPU,
  conv3d.flax_convs_as), up by nearest-neighbour doubling and a 3x3
  convolution; skip connections concatenate.
"""

from __future__ import annotations

import math
from typing import Sequence

import flax.linen as nn
import jax.numpy as jnp

from video_inference.models import conv3d


def noise_level_embedding(log_snr: jnp.ndarray, dim: int) -> jnp.ndarray:
  """Sinusoidal features of the noise level (log SNR scaled to ~[-1, 1])."""
  half = dim // 2
  frequencies = jnp.exp(-math.log(1000.0) * jnp.arange(half) / half)
  angles = (log_snr[:, None] / 20.0 * 1000.0) * frequencies[None]
  return jnp.concatenate([jnp.sin(angles), jnp.cos(angles)], axis=-1)


def _groups(channels: int) -> int:
  return math.gcd(channels, 8)


class ResBlock2Plus1D(nn.Module):
  """[B, T, H, W, C] -> [B, T, H, W, features], conditioned on `embedding`."""
  features: int

  @nn.compact
  def __call__(self, x, embedding):
    batch, frames, height, width, _ = x.shape
    h = nn.silu(nn.GroupNorm(num_groups=_groups(x.shape[-1]))(x))
    h = nn.Conv(self.features, (3, 3), padding="SAME", name="spatial")(
        h.reshape((-1, height, width, h.shape[-1])))
    h = h.reshape((batch, frames, height, width, self.features))
    scale, shift = jnp.split(
        nn.Dense(2 * self.features)(nn.silu(embedding)), 2, axis=-1)
    h = nn.GroupNorm(num_groups=_groups(self.features))(h)
    h = h * (1 + scale[:, None, None, None]) + shift[:, None, None, None]
    h = nn.silu(h)
    # Over time, per pixel: [B*H*W, T, C].
    h = jnp.moveaxis(h, 1, 3).reshape((-1, frames, self.features))
    h = nn.Conv(self.features, (3,), padding="SAME", name="temporal")(h)
    h = jnp.moveaxis(h.reshape((batch, height, width, frames, self.features)),
                     3, 1)
    if x.shape[-1] != self.features:
      x = nn.Dense(self.features, name="skip")(x)
    return x + h


class Attention(nn.Module):
  """Residual self-attention over one axis group of [B, T, H, W, C]: over
  "time" every pixel attends to its own position in all frames; over
  "space" every position attends to all positions of its own frame."""
  heads: int
  over: str

  @nn.compact
  def __call__(self, x):
    batch, frames, height, width, channels = x.shape
    h = nn.GroupNorm(num_groups=_groups(channels))(x)
    if self.over == "time":  # Sequences [B*H*W, T, C].
      h = jnp.moveaxis(h, 1, 3).reshape((-1, frames, channels))
    else:                     # Sequences [B*T, H*W, C].
      h = h.reshape((batch * frames, height * width, channels))
    h = nn.MultiHeadDotProductAttention(num_heads=self.heads)(h, h)
    if self.over == "time":
      h = jnp.moveaxis(h.reshape((batch, height, width, frames, channels)),
                       3, 1)
    return x + h.reshape(x.shape)


class SpaceTimeUNet(nn.Module):
  """(noisy clip, anchors, mask, log SNR) -> predicted v, [B, T, H, W, C]."""
  channels: int
  widths: Sequence[int] = (32, 64, 64)
  attention_heads: int = 4
  spatial_attention: bool = True

  @nn.compact
  def __call__(self, noisy, anchors, mask, log_snr):
    batch, frames, height, width, _ = noisy.shape
    embedding_dim = 4 * self.widths[0]
    embedding = noise_level_embedding(log_snr, self.widths[0])
    embedding = nn.Dense(embedding_dim)(nn.silu(
        nn.Dense(embedding_dim)(embedding)))
    mask = mask[:, :, None, None, None].astype(noisy.dtype)
    x = jnp.concatenate(
        [noisy, anchors * mask,
         jnp.broadcast_to(mask, noisy.shape[:-1] + (1,))], axis=-1)
    x = nn.Conv(self.widths[0], (3, 3), padding="SAME", name="stem")(
        x.reshape((-1, height, width, x.shape[-1])))
    x = x.reshape((batch, frames, height, width, self.widths[0]))
    skips = []
    for level, features in enumerate(self.widths):
      x = ResBlock2Plus1D(features, name=f"down_{level}")(x, embedding)
      skips.append(x)
      if level < len(self.widths) - 1:
        shape = x.shape
        with conv3d.flax_convs_as("auto"):
          x = nn.Conv(features, (4, 4), strides=(2, 2),
                      padding=((1, 1), (1, 1)), name=f"downsample_{level}")(
                          x.reshape((-1,) + shape[2:]))
        x = x.reshape(shape[:2] + x.shape[1:])
    x = ResBlock2Plus1D(self.widths[-1], name="middle_0")(x, embedding)
    if self.spatial_attention:
      x = Attention(self.attention_heads, "space", name="middle_space")(x)
    x = Attention(self.attention_heads, "time", name="middle_attention")(x)
    x = ResBlock2Plus1D(self.widths[-1], name="middle_1")(x, embedding)
    for level in reversed(range(len(self.widths))):
      features = self.widths[level]
      if level < len(self.widths) - 1:
        shape = x.shape
        x = jnp.repeat(jnp.repeat(x, 2, axis=2), 2, axis=3)
        x = nn.Conv(features, (3, 3), padding="SAME",
                    name=f"upsample_{level}")(
                        x.reshape((-1,) + x.shape[2:]))
        x = x.reshape(shape[:2] + x.shape[1:])
      x = jnp.concatenate([x, skips[level]], axis=-1)
      x = ResBlock2Plus1D(features, name=f"up_{level}")(x, embedding)
    x = nn.silu(nn.GroupNorm(num_groups=_groups(x.shape[-1]))(x))
    out = nn.Conv(self.channels, (3, 3), padding="SAME", name="out",
                  kernel_init=nn.initializers.zeros)(
                      x.reshape((-1, height, width, x.shape[-1])))
    return out.reshape((batch, frames, height, width, self.channels))
