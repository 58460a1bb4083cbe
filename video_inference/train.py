"""The one training loop of every family.

jit over a 1-D device mesh ('data'): batches are sharded over every device of
every host, the train state is replicated (except what a family shards with
`state_partition_specs`, e.g. navsynth's latent tables by rows), and XLA
inserts the gradient all-reduce (the modern form of pmap data parallelism).
Each process feeds only its slice of the global batch; only process 0 writes
files, evaluates and draws previews, while the others wait, and every host
saves at the step they agree on when pre-empted (distributed.py).

The step at index s always uses rng = fold_in(seed, s) and the batch the
input pipeline derives from (seed, s), so a run restored from a checkpoint
continues bit for bit as if it had never stopped. Checkpoints (orbax) are
written every `train.checkpoint_every` steps, at the end, and when the job
receives SIGTERM (pre-emption); a non-finite loss stops the run before any
state carrying it is saved.
"""

from __future__ import annotations

import signal
from typing import Any

from absl import logging
from clu import metric_writers
from clu import periodic_actions
from etils import epath
import jax
import ml_collections
import numpy as np

from video_inference import checkpoints
from video_inference import config_lib
from video_inference import distributed
from video_inference import input_pipeline
from video_inference import models
from video_inference import sampling
from video_inference import threefry
from video_inference.evaluation import evaluate as evaluate_lib
from video_inference.models import base as models_base


class NonFiniteLossError(FloatingPointError):
  """A loss became NaN or infinite; the last good checkpoint is kept."""


def make_mesh(devices=None) -> jax.sharding.Mesh:
  devices = jax.devices() if devices is None else devices
  return jax.sharding.Mesh(np.asarray(devices), ("data",))


def _mean_metrics(history: list[dict[str, jax.Array]]) -> dict[str, float]:
  """Each figure's mean over the steps that report it: a window spanning a
  phase switch holds two phases' figures."""
  stacked = jax.device_get(history)
  keys = dict.fromkeys(key for metrics in stacked for key in metrics)
  return {key: float(np.mean([m[key] for m in stacked if key in m]))
          for key in keys}


def _check_finite(history, first_step: int, manager) -> None:
  for offset, metrics in enumerate(jax.device_get(history)):
    bad = {k: float(v) for k, v in metrics.items() if not np.isfinite(v)}
    if bad:
      latest = manager.latest_step()
      raise NonFiniteLossError(
          f"Non-finite loss at step {first_step + offset}: {bad}. Training "
          f"stopped without saving this state; the last good checkpoint is "
          f"step {latest} in {manager.directory}."
          if latest is not None else
          f"Non-finite loss at step {first_step + offset}: {bad}. Training "
          "stopped; no checkpoint had been written yet.")


