"""How well a model renders the clips it is given: its own reconstruction.

A generative model that cannot reproduce a clip from that clip's own
latent has not learnt to draw the data, whatever its samples look like;
a model that can is at least a working decoder. The figures, for families
with `VideoModel.can_reconstruct` (videovae: the posterior reconstruction,
teacher-forced with z_t the posterior mean; navsynth: the replay of a
training clip from its learned latent rows):

- `reconstruction_psnr`: mean over frames of the per-frame PSNR (dB,
  frames in [0, 1]) of each clip's reconstruction, over clips;
- `reconstruction_psnr_black`: the same for an all-black video, the
  rendering that a per-pixel loss reaches first where the background is
  most of the frame (a Shape Motion shape covers < 5% of it);
- `reconstruction_psnr_minus_black`: their paired difference per clip.

Families without a reconstruction report nothing here. Evaluates the
evaluation's clips once (no K samples): `evals.reconstruction`.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from video_inference.evaluation import frames
from video_inference.evaluation import intervals


class Reconstruction:
  """Evaluator (evals.reconstruction); see the module docstring."""

  def __init__(self, context, settings):
    del settings
    self.context = context
    self._psnr = frames.psnr_per_set

  def observe(self, samples: np.ndarray) -> None:
    del samples  # Reconstructs the real clips, not the samples.

  def _score(self, videos, clips) -> np.ndarray:
    return np.asarray(self._psnr(videos[:, None], clips))[:, 0]

  def finish(self) -> dict[str, Any]:
    context = self.context
    model = context.model
    if not model.can_reconstruct:
      return {"metrics": {}}
    clips = context.clips
    batch_size = context.config.evals.batch_size
    reconstructed, black = [], []
    for start in range(0, len(clips["video"]), batch_size):
      batch = {key: value[start:start + batch_size]
               for key, value in clips.items()}
      videos = np.asarray(model.reconstruct(
          context.variables, batch, jax.random.fold_in(context.rng, start)))
      reconstructed.append(self._score(videos, batch["video"]))
      black.append(self._score(np.full_like(batch["video"], -1.0),
                               batch["video"]))
    reconstructed, black = np.concatenate(reconstructed), np.concatenate(black)
    return {"metrics": {
        "reconstruction_psnr": intervals.summarize(reconstructed, "clips"),
        "reconstruction_psnr_black": intervals.summarize(black, "clips"),
        "reconstruction_psnr_minus_black": intervals.paired_difference(
            reconstructed, black),
    }}
