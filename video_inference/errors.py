"""Errors described for messages: the chain of causes, one line of text.

The library's own errors name what failed and what to do; the underlying
library's error goes in as one line (TensorStore's, say, are dozens of
lines with a spec), taken from the innermost cause where the wrappers
above it only say that something failed.
"""

from __future__ import annotations

import errno
from typing import Iterator


def causes(error: BaseException) -> Iterator[BaseException]:
  """`error`, then what it was raised from (__cause__ or __context__),
  down the chain."""
  seen = set()
  while error is not None and id(error) not in seen:
    seen.add(id(error))
    yield error
    error = error.__cause__ or error.__context__


def root_cause(error: BaseException) -> BaseException:
  """The innermost error of `error`'s chain."""
  *_, innermost = causes(error)
  return innermost


def one_line(error: BaseException, limit: int = 200) -> str:
  """"Type: first line of the message", cut at `limit` characters."""
  lines = str(error).strip().splitlines()
  text = lines[0] if lines else ""
  text = text if len(text) <= limit else text[:limit] + "..."
  return f"{type(error).__name__}: {text}"


def is_disk_full(error: BaseException) -> bool:
  """Whether `error`, or one it was raised from, says the disk is full
  (OSError ENOSPC, or a library's text for it, e.g. TensorStore's)."""
  return any(
      (isinstance(cause, OSError) and cause.errno == errno.ENOSPC)
      or "No space left on device" in str(cause) for cause in causes(error))
