"""Average Content Distance (ACD), as MoCoGAN defines it for Shape Motion.

MoCoGAN (Tulyakov, Liu, Yang, Kautz; CVPR 2018, section 4.1) and the sdvi
paper ("Static2Dynamic: Video Inference from a Deep Glimpse", section IV-B-2,
Table II, which copies MoCoGAN's figures) measure how well a generated video
keeps its content: on Shape Motion, each frame is represented by the mean
colour *of the shape* in it, the ACD of a video is the average pairwise L2
distance between those colours, and the ACD of a set (256 videos in both
papers) is the mean over its videos. Real videos score 0 (Table II's
reference row): the shape keeps its colour.

`shape_acd_per_video` is that figure. Choices where the papers are silent:
- Units: colour values 0..255 (the papers' scale). uint8 videos are used as
  they are; float videos in [-1, 1] are mapped to (x + 1) * 127.5.
- The shape's pixels: Shape Motion draws one flat colour on a known
  background (black). A pixel's difference from the background is its
  largest channel difference. A frame has a shape when some pixel differs
  by at least FOREGROUND_THRESHOLD = 76.5 (0.3 x 255): every real shape's
  brightest channel is >= 153 (value >= 0.6 in HSV, the builder's lower
  bound), so half of the dimmest real shape still counts, while a faded
  or blurred remnant darker than that does not. And the pixels that far
  from the background must cover at least MIN_SHAPE_FRACTION = 0.5% of
  the frame: half the smallest real shape (measured on 256 test clips:
  at least 12 of 1024 pixels at 32x32, 52 of 4096 at 64x64). Without it a
  still 3-pixel artefact in every frame of a black video counted as a
  shape of constant colour and scored a perfect 0 (a videovae run did).
- The shape's colour is the mean of its *fully covered* pixels: those that
  differ from the background by at least INTERIOR_FRACTION = 0.95 of the
  frame's largest difference. At 32x32 the frames are antialiased
  downsamples of the 64x64 originals, so a shape's edge pixels blend its
  colour with black in proportions that change as it moves; averaging them
  too gives the real test clips an ACD of ~10 (measured: 10.5 with every
  pixel above 8, 10.7 with pixels above half the frame's largest
  difference) instead of Table II's 0. Over the interior the real test
  clips score 0.40 (256 clips, 32x32) and exactly 0 at 64x64.
- A frame with no shape is not a colour: a video with any such frame is a
  failure and scores EMPTY_VIDEO_SCORE(C) = 255 sqrt(C), the largest
  distance two colours can have (441.7 for RGB), so it ranks below every
  video that shows a shape throughout, and the share of failures moves the
  set's mean (one failed video in 256 adds 1.7). `empty_frames` reports the
  share of shapeless frames beside it.
- "Pairwise" means all unordered pairs of distinct frames i < j, each pair
  counted once (T (T - 1) / 2 pairs), not only consecutive frames. Gray
  videos (C = 1) use the 1-d intensity. float64 numpy: an evaluation-time
  figure on a few hundred small videos.

Datasets without a known background (MUG, KTH, UCF101, Weizmann) have no
shape to segment: the papers use OpenFace face features per frame for MUG,
which this project does not have. There only `frame_mean_acd_per_video` is
reported, under names that say so (`acd_frame_mean_*`): the pairwise
distance of whole-frame mean colours. It sees global colour and brightness
drift, is 20-60x smaller than the shape ACD where a shape covers 2-5% of the
frame, and scores a constant (e.g. all-black) video a perfect 0: it is not
comparable with the papers' ACD.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from video_inference import sampling
from video_inference import visualization
from video_inference.evaluation import intervals

FOREGROUND_THRESHOLD = 76.5
MIN_SHAPE_FRACTION = 0.005
INTERIOR_FRACTION = 0.95
# Backgrounds of the datasets whose content is one shape on a known colour
# (0..255 per channel), by dataset name before any '/config'.
KNOWN_BACKGROUNDS = {"shape_motion": 0.0, "mocogan_shapes": 0.0}


def background_of(dataset_name: str) -> float | None:
  """The known background level of a dataset, or None (no shape ACD)."""
  return KNOWN_BACKGROUNDS.get(dataset_name.split("/")[0])


def empty_video_score(channels: int) -> float:
  """The ACD a failed video scores: the largest colour distance, 0..255."""
  return 255.0 * float(np.sqrt(channels))


def _as_videos(videos: Any) -> np.ndarray:
  videos = visualization.to_float_0_255(videos)
  if videos.ndim == 4:
    videos = videos[None]
  if videos.ndim != 5 or videos.shape[-1] not in (1, 3):
    raise ValueError(
      "videos must have shape [N, T, H, W, C] or [T, H, W, C] with C in "
      f"{{1, 3}}; got shape {np.shape(videos)}.")
  if videos.shape[1] < 2:
    raise ValueError(
      f"ACD needs at least 2 frames per video; got shape {videos.shape}.")
  return videos


def _pairwise_mean_distance(colours: np.ndarray) -> np.ndarray:
  """[N] mean L2 distance over frame pairs i < j of colours [N, T, C]."""
  num_frames = colours.shape[1]
  diffs = colours[:, :, None, :] - colours[:, None, :, :]
  dists = np.sqrt(np.sum(diffs**2, axis=-1))
  i, j = np.triu_indices(num_frames, k=1)
  return dists[:, i, j].mean(axis=1)


def shape_colours(videos: Any, background: float = 0.0,
                  threshold: float = FOREGROUND_THRESHOLD
                  ) -> tuple[np.ndarray, np.ndarray]:
  """(colours [N, T, C] in 0..255, has_shape [N, T] bool) per frame.

  Frames without a shape get colour NaN. See the module docstring for the
  foreground and interior rules.
  """
  videos = _as_videos(videos)
  difference = np.abs(videos - background).max(axis=-1)  # [N, T, H, W]
  largest = difference.max(axis=(2, 3), keepdims=True)
  has_shape = (difference >= threshold).mean(axis=(2, 3)) >= MIN_SHAPE_FRACTION
  interior = (difference >= INTERIOR_FRACTION * largest) & (largest > 0)
  counts = interior.sum(axis=(2, 3))
  sums = (videos * interior[..., None]).sum(axis=(2, 3))
  colours = sums / np.maximum(counts, 1)[..., None]
  colours[~has_shape] = np.nan
  return colours, has_shape


def shape_acd_per_video(videos: Any, background: float = 0.0,
                        threshold: float = FOREGROUND_THRESHOLD
                        ) -> tuple[np.ndarray, np.ndarray]:
  """([N] ACD, [N] share of frames without a shape) of videos [N, T, H, W, C].

  uint8 (0..255) or float in [-1, 1]; T >= 2. A video with a shapeless frame
  scores `empty_video_score(C)` (module docstring).
  """
  colours, has_shape = shape_colours(videos, background, threshold)
  failed = ~has_shape.all(axis=1)
  scores = _pairwise_mean_distance(np.where(has_shape[..., None], colours, 0))
  scores[failed] = empty_video_score(colours.shape[-1])
  return scores, 1.0 - has_shape.mean(axis=1)


def frame_mean_acd_per_video(videos: Any) -> np.ndarray:
  """[N] ACD on whole-frame mean colours (not the papers' ACD; docstring)."""
  videos = _as_videos(videos)
  return _pairwise_mean_distance(videos.mean(axis=(2, 3)))


# ------------------------------------------------------------ evaluator ---
class ContentDistance:
  """ACD (py) of prior samples, inferred samples and real clips.

  On a dataset with a known background (Shape Motion) the papers' shape ACD
  and the share of shapeless frames (`acd_*_empty_frames`); elsewhere only
  the whole-frame variant, named `acd_frame_mean_*`. Prior samples are the
  evaluation's own samples when it gives no anchors (navsynth, videovae),
  else `num_prior_videos` videos drawn without anchors.
  """

  def __init__(self, context, settings):
    self.context, self.settings = context, settings
    self.background = background_of(context.config.dataset.name)
    self.inferred = []

  def _per_video(self, videos: np.ndarray) -> tuple[np.ndarray, ...]:
    if self.background is None:
      return (frame_mean_acd_per_video(videos),)
    return shape_acd_per_video(videos, self.background,
                                   self.settings.foreground_threshold)

  def _score(self, name: str, per_video: tuple[np.ndarray, ...]
             ) -> dict[str, Any]:
    if self.background is None:
      return {f"acd_frame_mean_{name}": intervals.summarize(per_video[0],
                                                            "videos")}
    return {f"acd_{name}": intervals.summarize(per_video[0], "videos"),
            f"acd_{name}_empty_frames": intervals.summarize(per_video[1],
                                                            "videos")}

  def observe(self, samples: np.ndarray) -> None:
    self.inferred.append(self._per_video(samples))

  def finish(self) -> dict[str, Any]:
    context = self.context
    metrics = self._score("real_clips",
                          self._per_video(context.clips["video"]))
    observed = tuple(np.concatenate(parts) for parts in zip(*self.inferred))
    if observed and not context.has_anchors:
      # Without anchors the evaluation's samples are prior samples already.
      metrics.update(self._score("prior_samples", observed))
    elif context.model.supports_prior:
      count = self.settings.num_prior_videos
      shape = (count,) + context.clips["video"].shape[1:]
      prior = sampling.sample_batch(
          context.model, context.variables, np.zeros(shape, np.float32),
          np.zeros(shape[:2], bool), 1,
          jax.random.fold_in(context.rng, 2**21),
          context.config.evals.batch_size)[:, 0]
      metrics.update(self._score("prior_samples", self._per_video(prior)))
    if observed and context.has_anchors:
      metrics.update(self._score("inferred_samples", observed))
    return {"metrics": metrics, "acd_background": self.background}
