"""Paths of workdirs, caches and outputs: local folders and object stores.

Everything the library reads or writes under a workdir, an FVD cache or an
output folder goes through `etils.epath.Path`, so `--workdir=gs://bucket/run`
(how pod jobs keep their runs) works wherever epath's backends reach:
TensorFlow's file systems when TensorFlow is installed (it is, for the input
pipeline), else fsspec. Orbax takes the same paths for checkpoints and
TensorBoard's writer goes through `tf.io.gfile`.

Choices:
- Local relative paths are made absolute once (Orbax asks for absolute
  directories); URIs such as gs://... are absolute already and kept as
  given (`os.path.abspath` would turn them into a local path).
- Every file the library writes into a workdir or an output folder (run
  config, evaluation JSON, FVD statistics cache, sample GIFs, MP4s, PNGs,
  plots, arrays, inference files) is built in memory, written to a
  temporary sibling and renamed into place: a kill at any moment leaves
  the old file or the new one, never half of one, and a reader never sees
  half a file. On object stores the rename is a copy, which is still all
  or nothing for the reader.
- A write that fails because the disk is full says so, names the file and
  that it is unchanged, and leaves no temporary file behind.
"""

from __future__ import annotations

import errno
import os

from etils import epath

from video_inference import errors

PathLike = str | os.PathLike


def as_path(path: PathLike) -> epath.Path:
  """`path` as an absolute `epath.Path` (URIs unchanged)."""
  path = epath.Path(path)
  return path if path.is_absolute() else path.absolute()


def is_local(path: PathLike) -> bool:
  """Whether `path` names the local file system (not gs://, s3://, ...)."""
  return "://" not in os.fspath(path)


def write_atomically(path: PathLike, data: str | bytes) -> epath.Path:
  """Writes `data` to `path` through a temporary sibling; returns the path."""
  path = epath.Path(path)
  path.parent.mkdir(parents=True, exist_ok=True)
  temporary = path.parent / (path.name + ".tmp")
  try:
    if isinstance(data, str):
      temporary.write_text(data)
    else:
      temporary.write_bytes(data)
  except OSError as error:
    try:
      temporary.unlink(missing_ok=True)
    except OSError:
      pass
    if errors.is_disk_full(error):
      raise OSError(errno.ENOSPC, f"No space left on device: writing {path} "
                    f"failed ({error}); {path} is unchanged. Free space and "
                    "rerun the command.") from error
    raise
  temporary.replace(path)
  return path


def listing(directory: PathLike) -> list[str]:
  """The sorted names in `directory`; [] where it does not exist. For
  error messages that show what a folder holds instead of what was asked."""
  directory = epath.Path(directory)
  return sorted(p.name for p in directory.iterdir()) if (
      directory.is_dir()) else []
