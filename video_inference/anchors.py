"""Anchor sets: which frames of an N-frame clip are given.

Anchors travel as a boolean mask [N] (or [B, N]) so that any number M of
anchors at any times keeps one static shape under jit. The strategies are
the tasks the library serves: `random` (inference from M scattered frames,
M drawn in [min_anchors, max_anchors], the sdvi training scheme of section
III-D), `first_last` (inbetweening), `first_k` (prediction) and `none`
(generation from the prior alone).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np


def _random(rng, num_frames, min_anchors, max_anchors, first_k):
  del first_k
  if not 0 <= min_anchors <= max_anchors <= num_frames:
    raise ValueError(
        f"Need 0 <= min_anchors <= max_anchors <= num_frames, got "
        f"min_anchors={min_anchors}, max_anchors={max_anchors}, "
        f"num_frames={num_frames}.")
  count = rng.integers(min_anchors, max_anchors + 1)
  return rng.choice(num_frames, size=count, replace=False)


def _first_last(rng, num_frames, min_anchors, max_anchors, first_k):
  del rng, min_anchors, max_anchors, first_k
  return np.array([0, num_frames - 1])


def _first_k(rng, num_frames, min_anchors, max_anchors, first_k):
  del rng, min_anchors, max_anchors
  if not 0 < first_k <= num_frames:
    raise ValueError(f"first_k={first_k} must be in [1, num_frames="
                     f"{num_frames}].")
  return np.arange(first_k)


def _none(rng, num_frames, min_anchors, max_anchors, first_k):
  del rng, num_frames, min_anchors, max_anchors, first_k
  return np.zeros((0,), np.int64)


ANCHOR_STRATEGIES: dict[str, Callable[..., np.ndarray]] = {
    "random": _random,
    "first_last": _first_last,
    "first_k": _first_k,
    "none": _none,
}


def sample_anchor_mask(rng: np.random.Generator, num_frames: int, strategy: str,
                       min_anchors: int = 1, max_anchors: int = 1,
                       first_k: int = 1) -> np.ndarray:
  """A bool [num_frames] anchor mask drawn with the named strategy."""
  if strategy not in ANCHOR_STRATEGIES:
    raise ValueError(f"Unknown anchor strategy {strategy!r}; valid strategies: "
                     f"{sorted(ANCHOR_STRATEGIES)}.")
  times = ANCHOR_STRATEGIES[strategy](rng, num_frames, min_anchors,
                                      max_anchors, first_k)
  mask = np.zeros(num_frames, bool)
  mask[times] = True
  return mask


def validate_times(anchor_times: Sequence[int], num_frames: int) -> list[int]:
  """Checks that anchor times are ints in [0, N), strictly increasing."""
  times = list(anchor_times)
  bad_type = [t for t in times
              if isinstance(t, bool) or not isinstance(t, (int, np.integer))]
  if bad_type:
    raise ValueError(f"Anchor times must be integers, got {bad_type}.")
  outside = [int(t) for t in times if not 0 <= t < num_frames]
  if outside:
    raise ValueError(f"Anchor times {outside} are out of range: a clip of "
                     f"{num_frames} frames has times 0..{num_frames - 1}.")
  if len(times) > num_frames:
    raise ValueError(f"{len(times)} anchors do not fit in {num_frames} frames.")
  unsorted = [(int(a), int(b)) for a, b in zip(times, times[1:]) if b <= a]
  if unsorted:
    raise ValueError(f"Anchor times must be strictly increasing (no "
                     f"duplicates); these neighbours are not: {unsorted} in "
                     f"{[int(t) for t in times]}.")
  return [int(t) for t in times]


def mask_from_times(anchor_times: Sequence[int], num_frames: int) -> np.ndarray:
  mask = np.zeros(num_frames, bool)
  mask[validate_times(anchor_times, num_frames)] = True
  return mask


def times_from_mask(mask: np.ndarray) -> list[int]:
  return [int(t) for t in np.flatnonzero(mask)]
