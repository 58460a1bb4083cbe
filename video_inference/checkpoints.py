"""A run directory: its config, its checkpoints, and loading them back.

Layout of a workdir: `config.json` (the config the run trained with),
`checkpoints/` (Orbax, every `train.checkpoint_every` steps, the newest
`train.keep_checkpoints` kept, and those at multiples of
`train.keep_checkpoint_every` where it is > 0) and `checkpoints_best/`
(the one checkpoint best by `evals.best_metric`). Training, evaluation,
sampling and the evaluation classifier all load runs through this module.

Choices:
- A workdir belongs to one model: a checkpoint made with other values of
  `config_lib.IDENTITY_FIELDS` is refused rather than restored into a
  state of another shape (or, worse, the same shape and another meaning).
- The step-0 state is drawn from `fold_in(seed, 2**31 - 1)`, a stream no
  training step's `fold_in(seed, step)` reaches.
- A checkpoint that cannot be read (a truncated or missing file) is
  skipped with a one-line warning for the newest one that reads. Training
  renames the skipped ones to `<step>.damaged` (Orbax ignores the name, so
  a resumed run can save that step again; nothing is deleted); inference
  only reads. Nothing is set aside unless an older checkpoint reads: when
  none does (a checkpoint of other code, say), the error lists each step
  and why, and the folder is left as it was.
- A save that fails (a full disk) stops the run with an error that says
  so and names the newest complete checkpoint, which Orbax's
  write-then-rename keeps intact; rerunning the command resumes there.
"""

from __future__ import annotations

import json
import logging as python_logging
import sys

from absl import logging
from etils import epath
import jax
import ml_collections
import numpy as np

# Importing orbax logs through absl (its array handler's registration), and
# absl gives a root logger without handlers a stderr handler
# (`logging.basicConfig`): the root's handlers are put back as they were, so
# importing the library leaves the user's logging alone.
_ROOT_HANDLERS = list(python_logging.getLogger().handlers)
import orbax.checkpoint as ocp  # noqa: E402  pylint: disable=g-import-not-at-top,g-bad-import-order
python_logging.getLogger().handlers[:] = _ROOT_HANDLERS

from video_inference import config_lib
from video_inference import distributed
from video_inference import errors
from video_inference import models
from video_inference import paths
from video_inference import threefry

# The folders of a workdir that only Orbax writes.
CHECKPOINT_FOLDERS = ("checkpoints", "checkpoints_best")


class WorkdirConfigMismatchError(ValueError):
  """The workdir holds a checkpoint of another model."""


class DamagedRunConfigError(ValueError):
  """A workdir's config.json cannot be read."""


class UnreadableCheckpointError(RuntimeError):
  """No checkpoint of those tried could be read."""


class CheckpointSaveError(RuntimeError):
  """A checkpoint could not be written (e.g. the disk is full)."""


def has_checkpoint(workdir: paths.PathLike) -> bool:
  """Whether a training run in `workdir` has saved a checkpoint."""
  return bool(paths.listing(epath.Path(workdir) / "checkpoints"))


def load_run_config(workdir: paths.PathLike) -> ml_collections.ConfigDict:
  """The config a training run saved as <workdir>/config.json
  (`saved_config`)."""
  path = epath.Path(workdir) / "config.json"
  if not path.is_file():
    present = paths.listing(workdir)
    raise FileNotFoundError(
        f"{path} is missing, so {workdir} holds no training run. It "
        f"contains: {present or 'nothing (or it does not exist)'}.")
  try:
    saved = json.loads(path.read_text())
  except (ValueError, UnicodeDecodeError) as error:
    raise DamagedRunConfigError(
        f"{path} is damaged: it does not read as a JSON config "
        f"({errors.one_line(error)}). It records the config the run in "
        f"{workdir} trained with; nothing was changed. Put back a good copy, "
        "or move it away to start over in this workdir (its checkpoints "
        "are then checked against nothing), or use another --workdir."
    ) from None
  return saved_config(saved)


