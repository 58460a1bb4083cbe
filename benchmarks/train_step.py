r"""Train-step throughput and peak memory of a config, per training phase.

  python benchmarks/train_step.py --config=configs/sdvi_shapes.py [--steps=20]
  ... --config.train.dtype=bfloat16   # mixed precision
  ... --compilation_cache_dir=DIR     # compile through the on-disk cache

Times every phase's jitted step on one fixed batch of the config's shapes
(random data: the input pipeline is not measured), after a warm-up step that
compiles it. FLOPs per step from XLA's cost analysis of the compiled step,
and their rate as a share of the float32 matmul peak measured in the same
process (peak.py). Peak memory: the accelerator's peak bytes in use where
the backend reports it, else the process's peak resident set (CPU). The
persistent compilation cache is off unless --compilation_cache_dir is
given: run twice with one folder to see what a warm cache saves of
"compile+first".
"""

import resource
import sys
import time

from absl import app
from absl import flags
import jax
from ml_collections import config_flags

import batches
import peak as peak_lib
from video_inference import compilation_cache
from video_inference import models
from video_inference import threefry
from video_inference.models import conv3d

_CONFIG = config_flags.DEFINE_config_file(
  "config", None, "Config file.", lock_config=True
)
_STEPS = flags.DEFINE_integer("steps", 20, "Timed steps per phase.")
_CONV3D = flags.DEFINE_enum(
  "conv3d", "auto", conv3d.IMPLEMENTATIONS,
  "What 3D convolutions built with 'auto' run as (see models/conv3d.py).",
)
flags.mark_flags_as_required(["config"])


def peak_memory_mb() -> tuple[float, str]:
  stats = jax.devices()[0].memory_stats() or {}
  if "peak_bytes_in_use" in stats:
    return stats["peak_bytes_in_use"] / 2**20, "device peak"
  # ru_maxrss is in KiB on Linux.
  return resource.getrusage(
    resource.RUSAGE_SELF
  ).ru_maxrss / 2**10, "host RSS peak"


def main(argv):
  threefry.set_for_process()
  del argv
  flag = compilation_cache.FLAG
  compilation_cache.enable(flag.value if flag.present else "")
  with conv3d.auto_resolves_to(_CONV3D.value):
    run(_CONFIG.value)


def run(config):
  data = config.dataset
  model = models.build_model(config)
  batch = batches.random_batch(config, model)
  state = jax.jit(model.create_state)(jax.random.key(0))
  peak = peak_lib.matmul_peak_flops() / 1e9
  print(
    f"device: {jax.devices()[0].device_kind} x{jax.device_count()}, "
    f"batch {config.train.batch_size} clips of {data.num_frames}x"
    f"{data.resolution}x{data.resolution}x{data.channels}, "
    f"3D convolutions: {_CONV3D.value}, train.dtype "
    f"{config.train.get('dtype', 'float32')}; float32 matmul peak "
    f"{peak:.1f} GFLOP/s"
  )
  for phase in model.phases():
    start = time.perf_counter()
    step = (
      jax.jit(phase.step_fn, donate_argnums=0)
      .lower(state, batch, jax.random.key(0))
      .compile()
    )
    cost = step.cost_analysis()
    cost = cost[0] if isinstance(cost, (list, tuple)) else cost
    gflop = float((cost or {}).get("flops", float("nan"))) / 1e9
    state, metrics = step(state, batch, jax.random.key(0))
    jax.block_until_ready(metrics)
    compile_s = time.perf_counter() - start
    start = time.perf_counter()
    for index in range(_STEPS.value):
      state, metrics = step(state, batch, jax.random.key(index))
    jax.block_until_ready(metrics)
    per_step = (time.perf_counter() - start) / _STEPS.value
    memory, kind = peak_memory_mb()
    print(
      f"phase {phase.name:6s}: {1 / per_step:8.2f} steps/s "
      f"({per_step * 1e3:8.1f} ms/step), compile+first {compile_s:5.1f} s, "
      f"{kind} {memory:8.0f} MiB, {gflop:.1f} GFLOP/step (XLA cost "
      f"analysis) = {gflop / per_step:.1f} GFLOP/s, "
      f"{100 * gflop / per_step / peak:.0f}% of the matmul peak"
    )
  sys.stdout.flush()


if __name__ == "__main__":
  app.run(main)
