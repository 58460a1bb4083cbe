"""Networks of the inbetween3d family (direct 3D-convolution inbetweening).

Paper: ../shared/papers/inbetweening_3d_conv.txt (Li et al.), section 3 and
App. A. Losses and training are in `inbetween3d_steps.py`.

- `ImageEncoder` (3.1, App. A): six 2D convolutions alternating 4x4 stride 2
  and 3x3 stride 1 (64, 64, 128, 128, 256, 256 channels at base 64), then a
  3x3 convolution to C = 64: E(x) is H/8 x W/8 x C.
- `LatentGenerator` (3.2, eqs. 1-6): L = 24 residual blocks with stochastic
  fusion, coarse to fine in time (T/4, T/2, T; L/3 blocks each), z(0) =
  (E(x_s), E(x_e)) repeated in time at each level change. Each block: u(l)
  = A u + b reshaped to T(l) x C; gates g_s, g_e = sigmoid(conv1d_3(u(l)));
  noise n = conv1d_3(u(l)); z_in = g_s E(x_s) + g_e E(x_e)
  + max(0, 1 - g_s - g_e) z + n (eq. 4 with the subscript the text lost);
  z = h(z + h(z_in * k1) * k2) with 3x3x3 convolutions (eq. 5).
- `VideoGenerator` (3.3, App. A): 3x3x3 convolutions alternating with
  (3, 4, 4) transposed convolutions of stride (1, 2, 2), 256 -> 128 -> 64
  channels at base 64, spatial x8 only.
- `VideoDiscriminator` (MoCoGAN-style, App. A): 4x4x4 convolutions, stride
  (1, 2, 2), padding (0, 1, 1), 64 -> 512 channels, one logit per video.
- `ImageDiscriminator` (ResNet-based, App. A): 3x3 then four 4x4 stride-2
  convolutions with an average-pool + 1x1 shortcut, 3x3 between them.

Baselines (section 4.2), chosen by `variant`:
- "no_fusion": no gates; eq. 4 becomes z_in = z + n.
- "naive": no latent generator; the video generator decodes z(0) plus a
  spatially uniform learned noise map, with stride 2 in time as well in its
  first log2(T / 2) up-sampling layers (2 -> 4 -> 8 -> 16 at T = 16).

Choices where the paper is silent:
- Normalisation: BatchNorm then LeakyReLU(0.2) after every generator
  convolution (encoder, fusion blocks, video generator) except the last
  video-generator layer, which is followed by tanh (frames in [-1, 1]); the
  second convolution of a residual unit is normalised before the sum.
  BatchNorm momentum 0.9 (flax default 0.99 lags on short CPU runs).
  Discriminators: LayerNorm over each sample's feature map after every
  convolution but the first, then LeakyReLU(0.2); no sigmoid (the losses take
  logits).
- The image discriminator's "Shortcut(x, C)" reads the block's input (the
  previous layer's output), the only reading whose shapes agree.
- `base_channels` scales every width (64 is the paper); `latent_channels` is
  C of E(x) (64 in the paper).
"""

from __future__ import annotations

import math

import flax.linen as nn
import jax
import jax.numpy as jnp

LEAKY_SLOPE = 0.2
VARIANTS = ("full", "no_fusion", "naive")
BATCH_NORM_MOMENTUM = 0.9


def _lrelu(x):
  return nn.leaky_relu(x, LEAKY_SLOPE)


def _batch_norm(train: bool):
  return nn.BatchNorm(use_running_average=not train,
                      momentum=BATCH_NORM_MOMENTUM)


def check_num_frames(num_frames: int) -> None:
  if num_frames < 16 or num_frames % 8:
    raise ValueError(
        "inbetween3d needs num_frames to be a multiple of 8 (its latent "
        "generator works on T/4, T/2, T from 2 encoded frames) and at least "
        "16 (its video discriminator's four unpadded 4-frame convolutions "
        f"need 13); got {num_frames}.")


