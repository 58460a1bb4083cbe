"""Several processes (hosts) in one job: start-up and agreement.

A multi-host JAX job runs this same program once per host. Before any
device is touched, `initialize` joins the processes through
`jax.distributed.initialize`: with explicit flags (coordinator address,
process count and id) anywhere, or with JAX's own cluster detection where the
platform describes the job (Cloud TPU pod slices, SLURM, Open MPI). After it,
`jax.devices()` lists every host's devices and the train loop's data mesh
spans them all.

What the hosts must agree on, and how:
- Pre-emption: the scheduler's SIGTERM reaches one host or several at
  different steps. JAX's pre-emption service (on with the distributed
  system) propagates it and names one step at which every host saves
  (`preemption_reached`, orbax's `reached_preemption`); a single process
  uses its own SIGTERM handler instead (train.py).
- Work only one host does (evaluation, previews, files): process 0 does it
  with the variables gathered to every host (`host_local`), the others wait
  at a barrier (`barrier`), and a figure they need comes from process 0
  (`broadcast_from_first`).

On CPU, processes exchange collectives through gloo (JAX's CPU
collectives), which `initialize` selects; GPUs (NCCL) and TPUs (ICI/DCN)
need nothing more.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from absl import logging
import jax
from jax.experimental import multihost_utils
import numpy as np

MODES = ("auto", "on", "off")


def detected_cluster(environ: Mapping[str, str] = os.environ) -> str | None:
  """The scheduler that started several processes of this job, if any.

  Only environments that describe more than one process count: a one-task
  SLURM allocation or a single TPU VM stays a one-process run.
  """
  def count(name):
    try:
      return int(environ.get(name, "1"))
    except ValueError:
      return 1

  if "SLURM_JOB_ID" in environ and count("SLURM_NTASKS") > 1:
    return "slurm"
  if count("OMPI_COMM_WORLD_SIZE") > 1:
    return "openmpi"
  if len([h for h in environ.get("TPU_WORKER_HOSTNAMES", "").split(",")
          if h]) > 1:
    return "tpu_pod"
  return None


def initialize(mode: str = "auto", coordinator_address: str = "",
               num_processes: int | None = None,
               process_id: int | None = None) -> bool:
  """Joins this process to the job's others; returns whether it did.

  mode "off": a one-process run whatever the environment. "on": always
  (JAX detects what the flags leave out). "auto": when a coordinator
  address is given or `detected_cluster` finds one. Call before any device
  is touched.
  """
  if mode not in MODES:
    raise ValueError(f"--distributed={mode!r}; valid: {MODES}.")
  explicit = {"coordinator_address": coordinator_address or None,
              "num_processes": num_processes, "process_id": process_id}
  given = {name for name, value in explicit.items() if value is not None}
  if given and given != set(explicit):
    missing = sorted(set(explicit) - given)
    raise ValueError(
        f"Multi-process flags {sorted(given)} need {missing} as well (the "
        "coordinator's host:port, the number of processes and this one's "
        "id, 0-based).")
  if mode == "off" or (mode == "auto" and not given
                       and detected_cluster() is None):
    if given:
      logging.warning("--distributed=off: ignoring the coordinator flags.")
    return False
  if num_processes is not None and not 0 <= process_id < num_processes:
    raise ValueError(f"--process_id={process_id} is not in [0, "
                     f"{num_processes}).")
  # CPU processes need a collectives backend to all-reduce gradients; it
  # only concerns the CPU client, so accelerators are unaffected.
  jax.config.update("jax_cpu_collectives_implementation", "gloo")
  jax.distributed.initialize(
      **{name: value for name, value in explicit.items() if value is not None})
  logging.info("Process %d of %d joined; %d devices in all, %d here.",
               jax.process_index(), jax.process_count(), jax.device_count(),
               jax.local_device_count())
  return True


def is_multiprocess() -> bool:
  return jax.process_count() > 1


def host_local(tree: Any) -> Any:
  """Every leaf as this host's full copy (numpy), gathered from the devices
  of every host; unchanged in a one-process run. Collective: every process
  must call it."""
  if not is_multiprocess():
    return tree
  return multihost_utils.process_allgather(tree, tiled=True)


def barrier(name: str) -> None:
  """Every process waits here until all have arrived (no-op alone)."""
  if is_multiprocess():
    from orbax.checkpoint import multihost  # pylint: disable=g-import-not-at-top
    multihost.sync_global_processes(name)


def broadcast_from_first(value: Any) -> Any:
  """Process 0's `value` on every process (numbers and arrays)."""
  if not is_multiprocess():
    return value
  return jax.tree.map(np.asarray, multihost_utils.broadcast_one_to_all(value))


def preemption_reached(step: int) -> bool:
  """Whether every host agreed to save and stop at `step` after some host
  was told to stop (False while none was, and in a one-process run)."""
  if not is_multiprocess():
    return False
  from orbax.checkpoint import multihost  # pylint: disable=g-import-not-at-top
  return multihost.reached_preemption(step)
