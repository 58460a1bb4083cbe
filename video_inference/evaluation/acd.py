"""Average Content Distance (ACD), as MoCoGAN defines it for Shape Motion.

MoCoGAN (Tulyakov et al.) and the sdvi paper (section IV-B-2, Table II)
measure how well a generated video keeps its content: each frame of a Shape
Motion video is represented by its mean colour vector, the ACD of a video is
the average pairwise L2 distance between those vectors, and the ACD of a set
(256 videos in both papers) is the mean over its videos. A shape that moves
without changing colour or size keeps its frame means, so real Shape Motion
videos score 0 (the "Reference" row of Table II).

Choices where the papers are silent:
- Units: colour values in 0..255. uint8 videos are used as they are; float
  videos in [-1, 1] are mapped to (x + 1) * 127.5 without rounding, so the
  two inputs of the same video agree. In these units a shape covering a
  fraction a of the frame whose colour moves by d (L2, 0..255) changes the
  mean colour vector by a * d.
- "Pairwise" means all unordered pairs of distinct frames i < j, each pair
  counted once (T * (T - 1) / 2 pairs), not only consecutive frames.
- Gray videos (C = 1) use the 1-d mean intensity; RGB the 3-d mean colour.
- Computed in float64 with numpy: this is an evaluation-time number on a few
  hundred small videos, not part of a jitted step.
- The per-frame OpenFace features that the papers use for MUG are out of
  scope here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from video_inference import visualization

def acd_per_video(videos: Any) -> np.ndarray:
  """[N] ACD of each video of videos [N, T, H, W, C] (or one [T, H, W, C]).

  uint8 (0..255) or float in [-1, 1]; T >= 2 frames.
  """
  videos = visualization.to_float_0_255(videos)
  if videos.ndim == 4:
    videos = videos[None]
  if videos.ndim != 5 or videos.shape[-1] not in (1, 3):
    raise ValueError(
      "videos must have shape [N, T, H, W, C] or [T, H, W, C] with C in "
      f"{{1, 3}}; got shape {np.shape(videos)}."
    )
  num_frames = videos.shape[1]
  if num_frames < 2:
    raise ValueError(
      f"ACD needs at least 2 frames per video; got shape {videos.shape}."
    )
  means = videos.mean(axis=(2, 3))  # [N, T, C]
  diffs = means[:, :, None, :] - means[:, None, :, :]  # [N, T, T, C]
  dists = np.sqrt(np.sum(diffs**2, axis=-1))  # [N, T, T]
  i, j = np.triu_indices(num_frames, k=1)
  return dists[:, i, j].mean(axis=1)


def average_content_distance(videos: Any) -> float:
  """ACD of a set: the mean of `acd_per_video` over the videos."""
  per_video = acd_per_video(videos)
  if per_video.size == 0:
    raise ValueError("videos must hold at least one video; got N = 0.")
  return float(per_video.mean())
