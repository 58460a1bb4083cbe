r"""Trivial generators every evaluator can score: the rows a table needs.

A figure means something only beside what no learning achieves. These
generators stand where a trained model would, through the same evaluation
(`main --mode=evaluate --config.evals.baseline=NAME`), with no training:

- `black`: every frame the background (black, as Shape Motion's).
- `mean_frame`: every frame the mean frame of the training clips.
- `nearest_anchor`: each frame copies the anchor nearest in time (the
  earlier one on a tie).
- `crossfade`: each frame between two anchors is their linear blend by
  time; frames before the first or after the last anchor copy it.
- `train_clips`: random real training clips (each sample draws one): the
  memorisation bound of generation, and real motion at the wrong place.

Every baseline returns videos through the anchors it is given: the anchor
frames are pasted at their times (nearest_anchor and crossfade reproduce
them by construction). A baseline sees what the config's family sees: for a
family without anchors (navsynth, or videovae's attribute generation) the
anchors are dropped, and the two anchor baselines refuse to run.

Choices: the mean frame and the training-clip pool are the centre windows of
the first `evals.baseline_train_clips` training clips (the clips
`input_pipeline.eval_clips` reads), so every run of a baseline sees the same
pool. All but `train_clips` ignore the rng: their K generations are one
video repeated (`ignores_rng`), which the evaluation computes once.
"""

from __future__ import annotations

from typing import Any, Mapping

import jax
import ml_collections
import numpy as np

from video_inference import input_pipeline
from video_inference import models
from video_inference.models import base


def _paste_anchors(videos: np.ndarray, anchor_video: np.ndarray,
                   anchor_mask: np.ndarray) -> np.ndarray:
  mask = anchor_mask[..., None, None, None]
  return np.where(mask, anchor_video, videos).astype(np.float32)


class Baseline(base.VideoModel):
  """A generator without parameters to train; `variables` holds its data."""

  needs_anchors = False
  ignores_rng = True
  needs_train_clips = False

  def __init__(self, config: ml_collections.ConfigDict,
               family_takes_anchors: bool):
    super().__init__(config)
    self.baseline_name = self.name  # Recorded in the evaluation JSON.
    self.supports_anchors = family_takes_anchors
    self.supports_prior = not self.needs_anchors
    if self.needs_anchors and not family_takes_anchors:
      raise ValueError(
          f"Baseline {self.name!r} copies anchor frames, but the "
          f"{config.family} family generates without anchors, so its "
          f"evaluation gives none. Valid baselines here: "
          f"{sorted(n for n, c in BASELINES.items() if not c.needs_anchors)}.")

  def generate(self, variables: Any, anchor_video, anchor_mask, rng,
               num_frames: int, deterministic: bool = False,
               conditioning: Mapping[str, Any] | None = None) -> np.ndarray:
    del deterministic, conditioning  # Nothing to sample, no labels taken.
    anchor_video = np.asarray(anchor_video, np.float32)[:, :num_frames]
    anchor_mask = np.asarray(anchor_mask, bool)[:, :num_frames]
    videos = self.frames(variables, anchor_video, anchor_mask, rng)
    return _paste_anchors(videos, anchor_video, anchor_mask)

  def frames(self, variables, anchor_video: np.ndarray,
             anchor_mask: np.ndarray, rng: jax.Array) -> np.ndarray:
    raise NotImplementedError


class Black(Baseline):
  name = "black"

  def frames(self, variables, anchor_video, anchor_mask, rng):
    return np.full_like(anchor_video, -1.0)


class MeanFrame(Baseline):
  name = "mean_frame"
  needs_train_clips = True

  def frames(self, variables, anchor_video, anchor_mask, rng):
    return np.broadcast_to(variables["mean_frame"], anchor_video.shape)


def anchor_weights(anchor_mask: np.ndarray, blend: bool) -> np.ndarray:
  """[B, T, T] weights w[b, t, s] of anchor frame s in output frame t.

  blend=False: 1 at the nearest anchor (earlier on a tie); True: linear
  between the anchors around t, the nearest one outside them.
  """
  batch, num_frames = anchor_mask.shape
  weights = np.zeros((batch, num_frames, num_frames), np.float32)
  for row, mask in enumerate(anchor_mask):
    times = np.flatnonzero(mask)
    if times.size == 0:
      raise ValueError("This baseline needs at least one anchor per clip; a "
                       "clip has none.")
    for t in range(num_frames):
      after = int(np.searchsorted(times, t))
      if after < times.size and times[after] == t:
        weights[row, t, t] = 1.0
      elif after == 0:
        weights[row, t, times[0]] = 1.0
      elif after == times.size:
        weights[row, t, times[-1]] = 1.0
      else:
        left, right = int(times[after - 1]), int(times[after])
        share = (t - left) / (right - left)
        if blend:
          weights[row, t, left] = 1.0 - share
          weights[row, t, right] = share
        else:
          weights[row, t, left if share <= 0.5 else right] = 1.0
  return weights


class _FromAnchors(Baseline):
  """Frames as fixed mixtures of the anchor frames (`anchor_weights`)."""

  needs_anchors = True
  blend = False

  def frames(self, variables, anchor_video, anchor_mask, rng):
    return np.einsum("bts,bs...->bt...",
                     anchor_weights(anchor_mask, self.blend), anchor_video)


class NearestAnchor(_FromAnchors):
  name = "nearest_anchor"


class Crossfade(_FromAnchors):
  name = "crossfade"
  blend = True


class TrainClips(Baseline):
  name = "train_clips"
  ignores_rng = False
  needs_train_clips = True

  def frames(self, variables, anchor_video, anchor_mask, rng):
    pool = variables["train_clips"]
    picks = jax.random.randint(rng, (len(anchor_video),), 0, len(pool))
    return pool[np.asarray(picks)][:, :anchor_video.shape[1]]


BASELINES = {cls.name: cls for cls in
             (Black, MeanFrame, NearestAnchor, Crossfade, TrainClips)}


def build(config: ml_collections.ConfigDict, name: str | None = None,
          source=None) -> tuple[Baseline, dict[str, np.ndarray]]:
  """(baseline, its variables) for `name` (default evals.baseline).

  source: the training split already opened (tests); else it is loaded.
  """
  name = name or config.evals.baseline
  if name not in BASELINES:
    raise ValueError(f"Unknown baseline {name!r}; valid: "
                     f"{sorted(BASELINES)}.")
  family = models.build_model(config)
  baseline = BASELINES[name](config, bool(family.supports_anchors))
  variables = {}
  if baseline.needs_train_clips:
    clips = input_pipeline.eval_clips(
        config, config.evals.baseline_train_clips, anchor_times=(),
        source=source, split=config.dataset.train_split)["video"]
    variables = {"train_clips": clips.astype(np.float32),
                 "mean_frame": clips.mean(axis=(0, 1)).astype(np.float32)}
  return baseline, variables
