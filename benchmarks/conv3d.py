r"""Native XLA 3D convolutions against their time-unfolded 2D form.

  python benchmarks/conv3d.py [--repeats=3]

For the inbetween3d layer shapes of the shapes config (batch 8, 16 frames,
32x32, width 16) times, in one process: the forward pass, the gradient
(input and kernel) and the gradient of a gradient penalty (double backprop,
as the discriminators' regulariser), each jitted, native vs time-unfolded.
"""

import time

from absl import app
from absl import flags
import jax
import jax.numpy as jnp

from video_inference import threefry
from video_inference.models import conv3d

_REPEATS = flags.DEFINE_integer("repeats", 3, "Timed calls per measurement.")

# (name, input shape, kernel, out channels, strides, padding)
LAYERS = [
    ("D_V layer 1", (8, 16, 32, 32, 3), (4, 4, 4), 16, (1, 2, 2),
     ((0, 0), (1, 1), (1, 1))),
    ("D_V layer 2", (8, 13, 16, 16, 16), (4, 4, 4), 32, (1, 2, 2),
     ((0, 0), (1, 1), (1, 1))),
    ("G_V 3x3x3 at 16x16", (8, 16, 16, 16, 16), (3, 3, 3), 16, (1, 1, 1),
     ((1, 1), (1, 1), (1, 1))),
    ("fusion block 3x3x3", (8, 16, 4, 4, 32), (3, 3, 3), 32, (1, 1, 1),
     ((1, 1), (1, 1), (1, 1))),
]


def _time_ms(fn, *args):
  fn = jax.jit(fn)
  jax.block_until_ready(fn(*args))
  start = time.perf_counter()
  for _ in range(_REPEATS.value):
    out = fn(*args)
  jax.block_until_ready(out)
  return (time.perf_counter() - start) / _REPEATS.value * 1e3


def main(argv):
  threefry.set_for_process()
  del argv
  print(f"device: {jax.devices()[0].device_kind}")
  print("| layer | input | pass | native ms | time-unfold ms | speed-up |")
  print("|---|---|---|---|---|---|")
  key = jax.random.key(0)
  for name, shape, kernel_size, features, strides, padding in LAYERS:
    x = jax.random.normal(key, shape)
    kernel = 0.1 * jax.random.normal(key, kernel_size + (shape[-1], features))

    def passes(unfold):
      conv = lambda x, k: conv3d.conv3d(x, k, strides, padding, unfold=unfold)
      penalty = lambda x, k: jnp.sum(
          jax.grad(lambda y: jnp.sum(conv(y, k)))(x)**2)
      return {
          "forward": conv,
          "gradient": jax.grad(lambda x, k: jnp.sum(conv(x, k)**2), (0, 1)),
          "penalty gradient": jax.grad(penalty, 1),
      }

    native, unfolded = passes(False), passes(True)
    for pass_name in native:
      a = _time_ms(native[pass_name], x, kernel)
      b = _time_ms(unfolded[pass_name], x, kernel)
      print(f"| {name} | {shape} | {pass_name} | {a:.1f} | {b:.1f} | "
            f"{a / b:.1f}x |", flush=True)


if __name__ == "__main__":
  app.run(main)