class ImageEncoder(nn.Module):
  """Frame [B, H, W, c] -> feature map E(x) [B, H/8, W/8, latent_channels]."""
  base_channels: int
  latent_channels: int

  @nn.compact
  def __call__(self, frames, train: bool):
    x = frames
    for multiplier in (1, 2, 4):
      width = self.base_channels * multiplier
      x = nn.Conv(width, (4, 4), strides=(2, 2), padding=((1, 1), (1, 1)))(x)
      x = _lrelu(_batch_norm(train)(x))
      x = nn.Conv(width, (3, 3), padding=((1, 1), (1, 1)))(x)
      x = _lrelu(_batch_norm(train)(x))
    x = nn.Conv(self.latent_channels, (3, 3), padding=((1, 1), (1, 1)))(x)
    return _lrelu(_batch_norm(train)(x))


class FusionBlock(nn.Module):
  """One stochastic-fusion residual block G(l) (eqs. 1-5)."""
  length: int
  fusion: bool

  @nn.compact
  def __call__(self, z, encoded_start, encoded_end, noise, train: bool):
    batch, channels = z.shape[0], z.shape[-1]
    layer_noise = nn.Dense(self.length * channels, name="noise_projection")(
        noise).reshape(batch, self.length, channels)          # eq. 1
    additive = nn.Conv(channels, (3,), padding=((1, 1),),
                       name="noise_kernel")(layer_noise)       # n(l)

    def spread(x):  # [B, T, C] -> [B, T, 1, 1, C], broadcast over space.
      return x[:, :, None, None, :]

    if self.fusion:
      gate_start = jax.nn.sigmoid(nn.Conv(channels, (3,), padding=((1, 1),),
                                          name="gate_start")(layer_noise))
      gate_end = jax.nn.sigmoid(nn.Conv(channels, (3,), padding=((1, 1),),
                                        name="gate_end")(layer_noise))
      # Exposed for inspection: apply(..., mutable=["intermediates"]).
      self.sow("intermediates", "gates", (gate_start, gate_end))
      fused = (spread(gate_start) * encoded_start[:, None]
               + spread(gate_end) * encoded_end[:, None]
               + spread(jax.nn.relu(1.0 - gate_start - gate_end)) * z
               + spread(additive))                             # eq. 4
    else:
      fused = z + spread(additive)
    h = nn.Conv(channels, (3, 3, 3), padding="SAME")(fused)
    h = _lrelu(_batch_norm(train)(h))
    h = nn.Conv(channels, (3, 3, 3), padding="SAME")(h)
    h = _batch_norm(train)(h)
    return _lrelu(z + h)                                       # eq. 5


