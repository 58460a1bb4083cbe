"""What `main --mode=...` runs; importable so tests and notebooks call it."""

from __future__ import annotations

import json

from absl import logging
from etils import epath
import numpy as np

from video_inference import baselines
from video_inference import checkpoints
from video_inference import config_lib
from video_inference import errors
from video_inference import models
from video_inference import runs
from video_inference import threefry
from video_inference import train
from video_inference import visualization
from video_inference.evaluation import evaluate as evaluate_lib


def run_train(config, workdir: str) -> dict:
  summary = train.train_and_evaluate(config, workdir)
  samples = (f" Samples: {epath.Path(workdir) / 'samples'}"
             if summary["sample_files"] else "")
  print(f"Trained to step {summary['step']} in {workdir}. Evaluation: "
        f"{summary['eval_json']}.{samples}")
  return summary


def run_evaluate(config, workdir: str, step: str | int | None = None) -> dict:
  """A checkpoint (or a baseline) -> eval_<step>.json in the workdir.

  step: "latest", "best" or a number; default `evals.checkpoint` (the
  checkpoint the config's paper scores); "all": every kept checkpoint
  (`evaluate_every_checkpoint`). With `evals.baseline` set, that trivial
  generator is scored instead, needing no checkpoint, and the file is
  eval_baseline_<name>.json.
  """
  if str(step) == "all" and not config.evals.baseline:
    return evaluate_every_checkpoint(config, workdir)
  return _evaluate_one(config, workdir, step)


def _evaluate_one(config, workdir: str, step, model=None) -> dict:
  """run_evaluate of one checkpoint or baseline; `model` (built from
  `config`) is reused where given."""
  if config.evals.baseline:
    if step not in (None, ""):
      raise ValueError("--step selects a checkpoint; a baseline "
                       f"(evals.baseline={config.evals.baseline!r}) has none.")
    model, variables = baselines.build(config)
    epath.Path(workdir).mkdir(parents=True, exist_ok=True)
    results = evaluate_lib.evaluate(model, variables, config, 0, workdir,
                                    tag=f"baseline_{config.evals.baseline}")
  else:
    step = config_lib.parse_step(
        str(config.evals.checkpoint if step in (None, "") else step))
    model, variables, step = checkpoints.load_for_inference(
        config, workdir, step, model=model)
    results = evaluate_lib.evaluate(model, variables, config, step, workdir,
                                    tag=evaluation_tag(config, workdir, step))
  print(json.dumps({name: {key: value for key, value in figure.items()
                           if key != "values"}
                    for name, figure in results["metrics"].items()},
                   indent=2))
  print(f"Wrote {results.get('path')}")
  return results


def evaluate_every_checkpoint(config, workdir: str) -> dict:
  """Each kept checkpoint, oldest first, into its own eval file; then the
  config's `evals.best_metric` per step and the best step by `best_mode`.

  How a checkpoint is chosen after a run that evaluated nothing while it
  trained (e.g. by FVD on training clips, where a dataset has no
  validation split): `--step=all --config.dataset.eval_split=train
  --config.evals.best_metric=fvd --config.evals.best_mode=min`. The
  periodic checkpoints (checkpoints/), not checkpoints_best/. A checkpoint
  whose evaluation fails is reported and skipped. Returns {'evaluations':
  {step: results}, 'failed': {step: error}, 'metric': name, 'best_step':
  step or None}.
  """
  steps = sorted(checkpoints.checkpoint_manager(workdir, config,
                                                read_only=True).all_steps())
  if not steps:
    checkpoints.load_for_inference(config, workdir)  # Says what is missing.
  # One model for every checkpoint: a model built anew per checkpoint
  # traced and compiled its sampler again each time.
  model = models.build_model(config)
  evaluations, failed = {}, {}
  for step in steps:
    try:
      evaluations[step] = _evaluate_one(config, workdir, step, model)
    except Exception as error:  # pylint: disable=broad-except
      # One damaged or diverged checkpoint must not cost the others.
      failed[step] = errors.one_line(error, 300)
      logging.warning("Step %d not evaluated: %s", step, failed[step])
  if not evaluations:
    raise RuntimeError(f"No checkpoint in {workdir} could be evaluated: "
                       f"{failed}")
  name, mode = config.evals.best_metric, config.evals.best_mode
  figures = {step: results["metrics"][name]["mean"]
             for step, results in evaluations.items()
             if name in results["metrics"]}
  choose = min if mode == "min" else max
  best = choose(figures, key=figures.get) if figures else None

  def line(step):
    if step in failed:
      return f"  step {step}: failed ({failed[step]})"
    figure = f"{figures[step]:.4g}" if step in figures else "not computed"
    return f"  step {step}: {figure}" + ("  <- best" if step == best else "")

  print(f"evals.best_metric={name!r} ({mode}) of {len(steps)} checkpoints "
        f"in {workdir}:\n" + "\n".join(line(step) for step in steps))
  if best is None:
    print(f"No evaluation computed {name!r}; set evals.best_metric to one "
          f"of {sorted(evaluations[max(evaluations)]['metrics'])}.")
  return {"evaluations": evaluations, "failed": failed, "metric": name,
          "best_step": best}


