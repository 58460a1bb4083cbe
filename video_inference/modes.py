"""What `main --mode=...` runs; importable so tests and notebooks call it."""

from __future__ import annotations

import json
import os

import jax
import numpy as np

from video_inference import anchors as anchors_lib
from video_inference import input_pipeline
from video_inference import sampling
from video_inference import train
from video_inference import visualization
from video_inference.evaluation import evaluate as evaluate_lib


def run_train(config, workdir: str) -> dict:
  summary = train.train_and_evaluate(config, workdir)
  print(f"Trained to step {summary['step']} in {workdir}. Evaluation: "
        f"{summary['eval_json']}. Samples: {os.path.join(workdir, 'samples')}")
  return summary


def run_evaluate(config, workdir: str) -> dict:
  """Latest checkpoint -> eval_<step>.json in the workdir."""
  model, variables, step = train.load_for_inference(config, workdir)
  results = evaluate_lib.evaluate(model, variables, config, step, workdir)
  print(json.dumps(results["metrics"], indent=2))
  print(f"Wrote {results.get('path')}")
  return results


def run_sample(config, workdir: str) -> list[str]:
  """K videos through `config.sample.anchor_times` on test clips -> GIF/PNG."""
  model, variables, step = train.load_for_inference(config, workdir)
  times = anchors_lib.validate_times(config.sample.anchor_times,
                                     model.num_frames)
  clips = input_pipeline.eval_clips(config, config.sample.num_anchor_sets,
                                    anchor_times=times)
  directory = os.path.join(workdir, "samples", f"sample_step_{step}")
  rng = jax.random.fold_in(jax.random.key(config.seed), 2**29 + step)
  paths = []
  for index, clip in enumerate(clips["video"]):
    videos = sampling.sample(model, variables, clip[times], times,
                             model.num_frames, config.sample.num_samples,
                             jax.random.fold_in(rng, index))
    rows = np.concatenate([visualization.to_uint8(clip)[None], videos])
    paths += visualization.save_samples(directory, rows, times,
                                        f"set_{index}")
  print(f"Wrote {len(paths)} files to {directory} (top row: the real clip).")
  return paths


MODES = {"train": run_train, "evaluate": run_evaluate, "sample": run_sample}
