r"""Kills a training run with SIGKILL at random moments, resumes it each
time, and compares its final state with an uninterrupted run's, bit for bit.

  python benchmarks/kill_resume.py --kills=20 [--steps=40] [--seed=0]
      [--config=configs/sdvi_shapes.py:tiny] [--workdir=/tmp/kill_resume]

Runs `python -m video_inference.main` on the config (a checkpoint every
step, so kills land in saves too) once uninterrupted, then relaunches it in
a second workdir and kills it `--kills` times: each kill comes a random
0-`--window` seconds after the relaunched process first writes under
checkpoints/ (it has compiled and trained a step), landing in training, a
save, a preview or the final evaluation, wherever that falls. After the
last kill the run is completed. Prints, per kill, the moment and what the
workdir held, then: kills, failed resumes (a relaunch
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
                             "of the relaunched run's first checkpoint write.")
_CONFIG = flags.DEFINE_string("config", "configs/sdvi_shapes.py:tiny",
                              "Config file (with :variant).")
_WORKDIR = flags.DEFINE_string("workdir", None, "Folder for the two runs "
                               "(default: a new temporary one).")

REPO = pathlib.Path(__file__).resolve().parents[1]
# Launched runs, killed if this script stops early (none is left training
# in a folder the next invocation deletes).
_RUNNING = []


def _checkpoint_writes(workdir: pathlib.Path) -> dict[str, int]:
  """{path: mtime} under checkpoints/: what changes once a run trains."""
  folder = workdir / "checkpoints"
  if not folder.is_dir():
    return {}
  stamps = {}
  for path in folder.rglob("*"):
    try:
      stamps[str(path)] = path.stat().st_mtime_ns
    except FileNotFoundError:  # Renamed or removed while listed.
      pass
  return stamps


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
  process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True, env=env)
  _RUNNING.append(process)
  return process


def _moment(workdir: pathlib.Path, launched_ns: int) -> str:
  """What the killed run was doing, from what its workdir held."""
  folder = workdir / "checkpoints"
  paths = list(folder.iterdir()) if folder.is_dir() else []
  names = {p.name for p in paths}
  # A temporary folder this run wrote (a kill can leave an older one).
  if any("tmp" in p.name and p.stat().st_mtime_ns >= launched_ns
         for p in paths):
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
  _, errors = process.communicate()
  if process.returncode != 0:
    sys.exit(f"The uninterrupted run failed:\n{errors[-3000:]}")
  print(f"uninterrupted run: {time.time() - start:.0f} s", flush=True)

  rng = random.Random(_SEED.value)
  kills = failed = finished_early = 0
  completed = []
  moments = {}
  while kills < _KILLS.value:
    before = _checkpoint_writes(workdir)
    launched_ns = time.time_ns()
    process = _launch(workdir)
    delay = rng.uniform(0.0, _WINDOW.value)
    moment = None
    while process.poll() is None:
      if moment is None and _checkpoint_writes(workdir).items() - (
          before.items()):
        moment = time.time() + delay
      if moment is not None and time.time() >= moment:
        process.send_signal(signal.SIGKILL)
        process.wait()
        break
      time.sleep(0.005)
    if process.returncode == -signal.SIGKILL:
      kills += 1
      moment_name = _moment(workdir, launched_ns)
      moments[moment_name] = moments.get(moment_name, 0) + 1
      steps = sorted(int(p.name) for p in (workdir / "checkpoints").iterdir()
                     if p.name.isdigit()) if (
                         workdir / "checkpoints").is_dir() else []
      print(f"kill {kills:2d}: {delay:.2f} s after its first checkpoint "
            f"write, "
            f"{moment_name}; checkpoints {steps}", flush=True)
    elif process.returncode == 0:
      finished_early += 1
      print("the run finished before its kill (its end is compared below); "
            "starting a new one", flush=True)
      # Nothing left to interrupt: begin a fresh killed run.
      completed.append(workdir)
      workdir = root / f"killed_{kills}_{finished_early}"
    else:
      failed += 1
      print(f"resume FAILED (exit {process.returncode}):\n"
            f"{process.stderr.read()[-3000:]}", flush=True)
      break
  process = _launch(workdir)
  _, errors = process.communicate()
  if process.returncode != 0:
    failed += 1
    print(f"final resume FAILED:\n{errors[-3000:]}")
  completed.append(workdir)
  config = config_lib.load_config_file(_CONFIG.value)
  config.train.num_steps = _STEPS.value
  reference_state = _final_state(config, reference)
  params = optimiser = True
  for finished in completed:
    state = _final_state(config, finished)
    params &= _equal(reference_state.params, state.params)
    optimiser &= _equal(reference_state.opt_state, state.opt_state)
  print(f"kills: {kills}, failed resumes: {failed}, runs that finished "
        f"before their kill: {finished_early}; kills by moment: {moments}; "
        f"killed runs completed and compared: {len(completed)}; final "
        f"parameters bit-identical: {params}; optimiser state "
        f"bit-identical: {optimiser}; wall {time.time() - start:.0f} s")
  sys.exit(0 if kills == _KILLS.value and not failed and params
           and optimiser else 1)


def _main_stopping_children(argv):
  try:
    main(argv)
  finally:
    for process in _RUNNING:
      if process.poll() is None:
        process.kill()


if __name__ == "__main__":
  app.run(_main_stopping_children)