# What an evaluation is scored on, beside the sampler settings: another
# value names its own eval file (e.g. a checkpoint scored on training clips
# to choose it must not replace its test figures).
EVALUATION_SET_FIELDS = {"split": "dataset.eval_split",
                         "clips": "evals.num_test_clips",
                         "samples": "evals.num_samples",
                         # The test clips' anchors are drawn with these.
                         "anchors": "anchors.strategy",
                         "minanchors": "anchors.min_anchors",
                         "maxanchors": "anchors.max_anchors",
                         "firstk": "anchors.first_k"}


def _evaluation_settings(config) -> dict:
  """The sampler settings (sorted), then the evaluation set's, by tag name;
  a field the config lacks is left out."""
  settings = dict(sorted(config_lib.sampling_settings(config).items()))
  for name, field in EVALUATION_SET_FIELDS.items():
    try:
      settings[name] = config_lib.lookup(config, field)
    except (KeyError, AttributeError):
      pass
  return settings


def evaluation_tag(config, workdir: str, step: int) -> str:
  """The step, plus the sampler settings (model.sampling) and the
  evaluation set (EVALUATION_SET_FIELDS) where they differ from those the
  run trained with: eval_<step>.json stays the run's own figures, and each
  other setting gets its own file."""
  ours = _evaluation_settings(config)
  theirs = _evaluation_settings(checkpoints.load_run_config(workdir))
  # A setting the run's config.json lacks (saved before it existed) counts
  # as changed: its file must not replace the run's own.
  changed = {key: value for key, value in ours.items()
             if key not in theirs or theirs[key] != value}
  return "_".join([str(step)] + [f"{key}{value}"
                                 for key, value in changed.items()])


def run_sample(config, workdir: str) -> list[str]:
  """K videos through `config.sample.anchor_times` on test clips -> GIF/PNG.

  The grid of each of `sample.num_anchor_sets` test clips: the real clip on
  top, then the model's K videos (its own frames at the anchor times too).
  `python -m video_inference.sample` is the fuller command.
  """
  model, variables, step = checkpoints.load_for_inference(config, workdir)
  run = runs.Run(workdir, config, model, variables, step)
  directory = epath.Path(workdir) / "samples" / f"sample_step_{step}"
  written = []
  for index in range(config.sample.num_anchor_sets):
    samples = run.sample(num_samples=config.sample.num_samples,
                         seed=config.seed + index, clip=index,
                         model_anchors=True, verbose=False)
    rows = np.concatenate([samples.reference[None], samples.videos])
    written += visualization.save_samples(
        directory, rows, samples.anchor_times, f"set_{index}")
  print(f"Wrote {len(written)} files to {directory} (top row: the real clip).")
  return written


# The modes of every family; a family adds its own (`VideoModel.extra_modes`).
MODES = {"train": run_train, "evaluate": run_evaluate, "sample": run_sample}


def family_modes(family: str) -> dict:
  """The --mode values family `family` adds, name -> writer."""
  return dict(models.model_class(family).extra_modes)


@threefry.scoped
def run(mode: str, config, workdir: str, **options):
  """Runs `--mode=mode`: a common mode, or one of the config's family."""
  if mode in MODES:
    return MODES[mode](config, workdir, **options)
  extra = family_modes(config.family)
  if mode not in extra:
    raise ValueError(f"--mode={mode!r} is not a mode of the "
                     f"{config.family} family; valid: "
                     f"{sorted(MODES) + sorted(extra)}.")
  if options:
    raise ValueError(f"--mode={mode} takes no {sorted(options)}.")
  model, variables, step = checkpoints.load_for_inference(config, workdir)
  return extra[mode](model, variables, config, workdir, step)
