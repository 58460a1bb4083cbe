"""Bootstrap confidence intervals for figures that are means over samples.

The inbetween3d paper (section 4.1) reports every mean with a 95% interval
"obtained by means of the bootstrap method" (Efron & Tibshirani). We use the
percentile bootstrap of the mean: resample the per-sample values with
replacement, take the mean of each resample, and report the 2.5th and 97.5th
percentiles. The resampling rng is fixed, so the same values always give the
same interval.
"""

from __future__ import annotations

from typing import Any

import numpy as np

DEFAULT_RESAMPLES = 2000


def bootstrap_interval(values: Any, confidence: float = 0.95,
                       num_resamples: int = DEFAULT_RESAMPLES,
                       seed: int = 0) -> tuple[float, float]:
  """(low, high): the percentile-bootstrap interval of the mean of `values`."""
  values = np.asarray(values, np.float64).reshape(-1)
  if values.size == 0:
    raise ValueError("bootstrap_interval needs at least one value; got none.")
  if not 0.0 < confidence < 1.0:
    raise ValueError(f"confidence must be in (0, 1); got {confidence}.")
  if not np.all(np.isfinite(values)):
    raise ValueError(f"values must be finite; got {values[~np.isfinite(values)][:5]}"
                     " among them.")
  rng = np.random.default_rng(seed)
  picks = rng.integers(0, values.size, size=(num_resamples, values.size))
  means = values[picks].mean(axis=1)
  tail = 100.0 * (1.0 - confidence) / 2.0
  low, high = np.percentile(means, [tail, 100.0 - tail])
  return float(low), float(high)


def summarize(values: Any, **kwargs) -> dict[str, float]:
  """{'mean', 'ci95_low', 'ci95_high', 'n'} of per-sample `values`."""
  values = np.asarray(values, np.float64).reshape(-1)
  low, high = bootstrap_interval(values, **kwargs)
  return {"mean": float(values.mean()), "ci95_low": low, "ci95_high": high,
          "n": int(values.size)}
