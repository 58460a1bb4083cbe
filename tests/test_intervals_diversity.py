"""Bootstrap intervals and I3D-space diversity."""

import numpy as np
import pytest

from video_inference.evaluation import diversity
from video_inference.evaluation import intervals


def test_interval_brackets_the_mean_and_is_reproducible():
  values = np.random.default_rng(0).normal(3.0, 1.0, 40)
  low, high = intervals.bootstrap_interval(values)
  assert low < values.mean() < high
  assert (low, high) == intervals.bootstrap_interval(values)
  summary = intervals.summarize(values, "clips")
  assert summary == {"mean": pytest.approx(values.mean()), "ci95_low": low,
                     "ci95_high": high, "n": 40, "units": "clips",
                     "values": pytest.approx(list(values))}


def test_fewer_than_ten_values_get_no_interval():
  nine = intervals.summarize(np.arange(9.0))
  assert nine["ci95_low"] is None and nine["ci95_high"] is None
  assert nine["n"] == 9 and nine["mean"] == 4.0
  ten = intervals.summarize(np.arange(10.0))
  assert ten["ci95_low"] < ten["mean"] < ten["ci95_high"]
  few = intervals.summarize_statistic(np.median, np.arange(5.0))
  assert few["ci95_low"] is None and few["mean"] == 2.0
  with pytest.raises(ValueError, match="finite"):
    intervals.summarize([1.0, np.nan])


def test_paired_difference_removes_the_shared_spread():
  rng = np.random.default_rng(3)
  difficulty = rng.normal(0.0, 5.0, 50)  # What both models share per set.
  first = difficulty + 1.0 + rng.normal(0.0, 0.1, 50)
  second = difficulty + rng.normal(0.0, 0.1, 50)
  paired = intervals.paired_difference(first, second)
  assert 0.9 < paired["ci95_low"] < 1.0 < paired["ci95_high"] < 1.1
  # Unpaired intervals of the two means overlap: the spread is counted twice.
  a, b = intervals.summarize(first), intervals.summarize(second)
  assert a["ci95_low"] < b["ci95_high"]
  with pytest.raises(ValueError, match="same units"):
    intervals.paired_difference(first, second[:-1])


def test_interval_narrows_like_one_over_sqrt_n():
  rng = np.random.default_rng(1)
  def width(values):
    low, high = intervals.bootstrap_interval(values)
    return high - low
  small = width(rng.normal(size=25))
  large = width(rng.normal(size=2500))
  assert 5 < small / large < 15  # sqrt(100) = 10.


def test_interval_covers_the_true_mean_about_95_percent_of_the_time():
  rng = np.random.default_rng(2)
  covered = 0
  for trial in range(200):
    low, high = intervals.bootstrap_interval(rng.normal(size=60),
                                             num_resamples=1000, seed=trial)
    covered += low <= 0.0 <= high
  assert 0.88 <= covered / 200 <= 0.99


def test_constant_values_give_a_zero_width_interval():
  assert intervals.bootstrap_interval([2.5] * 7) == (2.5, 2.5)


@pytest.mark.parametrize("values,match", [
    ([], "at least one"), ([1.0, np.nan], "finite"), ([1.0, np.inf], "finite"),
])
def test_bad_values_are_refused(values, match):
  with pytest.raises(ValueError, match=match):
    intervals.bootstrap_interval(values)


def test_diversity_of_identical_orthogonal_and_opposite_samples():
  e = np.eye(3)
  sets = np.stack([
      np.stack([e[0], e[0], 2 * e[0]]),   # Same direction: distance 0.
      np.stack([e[0], e[1], e[2]]),       # Orthogonal: distance 1.
      np.stack([e[0], -e[0], e[0]]),      # Two of three pairs opposite: 4/3.
  ])
  np.testing.assert_allclose(diversity.pairwise_cosine_distance(sets),
                             [0.0, 1.0, 4.0 / 3.0], atol=1e-12)


@pytest.mark.parametrize("shape", [(4, 1, 8), (4, 8)])
def test_diversity_needs_sets_of_at_least_two(shape):
  with pytest.raises(ValueError, match="K >= 2"):
    diversity.pairwise_cosine_distance(np.ones(shape))
