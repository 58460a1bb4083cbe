"""Networks and pure losses of the navsynth family (non-adversarial synthesis).

Paper: "Non-Adversarial Video Synthesis with Learned Priors", Aich et al.,
CVPR 2020. A video is a static latent z_s (one per video, section 3 eq. 2)
and a path of transient latents z_t^1..z_t^L; a GRU runs over the path
(section 3, 4.2: one layer, 500 hidden units), and a DCGAN generator maps
[z_s, r_i] to frame i. The latents themselves are learned (section 3.1);
`model.py` keeps them in tables in the train state and trains
everything.

Here:
- `laplacian_pyramid` / `reconstruct` and `laplacian_l1` (section 4.2, the
  loss of l_rec and l_static). The paper prints the level weight as
  2^(2^l) over L1 sums; the published code sums each level's *mean*
  absolute difference, unweighted, which is 2^(2l)-weighted sums up to the
  constant H*W: we compute that. `levels` counts the band-pass levels and
  the low-pass residual: the paper's l = 4 (the code's LapLoss(max_levels=4))
  is levels=5, which reaches 2x2 at 32x32 frames. Pyramid: 5-tap binomial
  blur, 2x decimation; L^l = G^l - up(G^(l+1)) with bilinear up-sampling,
  so the pyramid reconstructs its input exactly by construction. Optional
  per-pixel weights (base.foreground_weights) scale the difference image
  before its pyramid is taken.
- `sample_triplets` / `triplet_loss` (section 3.2, eq. 6): for every frame
  (the anchor) a positive within `window` frames and a negative farther
  than `negative_window`, both from the same video; hinge on squared
  distances with margin alpha. Negatives exist only where the video is
  longer than negative_window + 1. Applied to the GRU's output path
  (model.py says why).
- `project_to_unit_ball` (section 3.3): every latent vector divided by
  max(1, ||z||); per vector (z_s, and each frame's z_t), the paper's
  "latent vectors lie on the unit l2 sphere".
- `project_rank` (section 3.3.1): a video's z_t matrix [L, D_t] rebuilt
  from its top rho singular vectors.
- `TransientRNN`: the GRU runs over every frame from a zero state (the
  published code unrolled it one step, so there was no recurrence), then a
  linear map back to D_t so the generator input stays [z_s, r_i] of size
  D_s + D_t. The generator is `dcgan.FrameDecoder` for every dataset (the
  paper uses a conditional generator for Weizmann; we keep one network).
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

# numpy, not jnp: a jax array at import would start the XLA backend before
# a multi-process job could call jax.distributed.initialize.
_BINOMIAL = np.array([1.0, 4.0, 6.0, 4.0, 1.0], np.float32) / 16.0


def _blur(images: jnp.ndarray) -> jnp.ndarray:
  """Separable 5-tap binomial blur of [N, H, W, C], reflected borders."""
  channels = images.shape[-1]
  padded = jnp.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0)), mode="reflect")
  kernel = np.outer(_BINOMIAL, _BINOMIAL)[:, :, None, None]
  kernel = jnp.tile(kernel, (1, 1, 1, channels))
  return jax.lax.conv_general_dilated(
      padded, kernel.astype(images.dtype), (1, 1), "VALID",
      dimension_numbers=("NHWC", "HWIO", "NHWC"),
      feature_group_count=channels)


def _up(images: jnp.ndarray, shape) -> jnp.ndarray:
  return jax.image.resize(images, shape, "bilinear")


def laplacian_pyramid(images: jnp.ndarray, levels: int) -> list[jnp.ndarray]:
  """[N, H, W, C] -> `levels` band-pass images, finest first, coarsest last."""
  if levels < 1 or images.shape[1] >> (levels - 1) < 2:
    raise ValueError(f"A {levels}-level Laplacian pyramid needs frames of at "
                     f"least {2 << max(levels - 1, 0)} pixels; got "
                     f"{images.shape[1]}.")
  pyramid, current = [], images
  for _ in range(levels - 1):
    smaller = _blur(current)[:, ::2, ::2]
    pyramid.append(current - _up(smaller, current.shape))
    current = smaller
  pyramid.append(current)
  return pyramid


def reconstruct(pyramid: list[jnp.ndarray]) -> jnp.ndarray:
  """Inverse of `laplacian_pyramid`."""
  images = pyramid[-1]
  for band in reversed(pyramid[:-1]):
    images = band + _up(images, band.shape)
  return images


def laplacian_l1(prediction: jnp.ndarray, target: jnp.ndarray,
                 levels: int, weights: jnp.ndarray | None = None
                 ) -> jnp.ndarray:
  """Per image [..., H, W, C] -> [...]: sum over levels of mean |L^l diff|.

  `weights` ([..., H, W, 1], e.g. base.foreground_weights) scale the
  difference image before its pyramid is taken.
  """
  batch_shape = prediction.shape[:-3]
  flat = (-1,) + prediction.shape[-3:]
  difference = prediction - target
  if weights is not None:
    difference = difference * weights
  bands = laplacian_pyramid(difference.reshape(flat), levels)
  per_image = sum(jnp.mean(jnp.abs(band), axis=(1, 2, 3)) for band in bands)
  return per_image.reshape(batch_shape)


def sample_triplets(rng: jax.Array, batch: int, length: int, window: int,
                    negative_window: int | None = None
                    ) -> tuple[jnp.ndarray, jnp.ndarray, jnp.ndarray]:
  """(positive, negative, valid) frame indices [batch, length] per anchor.

  Anchor i's positive is drawn uniformly among frames j != i with
  |i - j| <= window, its negative among frames with |i - j| >
  negative_window (default: window); `valid` is False where the video has
  no such negative (or positive).
  """
  negative_window = window if negative_window is None else negative_window
  if negative_window < window:
    raise ValueError(f"The triplet negatives' range ({negative_window}) "
                     f"must be at least the positives' ({window}).")
  frames = jnp.arange(length)
  gap = jnp.abs(frames[:, None] - frames[None, :])
  positive_ok = (gap > 0) & (gap <= window)
  negative_ok = gap > negative_window
  rng_positive, rng_negative = jax.random.split(rng)

  def draw(key, allowed):
    noise = jax.random.gumbel(key, (batch, length, length))
    return jnp.argmax(jnp.where(allowed[None], noise, -jnp.inf), axis=-1)

  valid = positive_ok.any(axis=1) & negative_ok.any(axis=1)
  return (draw(rng_positive, positive_ok), draw(rng_negative, negative_ok),
          jnp.broadcast_to(valid, (batch, length)))


def triplet_hinge(anchor: jnp.ndarray, positive: jnp.ndarray,
                  negative: jnp.ndarray, margin: float) -> jnp.ndarray:
  """max(||a - p||^2 + margin - ||a - n||^2, 0) over the last axis."""
  closer = jnp.sum((anchor - positive)**2, axis=-1)
  farther = jnp.sum((anchor - negative)**2, axis=-1)
  return jax.nn.relu(closer + margin - farther)


def triplet_loss(path: jnp.ndarray, rng: jax.Array, margin: float,
                 window: int, negative_window: int | None = None
                 ) -> jnp.ndarray:
  """Per video [B]: the mean hinge over its anchors of a path [B, L, D]."""
  batch, length = path.shape[:2]
  positive, negative, valid = sample_triplets(rng, batch, length, window,
                                              negative_window)
  take = jax.vmap(lambda z, index: z[index])
  hinge = triplet_hinge(path, take(path, positive), take(path, negative),
                        margin)
  count = jnp.maximum(jnp.sum(valid, axis=1), 1)
  return jnp.sum(jnp.where(valid, hinge, 0.0), axis=1) / count


def project_to_unit_ball(latents: jnp.ndarray) -> jnp.ndarray:
  """Each vector (last axis) divided by max(1, its norm)."""
  norm = jnp.linalg.norm(latents, axis=-1, keepdims=True)
  return latents / jnp.maximum(1.0, norm)


def project_rank(transient: jnp.ndarray, rank: int) -> jnp.ndarray:
  """Each [L, D_t] matrix of [..., L, D_t] rebuilt from its top `rank` SVs."""
  u, s, vt = jnp.linalg.svd(transient, full_matrices=False)
  keep = jnp.arange(s.shape[-1]) < rank
  return jnp.einsum("...ik,...k,...kj->...ij", u, jnp.where(keep, s, 0.0), vt)


class TransientRNN(nn.Module):
  """z_t path [B, L, D_t] -> r path [B, L, D_t] through a GRU over frames."""
  hidden_size: int
  output_dim: int

  @nn.compact
  def __call__(self, transient: jnp.ndarray) -> jnp.ndarray:
    # The carry in the input's dtype: a float32 one would lift a bfloat16
    # pass (train.dtype) back to float32.
    carry = jnp.zeros(transient.shape[:1] + (self.hidden_size,),
                      transient.dtype)
    hidden = nn.RNN(nn.GRUCell(features=self.hidden_size), name="gru")(
        transient, initial_carry=carry)
    return nn.Dense(self.output_dim, name="to_latent")(hidden)