def saved_config(saved: dict) -> ml_collections.ConfigDict:
  """A config as a run or an exported file stored it (a JSON dict), with
  its family's `added_model_fields` and config_lib.ADDED_LOSS_FIELDS where
  it predates them."""
  if isinstance(saved.get("loss"), dict):
    saved = {**saved, "loss": {**config_lib.ADDED_LOSS_FIELDS,
                               **saved["loss"]}}
  if saved.get("family") in models.FAMILIES and isinstance(
      saved.get("model"), dict):
    added = models.model_class(saved["family"]).added_model_fields
    saved = {**saved, "model": {**added, **saved["model"]}}
  return ml_collections.ConfigDict(saved)


def save_run_config(config: ml_collections.ConfigDict,
                    workdir: paths.PathLike) -> None:
  paths.write_atomically(epath.Path(workdir) / "config.json",
                         config.to_json_best_effort(indent=2))


def _without_sampling(model_config):
  if not isinstance(model_config, dict):
    return model_config
  return {key: value for key, value in model_config.items()
          if key != config_lib.SAMPLING_FIELD}


def check_workdir_config(config: ml_collections.ConfigDict,
                         workdir: paths.PathLike,
                         has_checkpoint: bool) -> None:
  """Refuses a workdir whose checkpoints come from another config."""
  if not (epath.Path(workdir) / "config.json").exists():
    if has_checkpoint:
      raise WorkdirConfigMismatchError(
          f"{workdir} holds checkpoints but no config.json; refusing to mix "
          "runs. Use another --workdir.")
    return
  saved = load_run_config(workdir)
  differences = []
  for field in config_lib.IDENTITY_FIELDS:
    try:
      old = config_lib.lookup(saved, field)
    except KeyError:
      old = "<missing>"
    new = config_lib.lookup(config, field)
    old = old.to_dict() if hasattr(old, "to_dict") else old
    new = new.to_dict() if hasattr(new, "to_dict") else new
    if field == "model":
      old, new = (_without_sampling(values) for values in (old, new))
    # As config.json stores it: tuples come back from JSON as lists.
    new = json.loads(json.dumps(new))
    if old != new:
      differences.append(f"{field}: workdir has {old!r}, config has {new!r}")
  if differences and has_checkpoint:
    raise WorkdirConfigMismatchError(
        f"{workdir} holds a checkpoint of another config; refusing to touch "
        "it. Use another --workdir. Differences:\n  "
        + "\n  ".join(differences))


def checkpoint_manager(workdir: paths.PathLike, config,
                       read_only: bool = False) -> ocp.CheckpointManager:
  """The run's periodic checkpoints (`checkpoints/`)."""
  # A reader states the values orbax would otherwise warn that it forces.
  options = ocp.CheckpointManagerOptions(
      max_to_keep=None if read_only else config.train.keep_checkpoints,
      keep_period=None if read_only else (
          config.train.keep_checkpoint_every or None),
      save_interval_steps=0 if read_only else 1, create=not read_only,
      read_only=read_only)
  # Orbax needs an absolute path: with a relative one every save fails in
  # its background thread while training goes on.
  return ocp.CheckpointManager(paths.as_path(workdir) / "checkpoints",
                               options=options)


def best_checkpoint_manager(workdir: paths.PathLike, config,
                            read_only: bool = False) -> ocp.CheckpointManager:
  """Keeps the one checkpoint with the best `evals.best_metric` so far."""
  options = ocp.CheckpointManagerOptions(
      max_to_keep=None if read_only else 1,
      save_interval_steps=0 if read_only else 1,
      best_fn=lambda metrics: metrics["value"],
      best_mode=config.evals.best_mode, create=not read_only,
      read_only=read_only)
  return ocp.CheckpointManager(paths.as_path(workdir) / "checkpoints_best",
                               options=options)


