r"""Compare runs: one markdown row per run from its latest eval_<step>.json.

  python -m video_inference.evaluation.report runs/a runs/b \
      runs/baselines/eval_baseline_crossfade.json \
      --metrics=fvd,diversity,best_of_8_ssim --paired

The papers' ablation tables (inbetween3d Tables 1-3, navsynth Table 4b,
videovae Table 1) are such rows: each figure is printed as
"mean [ci95_low, ci95_high]" with the count it rests on in the header, or
"mean (n=N)" where N is too small for an interval. A baseline's file
(eval_baseline_<name>.json) makes a row named after the baseline.
`--paired` adds a table of each row minus the first, with the paired
bootstrap interval over the units both evaluations share (the same anchor
sets, clips or videos); a difference whose interval excludes 0 holds beyond
the sampling noise of those units. Figures whose units do not pair (FVD's
generations, prior videos) get the interval of the difference with each
side resampled on its own, marked "(unpaired)", or "unpaired" alone where
either side has too few values for an interval.
"""

from __future__ import annotations

import json
import re
from typing import Sequence

from absl import app
from absl import flags
from etils import epath

from video_inference import paths
from video_inference.evaluation import intervals

_METRICS = flags.DEFINE_list(
    "metrics", None, "Figures to tabulate (keys of eval_<step>.json's "
    "'metrics'); default: every figure the first run has.")
_PAIRED = flags.DEFINE_bool(
    "paired", False, "Also print each row minus the first row, with paired "
    "bootstrap intervals where both rest on the same units.")


def _step_of(path: str) -> int | None:
  """The step of an eval_<step>.json file; None for other files."""
  match = re.search(r"eval_(\d+)\.json$", path)
  return int(match.group(1)) if match else None


def latest_evaluation(path: str) -> tuple[str, dict]:
  """(file, contents) of a run's newest eval_<step>.json, or of a file."""
  if epath.Path(path).is_file():
    newest = str(path)
  else:
    candidates = [str(c) for c in epath.Path(path).glob("eval_*.json")
                  if _step_of(str(c)) is not None]
    if not candidates:
      present = paths.listing(path)
      raise FileNotFoundError(
          f"No eval_<step>.json in {path}; it contains: "
          f"{present or 'nothing (or it does not exist)'}. Run "
          "`main --mode=evaluate` on it first.")
    newest = max(candidates, key=_step_of)
  return newest, json.loads(epath.Path(newest).read_text())


def figure(entry: dict) -> str:
  """'mean [low, high]', or 'mean (n=N)' for a figure without interval."""
  if not intervals.has_interval(entry):
    return f"{entry['mean']:.4g} (n={entry['n']})"
  return (f"{entry['mean']:.4g} [{entry['ci95_low']:.4g}, "
          f"{entry['ci95_high']:.4g}]")


def _row_name(run: str, evaluation: dict) -> tuple[str, str]:
  """(row label, step) of a run directory or evaluation file."""
  if evaluation.get("baseline"):
    return f"baseline: {evaluation['baseline']}", "-"
  return (epath.Path(run).name,
          str(evaluation.get("step", "-")))


def _table(header: list[str], rows: list[list[str]]) -> str:
  lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
  lines += ["| " + " | ".join(row) + " |" for row in rows]
  return "\n".join(lines)


def markdown_table(runs: Sequence[str],
                   metrics: Sequence[str] | None = None) -> str:
  evaluations = [latest_evaluation(run) for run in runs]
  metrics = list(metrics or evaluations[0][1]["metrics"])
  header = ["run", "step"]
  for name in metrics:
    counts = sorted({str(e["metrics"][name]["n"]) for _, e in evaluations
                     if name in e["metrics"]})
    header.append(f"{name} (n={'/'.join(counts) or '-'})")
  rows = []
  for run, (path, evaluation) in zip(runs, evaluations):
    if _step_of(path) is not None:
      evaluation = {"step": _step_of(path), **evaluation}
    rows.append(list(_row_name(run, evaluation)) + [
        figure(evaluation["metrics"][name])
        if name in evaluation["metrics"] else "-" for name in metrics])
  return _table(header, rows)


def paired_difference(first: dict, second: dict, name: str) -> dict | None:
  """second - first on `name` over shared units, or None where not paired.

  Paired when both evaluations hold the metric's per-unit values over
  anchor sets or clips (intervals.PAIRED_UNITS), as many, with the same
  anchor times on the same split. Videos drawn from a prior (no anchors)
  and FVD's generations are not paired units: those differences are left
  out.
  """
  a, b = first["metrics"].get(name), second["metrics"].get(name)
  if a is None or b is None or "values" not in a or "values" not in b:
    return None
  same_units = (a.get("units") in intervals.PAIRED_UNITS
                and a.get("units") == b.get("units")
                and len(a["values"]) == len(b["values"])
                and first.get("split") == second.get("split")
                and first.get("dataset") == second.get("dataset")
                and first.get("anchor_times") == second.get("anchor_times")
                # Without anchors a sample does not depend on its clip.
                and (a["units"] == "clips"
                     or any(first.get("anchor_times") or [])))
  if not same_units:
    return None
  return intervals.paired_difference(b["values"], a["values"])


def _unpaired_cell(first: dict, second: dict, name: str) -> str:
  """second - first with each side resampled alone, or "unpaired"."""
  a, b = first["metrics"].get(name), second["metrics"].get(name)
  if not all(entry and len(entry.get("values", ())) >=
             intervals.MIN_COUNT_FOR_INTERVAL for entry in (a, b)):
    return "unpaired"
  return figure(intervals.independent_difference(b["values"], a["values"])
                ) + " (unpaired)"


def paired_table(runs: Sequence[str],
                 metrics: Sequence[str] | None = None) -> str:
  """Each row minus the first on each metric (paired bootstrap)."""
  evaluations = [latest_evaluation(run) for run in runs]
  metrics = list(metrics or evaluations[0][1]["metrics"])
  reference = evaluations[0][1]
  label = _row_name(runs[0], reference)[0]
  rows = []
  for run, (_, evaluation) in zip(runs[1:], evaluations[1:]):
    row = [f"{_row_name(run, evaluation)[0]} - {label}"]
    for name in metrics:
      difference = paired_difference(reference, evaluation, name)
      if difference is None:
        row.append(_unpaired_cell(reference, evaluation, name))
      else:
        row.append(figure(difference))
    rows.append(row)
  return _table(["difference"] + list(metrics), rows)


def main(argv):
  if len(argv) < 2:
    raise app.UsageError("Give one or more run directories (or eval JSONs).")
  print(markdown_table(argv[1:], _METRICS.value))
  if _PAIRED.value and len(argv) > 2:
    print()
    print(paired_table(argv[1:], _METRICS.value))


if __name__ == "__main__":
  app.run(main)