class LatentGenerator(nn.Module):
  """G_Z: (E(x_s), E(x_e), u) -> z [B, T, h, w, C] (eq. 6, coarse to fine)."""
  num_frames: int
  num_blocks: int
  fusion: bool

  @nn.compact
  def __call__(self, encoded_start, encoded_end, noise, train: bool):
    check_num_frames(self.num_frames)
    if self.num_blocks % 3:
      raise ValueError(f"num_blocks must be a multiple of 3 (L/3 blocks per "
                       f"temporal level); got {self.num_blocks}.")
    z = jnp.stack([encoded_start, encoded_end], axis=1)  # z(0): length 2.
    for level, length in enumerate((self.num_frames // 4,
                                    self.num_frames // 2, self.num_frames)):
      z = jnp.repeat(z, length // z.shape[1], axis=1)
      for index in range(self.num_blocks // 3):
        z = FusionBlock(length, self.fusion,
                        name=f"block_{level}_{index}")(
                            z, encoded_start, encoded_end, noise, train)
    return z


class VideoGenerator(nn.Module):
  """G_V: z [B, t, h, w, C] -> video [B, T, 8h, 8w, channels] in [-1, 1].

  `temporal_doublings` of the three up-sampling layers also double time
  (the naive baseline); the others keep it.
  """
  base_channels: int
  channels: int
  temporal_doublings: int = 0

  @nn.compact
  def __call__(self, z, train: bool):
    x = z
    widths = [4 * self.base_channels] * 2 + [2 * self.base_channels] * 2 + [
        self.base_channels] * 2 + [self.channels]
    for index, width in enumerate(widths):
      upsampling = index in (2, 4, 6)
      if upsampling:
        doubles_time = (index - 2) // 2 < self.temporal_doublings
        x = nn.ConvTranspose(
            width, (4 if doubles_time else 3, 4, 4),
            strides=(2 if doubles_time else 1, 2, 2), padding="SAME")(x)
      else:
        x = nn.Conv(width, (3, 3, 3), padding="SAME")(x)
      if index < len(widths) - 1:
        x = _lrelu(_batch_norm(train)(x))
    return jnp.tanh(x)


def _layer_norm(x):
  return nn.LayerNorm(reduction_axes=tuple(range(1, x.ndim)))(x)


class VideoDiscriminator(nn.Module):
  """Video [B, T, H, W, c] -> one pre-sigmoid logit per video."""
  base_channels: int

  @nn.compact
  def __call__(self, videos):
    x = videos
    for level in range(4):
      x = nn.Conv(self.base_channels * 2**level, (4, 4, 4),
                  strides=(1, 2, 2), padding=((0, 0), (1, 1), (1, 1)))(x)
      if level:
        x = _layer_norm(x)
      x = _lrelu(x)
    return nn.Dense(1)(x.reshape(x.shape[0], -1))[:, 0]


class ImageDiscriminator(nn.Module):
  """Frame [B, H, W, c] -> one pre-sigmoid logit (ResNet-style, App. A)."""
  base_channels: int

  @nn.compact
  def __call__(self, frames):
    x = _lrelu(nn.Conv(frames.shape[-1], (3, 3), padding=((1, 1), (1, 1)))(
        frames))
    for level in range(4):
      width = self.base_channels * 2**level
      shortcut = nn.Conv(width, (1, 1), name=f"shortcut_{level}")(
          nn.avg_pool(x, (2, 2), strides=(2, 2)))
      x = nn.Conv(width, (4, 4), strides=(2, 2), padding=((1, 1), (1, 1)))(x)
      x = _lrelu(_layer_norm(x + shortcut))
      if level < 3:
        x = nn.Conv(width, (3, 3), padding=((1, 1), (1, 1)))(x)
        x = _lrelu(_layer_norm(x))
    return nn.Dense(1)(x.reshape(x.shape[0], -1))[:, 0]


def temporal_doublings_for(num_frames: int) -> int:
  """Up-samplings from 2 encoded frames to T for the naive baseline."""
  doublings = int(round(math.log2(num_frames / 2)))
  if 2 * 2**doublings != num_frames or doublings > 3:
    raise ValueError(f"the naive baseline decodes 2 frames to T = 2 * 2^k, "
                     f"k <= 3; got num_frames={num_frames}.")
  return doublings


class Generator(nn.Module):
  """E, G_Z and G_V together: (x_s, x_e, u) -> video [B, T, H, W, c].

  The output's first and last frames are replaced by x_s and x_e (3.3).
  """
  num_frames: int
  channels: int
  base_channels: int
  latent_channels: int
  num_blocks: int
  variant: str

  @nn.compact
  def __call__(self, start, end, noise, train: bool):
    if self.variant not in VARIANTS:
      raise ValueError(f"Unknown inbetween3d variant {self.variant!r}; "
                       f"valid: {VARIANTS}.")
    encoder = ImageEncoder(self.base_channels, self.latent_channels,
                           name="encoder")
    encoded = encoder(jnp.concatenate([start, end]), train)
    encoded_start, encoded_end = jnp.split(encoded, 2)
    if self.variant == "naive":
      z = jnp.stack([encoded_start, encoded_end], axis=1)
      noise_map = nn.Dense(2 * self.latent_channels, name="noise_map")(noise)
      z = z + noise_map.reshape(noise.shape[0], 2, 1, 1, -1)
      doublings = temporal_doublings_for(self.num_frames)
    else:
      z = LatentGenerator(self.num_frames, self.num_blocks,
                          fusion=self.variant == "full",
                          name="latent_generator")(
                              encoded_start, encoded_end, noise, train)
      doublings = 0
    video = VideoGenerator(self.base_channels, self.channels, doublings,
                           name="video_generator")(z, train)
    return video.at[:, 0].set(start).at[:, -1].set(end)
