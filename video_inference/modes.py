"""What `main --mode=...` runs; importable so tests and notebooks call it."""

from __future__ import annotations

import json

from etils import epath
import jax
import numpy as np

from video_inference import baselines
from video_inference import config_lib
from video_inference import input_pipeline
from video_inference import runs
from video_inference import sampling
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
  checkpoint the config's paper scores). With `evals.baseline` set, that
  trivial generator is scored instead, needing no checkpoint, and the file
  is eval_baseline_<name>.json.
  """
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
    model, variables, step = train.load_for_inference(config, workdir, step)
    results = evaluate_lib.evaluate(model, variables, config, step, workdir)
  print(json.dumps({name: {key: value for key, value in figure.items()
                           if key != "values"}
                    for name, figure in results["metrics"].items()},
                   indent=2))
  print(f"Wrote {results.get('path')}")
  return results


def run_sample(config, workdir: str) -> list[str]:
  """K videos through `config.sample.anchor_times` on test clips -> GIF/PNG.

  The grid of each of `sample.num_anchor_sets` test clips: the real clip on
  top, then the model's K videos (its own frames at the anchor times too).
  `python -m video_inference.sample` is the fuller command.
  """
  model, variables, step = train.load_for_inference(config, workdir)
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


def _exchange_rows(variables, settings) -> tuple[list, list]:
  """Static x transient rows of the exchange grid (navsynth Table 3)."""
  latents = variables["latents"]

  def rows(key, table):
    if key == "shared":
      return [0]
    if key == "index":  # The first videos' own rows.
      return list(range(min(4, latents[table].shape[0])))
    return list(range(latents[table].shape[0]))  # Every class of the label.

  return (rows(settings.static_key, "static"),
          rows(settings.transient_key, "transient"))


def run_dictionary(config, workdir: str) -> list[str]:
  """Replay, exchange and interpolation from a learned latent dictionary.

  Writes to <workdir>/samples/dictionary_step_<step>/:
  - `replay`: the first `sample.num_anchor_sets` training clips (odd rows)
    above their replay from their own latent rows (even rows);
  - `exchange`: every static row (content) with every transient row
    (motion), static-major: rows s * T + t (navsynth Table 3, Fig. 6), and
    `exchange_table.png`: their middle frames, static rows x transient
    columns;
  - `interpolation`: each replayed clip with frames 2..4 generated from z_t
    interpolated between frames 1 and 5 (section 4.3.3).
  """
  model, variables, step = train.load_for_inference(config, workdir)
  if not model.has_dictionary:
    raise ValueError(f"--mode=dictionary needs a family with a learned "
                     f"latent dictionary; {model.name} has none.")
  clips = input_pipeline.eval_clips(config, config.sample.num_anchor_sets,
                                    anchor_times=(),
                                    split=config.dataset.train_split)
  directory = epath.Path(workdir) / "samples" / f"dictionary_step_{step}"
  settings = config.model
  static = np.asarray(model.rows(clips, settings.static_key))
  transient = np.asarray(model.rows(clips, settings.transient_key))
  replay = sampling.sample_dictionary(model, variables, static, transient)
  real = visualization.to_uint8(clips["video"])
  paired = np.stack([real, replay], axis=1).reshape((-1,) + real.shape[1:])
  written = visualization.save_samples(directory, paired, None, "replay",
                                       overwrite=True)
  static_rows, transient_rows = _exchange_rows(variables, settings)
  grid_static = np.repeat(static_rows, len(transient_rows))
  grid_transient = np.tile(transient_rows, len(static_rows))
  exchange = sampling.sample_dictionary(model, variables, grid_static,
                                        grid_transient)
  written += visualization.save_samples(directory, exchange, None,
                                        "exchange", overwrite=True)
  # One picture of the exchange: the middle frame of each video, a row per
  # static row (content) and a column per transient row (motion).
  middle = exchange[:, model.num_frames // 2].reshape(
      (len(static_rows), len(transient_rows)) + exchange.shape[2:])
  written.append(visualization.write_png(
      directory / "exchange_table.png",
      visualization.video_grid(middle, None), overwrite=True))
  last = min(5, model.num_frames - 1)
  interpolated = np.concatenate([
      sampling.interpolate_transient(model, variables, int(s), int(t), 1, last)
      for s, t in zip(static, transient)])
  written += visualization.save_samples(directory, interpolated, None,
                                        "interpolation", overwrite=True)
  print(f"Wrote {len(written)} files to {directory}: replay (real above "
        f"replayed), exchange ({len(static_rows)} static x "
        f"{len(transient_rows)} transient rows), interpolation.")
  return written


def run_attributes(config, workdir: str) -> list[str]:
  """Attribute control grids of a family with conditioning labels (videovae).

  Writes to <workdir>/samples/attributes_step_<step>/, for each attribute:
  - `partial_<name>`: `sample.num_samples` videos per class of that
    attribute, the others unspecified (partial control, Fig. 3a / 4a);
  - `transient_<name>`: videos whose attribute switches from class c to
    class c + 1 at the middle frame, every other attribute held at class 0
    (transient control, Fig. 4b), one row per class pair.
  """
  model, variables, step = train.load_for_inference(config, workdir)
  classes = model.conditioning_classes
  if not classes:
    raise ValueError(f"--mode=attributes needs a model with attribute "
                     f"controls; this {model.name} model has none.")
  directory = epath.Path(workdir) / "samples" / f"attributes_step_{step}"
  rng = jax.random.fold_in(jax.random.key(config.seed), 2**28 + step)
  count, frames = config.sample.num_samples, model.num_frames
  switch = frames // 2
  written = []
  for index, (name, num_classes) in enumerate(classes.items()):
    rows = [sampling.sample(model, variables, [], [], frames, count,
                            jax.random.fold_in(rng, 1000 * index + value),
                            attributes={name: value})
            for value in range(num_classes)]
    written += visualization.save_samples(
        directory, np.concatenate(rows), None, f"partial_{name}",
        overwrite=True)
    if num_classes < 2 or switch < 1:
      continue  # Nothing to switch to, or no frame to switch at.
    others = {other: 0 for other in classes if other != name}
    transient = [sampling.sample(
        model, variables, [], [], frames, 1,
        jax.random.fold_in(rng, 10**6 + 1000 * index + value),
        attributes={name: [(0, value), (switch, value + 1)], **others})
                 for value in range(num_classes - 1)]
    written += visualization.save_samples(
        directory, np.concatenate(transient), None, f"transient_{name}",
        overwrite=True)
  print(f"Wrote {len(written)} files to {directory}: partial_<attribute> "
        f"({count} samples per class, other attributes free) and "
        f"transient_<attribute> (class c -> c + 1 at frame {switch}).")
  return written


MODES = {"train": run_train, "evaluate": run_evaluate, "sample": run_sample,
         "dictionary": run_dictionary, "attributes": run_attributes}
