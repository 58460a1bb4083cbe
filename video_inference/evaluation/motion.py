"""Motion that a still video cannot fake: per-step pixel change and stills.

The navsynth paper's MCS compares the *mean* consecutive-frame feature
difference of a generated set with the real set's; that mean telescopes to
(last - first) / (T - 1) per video (evaluation/mcs_fcs.py), so every still
video scores the same constant and a set of still frames can look close to
a real set whose motions cancel out. This module adds the figure a still
video cannot pass:

- motion of a video: the mean over t = 1..T-1 of the mean absolute pixel
  change |x_t - x_{t-1}| over pixels and channels, on the 0..255 scale. A
  still video scores 0; the figure grows with how much of the frame moves
  and how far. Pixel, not VGG, differences: they need no network, apply at
  any frame size, and cannot be fooled by texture that only features see.
- still videos: the share of videos whose motion is below STILL_FRACTION
  (0.1) of the real clips' median motion. Relative to the real clips
  because the scale of motion is the dataset's (a 4-pixel shape on black
  against a person on a textured wall); a tenth of the typical real motion
  is what a model that draws one pose with flicker produces.

Choices: computed in float64 numpy on the evaluation's videos (uint8 or
float in [-1, 1]). Generated figures are means over anchor sets of each
set's mean over its K samples (the K samples of a set are not independent),
real ones over clips; intervals are over those units. The evaluator reports
both for the generated samples and for the real clips (the bound).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from video_inference import visualization
from video_inference.evaluation import intervals

STILL_FRACTION = 0.1


def motion_per_video(videos: Any) -> np.ndarray:
  """[N] mean absolute per-step pixel change (0..255) of [N, T, H, W, C]."""
  videos = np.asarray(videos)
  if videos.ndim != 5 or videos.shape[1] < 2:
    raise ValueError("videos must have shape [N, T, H, W, C] with T >= 2; "
                     f"got shape {videos.shape}.")
  videos = visualization.to_float_0_255(videos)
  return np.abs(np.diff(videos, axis=1)).mean(axis=(1, 2, 3, 4))


def still_threshold(real_motion: Any) -> float:
  """Motion below which a video counts as still: STILL_FRACTION of the
  real clips' median motion."""
  return STILL_FRACTION * float(np.median(np.asarray(real_motion)))


class Motion:
  """Evaluator (evals.motion): motion and still share, samples and real.

  Reports `motion` (mean over generated videos), `still_videos` (their share
  below the threshold), `motion_real_clips`, `still_videos_real_clips`, and
  `still_threshold` in the JSON.
  """

  def __init__(self, context, settings):
    del settings
    self.context = context
    self.generated = []

  def observe(self, samples: np.ndarray) -> None:
    self.generated.append(motion_per_video(samples))

  def finish(self) -> dict[str, Any]:
    real = motion_per_video(self.context.clips["video"])
    threshold = still_threshold(real)
    metrics = {
        "motion_real_clips": intervals.summarize(real, "clips"),
        "still_videos_real_clips": intervals.summarize(real < threshold,
                                                       "clips"),
    }
    if self.generated:
      # [S, K] -> per anchor set: K samples of one set are not independent.
      generated = np.stack(self.generated, axis=1)
      metrics["motion"] = intervals.summarize(generated.mean(axis=1),
                                              "anchor_sets")
      metrics["still_videos"] = intervals.summarize(
          (generated < threshold).mean(axis=1), "anchor_sets")
    return {"metrics": metrics, "still_threshold": threshold}