def _save_failed(manager: ocp.CheckpointManager, error: Exception,
                 step: int | None) -> CheckpointSaveError:
  try:
    manager.reload()
    newest = manager.latest_step()
  except Exception:  # pylint: disable=broad-except
    newest = None
  what = f"step {step}" if step is not None else "a checkpoint"
  disk_full = errors.is_disk_full(error)
  cause = "no space left on device" if disk_full else errors.one_line(error)
  kept = (f"The newest complete checkpoint, step {newest}, is intact; "
          "rerunning the same command resumes from it" if newest is not None
          else "No complete checkpoint had been written yet; rerunning the "
          "same command starts the run again")
  return CheckpointSaveError(
      f"Saving {what} in {manager.directory} failed: {cause}. {kept} once "
      "the cause is fixed" + (" (free some space)." if disk_full else "."))


def save(manager: ocp.CheckpointManager, step: int, state, **options) -> None:
  """Saves `state` at `step` (options: `metrics`, `force`).

  Saves are asynchronous: a failure of an earlier save surfaces here or
  in `finish`, as a CheckpointSaveError either way.
  """
  try:
    manager.save(step, args=ocp.args.StandardSave(state), **options)
  except Exception as error:  # pylint: disable=broad-except
    raise _save_failed(manager, error, step) from error


def finish(manager: ocp.CheckpointManager) -> None:
  """Waits for the manager's pending saves (CheckpointSaveError if one
  failed)."""
  try:
    manager.wait_until_finished()
  except Exception as error:  # pylint: disable=broad-except
    raise _save_failed(manager, error, None) from error


def _set_aside(directory: epath.Path, step: int) -> epath.Path:
  """Renames checkpoint `step` to a name Orbax ignores; returns it."""
  aside = directory / f"{step}.damaged"
  number = 1
  while aside.exists():
    number += 1
    aside = directory / f"{step}.damaged-{number}"
  (directory / str(step)).rename(aside)
  return aside


# What a restore that failed on a damaged file leaves behind: Orbax's other
# reads of it, whose coroutines are collected later with this error, and
# TensorStore callbacks that find the event loop closed. Python cannot
# raise them and would print each with a TensorStore spec, thousands of
# lines in all, for the one error the warning already names.
_FAILED_READ_DEBRIS = ("Encountered error while reading array index",
                       "Event loop is closed")


class _FailedReadDebrisFilter(python_logging.Filter):
  """Drops asyncio's "Task exception was never retrieved" for those reads."""

  def filter(self, record: python_logging.LogRecord) -> bool:
    error = record.exc_info[1] if record.exc_info else None
    return not (error is not None
                and str(error).startswith(_FAILED_READ_DEBRIS))


def _drop_failed_read_debris() -> None:
  """Installs (once a process) a sys.unraisablehook and an asyncio log
  filter that drop only those; every other unraisable exception and log
  record passes."""
  previous = sys.unraisablehook
  if getattr(previous, "drops_failed_read_debris", False):
    return

  def hook(unraisable):
    if not str(unraisable.exc_value).startswith(_FAILED_READ_DEBRIS):
      previous(unraisable)

  hook.drops_failed_read_debris = True
  sys.unraisablehook = hook
  python_logging.getLogger("asyncio").addFilter(_FailedReadDebrisFilter())


def restore_newest_readable(manager: ocp.CheckpointManager, target,
                            steps, set_aside: bool = False):
  """(step, state) of the newest of `steps` that restores into `target`.

  Warns once for each newer one that does not; with `set_aside` (training)
  renames those to `<step>.damaged` first, by process 0. None read:
  UnreadableCheckpointError listing each step and its error, nothing moved.
  """
  failures = []
  _drop_failed_read_debris()
  for step in sorted(steps, reverse=True):
    try:
      state = manager.restore(step, args=ocp.args.StandardRestore(target))
    except Exception as error:  # pylint: disable=broad-except
      # Orbax and TensorStore raise many kinds for one damaged file.
      failures.append((step, errors.one_line(errors.root_cause(error), 400)))
      continue
    directory = epath.Path(manager.directory)
    for bad_step, error in failures:
      where = ""
      if set_aside and jax.process_index() == 0:
        where = f"; kept as {_set_aside(directory, bad_step)}"
      logging.warning(
          "Checkpoint step %d in %s is unreadable (%s); using step %d "
          "instead%s.", bad_step, directory, error, step, where)
    if failures and set_aside:
      distributed.barrier("damaged_checkpoints_set_aside")
      manager.reload()
    return step, state
  tried = "\n  ".join(f"step {step}: {error}" for step, error in failures)
  raise UnreadableCheckpointError(
      f"No checkpoint in {manager.directory} could be read; nothing was "
      f"changed. Tried:\n  {tried}\nA checkpoint written by other code "
      "(or another config) reads like this too: use the code that wrote it, "
      "or another --workdir.")


