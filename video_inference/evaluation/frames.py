"""Per-frame PSNR / SSIM of K samples against the true video, best of K, and
the stochasticity curve.

sdvi (section IV-C-2, Fig. 10, following Denton & Fergus' SVG protocol):
for each anchor setting draw K samples, score each against the ground truth
with PSNR, keep the best, and plot the mean over anchor settings against the
number of samples. inbetween3d (Table 3) reports the SSIM of the best of 100
samples the same way.

Choices where the papers are silent:
- A sample's score is the mean over frames of the per-frame metric; the best
  of K is the sample with the highest such mean (one sample for the whole
  video, not a different sample per frame).
- Frames are rescaled from [-1, 1] to [0, 1] and the metrics use max value 1
  (dm_pix.psnr / dm_pix.ssim); PSNR is therefore the same as on 0..255 frames
  with peak 255. SSIM uses dm_pix's defaults (Gaussian window 11, sigma 1.5,
  k1 0.01, k2 0.03, as tf.image.ssim); colour channels are averaged, not
  converted to luma.
- A frame identical to the target has PSNR +inf, so a video mean is +inf when
  any counted frame is exact (anchor frames copied through, for example): use
  `frame_mask` to score only the inferred frames.
- `stochasticity_curve` takes the first k of the K samples for each k. Samples
  are i.i.d., so any fixed k of them is an unbiased draw of k samples; using
  prefixes keeps the curve non-decreasing in k for every set.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import dm_pix
from etils import epath
import jax
import jax.numpy as jnp
import numpy as np

from video_inference.evaluation import intervals
from video_inference.evaluation import plots

# dm_pix.ssim's window; see _check_inputs for why frames must be this large.
_SSIM_FILTER_SIZE = 11


def _check_inputs(samples: Any, target: Any, frame_mask: Any) -> None:
  """Static checks only (shapes and dtypes), so the functions stay jittable."""
  for name, x, rank, layout in (
    ("samples", samples, 5, "[K, T, H, W, C]"),
    ("target", target, 4, "[T, H, W, C]"),
  ):
    if x.ndim != rank or x.shape[-1] not in (1, 3):
      raise ValueError(
        f"{name} must have shape {layout} with C in {{1, 3}}; "
        f"got shape {x.shape}."
      )
    if not jnp.issubdtype(x.dtype, jnp.floating):
      raise ValueError(
        f"{name} must be a float video in [-1, 1]; got dtype {x.dtype}."
      )
  if samples.shape[1:] != target.shape:
    raise ValueError(
      "samples must have shape [K, *target.shape] = "
      f"[K, {', '.join(map(str, target.shape))}]; got samples "
      f"{samples.shape} and target {target.shape}."
    )
  if samples.shape[0] < 1:
    raise ValueError(f"samples must hold K >= 1 videos; got {samples.shape}.")
  if frame_mask is None:
    return
  num_frames = target.shape[0]
  if frame_mask.shape != (num_frames,) or frame_mask.dtype != jnp.bool_:
    raise ValueError(
      f"frame_mask must be a bool array of shape [T] = ({num_frames},); "
      f"got dtype {frame_mask.dtype} and shape {frame_mask.shape}."
    )
  # Under jit the mask is a tracer and its values cannot be checked here.
  if not isinstance(frame_mask, jax.core.Tracer) and not np.any(frame_mask):
    raise ValueError("frame_mask selects no frame; the mean would be NaN.")


def _per_video(
  metric: Callable[[jax.Array, jax.Array], jax.Array],
  samples: Any,
  target: Any,
  frame_mask: Any,
) -> jax.Array:
  samples, target = jnp.asarray(samples), jnp.asarray(target)
  if frame_mask is not None:
    frame_mask = jnp.asarray(frame_mask)
  _check_inputs(samples, target, frame_mask)
  k, t = samples.shape[:2]
  image_shape = samples.shape[2:]
  a = (samples.reshape((k * t,) + image_shape) + 1.0) / 2.0
  b = jnp.broadcast_to((target + 1.0) / 2.0, samples.shape)
  b = b.reshape((k * t,) + image_shape)
  per_frame = metric(a, b).reshape(k, t)
  if frame_mask is None:
    return jnp.mean(per_frame, axis=1)
  # where(), not a product: excluded frames may be +inf and inf * 0 is NaN.
  kept = jnp.where(frame_mask[None, :], per_frame, 0.0)
  return jnp.sum(kept, axis=1) / jnp.sum(frame_mask)


def psnr_per_video(
  samples: Any, target: Any, frame_mask: Any = None
) -> jax.Array:
  """[K] mean over (masked) frames of the per-frame PSNR in dB.

  samples: float [K, T, H, W, C] in [-1, 1]; target: float [T, H, W, C];
  frame_mask: optional bool [T], True for the frames to score.
  """
  return _per_video(dm_pix.psnr, samples, target, frame_mask)


def ssim_per_video(
  samples: Any, target: Any, frame_mask: Any = None
) -> jax.Array:
  """[K] mean over (masked) frames of the per-frame SSIM; arguments as PSNR.

  Frames must be at least 11x11 (the SSIM window).
  """
  shape = jnp.shape(target)
  # dm_pix filters with jnp.convolve(mode="valid"), which swaps its operands
  # when the frame is shorter than the window and returns a wrong number
  # instead of failing; tf.image.ssim refuses such frames, and so do we.
  if len(shape) == 4 and min(shape[1], shape[2]) < _SSIM_FILTER_SIZE:
    raise ValueError(
      f"ssim needs frames of at least {_SSIM_FILTER_SIZE}x"
      f"{_SSIM_FILTER_SIZE} pixels; got target shape {shape}."
    )
  return _per_video(dm_pix.ssim, samples, target, frame_mask)


def _check_scores(scores: Any) -> None:
  if scores.ndim != 2 or scores.shape[1] < 1:
    raise ValueError(
      f"scores must have shape [num_sets, K] with K >= 1; got {scores.shape}."
    )


def best_of_k(scores: Any) -> jax.Array:
  """[num_sets]: the best (highest) of the K scores of each anchor set."""
  scores = jnp.asarray(scores)
  _check_scores(scores)
  return jnp.max(scores, axis=1)


def stochasticity_curve(
  scores: Any, ks: Sequence[int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
  """(ks, curve): curve[i] = mean over sets of the best of the first ks[i].

  scores: [num_sets, K], higher is better (PSNR, SSIM). ks defaults to
  1, 2, 4, ... up to K, plus K itself; given ks are sorted and deduplicated
  and must lie in [1, K].
  """
  ks_arr, per_set = best_of_first_k(scores, ks)
  return ks_arr, per_set.mean(axis=0)


def best_of_first_k(
  scores: Any, ks: Sequence[int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
  """(ks, per_set): per_set[s, i] = best of the first ks[i] scores of set s.

  The per-set values behind `stochasticity_curve` (for intervals over sets);
  scores and ks as there.
  """
  scores = np.asarray(scores, dtype=np.float64)
  _check_scores(scores)
  num_samples = scores.shape[1]
  if ks is None:
    ks_list = [2**i for i in range(num_samples.bit_length())]
    ks_list.append(num_samples)
  else:
    ks_list = list(np.asarray(ks).reshape(-1).tolist())
    if not ks_list:
      raise ValueError("ks must name at least one k; got an empty ks.")
    for k in ks_list:
      valid = isinstance(k, int) and not isinstance(k, bool)
      if not valid or not 1 <= k <= num_samples:
        raise ValueError(
          f"ks must be ints in [1, K={num_samples}]; got {ks_list!r}."
        )
  ks_arr = np.unique(np.asarray(ks_list, dtype=np.int64))
  # running[:, k-1] is the best of the first k samples of each set.
  running = np.maximum.accumulate(scores, axis=1)
  return ks_arr, running[:, ks_arr - 1]


# Module-level, so every evaluation (each checkpoint of a run, each one
# during training) reuses one compiled function per shape.
psnr_per_set = jax.jit(jax.vmap(psnr_per_video))
ssim_per_set = jax.jit(jax.vmap(ssim_per_video))


# ------------------------------------------------------------ evaluator ---
class FrameMetrics:
  """Best-of-K PSNR/SSIM and the stochasticity curve (module docstring)."""

  def __init__(self, context, settings):
    del settings
    self.context = context
    self.psnr, self.ssim = [], []
    self._psnr, self._ssim = psnr_per_set, ssim_per_set

  def _score(self, metric, samples):
    clips = self.context.clips
    return np.asarray(metric(samples[:, None], clips["video"],
                             ~clips["anchor_mask"]))[:, 0]

  def observe(self, samples: np.ndarray) -> None:
    self.psnr.append(self._score(self._psnr, samples))
    self.ssim.append(self._score(self._ssim, samples))

  def finish(self) -> dict[str, Any]:
    context = self.context
    psnr, ssim = np.stack(self.psnr, 1), np.stack(self.ssim, 1)  # [S, K]
    k = psnr.shape[1]
    best_psnr = best_of_k(psnr)
    metrics = {
        f"best_of_{k}_psnr": intervals.summarize(best_psnr, "anchor_sets"),
        f"best_of_{k}_ssim": intervals.summarize(
            best_of_k(ssim), "anchor_sets"),
        "mean_psnr": intervals.summarize(psnr.mean(1), "anchor_sets"),
        "mean_ssim": intervals.summarize(ssim.mean(1), "anchor_sets"),
    }
    ks, best_per_set = best_of_first_k(psnr)
    curve = best_per_set.mean(axis=0)
    curve_intervals = [intervals.summarize(column) for column in best_per_set.T]
    result = {"metrics": metrics, "stochasticity_curve": {
        "k": [int(j) for j in ks],
        "best_of_k_psnr": [float(v) for v in curve],
        "ci95_low": [c["ci95_low"] for c in curve_intervals],
        "ci95_high": [c["ci95_high"] for c in curve_intervals],
    }}
    baseline = None
    if context.model.has_deterministic_mode:
      mean_z = context.generate(context.clips["anchor_mask"],
                                jax.random.fold_in(context.rng, 2**20),
                                deterministic=True)
      per_set = self._score(self._psnr, mean_z)
      metrics["psnr_deterministic_z_mean"] = intervals.summarize(
          per_set, "anchor_sets")
      # Fig. 10's claim, stochastic beats z = mu, on the same anchor sets.
      metrics[f"best_of_{k}_psnr_minus_z_mean"] = intervals.paired_difference(
          best_psnr, per_set)
      baseline = float(per_set.mean())
      result["stochasticity_curve"]["deterministic_z_mean_psnr"] = baseline
    if context.workdir is not None and jax.process_index() == 0:
      curve_file = (epath.Path(context.workdir)
                    / f"stochasticity_curve_{context.tag}.png")
      path = plots.stochasticity_curve(
          curve_file, ks, curve, result["stochasticity_curve"]["ci95_low"],
          result["stochasticity_curve"]["ci95_high"], baseline,
          title=f"{context.config.family} on {context.config.dataset.name}, "
                f"step {context.step}")
      result["plots"] = [path]
    return result
