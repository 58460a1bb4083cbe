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
      x = nn.ConvTranspose(channels, (4, 4), strides=(2, 2), padding="SAME")(x)
      x = nn.relu(nn.GroupNorm(num_groups=_groups(channels))(x))
    x = nn.ConvTranspose(self.channels, (4, 4), strides=(2, 2),
                         padding="SAME")(x)
    return jnp.tanh(x)


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
  """Video [B, T, H, W, C] -> one logit per video, 3D DCGAN layout.

  Time is halved alongside space while at least 4 frames remain, so the
  same module serves 4-frame test clips and 16-frame paper clips.
  """
  base_channels: int

  @nn.compact
  def __call__(self, videos: jnp.ndarray) -> jnp.ndarray:
    x = videos
    for level in range(num_halvings(videos.shape[-2])):
      time_stride = 2 if x.shape[1] >= 4 else 1
      x = nn.Conv(self.base_channels * 2**level, (4, 4, 4),
                  strides=(time_stride, 2, 2),
                  padding=((1, 1) if time_stride == 2 else (2, 1), (1, 1),
                           (1, 1)))(x)
      x = nn.leaky_relu(x, LEAKY_SLOPE)
    x = x.reshape(x.shape[:1] + (-1,))
    return nn.Dense(1)(x)[..., 0]
