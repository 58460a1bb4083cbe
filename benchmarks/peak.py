"""The float32 matmul peak of this process, the denominator of every
benchmark's "share of peak": a ratio of two figures taken on the same
machine at the same time, which reads the same on any machine."""

import time

import jax
import jax.numpy as jnp


def matmul_peak_flops(size: int = 4096, repeats: int = 5) -> float:
  """Best-of-`repeats` float32 FLOP/s of one jitted square matmul."""
  a = jnp.ones((size, size), jnp.float32)
  matmul = jax.jit(lambda x, y: x @ y)
  matmul(a, a).block_until_ready()
  best = float("inf")
  for _ in range(repeats):
    start = time.perf_counter()
    matmul(a, a).block_until_ready()
    best = min(best, time.perf_counter() - start)
  return 2 * size**3 / best
