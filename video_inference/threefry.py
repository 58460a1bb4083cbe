"""The one JAX setting the library depends on, scoped to its own calls.

With jax 0.10 on CPU, XLA compiles a partitionable threefry draw many times
slower than the classic one, and that compile dominated start-up and the
test suite (docs/benchmarks.md). The library's states are replicated and its
batches small, so the partitionable layout buys it nothing. Its computations
therefore run with `jax_threefry_partitionable=False`:

- the command-line entry points (`main`, `sample`, the benchmarks, the
  tests) set it for their whole process (`set_for_process`);
- the public functions that draw random numbers or trace random draws
  (`scoped`: training, evaluation, sampling, restoring) set it only while
  they run, so a notebook that imports and calls the library keeps its own
  setting for its own JAX code, and a seed gives the same videos whichever
  way it is reached.
"""

from __future__ import annotations

import functools
from typing import Callable, TypeVar

import jax

PARTITIONABLE = False

_Function = TypeVar("_Function", bound=Callable)


def set_for_process() -> None:
  """For entry points: the library's setting for the whole process."""
  jax.config.update("jax_threefry_partitionable", PARTITIONABLE)


def scoped(function: _Function) -> _Function:
  """`function` run under the library's setting, the caller's restored."""

  @functools.wraps(function)
  def run_scoped(*args, **kwargs):
    with jax.threefry_partitionable(PARTITIONABLE):
      return function(*args, **kwargs)

  return run_scoped
