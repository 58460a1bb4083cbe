r"""Kills a training run with SIGKILL at random moments, resumes it each
time, and compares its final state with an uninterrupted run's, bit for bit.

  python benchmarks/kill_resume.py --kills=20 [--steps=40] [--seed=0]
      [--config=configs/sdvi_shapes.py:tiny] [--workdir=/tmp/kill_resume]

Runs `python -m video_inference.main` on the config (a checkpoint every
step, so kills land in saves too) once uninterrupted, then relaunches it in
a second workdir and kills it `--kills` times: each kill comes a random
0-`--window` seconds after the relaunched process has written its first new
file (training, a save, a preview or the final evaluation, wherever that
falls). After the last kill the run is completed. Prints, per kill, the
moment and what the workdir held, then: kills, failed resumes (a relaunch
that exits non-zero), and whether the final parameters and optimiser state
equal the uninterrupted run's. docs/reliability.md has the result.
"""

import os
import pathlib
import random
import signal
import subprocess
import sys
import tempfile
import time

from absl import app
from absl import flags
import jax

from video_inference import checkpoints
from video_inference import config_lib
from video_inference import models

_KILLS = flags.DEFINE_integer("kills", 20, "SIGKILLs before the final run.")
_STEPS = flags.DEFINE_integer("steps", 40, "Training steps of the run.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the kill moments.")
_WINDOW = flags.DEFINE_float("window", 4.0, "Kill within this many seconds "
                             "of the relaunched run's first new file.")
_CONFIG = flags.DEFINE_string("config", "configs/sdvi_shapes.py:tiny",
                              "Config file (with :variant).")
_WORKDIR = flags.DEFINE_string("workdir", None, "Folder for the two runs "
                               "(default: a new temporary one).")

REPO = pathlib.Path(__file__).resolve().parents[1]


def _files(workdir: pathlib.Path) -> set[str]:
  return {str(p.relative_to(workdir)) for p in workdir.rglob("*")} if (
      workdir.is_dir()) else set()


def _launch(workdir: pathlib.Path) -> subprocess.Popen:
  command = [sys.executable, "-m", "video_inference.main",
             f"--config={_CONFIG.value}", f"--workdir={workdir}",
             f"--config.train.num_steps={_STEPS.value}",
             "--config.train.checkpoint_every=1"]
  # A shared compilation cache: relaunches reach training in seconds, so
  # the kills land in training, saves and evaluation, not in compiling.
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3",
             JAX_COMPILATION_CACHE_DIR=str(workdir.parent / "xla_cache"),
             JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0.5")
  return subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, env=env)


def _moment(workdir: pathlib.Path) -> str:
  """What the killed run was doing, from what its workdir held."""
  names = {p.name for p in (workdir / "checkpoints").iterdir()} if (
      workdir / "checkpoints").is_dir() else set()
  if any("tmp" in name for name in names):
    return "during a save"
  if str(_STEPS.value) in names:
    return ("during the final evaluation" if not (
        workdir / f"eval_{_STEPS.value}.json").exists() else "after it")
  return "training" if names else "starting (no checkpoint yet)"


def _final_state(config, workdir: pathlib.Path):
  model = models.build_model(config)
  manager = checkpoints.checkpoint_manager(str(workdir), config,
                                           read_only=True)
  target = jax.eval_shape(model.create_state, checkpoints.init_rng(config))
  return checkpoints.restore_newest_readable(manager, target,
                                             [_STEPS.value])[1]


def _equal(first, second) -> bool:
  first, second = jax.device_get(first), jax.device_get(second)
  return jax.tree.structure(first) == jax.tree.structure(second) and all(
      (a == b).all() for a, b in zip(jax.tree.leaves(first),
                                     jax.tree.leaves(second)))


def main(argv):
  del argv
  root = pathlib.Path(_WORKDIR.value or tempfile.mkdtemp(prefix="kills_"))
  reference, workdir = root / "uninterrupted", root / "killed"
  start = time.time()
  process = _launch(reference)
  if process.wait() != 0:
    sys.exit(f"The uninterrupted run failed:\n{process.stderr.read()[-3000:]}")
  print(f"uninterrupted run: {time.time() - start:.0f} s", flush=True)

  rng = random.Random(_SEED.value)
  kills = failed = finished_early = 0
  moments = {}
  while kills < _KILLS.value:
    before = _files(workdir)
    process = _launch(workdir)
    delay = rng.uniform(0.0, _WINDOW.value)
    moment = None
    while process.poll() is None:
      if moment is None and _files(workdir) - before:
        moment = time.time() + delay
      if moment is not None and time.time() >= moment:
        process.send_signal(signal.SIGKILL)
        process.wait()
        break
      time.sleep(0.005)
    if process.returncode == -signal.SIGKILL:
      kills += 1
      moment_name = _moment(workdir)
      moments[moment_name] = moments.get(moment_name, 0) + 1
      steps = sorted(int(p.name) for p in (workdir / "checkpoints").iterdir()
                     if p.name.isdigit()) if (
                         workdir / "checkpoints").is_dir() else []
      print(f"kill {kills:2d}: {delay:.2f} s after the first new file, "
            f"{moment_name}; checkpoints {steps}", flush=True)
    elif process.returncode == 0:
      finished_early += 1
      print("the run finished before its kill; starting over", flush=True)
      # Nothing left to interrupt: begin a fresh killed run.
      workdir = root / f"killed_{kills}_{finished_early}"
    else:
      failed += 1
      print(f"resume FAILED (exit {process.returncode}):\n"
            f"{process.stderr.read()[-3000:]}", flush=True)
      break
  process = _launch(workdir)
  if process.wait() != 0:
    failed += 1
    print(f"final resume FAILED:\n{process.stderr.read()[-3000:]}")
  config = config_lib.load_config_file(_CONFIG.value)
  config.train.num_steps = _STEPS.value
  reference_state = _final_state(config, reference)
  state = _final_state(config, workdir)
  params = _equal(reference_state.params, state.params)
  optimiser = _equal(reference_state.opt_state, state.opt_state)
  print(f"kills: {kills}, failed resumes: {failed}, runs that finished "
        f"before their kill: {finished_early}; kills by moment: {moments}; "
        f"final parameters "
        f"bit-identical: {params}; optimiser state bit-identical: "
        f"{optimiser}; wall {time.time() - start:.0f} s")
  sys.exit(0 if kills == _KILLS.value and not failed and params
           and optimiser else 1)


if __name__ == "__main__":
  app.run(main)
