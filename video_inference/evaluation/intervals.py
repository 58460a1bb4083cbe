"""Bootstrap confidence intervals for figures that are means over samples.

The inbetween3d paper (section 4.1) reports every mean with a 95% interval
"obtained by means of the bootstrap method" (Efron & Tibshirani). We use the
percentile bootstrap of the mean: resample the per-sample values with
replacement, take the mean of each resample, and report the 2.5th and 97.5th
percentiles. The resampling rng is fixed, so the same values always give the
same interval.

Choices where the papers are silent:
- A figure resting on fewer than MIN_COUNT_FOR_INTERVAL values gets no
  interval (`ci95_low` and `ci95_high` are None): the percentile bootstrap
  of 2 values is their [min, max], which reads like an interval and is
  not one.
- Every summary keeps its per-unit `values`, so two evaluations on the same
  units (the same anchor sets, clips or videos, in the same order) can be
  compared by a paired bootstrap of their differences (`paired_difference`):
  resampling units jointly removes the spread the two share (how hard each
  anchor set is), which independent intervals count twice.
- Figures over units that do not pair (FVD's generations, videos drawn
  from a prior) are compared by `independent_difference`: each side is
  resampled on its own, which is wider than a paired interval would be.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

DEFAULT_RESAMPLES = 2000
# Below this many values a figure is printed with its n and no interval.
MIN_COUNT_FOR_INTERVAL = 10


def _checked_values(values: Any, confidence: float) -> np.ndarray:
  """float64 1-d values, refused when empty or not finite."""
  values = np.asarray(values, np.float64).reshape(-1)
  if values.size == 0:
    raise ValueError("bootstrap_interval needs at least one value; got none.")
  if not 0.0 < confidence < 1.0:
    raise ValueError(f"confidence must be in (0, 1); got {confidence}.")
  if not np.all(np.isfinite(values)):
    raise ValueError("values must be finite; got "
                     f"{values[~np.isfinite(values)][:5]} among them.")
  return values


def _resampled_means(values: np.ndarray, rng: np.random.Generator,
                     num_resamples: int) -> np.ndarray:
  """The means of `num_resamples` resamples of `values` with replacement."""
  picks = rng.integers(0, values.size, size=(num_resamples, values.size))
  return values[picks].mean(axis=1)


def bootstrap_interval(values: Any, confidence: float = 0.95,
                       num_resamples: int = DEFAULT_RESAMPLES,
                       seed: int = 0) -> tuple[float, float]:
  """(low, high): the percentile-bootstrap interval of the mean of `values`."""
  values = _checked_values(values, confidence)
  means = _resampled_means(values, np.random.default_rng(seed), num_resamples)
  tail = 100.0 * (1.0 - confidence) / 2.0
  low, high = np.percentile(means, [tail, 100.0 - tail])
  return float(low), float(high)


# Units whose order is shared by every evaluation of a config (the i-th
# anchor set or clip of the split), so two evaluations pair up on them.
PAIRED_UNITS = ("anchor_sets", "clips")


def summarize(values: Any, units: str | None = None,
              **kwargs) -> dict[str, Any]:
  """{'mean', 'ci95_low', 'ci95_high', 'n', 'values'[, 'units']} of values.

  The interval is None when n < MIN_COUNT_FOR_INTERVAL. `units` names what
  one value is ("anchor_sets", "clips", "videos", "generations"); values
  over PAIRED_UNITS can be compared by `paired_difference`.
  """
  values = _checked_values(values, kwargs.get("confidence", 0.95))
  low = high = None
  if values.size >= MIN_COUNT_FOR_INTERVAL:
    low, high = bootstrap_interval(values, **kwargs)
  summary = {"mean": float(values.mean()), "ci95_low": low,
             "ci95_high": high, "n": int(values.size),
             "values": [float(v) for v in values]}
  if units is not None:
    summary["units"] = units
  return summary


def has_interval(summary: dict[str, Any]) -> bool:
  return summary.get("ci95_low") is not None


def summarize_statistic(statistic: Callable[[np.ndarray], float], rows: Any,
                        confidence: float = 0.95,
                        num_resamples: int = DEFAULT_RESAMPLES,
                        seed: int = 0, centre: bool = True
                        ) -> dict[str, Any]:
  """{'mean', 'ci95_low', 'ci95_high', 'n'} of a statistic of a set.

  For figures that are not means of per-unit values (MCS, Inter-E,
  I-score): 'mean' is statistic(rows) on the full set. The interval is the
  percentile bootstrap over rows (axis 0 resampled with replacement, fixed
  seed); with `centre` it is moved by the full-set value minus the
  resamples' mean, so a statistic biased by resampling's duplicates (an
  entropy, a norm) gets an interval around its full-set value. 'n' is the
  number of rows; below MIN_COUNT_FOR_INTERVAL there is no interval.
  """
  rows = np.asarray(rows)
  if rows.ndim < 1 or rows.shape[0] < 1:
    raise ValueError("summarize_statistic needs at least one row; got shape "
                     f"{rows.shape}.")
  if not 0.0 < confidence < 1.0:
    raise ValueError(f"confidence must be in (0, 1); got {confidence}.")
  value = float(statistic(rows))
  count = int(rows.shape[0])
  if not np.isfinite(value):
    raise ValueError(f"The statistic must be finite; got {value} on the full "
                     "set.")
  if count < MIN_COUNT_FOR_INTERVAL:
    return {"mean": value, "ci95_low": None, "ci95_high": None, "n": count}
  rng = np.random.default_rng(seed)
  picks = rng.integers(0, count, size=(num_resamples, count))
  resampled = np.array([statistic(rows[pick]) for pick in picks], np.float64)
  if not np.all(np.isfinite(resampled)):
    raise ValueError("The statistic must be finite; got a non-finite value "
                     "on a resample.")
  tail = 100.0 * (1.0 - confidence) / 2.0
  low, high = np.percentile(resampled, [tail, 100.0 - tail])
  shift = value - resampled.mean() if centre else 0.0
  return {"mean": value, "ci95_low": float(low + shift),
          "ci95_high": float(high + shift), "n": count}


def paired_difference(first: Any, second: Any, **kwargs) -> dict[str, Any]:
  """Summary of first - second over the same units (paired bootstrap).

  first, second: per-unit values in the same unit order (e.g. the per-set
  `values` of two evaluations on the same anchor sets). The interval
  excludes 0 when the difference holds beyond the sampling noise of these
  units (at 95%).
  """
  first = np.asarray(first, np.float64).reshape(-1)
  second = np.asarray(second, np.float64).reshape(-1)
  if first.shape != second.shape:
    raise ValueError(
        f"A paired difference needs the same units on both sides; got "
        f"{first.size} and {second.size} values.")
  return summarize(first - second, units="paired differences", **kwargs)


def independent_difference(first: Any, second: Any,
                           confidence: float = 0.95,
                           num_resamples: int = DEFAULT_RESAMPLES,
                           seed: int = 0) -> dict[str, Any]:
  """Summary of mean(first) - mean(second) over units that do not pair.

  The percentile bootstrap of the difference of the two means, each side
  resampled with replacement on its own (fixed seed). 'n' is the smaller
  side's count; below MIN_COUNT_FOR_INTERVAL on either side there is no
  interval.
  """
  first = _checked_values(first, confidence)
  second = _checked_values(second, confidence)
  difference = float(first.mean() - second.mean())
  count = int(min(first.size, second.size))
  summary = {"mean": difference, "ci95_low": None, "ci95_high": None,
             "n": count, "units": "independent differences"}
  if count < MIN_COUNT_FOR_INTERVAL:
    return summary
  rng = np.random.default_rng(seed)
  means = [_resampled_means(values, rng, num_resamples)
           for values in (first, second)]
  tail = 100.0 * (1.0 - confidence) / 2.0
  low, high = np.percentile(means[0] - means[1], [tail, 100.0 - tail])
  return dict(summary, ci95_low=float(low), ci95_high=float(high))
