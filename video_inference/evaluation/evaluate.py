"""The evaluation suite: one sampling pass, several evaluators, one JSON.

Protocol (sdvi section IV-B/C, inbetween3d section 4.1): `evals.num_test_clips`
clips of the evaluation split, each with fixed anchors
(input_pipeline.eval_clips); K = `evals.num_samples` samples per anchor set,
drawn one "generation" at a time (sample g of every set), so memory holds
one generation of videos, never all K. Every evaluator sees each generation
and then reports:

- `frames`: best-of-K and mean PSNR/SSIM on the inferred (non-anchor) frames
  and the stochasticity curve (best-of-k PSNR against k, sdvi Fig. 10) with
  the deterministic z = mu baseline where the family has one; PNG plot.
- `acd`: MoCoGAN's ACD (sdvi Table II): the colour of the shape per frame
  on datasets with a known background, with the share of shapeless frames;
  of prior samples, inferred samples and real clips (acd.py).
- `fvd`: FVD of each generation against the real clips (inbetween3d: "the
  FVD for each of these stochastic generations"), reported as the mean over
  generations; diversity, the mean pairwise I3D cosine distance among the K
  samples of a set (inbetween3d Table 2). Real-clip statistics are cached.
- `motion`: per-step pixel motion and the share of still videos, generated
  and real (motion.py): what a still video cannot fake.
- `reconstruction`: PSNR of the model's own rendering of each clip (a
  VAE's posterior, a dictionary's replay) beside an all-black video's, for
  families that can reconstruct (reconstruction.py).
- `mcs_fcs`: navsynth's MCS (VGG16 relu3_3 motion against the real clips,
  all generated videos as one set) and FCS (SSIM of every frame to the
  first), with FCS of the real clips as the bound (navsynth section 4.2).
- `attribute_scores`: videovae's Intra-E, Inter-E and I-score (section
  5.2) from a classifier run the project trained, with the real clips'
  figures as the bound.
- `classification`: a classifier family's accuracy per label on the real
  clips (nothing is generated for it).

Families with conditioning labels (videovae) generate each clip with that
clip's own labels. The model may be a trivial baseline (baselines.py); one
that ignores its rng is sampled once and that generation reused for all K.

Every figure keeps its per-unit values and n: over anchor sets for the
frame metrics, diversity and motion, over videos for ACD and MCS, over
generations for FVD; with n >= 10 it carries a 95% bootstrap interval
(`intervals.summarize`), below that none.

Evaluators are listed in `EVALUATORS`; `config.evals.<name>.enabled` turns one
on for `main --mode=evaluate`, `config.evals.<name>.during_training` for the
periodic and final evaluations of training. Every process computes the same
figures; process 0 writes `eval_<tag>.json` (the tag is the step, or
`baseline_<name>`), plots and TensorBoard scalars.
"""

from __future__ import annotations

import json
import time

from absl import logging
from etils import epath
import jax
import numpy as np

from video_inference import anchors as anchors_lib
from video_inference import input_pipeline
from video_inference import paths
from video_inference import sampling
from video_inference import threefry
from video_inference.evaluation import acd
from video_inference.evaluation import attribute_scores
from video_inference.evaluation import classification
from video_inference.evaluation import frames
from video_inference.evaluation import fvd
from video_inference.evaluation import intervals
from video_inference.evaluation import mcs_fcs
from video_inference.evaluation import motion
from video_inference.evaluation import reconstruction


class EvaluationContext:
  """What every evaluator may read: the model, its clips, where to write."""

  def __init__(self, model, variables, config, step, clips, split, rng,
               workdir, tag=None):
    self.model, self.variables, self.config = model, variables, config
    self.step, self.clips, self.split, self.rng = step, clips, split, rng
    self.workdir = workdir
    # Names this evaluation's files: the step, or e.g. "baseline_black".
    self.tag = str(step) if tag is None else tag

  @property
  def has_anchors(self) -> bool:
    return bool(self.model.supports_anchors)

  def generate(self, masks, rng, deterministic=False) -> np.ndarray:
    """One float sample [S, T, H, W, C] per clip with the given masks.

    A family with conditioning labels gets each clip's own labels.
    """
    return sampling.sample_batch(
        self.model, self.variables, self.clips["video"], masks, 1, rng,
        self.config.evals.batch_size, deterministic=deterministic,
        conditioning=sampling.clip_conditioning(self.model, self.clips))[:, 0]


# One evaluator per module of this package, keyed by its config name.
EVALUATORS = {
    "frames": frames.FrameMetrics,
    "acd": acd.ContentDistance,
    "fvd": fvd.VideoDistance,
    "motion": motion.Motion,
    "reconstruction": reconstruction.Reconstruction,
    "mcs_fcs": mcs_fcs.MotionFrameConsistency,
    "attribute_scores": attribute_scores.AttributeScores,
    "classification": classification.Classification,
}


