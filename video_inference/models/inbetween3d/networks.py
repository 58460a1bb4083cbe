"""Networks of the inbetween3d family (direct 3D-convolution inbetweening).

Paper: "From Here to There: Video Inbetweening Using Direct 3D
Convolutions", Li, Roblek and Tagliasacchi, 2019, section 3 and App. A.
Losses and training are in `model.py`.

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

Anchors at any times (beyond the paper; the common sampling API's M
anchors). The generator takes up to `max_anchors` anchor frames at any times
(`anchor_slots`). Every latent cell of every level lies in the segment
between two neighbouring anchors (before the first or after the last anchor
it has one side only) and fuses those two: the earlier anchor plays E(x_s)
with the gate g_s read at the cell's distance from it, the later plays E(x_e)
with g_e read at its distance from the end. z(0) gives each cell of the first
level the encoding of the nearest anchor. With anchors at 0 and T-1 every
index is the paper's own, so the paper's model is the special case M = 2
(a test checks that the fusion plan is then the identity at every level).

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
- Our 3D convolutions are `conv3d.Conv3D` / `ConvTranspose3D`: exactly
  flax's, computed as 2D convolutions on CPU (see conv3d.py for why).
- `base_channels` scales every width (64 is the paper); `latent_channels` is
  C of E(x) (64 in the paper).
- The gates' initial bias, `gate_bias_init` (the paper does not say; 0 by
  default, flax's zero bias). At 0 both gates start at sigmoid(0) = 0.5, so
  eq. 4 weighs the carried z by max(0, 1 - g_s - g_e), near 0 against 0.5
  for each anchor encoding; a negative bias starts the blocks as plain
  residual units on z that open towards the anchors as the gates learn
  (highway networks' carry bias: Srivastava, Greff and Schmidhuber,
  "Training Very Deep Networks", NeurIPS 2015). How far trained gates move
  from their start: docs/results.md.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from video_inference.models import base
from video_inference.models import conv3d

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
      # Strided: as patches and a matmul on CPU, where XLA's kernel gradient
      # of a strided convolution is slow (conv3d.conv2d).
      with conv3d.flax_convs_as("auto"):
        x = nn.Conv(width, (4, 4), strides=(2, 2),
                    padding=((1, 1), (1, 1)))(x)
      x = _lrelu(_batch_norm(train)(x))
      x = nn.Conv(width, (3, 3), padding=((1, 1), (1, 1)))(x)
      x = _lrelu(_batch_norm(train)(x))
    x = nn.Conv(self.latent_channels, (3, 3), padding=((1, 1), (1, 1)))(x)
    return _lrelu(_batch_norm(train)(x))


def anchor_slots(anchor_mask, max_anchors: int):
  """[B, T] bool -> anchor times [B, M] int32 (increasing), valid [B, M].

  Slots past a row's anchor count repeat its last anchor, so gathers from
  them stay meaningful; `valid` marks the real ones. Rows with more than
  `max_anchors` anchors must be refused before (the callers check).
  """
  num_frames = anchor_mask.shape[1]
  slots = min(max_anchors, num_frames)
  # A stable sort puts the anchor times first, in increasing order.
  order = jnp.argsort(~anchor_mask, axis=1, stable=True)[:, :slots]
  count = jnp.sum(anchor_mask, axis=1)
  valid = jnp.arange(slots)[None] < count[:, None]
  last = jnp.take_along_axis(order, jnp.maximum(count - 1, 0)[:, None], 1)
  return jnp.where(valid, order, last).astype(jnp.int32), valid


class FusionPlan(NamedTuple):
  """Which anchors each latent cell of one level fuses, and where its gates
  are read (see the module docstring). Arrays are [B, length]."""
  left_slot: jnp.ndarray
  has_left: jnp.ndarray
  start_gate_index: jnp.ndarray
  right_slot: jnp.ndarray
  has_right: jnp.ndarray
  end_gate_index: jnp.ndarray


def _cell_centres(num_frames: int, length: int):
  """(frames per cell, frame-time centre of each of `length` cells)."""
  frames_per_cell = num_frames // length
  return frames_per_cell, (jnp.arange(length) * frames_per_cell
                           + (frames_per_cell - 1) / 2)


def fusion_plan(times, valid, num_frames: int, length: int) -> FusionPlan:
  """The segment of each of `length` cells covering `num_frames` frames."""
  frames_per_cell, centres = _cell_centres(num_frames, length)
  cells = jnp.arange(length)
  t = times[:, None, :]
  before = jnp.sum(valid[:, None] & (t < centres[None, :, None]), -1)
  at_or_before = jnp.sum(valid[:, None] & (t <= centres[None, :, None]), -1)
  count = jnp.sum(valid, -1, keepdims=True)
  # Segments are [t_0, t_1], (t_1, t_2], ...: a cell on the first anchor
  # belongs to the first segment, a cell on a later anchor ends its segment.
  on_first = (before == 0) & (at_or_before >= 1)
  left = jnp.where(on_first, 0, before - 1)
  right = jnp.where(on_first, 1, before)
  has_left, has_right = left >= 0, right < count
  slots = times.shape[1]
  left, right = jnp.clip(left, 0, slots - 1), jnp.clip(right, 0, slots - 1)
  cell_of = lambda slot: jnp.take_along_axis(times, slot, 1) // frames_per_cell
  start_index = jnp.clip(cells[None] - cell_of(left), 0, length - 1)
  end_index = jnp.clip(cells[None] + length - 1 - cell_of(right), 0,
                       length - 1)
  return FusionPlan(left, has_left, start_index, right, has_right, end_index)


def nearest_anchor_slot(times, valid, num_frames: int, length: int):
  """[B, length]: the slot of the anchor nearest each cell (ties: earlier)."""
  _, centres = _cell_centres(num_frames, length)
  distance = jnp.abs(times[:, None, :] - centres[None, :, None])
  return jnp.argmin(jnp.where(valid[:, None], distance, jnp.inf), axis=-1)


def gather_time(x, index):
  """x [B, S, ...] gathered along axis 1 by index [B, L] -> [B, L, ...]."""
  index = index.reshape(index.shape + (1,) * (x.ndim - 2))
  return jnp.take_along_axis(x, index, axis=1)


class FusionBlock(nn.Module):
  """One stochastic-fusion residual block G(l) (eqs. 1-5)."""
  length: int
  fusion: bool
  gate_bias_init: float = 0.0

  @nn.compact
  def __call__(self, z, encodings, plan: FusionPlan, noise, train: bool):
    batch, channels = z.shape[0], z.shape[-1]
    layer_noise = nn.Dense(self.length * channels, name="noise_projection")(
        noise).reshape(batch, self.length, channels)          # eq. 1
    additive = nn.Conv(channels, (3,), padding=((1, 1),),
                       name="noise_kernel")(layer_noise)       # n(l)

    def spread(x):  # [B, T, C] -> [B, T, 1, 1, C], broadcast over space.
      return x[:, :, None, None, :]

    if self.fusion:
      gate = lambda name: jax.nn.sigmoid(nn.Conv(
          channels, (3,), padding=((1, 1),), name=name,
          bias_init=nn.initializers.constant(self.gate_bias_init))(
              layer_noise))
      gate_start, gate_end = gate("gate_start"), gate("gate_end")
      # Exposed for inspection: apply(..., mutable=["intermediates"]).
      self.sow("intermediates", "gates", (gate_start, gate_end))
      # Each cell reads the gates at its distance from its own anchors.
      gate_start = jnp.where(plan.has_left[..., None], gather_time(
          gate_start, plan.start_gate_index), 0.0)
      gate_end = jnp.where(plan.has_right[..., None], gather_time(
          gate_end, plan.end_gate_index), 0.0)
      fused = (spread(gate_start) * gather_time(encodings, plan.left_slot)
               + spread(gate_end) * gather_time(encodings, plan.right_slot)
               + spread(jax.nn.relu(1.0 - gate_start - gate_end)) * z
               + spread(additive))                             # eq. 4
    else:
      fused = z + spread(additive)
    h = conv3d.Conv3D(channels, (3, 3, 3))(fused)
    h = _lrelu(_batch_norm(train)(h))
    h = conv3d.Conv3D(channels, (3, 3, 3))(h)
    h = _batch_norm(train)(h)
    return _lrelu(z + h)                                       # eq. 5


class LatentGenerator(nn.Module):
  """G_Z: anchor encodings at their times, u -> z [B, T, h, w, C] (eq. 6).

  encodings [B, M, h, w, C] with times [B, M] and valid [B, M] from
  `anchor_slots`; coarse to fine in time.
  """
  num_frames: int
  num_blocks: int
  fusion: bool
  gate_bias_init: float = 0.0

  @nn.compact
  def __call__(self, encodings, times, valid, noise, train: bool):
    check_num_frames(self.num_frames)
    if self.num_blocks % 3:
      raise ValueError(f"num_blocks must be a multiple of 3 (L/3 blocks per "
                       f"temporal level); got {self.num_blocks}.")
    lengths = (self.num_frames // 4, self.num_frames // 2, self.num_frames)
    # z(0): each first-level cell holds its nearest anchor's encoding; with
    # anchors at 0 and T-1 that is the paper's (E(x_s), E(x_s), E(x_e),
    # E(x_e)).
    z = gather_time(encodings, nearest_anchor_slot(
        times, valid, self.num_frames, lengths[0]))
    for level, length in enumerate(lengths):
      z = jnp.repeat(z, length // z.shape[1], axis=1)
      plan = fusion_plan(times, valid, self.num_frames, length)
      for index in range(self.num_blocks // 3):
        z = FusionBlock(length, self.fusion, self.gate_bias_init,
                        name=f"block_{level}_{index}")(
                            z, encodings, plan, noise, train)
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
        x = conv3d.ConvTranspose3D(
            width, (4 if doubles_time else 3, 4, 4),
            strides=(2 if doubles_time else 1, 2, 2))(x)
      else:
        x = conv3d.Conv3D(width, (3, 3, 3))(x)
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
      x = conv3d.Conv3D(self.base_channels * 2**level, (4, 4, 4),
                        strides=(1, 2, 2),
                        padding=((0, 0), (1, 1), (1, 1)))(x)
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
      with conv3d.flax_convs_as("auto"):  # As in ImageEncoder.
        x = nn.Conv(width, (4, 4), strides=(2, 2),
                    padding=((1, 1), (1, 1)))(x)
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
  """E, G_Z and G_V together: (anchors, u) -> video [B, T, H, W, c].

  anchor_video [B, T, H, W, c] holds the anchors at the times anchor_mask
  [B, T] marks (1..max_anchors per row; values elsewhere are ignored). The
  output's anchor frames are replaced by the anchors (3.3: x_s and x_e);
  with `replace_anchors=False` it is G_V's own rendering of every frame,
  anchors included (which the anchor reconstruction loss of `model.py`
  reads).
  """
  num_frames: int
  channels: int
  base_channels: int
  latent_channels: int
  num_blocks: int
  variant: str
  max_anchors: int = 2
  gate_bias_init: float = 0.0

  @nn.compact
  def __call__(self, anchor_video, anchor_mask, noise, train: bool,
               replace_anchors: bool = True):
    if self.variant not in VARIANTS:
      raise ValueError(f"Unknown inbetween3d variant {self.variant!r}; "
                       f"valid: {VARIANTS}.")
    times, valid = anchor_slots(anchor_mask, self.max_anchors)
    frames = gather_time(anchor_video, times)  # [B, M, H, W, c]
    batch, slots = times.shape
    encoder = ImageEncoder(self.base_channels, self.latent_channels,
                           name="encoder")
    encodings = encoder(frames.reshape((batch * slots,) + frames.shape[2:]),
                        train)
    encodings = encodings.reshape((batch, slots) + encodings.shape[1:])
    if self.variant == "naive":
      # Only first + last anchors (the callers check): slots 0 and 1.
      z = encodings[:, :2]
      noise_map = nn.Dense(2 * self.latent_channels, name="noise_map")(noise)
      z = z + noise_map.reshape(noise.shape[0], 2, 1, 1, -1)
      doublings = temporal_doublings_for(self.num_frames)
    else:
      z = LatentGenerator(self.num_frames, self.num_blocks,
                          fusion=self.variant == "full",
                          gate_bias_init=self.gate_bias_init,
                          name="latent_generator")(
                              encodings, times, valid, noise, train)
      doublings = 0
    video = VideoGenerator(self.base_channels, self.channels, doublings,
                           name="video_generator")(z, train)
    if not replace_anchors:
      return video
    return base.paste_anchors(video, anchor_video, anchor_mask)
