"""The run-comparison table reads each run's newest evaluation."""

import json

import pytest

from video_inference.evaluation import intervals
from video_inference.evaluation import report


def _write(directory, step, fvd):
  directory.mkdir(exist_ok=True)
  figure = lambda mean: {"mean": mean, "ci95_low": mean - 1,
                         "ci95_high": mean + 1, "n": 8}
  (directory / f"eval_{step}.json").write_text(json.dumps(
      {"metrics": {"fvd": figure(fvd), "diversity": figure(0.5)}}))


def test_table_has_one_row_per_run_from_its_newest_evaluation(tmp_path):
  _write(tmp_path / "full", 900, 500.0)
  _write(tmp_path / "full", 1200, 300.0)  # Newer: this one counts...
  _write(tmp_path / "full", 200, 900.0)   # ...by step, not by name order.
  _write(tmp_path / "naive", 1200, 700.0)
  table = report.markdown_table([str(tmp_path / "full"),
                                 str(tmp_path / "naive")], ["fvd"])
  lines = table.splitlines()
  assert lines[0] == "| run | step | fvd (n=8) |"
  assert lines[2] == "| full | 1200 | 300 [299, 301] |"
  assert lines[3] == "| naive | 1200 | 700 [699, 701] |"
  assert len(lines) == 4


def test_a_run_without_evaluation_is_named(tmp_path):
  (tmp_path / "empty").mkdir()
  (tmp_path / "empty" / "config.json").write_text("{}")
  with pytest.raises(FileNotFoundError, match=r"empty.*config\.json"):
    report.markdown_table([str(tmp_path / "empty")])


def _write_units(path, values, anchor_times, baseline=None):
  summary = {"mean": sum(values) / len(values), "ci95_low": None,
             "ci95_high": None, "n": len(values), "values": values,
             "units": "anchor_sets"}
  path.write_text(json.dumps({
      "step": 5, "split": "test", "dataset": "d", "baseline": baseline,
      "anchor_times": anchor_times, "metrics": {"psnr": summary}}))


def test_paired_rows_need_samples_that_depend_on_their_clips(tmp_path):
  anchored = [[0, 3]] * 3
  _write_units(tmp_path / "eval_1.json", [1.0, 2.0, 3.0], anchored)
  _write_units(tmp_path / "eval_2.json", [2.0, 2.5, 4.0], anchored)
  table = report.paired_table([str(tmp_path / "eval_1.json"),
                               str(tmp_path / "eval_2.json")], ["psnr"])
  assert "| 0.8333 (n=3) |" in table  # Mean of (1, 0.5, 1).
  # Without anchors the i-th sample is not tied to the i-th clip.
  _write_units(tmp_path / "eval_3.json", [1.0, 2.0, 3.0], [[]] * 3)
  _write_units(tmp_path / "eval_4.json", [2.0, 2.5, 4.0], [[]] * 3)
  table = report.paired_table([str(tmp_path / "eval_3.json"),
                               str(tmp_path / "eval_4.json")], ["psnr"])
  assert "unpaired" in table
  assert report.figure({"mean": 2.0, "ci95_low": None, "n": 3}) == "2 (n=3)"


def _write_generations(path, values):
  summary = {"mean": sum(values) / len(values), "ci95_low": None,
             "ci95_high": None, "n": len(values), "values": values,
             "units": "generations"}
  path.write_text(json.dumps({"step": 5, "anchor_times": [[0, 3]],
                              "metrics": {"fvd": summary}}))


def test_fvd_differences_get_an_interval_from_each_side_alone(tmp_path):
  low = [300.0 + i for i in range(10)]
  _write_generations(tmp_path / "eval_1.json", low)
  _write_generations(tmp_path / "eval_2.json", [v + 50.0 for v in low])
  table = report.paired_table([str(tmp_path / "eval_1.json"),
                               str(tmp_path / "eval_2.json")], ["fvd"])
  row = table.splitlines()[2]
  assert "| 50 [" in row and row.endswith("(unpaired) |")
  low_end = float(row.split("[")[1].split(",")[0])
  assert 45 < low_end < 50  # The interval excludes 0, spread +-1.8 a side.
  # The same distribution on both sides: the interval holds 0.
  same = intervals.independent_difference(low, list(reversed(low)))
  assert same["ci95_low"] < 0 < same["ci95_high"]
  # Too few generations on a side: no interval, as for one figure.
  _write_generations(tmp_path / "eval_3.json", low[:3])
  table = report.paired_table([str(tmp_path / "eval_1.json"),
                               str(tmp_path / "eval_3.json")], ["fvd"])
  assert table.splitlines()[2].endswith("| unpaired |")
