r"""Command line: train, evaluate or sample a family on a dataset.

  python -m video_inference.main --config=configs/sdvi_shapes.py \
      --workdir=runs/sdvi_shapes \
      [--mode=train|evaluate|sample|dictionary|attributes]
  # Score the best checkpoint, or a trivial baseline (no checkpoint):
  ... --mode=evaluate --step=best
  # Every kept checkpoint, each into its own eval file, and the best one:
  ... --mode=evaluate --step=all
  ... --mode=evaluate --config.evals.baseline=crossfade

Families add modes of their own: `dictionary` (navsynth: replay, content x
motion exchange and latent interpolation grids) and `attributes` (videovae:
partial and transient control grids).

`--config=FILE:tiny` selects a config's test variant; any field can be
overridden, e.g. `--config.train.num_steps=500`.

Compiled steps are kept on disk (`compilation_cache`: by default
~/.cache/video_inference/xla; `--compilation_cache_dir=DIR`, or '' for
none), so a resume or an evaluation does not compile them again.

Several hosts (README "Accelerators and several hosts"): run the same
training command on every host (evaluate, sample and the grids run on one).
Cloud TPU pod slices, SLURM and Open MPI jobs are detected; elsewhere add
`--coordinator_address=HOST:PORT --num_processes=N --process_id=I`
(I = 0..N-1, process 0 at HOST).
"""

import logging as python_logging

from absl import app
from absl import flags
from absl import logging
from ml_collections import config_flags

from video_inference import compilation_cache
from video_inference import distributed
from video_inference import modes
from video_inference import threefry

_CONFIG = config_flags.DEFINE_config_file(
    "config", None, "Config file (configs/<family>_<dataset>.py[:variant]).",
    lock_config=True)
_WORKDIR = flags.DEFINE_string("workdir", None, "Run directory.")
_MODE = flags.DEFINE_string(
    "mode", "train", f"What to do with the run: one of {sorted(modes.MODES)}"
    ", or a mode the config's family adds (its model's `extra_modes`).")
_STEP = flags.DEFINE_string(
    "step", "", "--mode=evaluate: the checkpoint to score, 'latest', 'best' "
    "or a step number, or 'all' (each kept checkpoint, then the best by "
    "evals.best_metric); default: the config's evals.checkpoint.")
_DISTRIBUTED = flags.DEFINE_enum(
    "distributed", "auto", list(distributed.MODES),
    "Join the job's other processes (jax.distributed.initialize): 'auto' "
    "when the coordinator flags are given or a TPU pod / SLURM / Open MPI "
    "job is detected; 'on' always; 'off' never.")
_COORDINATOR = flags.DEFINE_string(
    "coordinator_address", "", "Several hosts: process 0's HOST:PORT.")
_NUM_PROCESSES = flags.DEFINE_integer(
    "num_processes", None, "Several hosts: how many processes in all.")
_PROCESS_ID = flags.DEFINE_integer(
    "process_id", None, "Several hosts: this process's id, 0-based.")
flags.mark_flags_as_required(["config", "workdir"])


class _QuietLibraries(python_logging.Filter):
  """Drops the INFO chatter of orbax and TFDS (dozens of lines per save)."""

  def filter(self, record):
    noisy = ("/orbax/", "/tensorflow_datasets/", "/jax/_src/")
    return record.levelno >= python_logging.WARNING or not any(
        part in record.pathname for part in noisy)


def main(argv):
  threefry.set_for_process()
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  logging.set_verbosity(logging.INFO)
  logging.get_absl_handler().addFilter(_QuietLibraries())
  cache = compilation_cache.enable(compilation_cache.FLAG.value)
  if cache:
    logging.info("Compiled steps are kept in %s for later runs "
                 "(--compilation_cache_dir; '' turns it off).", cache)
  # Before anything touches a device. Only training spans hosts: the other
  # modes run as one process on one host (several would repeat its work).
  if _MODE.value == "train":
    distributed.initialize(_DISTRIBUTED.value, _COORDINATOR.value,
                           _NUM_PROCESSES.value, _PROCESS_ID.value)
  elif _COORDINATOR.value or _DISTRIBUTED.value == "on":
    raise app.UsageError(
        f"--mode={_MODE.value} runs as one process on one host; drop "
        "--coordinator_address/--distributed=on and run it on one host.")
  options = {}
  if _STEP.value:
    if _MODE.value != "evaluate":
      raise app.UsageError("--step is for --mode=evaluate; the sample "
                           "command (python -m video_inference.sample) "
                           "takes its own --step.")
    options["step"] = _STEP.value
  modes.run(_MODE.value, _CONFIG.value, _WORKDIR.value, **options)


if __name__ == "__main__":
  app.run(main)
