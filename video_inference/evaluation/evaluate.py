"""Evaluation of a trained model: best-of-K PSNR/SSIM, stochasticity, ACD.

Protocol (sdvi section IV-B/C): `eval.num_anchor_sets` test clips, each with
fixed anchors (input_pipeline.eval_clips), K = `eval.num_samples` samples
from q(z | anchors) per set, scored against the true clip on the inferred
(non-anchor) frames; the deterministic z = mu baseline of Fig. 10 beside it;
ACD (Table II) of `eval.num_prior_videos` videos from the prior, of the
inferred samples, and of the real clips as the reference. FVD and bootstrap
intervals come with the evaluation suite.

Every process computes the same figures on the same clips; process 0 writes
`eval_<step>.json` and TensorBoard scalars.
"""

from __future__ import annotations

import json
import os

import jax
import numpy as np

from video_inference import input_pipeline
from video_inference import sampling
from video_inference.evaluation import acd
from video_inference.evaluation import frame_metrics


def _scores(metric, samples, clips, masks) -> np.ndarray:
  """[num_sets, K] metric of each sample on its clip's inferred frames."""
  per_set = jax.jit(jax.vmap(metric))(samples, clips, ~masks)
  return np.asarray(per_set)


def evaluate(model, variables, config, step: int, workdir: str | None = None,
             writer=None, source=None) -> dict:
  """Runs the protocol above; returns the figures (and 'path' if written)."""
  evals = config.eval
  clips = input_pipeline.eval_clips(config, evals.num_anchor_sets,
                                    source=source)
  rng = jax.random.fold_in(jax.random.key(config.seed), 2**30 + step)
  rng_samples, rng_prior = jax.random.split(rng)
  samples = sampling.sample_batch(model, variables, clips["video"],
                                  clips["anchor_mask"], evals.num_samples,
                                  rng_samples, evals.batch_size)
  mean_samples = sampling.sample_batch(model, variables, clips["video"],
                                       clips["anchor_mask"], 1, rng_samples,
                                       evals.batch_size, deterministic=True)
  psnr = _scores(frame_metrics.psnr_per_video, samples, clips["video"],
                 clips["anchor_mask"])
  ssim = _scores(frame_metrics.ssim_per_video, samples, clips["video"],
                 clips["anchor_mask"])
  psnr_mean_z = _scores(frame_metrics.psnr_per_video, mean_samples,
                        clips["video"], clips["anchor_mask"])[:, 0]
  ks, curve = frame_metrics.stochasticity_curve(psnr)

  no_anchors = np.zeros((evals.num_prior_videos, model.num_frames), bool)
  blank = np.zeros((evals.num_prior_videos,) + clips["video"].shape[1:],
                   np.float32)
  prior_videos = sampling.sample_batch(model, variables, blank, no_anchors, 1,
                                       rng_prior, evals.batch_size)[:, 0]
  results = {
      "step": int(step),
      "family": config.family,
      "dataset": config.dataset.name,
      "split": config.dataset.eval_split,
      "num_anchor_sets": int(len(clips["video"])),
      "num_samples": int(evals.num_samples),
      "num_prior_videos": int(evals.num_prior_videos),
      "metrics": {
          f"best_of_{evals.num_samples}_psnr": float(
              np.mean(frame_metrics.best_of_k(psnr))),
          f"best_of_{evals.num_samples}_ssim": float(
              np.mean(frame_metrics.best_of_k(ssim))),
          "mean_psnr": float(np.mean(psnr)),
          "mean_ssim": float(np.mean(ssim)),
          "psnr_deterministic_z_mean": float(np.mean(psnr_mean_z)),
          "acd_prior_samples": acd.average_content_distance(prior_videos),
          "acd_inferred_samples": acd.average_content_distance(
              samples.reshape((-1,) + samples.shape[2:])),
          "acd_real_clips": acd.average_content_distance(clips["video"]),
      },
      "stochasticity_curve": {
          "k": [int(k) for k in ks],
          "best_of_k_psnr": [float(v) for v in curve],
          "deterministic_z_mean_psnr": float(np.mean(psnr_mean_z)),
      },
      "notes": ("PSNR/SSIM on the inferred (non-anchor) frames, frames in "
                "[0, 1]; ACD on mean RGB per frame in 0..255 units."),
  }
  if writer is not None:
    writer.write_scalars(step, {f"eval/{k}": v
                                for k, v in results["metrics"].items()})
  if workdir is not None and jax.process_index() == 0:
    path = os.path.join(workdir, f"eval_{step}.json")
    with open(path, "w") as f:
      json.dump(results, f, indent=2)
    results["path"] = path
  return results
