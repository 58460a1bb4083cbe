r"""Where a train step's time goes: XLA's CPU thunks, summed by kind, by
network and by name, with each operation's GFLOP/s against the matmul peak.

  python benchmarks/profile_step.py --config=configs/sdvi_shapes.py [--steps=3]

Traces `--steps` calls of every phase's jitted step (after one that
compiles) with `jax.profiler` and prints per step the milliseconds of each
kind of XLA operation (the thunk's name without its number: `ynn_fusion`,
`convolution`, `while`, ...), of each network (from the operations'
source names), and the top operations with the rate of their convolution
or dot work (xla_profile.py). Milliseconds are summed over XLA's worker
threads, so they add up to more than the step's wall time; the shares are
what to read. Same random batch as train_step.py (batches.py).
"""

from absl import app
from absl import flags
import jax
from ml_collections import config_flags

import batches
import peak as peak_lib
import xla_profile
from video_inference import models
from video_inference import threefry

_CONFIG = config_flags.DEFINE_config_file(
    "config", None, "Config file.", lock_config=True)
_STEPS = flags.DEFINE_integer("steps", 3, "Traced steps per phase.")
_TOP = flags.DEFINE_integer("top", 8, "Operations listed by name.")
flags.mark_flags_as_required(["config"])


def main(argv):
  threefry.set_for_process()
  del argv
  config = _CONFIG.value
  peak = peak_lib.matmul_peak_flops() / 1e9
  model = models.build_model(config)
  batch = batches.random_batch(config, model)
  state = jax.jit(model.create_state)(jax.random.key(0))
  for phase in model.phases():
    step = jax.jit(phase.step_fn).lower(
        state, batch, jax.random.key(0)).compile()
    jax.block_until_ready(step(state, batch, jax.random.key(0)))

    def run(step=step):
      jax.block_until_ready([step(state, batch, jax.random.key(index))
                             for index in range(_STEPS.value)])

    print(f"phase {phase.name}:")
    xla_profile.report(step, run, _STEPS.value, peak, _TOP.value)


if __name__ == "__main__":
  app.run(main)
