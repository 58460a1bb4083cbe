"""A run directory: its config, its checkpoints, and loading them back.

Layout of a workdir: `config.json` (the config the run trained with),
`checkpoints/` (Orbax, every `train.checkpoint_every` steps, the newest
`train.keep_checkpoints` kept) and `checkpoints_best/` (the one checkpoint
best by `evals.best_metric`). Training, evaluation, sampling and the
evaluation classifier all load runs through this module.

Choices:
- A workdir belongs to one model: a checkpoint made with other values of
  `config_lib.IDENTITY_FIELDS` is refused rather than restored into a
  state of another shape (or, worse, the same shape and another meaning).
- The step-0 state is drawn from `fold_in(seed, 2**31 - 1)`, a stream no
  training step's `fold_in(seed, step)` reaches.
"""

from __future__ import annotations

import json
import logging as python_logging

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
from video_inference import models
from video_inference import paths
from video_inference import threefry

# The folders of a workdir that only Orbax writes.
CHECKPOINT_FOLDERS = ("checkpoints", "checkpoints_best")


class WorkdirConfigMismatchError(ValueError):
  """The workdir holds a checkpoint of another model."""


def has_checkpoint(workdir: paths.PathLike) -> bool:
  """Whether a training run in `workdir` has saved a checkpoint."""
  return bool(paths.listing(epath.Path(workdir) / "checkpoints"))


def load_run_config(workdir: paths.PathLike) -> ml_collections.ConfigDict:
  """The config a training run saved as <workdir>/config.json."""
  path = epath.Path(workdir) / "config.json"
  if not path.is_file():
    present = paths.listing(workdir)
    raise FileNotFoundError(
        f"{path} is missing, so {workdir} holds no training run. It "
        f"contains: {present or 'nothing (or it does not exist)'}.")
  return ml_collections.ConfigDict(json.loads(path.read_text()))


def save_run_config(config: ml_collections.ConfigDict,
                    workdir: paths.PathLike) -> None:
  (epath.Path(workdir) / "config.json").write_text(
      config.to_json_best_effort(indent=2))


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


def save(manager: ocp.CheckpointManager, step: int, state, **options) -> None:
  """Saves `state` at `step` (options: `metrics`, `force`)."""
  manager.save(step, args=ocp.args.StandardSave(state), **options)


def init_rng(config) -> jax.Array:
  """The rng of the step-0 state (outside every step's fold_in range)."""
  return jax.random.fold_in(jax.random.key(config.seed), -1 % 2**31)


@threefry.scoped
def restore_or_create_state(model, config, manager, sharding, step=None):
  """The latest (or given) checkpoint, else a fresh state.

  `sharding`: one sharding for the whole state or a pytree of them.
  """
  state = jax.jit(model.create_state, out_shardings=sharding)(
      init_rng(config))
  step = manager.latest_step() if step is None else step
  if step is not None:
    state = manager.restore(step, args=ocp.args.StandardRestore(state))
  return state


@threefry.scoped
def load_for_inference(config: ml_collections.ConfigDict,
                       workdir: paths.PathLike,
                       step: int | str | None = None):
  """(model, sampling variables, step) from a run's checkpoint.

  step: an int (that checkpoint), None or "latest" (the newest), or "best"
  (the one `checkpoints_best/` kept for `evals.best_metric`).
  """
  directory = epath.Path(workdir) / "checkpoints"
  if not has_checkpoint(workdir):
    present = paths.listing(workdir)
    raise FileNotFoundError(
        f"No checkpoint in {directory}. {workdir} contains: "
        f"{present or 'nothing (or it does not exist)'}. Train first with "
        f"--mode=train.")
  model = models.build_model(config)
  check_workdir_config(config, workdir, has_checkpoint=True)
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
  if step is None:
    step = manager.latest_step()
  # Restored into the state's shapes (jax.eval_shape), never into a freshly
  # initialised state: nothing is computed that the checkpoint replaces.
  replicated = jax.sharding.NamedSharding(
      jax.sharding.Mesh(np.asarray(jax.devices()), ("data",)),
      jax.sharding.PartitionSpec())
  target = jax.tree.map(
      lambda leaf: jax.ShapeDtypeStruct(leaf.shape, leaf.dtype,
                                        sharding=replicated),
      jax.eval_shape(model.create_state, init_rng(config)))
  state = manager.restore(step, args=ocp.args.StandardRestore(target))
  return model, model.sampling_variables(state), int(jax.device_get(state.step))
