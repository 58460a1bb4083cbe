"""Two processes on this machine as two hosts of one job (CPU, loopback
coordinator, gloo collectives, 2 fake devices each): the command line's
multi-host path, end to end.

- The two-process job's parameters match a one-process run on 4 devices
  with the same global batch, to float rounding: the gradient all-reduce
  crosses processes through gloo, whose summation order differs from the
  in-process one, so bit equality is not expected (the same count-based
  bound as the 4-devices test in test_train.py).
- Only process 0 writes TensorBoard events (their file names carry the
  writer's pid), previews and the evaluation.
- Both processes killed with SIGKILL mid-run and relaunched resume from
  the last checkpoint (the relaunch says from which step) and finish at the
  parameters above. (Bit-exact resume is test_train.py's; here a restart
  from scratch would also match, hence the step check.)
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import jax
import pytest

from conftest import REPO
from conftest import share_of_weights_apart
from video_inference import checkpoints
from video_inference import distributed
from video_inference import models
from video_inference import train

NUM_STEPS = 6


def _free_port() -> int:
  with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    return probe.getsockname()[1]


def _config(tiny_config):
  config = tiny_config.copy_and_resolve_references()
  config.train.update(num_steps=NUM_STEPS, batch_size=4, checkpoint_every=1,
                      log_every=2, sample_every=0)
  config.evals.batch_size = 4
  return config


def _launch(workdir, config):
  port = _free_port()
  env = dict(os.environ,
             XLA_FLAGS="--xla_force_host_platform_device_count=2",
             PYTHONPATH=str(REPO))
  command = [
      sys.executable, "-m", "video_inference.main",
      f"--config={REPO / 'configs' / 'sdvi_shapes.py'}:tiny",
      f"--workdir={workdir}",
      f"--config.dataset.data_dir={config.dataset.data_dir}",
      f"--config.train.num_steps={config.train.num_steps}",
      f"--config.train.batch_size={config.train.batch_size}",
      f"--config.train.checkpoint_every={config.train.checkpoint_every}",
      f"--config.train.log_every={config.train.log_every}",
      f"--config.train.sample_every={config.train.sample_every}",
      f"--config.evals.batch_size={config.evals.batch_size}",
      f"--coordinator_address=127.0.0.1:{port}", "--num_processes=2"]
  return [subprocess.Popen(command + [f"--process_id={index}"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
          for index in range(2)]


def _wait(processes, timeout=300):
  outputs = [p.communicate(timeout=timeout)[0] for p in processes]
  for index, (process, output) in enumerate(zip(processes, outputs)):
    assert process.returncode == 0, f"process {index}:\n{output[-3000:]}"
  return outputs


def _restored_params(config, workdir):
  model = models.build_model(config)
  sharding = jax.sharding.SingleDeviceSharding(jax.devices()[0])
  manager = checkpoints.checkpoint_manager(workdir, config, read_only=True)
  assert manager.latest_step() == NUM_STEPS
  state = checkpoints.restore_or_create_state(model, config, manager, sharding)
  return jax.device_get(state.params)


@pytest.fixture(scope="module")
def tiny_config(tfds_dir):  # Module scope: shared by the test's two runs.
  from conftest import load_config  # pylint: disable=g-import-not-at-top
  config = load_config("sdvi_shapes")
  config.dataset.data_dir = tfds_dir
  return config


def test_two_processes_killed_and_relaunched_match_one_process(
    tiny_config, tmp_path):
  """One two-process job, SIGKILLed in both processes after checkpoint 3
  and relaunched, against one uninterrupted process on 4 devices."""
  config = _config(tiny_config)
  # The reference also generates the dataset before two processes could
  # race to.
  reference = train.train_and_evaluate(config, str(tmp_path / "one_process"),
                                       devices=jax.devices()[:4])
  workdir = tmp_path / "two_processes"
  processes = _launch(workdir, config)
  checkpoints = workdir / "checkpoints"
  deadline = time.time() + 300
  while not (checkpoints / "3").is_dir():
    assert time.time() < deadline, "no checkpoint 3 within 300 s"
    assert all(p.poll() is None for p in processes), "a process ended early"
    time.sleep(0.05)
  for process in processes:
    process.send_signal(signal.SIGKILL)
  killed_pids = [process.pid for process in processes]
  for process in processes:
    process.communicate()
  saved = sorted(int(name) for name in os.listdir(checkpoints)
                 if name.isdigit())
  assert saved and saved[-1] < NUM_STEPS, f"killed too late: {saved}"

  relaunched = _launch(workdir, config)
  outputs = _wait(relaunched)
  assert f"from step {saved[-1]} to {NUM_STEPS}" in outputs[0]

  assert share_of_weights_apart(
      reference["state"].params, _restored_params(config, str(workdir)),
      config.train.image_learning_rate / 10) < 0.01

  writers = {relaunched[0].pid, killed_pids[0]}
  events = [name for name in os.listdir(workdir) if "tfevents" in name]
  assert events and all(
      any(f".{pid}." in name for pid in writers) for name in events), (
          events, writers, killed_pids[1], relaunched[1].pid)
  evaluation = json.loads((workdir / f"eval_{NUM_STEPS}.json").read_text())
  assert evaluation["step"] == NUM_STEPS


def test_sigterm_to_one_process_stops_both_at_the_same_step(tiny_config,
                                                             tmp_path):
  """Pre-emption notice to host 1 only: JAX's pre-emption service names
  one step, both save it and exit cleanly."""
  config = _config(tiny_config)
  config.train.num_steps = 30
  workdir = tmp_path / "preempted"
  processes = _launch(workdir, config)
  deadline = time.time() + 300
  while not (workdir / "checkpoints" / "2").is_dir():
    assert time.time() < deadline, "no checkpoint 2 within 300 s"
    assert all(p.poll() is None for p in processes), "a process ended early"
    time.sleep(0.05)
  processes[1].send_signal(signal.SIGTERM)
  outputs = _wait(processes)
  stops = [re.findall(r"saving a checkpoint at step (\d+) and stopping",
                      output) for output in outputs]
  assert stops[0] and stops[0] == stops[1], stops
  step = int(stops[0][0])
  assert step < config.train.num_steps
  saved = sorted(int(name) for name in os.listdir(workdir / "checkpoints")
                 if name.isdigit())
  assert saved[-1] == step, (saved, step)


@pytest.mark.parametrize("environ, cluster", [
    ({}, None),
    ({"SLURM_JOB_ID": "7", "SLURM_NTASKS": "1"}, None),
    ({"SLURM_JOB_ID": "7", "SLURM_NTASKS": "4"}, "slurm"),
    ({"OMPI_COMM_WORLD_SIZE": "2"}, "openmpi"),
    ({"TPU_WORKER_HOSTNAMES": "t0"}, None),
    ({"TPU_WORKER_HOSTNAMES": "t0,t1,t2,t3"}, "tpu_pod"),
])
def test_cluster_detection_needs_more_than_one_process(environ, cluster):
  assert distributed.detected_cluster(environ) == cluster


def test_partial_or_wrong_coordinator_flags_are_refused():
  with pytest.raises(ValueError, match="num_processes"):
    distributed.initialize("auto", "127.0.0.1:1234", None, 0)
  with pytest.raises(ValueError, match="process_id=2"):
    distributed.initialize("auto", "127.0.0.1:1234", 2, 2)
  with pytest.raises(ValueError, match="--distributed"):
    distributed.initialize("sometimes")
  # A one-process run joins nothing (and never touches jax.distributed).
  assert distributed.initialize("off", "127.0.0.1:1234", 2, 0) is False
  assert distributed.initialize("auto") is False
