"""The run-comparison table reads each run's newest evaluation."""

import json

import pytest

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
