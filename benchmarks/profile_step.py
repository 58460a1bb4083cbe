r"""Where a train step's time goes: XLA's CPU thunks, summed by kind and name.

  python benchmarks/profile_step.py --config=configs/sdvi_shapes.py [--steps=3]

Traces `--steps` calls of every phase's jitted step (after one that
compiles) with `jax.profiler`, reads the trace back with
`jax.profiler.ProfileData`, and prints per step the milliseconds of each
kind of XLA operation (the thunk's name without its number: `ynn_fusion`,
`convolution`, `while`, `sort`, ...) and the top operations by name.
Milliseconds are summed over XLA's worker threads, so they add up to more
than the step's wall time; the shares are what to read. Same random batch
as train_step.py (batches.py).
"""

import collections
import pathlib
import re
import tempfile

from absl import app
from absl import flags
import jax
from ml_collections import config_flags

import batches
from video_inference import models
from video_inference import threefry

_CONFIG = config_flags.DEFINE_config_file(
    "config", None, "Config file.", lock_config=True)
_STEPS = flags.DEFINE_integer("steps", 3, "Traced steps per phase.")
_TOP = flags.DEFINE_integer("top", 8, "Operations listed by name.")
flags.mark_flags_as_required(["config"])

# XLA's per-operation events on CPU live on its Eigen worker threads.
_XLA_THREADS = "tf_XLAEigen"
_WRAPPERS = ("ThunkExecutor::Execute",)


def profile(step, state, batch, steps: int):
  """{operation name: ns} summed over `steps` traced calls."""
  directory = tempfile.mkdtemp()
  with jax.profiler.trace(directory):
    for index in range(steps):
      _, metrics = step(state, batch, jax.random.key(index))
    jax.block_until_ready(metrics)
  trace = next(pathlib.Path(directory).rglob("*.xplane.pb"))
  totals = collections.Counter()
  for plane in jax.profiler.ProfileData.from_file(str(trace)).planes:
    for line in plane.lines:
      if not line.name.startswith(_XLA_THREADS):
        continue
      for event in line.events:
        if not event.name.startswith(_WRAPPERS):
          totals[event.name] += event.duration_ns
  return totals


def main(argv):
  threefry.set_for_process()
  del argv
  config = _CONFIG.value
  model = models.build_model(config)
  batch = batches.random_batch(config, model)
  state = jax.jit(model.create_state)(jax.random.key(0))
  for phase in model.phases():
    step = jax.jit(phase.step_fn)
    _, metrics = step(state, batch, jax.random.key(0))
    jax.block_until_ready(metrics)
    totals = profile(step, state, batch, _STEPS.value)
    kinds = collections.Counter()
    for name, nanoseconds in totals.items():
      kinds[re.sub(r"[.\d]+$", "", name)] += nanoseconds
    total = sum(totals.values())
    per_step = 1e6 * _STEPS.value
    print(f"phase {phase.name}: {total / per_step:.1f} thread-ms a step")
    print("  by kind: " + ", ".join(
        f"{kind} {ns / per_step:.1f} ms ({100 * ns / total:.0f}%)"
        for kind, ns in kinds.most_common(8)))
    print("  top: " + ", ".join(
        f"{name} {ns / per_step:.1f} ms"
        for name, ns in totals.most_common(_TOP.value)))


if __name__ == "__main__":
  app.run(main)
