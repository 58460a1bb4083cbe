r"""Compare runs: one markdown row per run from its latest eval_<step>.json.

  python -m video_inference.evaluation.report runs/a runs/b \
      --metrics=fvd,diversity,best_of_8_ssim

The papers' ablation tables (inbetween3d Tables 1-3, navsynth Table 4b,
videovae Table 1) are such rows: each figure is printed as
"mean [ci95_low, ci95_high]" with the count it rests on in the header.
"""

from __future__ import annotations

import glob
import json
import os
import re
from typing import Sequence

from absl import app
from absl import flags

_METRICS = flags.DEFINE_list(
    "metrics", None, "Figures to tabulate (keys of eval_<step>.json's "
    "'metrics'); default: every figure the first run has.")


def _step_of(path: str) -> int:
  match = re.search(r"eval_(\d+)\.json$", path)
  if not match:
    raise ValueError(f"{path} is not an eval_<step>.json file.")
  return int(match.group(1))


def latest_evaluation(path: str) -> tuple[str, dict]:
  """(file, contents) of a run's newest eval_<step>.json, or of a file."""
  if os.path.isfile(path):
    candidates = [path]
  else:
    candidates = glob.glob(os.path.join(path, "eval_*.json"))
    if not candidates:
      present = sorted(os.listdir(path)) if os.path.isdir(path) else []
      raise FileNotFoundError(
          f"No eval_<step>.json in {path}; it contains: "
          f"{present or 'nothing (or it does not exist)'}. Run "
          "`main --mode=evaluate` on it first.")
  newest = max(candidates, key=_step_of)
  with open(newest) as f:
    return newest, json.load(f)


def _figure(entry: dict) -> str:
  return (f"{entry['mean']:.4g} [{entry['ci95_low']:.4g}, "
          f"{entry['ci95_high']:.4g}]")


def markdown_table(runs: Sequence[str],
                   metrics: Sequence[str] | None = None) -> str:
  evaluations = [latest_evaluation(run) for run in runs]
  metrics = list(metrics or evaluations[0][1]["metrics"])
  header = ["run", "step"]
  for name in metrics:
    counts = sorted({str(e["metrics"][name]["n"]) for _, e in evaluations
                     if name in e["metrics"]})
    header.append(f"{name} (n={'/'.join(counts) or '-'})")
  lines = ["| " + " | ".join(header) + " |",
           "|" + "---|" * len(header)]
  for run, (path, evaluation) in zip(runs, evaluations):
    row = [os.path.basename(os.path.normpath(run)), str(_step_of(path))]
    row += [_figure(evaluation["metrics"][name])
            if name in evaluation["metrics"] else "-" for name in metrics]
    lines.append("| " + " | ".join(row) + " |")
  return "\n".join(lines)


def main(argv):
  if len(argv) < 2:
    raise app.UsageError("Give one or more run directories (or eval JSONs).")
  print(markdown_table(argv[1:], _METRICS.value))


if __name__ == "__main__":
  app.run(main)