def init_rng(config) -> jax.Array:
  """The rng of the step-0 state (outside every step's fold_in range)."""
  return jax.random.fold_in(jax.random.key(config.seed), -1 % 2**31)


@threefry.scoped
def restore_or_create_state(model, config, manager, sharding, step=None):
  """The newest readable (or the given) checkpoint, else a fresh state.

  `sharding`: one sharding for the whole state or a pytree of them.
  Unreadable newer checkpoints are set aside (`restore_newest_readable`).
  """
  state = jax.jit(model.create_state, out_shardings=sharding)(
      init_rng(config))
  if step is not None:
    return manager.restore(step, args=ocp.args.StandardRestore(state))
  if steps := manager.all_steps():
    _, state = restore_newest_readable(manager, state, steps, set_aside=True)
  return state


@threefry.scoped
def load_for_inference(config: ml_collections.ConfigDict,
                       workdir: paths.PathLike,
                       step: int | str | None = None, model=None):
  """(model, sampling variables, step) from a run's checkpoint.

  step: an int (that checkpoint), None or "latest" (the newest), or "best"
  (the one `checkpoints_best/` kept for `evals.best_metric`).
  model: one `models.build_model(config)` already built, to reuse (its
  compiled sampler then serves every checkpoint loaded with it).
  """
  directory = epath.Path(workdir) / "checkpoints"
  if not has_checkpoint(workdir):
    present = paths.listing(workdir)
    raise FileNotFoundError(
        f"No checkpoint in {directory}. {workdir} contains: "
        f"{present or 'nothing (or it does not exist)'}. Train first with "
        f"--mode=train.")
  if model is None:
    model = models.build_model(config)
  check_workdir_config(config, workdir, has_checkpoint=True)
  asked_by_number = step not in (None, "latest", "best")
  if step == "best":
    manager = best_checkpoint_manager(workdir, config, read_only=True)
    step = manager.best_step()
    if step is None:
      raise FileNotFoundError(
          f"No best checkpoint in {epath.Path(workdir) / 'checkpoints_best'}"
          f": no evaluation during training reported evals.best_metric="
          f"{config.evals.best_metric!r}. Use step 'latest' or one of "
          f"{checkpoint_manager(workdir, config, True).all_steps()}.")
  else:
    manager = checkpoint_manager(workdir, config, read_only=True)
    if step == "latest":
      step = None
    elif step is not None and (isinstance(step, bool)
                               or not isinstance(step, (int, np.integer))):
      raise ValueError(f"step must be an int, 'latest' or 'best'; got "
                       f"{step!r}.")
    if step is not None and step not in manager.all_steps():
      raise FileNotFoundError(f"No checkpoint of step {step} in {directory}; "
                              f"steps present: {manager.all_steps()}.")
  # Restored into the state's shapes (jax.eval_shape), never into a freshly
  # initialised state: nothing is computed that the checkpoint replaces.
  replicated = jax.sharding.NamedSharding(
      jax.sharding.Mesh(np.asarray(jax.devices()), ("data",)),
      jax.sharding.PartitionSpec())
  target = jax.tree.map(
      lambda leaf: jax.ShapeDtypeStruct(leaf.shape, leaf.dtype,
                                        sharding=replicated),
      jax.eval_shape(model.create_state, init_rng(config)))
  # A step asked for by number is that one; "latest" and "best" fall back
  # to the newest of their folder that reads, with a warning (nothing is
  # moved: inference only reads).
  _, state = restore_newest_readable(
      manager, target, [step] if asked_by_number else manager.all_steps())
  return model, model.sampling_variables(state), int(jax.device_get(state.step))