@threefry.scoped
def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str,
                       devices=None) -> dict[str, Any]:
  """Trains `config` in `workdir` (resuming if it holds a checkpoint).

  `devices` (default: all) are the devices of the data-parallel mesh.

  Returns a summary: the final step, the last averaged metrics, the paths
  of the evaluation JSON and sample files, and the final train state.
  """
  config_lib.check_run_settings(config)
  model = models.build_model(config)
  evaluate_lib.check_settings(config, during_training=True)
  is_writer = jax.process_index() == 0
  if is_writer:
    epath.Path(workdir).mkdir(parents=True, exist_ok=True)
  # Before anything is created in it: a workdir of another config, or with
  # a damaged config.json, is refused untouched.
  checkpoints.check_workdir_config(config, workdir,
                                   checkpoints.has_checkpoint(workdir))
  manager = checkpoints.checkpoint_manager(workdir, config)
  # Every host has read the old config.json before process 0 replaces it.
  distributed.barrier("workdir_checked")
  if is_writer:
    checkpoints.save_run_config(config, workdir)

  mesh = make_mesh(devices)
  replicated = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec())
  batch_sharding = jax.sharding.NamedSharding(mesh,
                                              jax.sharding.PartitionSpec("data"))
  if config.train.batch_size % mesh.size:
    raise ValueError(f"train.batch_size={config.train.batch_size} must be "
                     f"divisible by the {mesh.size} devices.")

  state_sharding = jax.tree.map(
      lambda spec: jax.sharding.NamedSharding(mesh, spec),
      model.state_partition_specs(
          jax.eval_shape(model.create_state, checkpoints.init_rng(config)),
          mesh.size))
  state = checkpoints.restore_or_create_state(model, config, manager,
                                             state_sharding)
  start_step = int(jax.device_get(state.step))
  num_steps = config.train.num_steps
  train_source = input_pipeline.load_source(config.dataset,
                                            config.dataset.train_split)
  model.check_training_data(train_source)
  dataset = input_pipeline.train_dataset(
      config, start_step, jax.process_index(), jax.process_count(),
      source=train_source, labelled_only_steps=model.labelled_only_steps())
  batches = input_pipeline.as_numpy(dataset)
  validation_split = (config.dataset.validation_split
                      or config.dataset.eval_split)
  eval_source = input_pipeline.load_source(config.dataset, validation_split)
  best_manager = checkpoints.best_checkpoint_manager(workdir, config)
  # A family that generates nothing (the classifier) has no previews.
  preview = input_pipeline.eval_clips(
      config, config.sample.num_anchor_sets,
      anchor_times=config.sample.anchor_times,
      source=eval_source) if model.generates_videos else None

  writer = metric_writers.create_default_writer(workdir,
                                                just_logging=not is_writer)
  if start_step == 0:
    writer.write_hparams(config_lib.flatten_for_hparams(config))
  report = periodic_actions.ReportProgress(
      num_train_steps=num_steps, writer=writer,
      every_steps=config.train.log_every or None, every_secs=None)

  compiled = {}

  def on_first_host(name, step, state, work):
    """work(variables) on process 0 only, the others waiting; its result
    there, {} elsewhere. Several hosts: the variables are gathered first."""
    variables = distributed.host_local(model.sampling_variables(state))
    result = work(variables) if is_writer else {}
    distributed.barrier(f"{name}_{step}")
    return result

  def evaluate_and_keep_best(step, state):
    results = on_first_host("evaluate", step, state, lambda variables: (
        evaluate_lib.evaluate(
            model, variables, config, step, workdir, writer,
            source=eval_source, during_training=True,
            split=validation_split)))
    best = results.get("metrics", {}).get(config.evals.best_metric)
    if is_writer and best is None:
      logging.warning(
          "evals.best_metric=%r is not among this evaluation's figures %s; "
          "no best checkpoint is kept.", config.evals.best_metric,
          sorted(results["metrics"]))
    # Saving is collective: every host saves with process 0's figure.
    value = float(distributed.broadcast_from_first(
        np.float64(np.nan if best is None else best["mean"])))
    if not np.isnan(value):
      checkpoints.save(best_manager, step, state, metrics={"value": value})
    return results

  seed_key = jax.random.key(config.seed)

  def step_fn(step):
    phase = model.phase_at(step)
    if phase.name not in compiled:
      # The rng is derived inside the step from the state's own step count,
      # so the host never dispatches eager work between steps.
      def with_rng(state, batch, step_fn=phase.step_fn):
        batch = models_base.cast_floating(batch, model.compute_dtype)
        return step_fn(state, batch, jax.random.fold_in(seed_key, state.step))

      compiled[phase.name] = jax.jit(
          with_rng, in_shardings=(state_sharding, batch_sharding),
          out_shardings=(state_sharding, replicated), donate_argnums=0)
    return compiled[phase.name]

  stop_requested = []
  previous_handler = None
  # Several hosts: JAX's pre-emption service owns SIGTERM and names the
  # step every host stops at (distributed.preemption_reached).
  if hasattr(signal, "SIGTERM") and not distributed.is_multiprocess():
    try:
      previous_handler = signal.signal(
          signal.SIGTERM, lambda *_: stop_requested.append(True))
    except ValueError:  # Not the main thread (e.g. a notebook worker).
      previous_handler = None

  history, history_start, last_metrics = [], start_step, {}
  summary = {"eval_json": None, "sample_files": []}
  logging.info("Training %s from step %d to %d on %d devices.", model.name,
               start_step, num_steps, mesh.size)
  step = start_step
  try:
    while step < num_steps:
      if distributed.preemption_reached(step):
        stop_requested.append(True)
      if stop_requested:
        break
      local = next(batches)
      batch = {k: jax.make_array_from_process_local_data(batch_sharding, v)
               for k, v in local.items()}
      state, metrics = step_fn(step)(state, batch)
      history.append(metrics)
      step += 1
      report(step)
      at_end = step == num_steps
      if config_lib.is_due(step, config.train.log_every) or at_end:
        _check_finite(history, history_start, manager)
        last_metrics = _mean_metrics(history)
        writer.write_scalars(step, {f"train/{k}": v
                                    for k, v in last_metrics.items()})
        history, history_start = [], step
      if config_lib.is_due(step, config.train.checkpoint_every) or at_end:
        _check_finite(history, history_start, manager)
        checkpoints.save(manager, step, state)
      if model.generates_videos and (
          config_lib.is_due(step, config.train.sample_every) or at_end):
        summary["sample_files"] = on_first_host(
            "preview", step, state, lambda variables: sampling.write_preview(
                model, variables, preview, config, step, workdir,
                writer)) or []
      if config_lib.is_due(step, config.train.eval_every) and not at_end:
        evaluate_and_keep_best(step, state)
    if stop_requested and step < num_steps:
      _check_finite(history, history_start, manager)
      logging.warning("Pre-empted: saving a checkpoint at step %d and "
                      "stopping.", step)
      if manager.latest_step() != step:  # The periodic save may have.
        checkpoints.save(manager, step, state, force=True)
    elif step == num_steps:
      summary["eval_json"] = evaluate_and_keep_best(step, state).get("path")
  finally:
    try:
      # A save that failed in the background (a full disk) raises here.
      checkpoints.finish(manager)
      checkpoints.finish(best_manager)
    finally:
      writer.flush()
      if previous_handler is not None:
        signal.signal(signal.SIGTERM, previous_handler)
  summary.update(step=step, metrics=last_metrics, state=state)
  return summary
