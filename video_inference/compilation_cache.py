"""A persistent XLA compilation cache for the command-line entry points.

A jitted train step takes seconds (sdvi) to minutes (inbetween3d, whose
gradient penalty differentiates through both discriminators twice) to
compile on a CPU, and every resume, `--mode=evaluate` and sample command
used to compile it again. JAX can keep compiled executables on disk, keyed
by the program, the compile options, the devices and the jax/jaxlib
versions, so a hit runs the executable a fresh compile would have built
(docs/benchmarks.md has what it saves).

The entry points (`main`, `sample`) call `enable` before any compile, with
their `--compilation_cache_dir` flag. Where the cache goes:
- the flag's value, when given; an empty value turns the cache off;
- else JAX's own environment variable JAX_COMPILATION_CACHE_DIR, when set
  (the test suite sets it);
- else `default_directory()`: $XDG_CACHE_HOME/video_inference/xla, or
  ~/.cache/video_inference/xla.
Importing the library changes nothing: a notebook keeps its own settings.

Choices:
- MAX_SIZE_BYTES: JAX evicts the least recently used entries beyond 4 GiB
  (its default is no limit); a config's entries are small beside it
  (docs/benchmarks.md). The limit needs the `filelock` package: without
  it JAX turns the cache off with a warning.
- JAX's default threshold stays: only programs that took at least 1 s to
  compile are written, so the many small evaluation helpers are not.
- One folder per user, not per machine: XLA:CPU's loader compares a
  cached executable's CPU features with the host's and refuses one built
  for features the host lacks, and JAX then compiles afresh (the check is
  discussed in jax-ml/jax issue 38445). Where a home directory is shared
  by unlike machines, `--compilation_cache_dir` can name a local one.
"""

from __future__ import annotations

import os

from absl import flags
from etils import epath
import jax

ENVIRONMENT_VARIABLE = "JAX_COMPILATION_CACHE_DIR"
MAX_SIZE_BYTES = 4 * 2**30


def default_directory() -> str:
  """$XDG_CACHE_HOME/video_inference/xla, or ~/.cache/video_inference/xla."""
  base = os.environ.get("XDG_CACHE_HOME") or epath.Path("~/.cache").expanduser()
  return str(epath.Path(base) / "video_inference" / "xla")


FLAG = flags.DEFINE_string(
    "compilation_cache_dir", None,
    "Where compiled XLA programs are kept, so that a resume, an evaluation "
    "or a sample command does not compile the same step again; '' turns "
    f"it off. Default: ${ENVIRONMENT_VARIABLE} if set, else "
    "$XDG_CACHE_HOME/video_inference/xla or ~/.cache/video_inference/xla.")


def enable(directory: str | None) -> str | None:
  """Turns on JAX's persistent cache for this process; returns its folder.

  `directory`: a folder; '' turns the cache off (returns None); None picks
  $JAX_COMPILATION_CACHE_DIR if set, else `default_directory()`. For entry
  points, before anything compiles.
  """
  if directory is None:
    directory = os.environ.get(ENVIRONMENT_VARIABLE) or default_directory()
  if not directory:
    jax.config.update("jax_enable_compilation_cache", False)
    return None
  jax.config.update("jax_enable_compilation_cache", True)
  jax.config.update("jax_compilation_cache_dir", directory)
  jax.config.update("jax_compilation_cache_max_size", MAX_SIZE_BYTES)
  return directory
