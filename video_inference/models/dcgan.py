"""DCGAN-style frame networks shared by the families.

Layout of Radford et al. (2016): 4x4 convolutions with stride 2 that halve the
resolution while doubling the channels (encoder, discriminator) and their
transposes (decoder), down to / up from a 4x4 map. Two departures, chosen here
because the papers that use these blocks do not fix them:

- GroupNorm instead of BatchNorm in encoders and decoders. A sample then does
  not depend on the other samples of its batch (K samples of one anchor set
  are independent), no running statistics need syncing across devices, and a
  1-device and an N-device run compute the same function.
- Discriminators carry no normalisation (as in the WGAN-GP critics), so their
  gradients are per-sample too.
- Decoders upsample by sub-pixel convolution (a 3x3 convolution to 4x the
  channels, then depth-to-space; Shi et al., 2016) instead of 4x4 transposed
  convolutions: the same receptive field, no checkerboard pattern, and 2x
  faster on CPU (docs/benchmarks.md).
- The video discriminator factorises space and time ((2+1)D): XLA's 3D
  convolutions cost most of a CPU step.
"""

from __future__ import annotations

import math

import flax.linen as nn
import jax.numpy as jnp

LEAKY_SLOPE = 0.2  # The slope the sdvi paper (App. A) and DCGAN use.


def num_halvings(resolution: int) -> int:
  """Strided layers between `resolution` and the 4x4 bottleneck."""
  halvings = int(round(math.log2(resolution))) - 2
  if resolution != 4 * 2**halvings or halvings < 1:
    raise ValueError(
        f"resolution must be a power of two >= 8, got {resolution}.")
  return halvings


def _groups(channels: int) -> int:
  return math.gcd(channels, 8)


class FrameEncoder(nn.Module):
  """Image -> (mean, log-variance) of a diagonal Gaussian latent."""
  latent_dim: int
  base_channels: int

  @nn.compact
  def __call__(self, frames: jnp.ndarray):
    x = frames
    for level in range(num_halvings(frames.shape[-2])):
      channels = self.base_channels * 2**level
      x = nn.Conv(channels, (4, 4), strides=(2, 2), padding=((1, 1), (1, 1)))(x)
      if level > 0:
        x = nn.GroupNorm(num_groups=_groups(channels))(x)
      x = nn.leaky_relu(x, LEAKY_SLOPE)
    x = x.reshape(x.shape[:-3] + (-1,))
    mean = nn.Dense(self.latent_dim, name="mean")(x)
    log_var = nn.Dense(self.latent_dim, name="log_var")(x)
    return mean, log_var


def upsample(x: jnp.ndarray, channels: int) -> jnp.ndarray:
  """2x sub-pixel convolution: [..., H, W, C] -> [..., 2H, 2W, channels]."""
  x = nn.Conv(4 * channels, (3, 3), padding="SAME")(x)
  *batch, height, width, _ = x.shape
  x = x.reshape(*batch, height, width, 2, 2, channels)
  x = jnp.moveaxis(x, -3, -4)  # [..., H, 2, W, 2, C]
  return x.reshape(*batch, 2 * height, 2 * width, channels)


class FrameDecoder(nn.Module):
  """Latent vector -> image in [-1, 1]."""
  resolution: int
  channels: int
  base_channels: int

  @nn.compact
  def __call__(self, latents: jnp.ndarray) -> jnp.ndarray:
    halvings = num_halvings(self.resolution)
    width = self.base_channels * 2**(halvings - 1)
    x = nn.Dense(4 * 4 * width)(latents)
    x = x.reshape(latents.shape[:-1] + (4, 4, width))
    x = nn.relu(nn.GroupNorm(num_groups=_groups(width))(x))
    for level in reversed(range(halvings - 1)):
      channels = self.base_channels * 2**level
      x = upsample(x, channels)
      x = nn.relu(nn.GroupNorm(num_groups=_groups(channels))(x))
    return jnp.tanh(upsample(x, self.channels))


class FrameDiscriminator(nn.Module):
  """Image -> one real/fake logit (pre-sigmoid)."""
  base_channels: int

  @nn.compact
  def __call__(self, frames: jnp.ndarray) -> jnp.ndarray:
    x = frames
    for level in range(num_halvings(frames.shape[-2])):
      x = nn.Conv(self.base_channels * 2**level, (4, 4), strides=(2, 2),
                  padding=((1, 1), (1, 1)))(x)
      x = nn.leaky_relu(x, LEAKY_SLOPE)
    x = x.reshape(x.shape[:-3] + (-1,))
    return nn.Dense(1)(x)[..., 0]


class VideoDiscriminator(nn.Module):
  """Video [B, T, H, W, C] -> one logit per video, factorised (2+1)D layout.

  Each level is a per-frame 4x4 stride-2 convolution followed by a temporal
  convolution (kernel 3, stride 2 while at least 4 frames remain) on every
  pixel, as in R(2+1)D (Tran et al., 2018). Full 4x4x4 3D convolutions were
  ~5x slower on CPU for the same receptive field (docs/benchmarks.md).
  """
  base_channels: int

  @nn.compact
  def __call__(self, videos: jnp.ndarray) -> jnp.ndarray:
    x = videos
    for level in range(num_halvings(videos.shape[-2])):
      channels = self.base_channels * 2**level
      batch, num_frames = x.shape[:2]
      x = nn.Conv(channels, (4, 4), strides=(2, 2), padding=((1, 1), (1, 1)),
                  name=f"spatial_{level}")(x.reshape((-1,) + x.shape[2:]))
      x = nn.leaky_relu(x, LEAKY_SLOPE)
      height, width = x.shape[1:3]
      # [B*T, h, w, c] -> [B*h*w, T, c]: a 1-D convolution over time per pixel.
      x = x.reshape(batch, num_frames, height * width, channels)
      x = jnp.swapaxes(x, 1, 2).reshape(-1, num_frames, channels)
      time_stride = 2 if num_frames >= 4 else 1
      x = nn.Conv(channels, (3,), strides=(time_stride,), padding=((1, 1),),
                  name=f"temporal_{level}")(x)
      x = nn.leaky_relu(x, LEAKY_SLOPE)
      num_frames = x.shape[1]
      x = x.reshape(batch, height * width, num_frames, channels)
      x = jnp.swapaxes(x, 1, 2).reshape(batch, num_frames, height, width,
                                        channels)
    x = x.reshape(x.shape[:1] + (-1,))
    return nn.Dense(1)(x)[..., 0]