def selected_evaluators(config, during_training: bool) -> list[str]:
  """Names of the evaluators to run, in EVALUATORS order."""
  names = []
  for name in EVALUATORS:
    settings = config.evals[name]
    if settings.enabled and (settings.during_training or not during_training):
      names.append(name)
  return names


def check_settings(config, during_training: bool) -> None:
  """Fails early (before training) on an evaluator that could not run."""
  for name in selected_evaluators(config, during_training):
    check = getattr(EVALUATORS[name], "check_settings", None)
    if check is not None:
      try:
        check(config.evals[name], config)
      except (ValueError, FileNotFoundError) as error:
        raise type(error)(f"evals.{name}: {error}") from error


@threefry.scoped
def evaluate(model, variables, config, step: int, workdir: str | None = None,
             writer=None, source=None, during_training: bool = False,
             split: str | None = None, tag: str | None = None) -> dict:
  """Runs the selected evaluators; returns the figures (and 'path').

  Writes <workdir>/eval_<tag>.json, tag defaulting to the step.
  """
  evals = config.evals
  split = split or config.dataset.eval_split
  names = selected_evaluators(config, during_training)
  if source is None:
    source = input_pipeline.load_source(config.dataset, split)
  num_clips = evals.num_test_clips
  if during_training and evals.num_validation_clips >= 0:
    num_clips = evals.num_validation_clips
  clips = input_pipeline.eval_clips(config, num_clips, source=source,
                                    split=split)
  if not model.supports_anchors:
    clips["anchor_mask"] = np.zeros_like(clips["anchor_mask"])
  rng = jax.random.fold_in(jax.random.key(config.seed), 2**30 + step)
  context = EvaluationContext(model, variables, config, step, clips, split,
                              rng, workdir, tag)
  evaluators = {name: EVALUATORS[name](context, evals[name]) for name in names}
  logging.info("Evaluating %s on %d %s clips x %d samples: %s.", context.tag,
               len(clips["video"]), split, evals.num_samples, ", ".join(names))
  start = time.perf_counter()
  generations = evals.num_samples if model.generates_videos else 0
  samples = None
  for generation in range(generations):
    if samples is None or not model.ignores_rng:
      samples = context.generate(clips["anchor_mask"],
                                 jax.random.fold_in(rng, generation))
    for evaluator in evaluators.values():
      evaluator.observe(samples)
    elapsed = time.perf_counter() - start
    logging.info("Evaluation: generation %d/%d, %.0f s elapsed, ETA %.0f s.",
                 generation + 1, generations, elapsed,
                 elapsed / (generation + 1) * (generations - generation - 1))
  results = {
      "step": int(step),
      "tag": context.tag,
      "family": config.family,
      "baseline": getattr(model, "baseline_name", None),
      "dataset": config.dataset.name,
      "split": split,
      "evaluators": names,
      "num_clips": len(clips["video"]),
      "num_clips_in_split": len(source),
      "anchor_times": [[int(t) for t in anchors_lib.times_from_mask(m)]
                       for m in clips["anchor_mask"]],
      "num_samples": int(evals.num_samples),
      "metrics": {},
      "notes": ("Each metric: mean, n (the units it averages) and, for "
                f"n >= {intervals.MIN_COUNT_FOR_INTERVAL}, a 95% percentile-"
                "bootstrap interval (ci95_low, ci95_high); 'values' are the "
                "per-unit figures behind it (anchor sets for PSNR/SSIM, "
                "diversity, motion and FCS; videos for ACD and MCS; "
                "generations for FVD). PSNR/SSIM on the inferred (non-anchor) "
                "frames in [0, 1]; ACD on the shape's colour in 0..255 "
                "(acd_frame_mean_*: whole-frame means); motion in 0..255 per "
                "pixel and step; FVD on I3D Kinetics-400 logits."),
  }
  for name, evaluator in evaluators.items():
    logging.info("Evaluation: finishing %s.", name)
    output = evaluator.finish()
    results["metrics"].update(output.pop("metrics"))
    results.setdefault("plots", []).extend(output.pop("plots", []))
    results.update(output)
  if writer is not None:
    writer.write_scalars(step, {f"eval/{k}": v["mean"]
                                for k, v in results["metrics"].items()})
  if workdir is not None and jax.process_index() == 0:
    path = epath.Path(workdir) / f"eval_{context.tag}.json"
    paths.write_atomically(path, json.dumps(results, indent=2))
    results["path"] = str(path)
  return results
