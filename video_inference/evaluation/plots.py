"""PNG plots of evaluation curves.

Through matplotlib's object API (a `Figure` drawn by the Agg canvas), not
pyplot: nothing here selects a backend or touches pyplot's global figures,
so a user's notebook keeps its inline plots.
"""

from __future__ import annotations

import io
from typing import Sequence

from etils import epath
from matplotlib import figure as figure_lib
from matplotlib.backends import backend_agg

from video_inference import paths


def stochasticity_curve(path: str, ks: Sequence[int], curve: Sequence[float],
                        low: Sequence[float], high: Sequence[float],
                        baseline: float | None = None, title: str = "") -> str:
  """Best-of-k PSNR against k with its 95% band (sdvi Fig. 10); returns path.

  `low`/`high` hold None where the figure has no interval (too few sets).

  `baseline`, when given, is the deterministic z = mu PSNR, drawn flat.
  """
  figure = figure_lib.Figure(figsize=(5, 3.5), dpi=120)
  backend_agg.FigureCanvasAgg(figure)
  axes = figure.subplots()
  axes.plot(ks, curve, marker="o", label="best of k samples")
  if all(value is not None for value in (*low, *high)):
    axes.fill_between(ks, low, high, alpha=0.25,
                      label="95% bootstrap interval")
  # else: fewer anchor sets than intervals.MIN_COUNT_FOR_INTERVAL, no band.
  if baseline is not None:
    axes.axhline(baseline, color="gray", linestyle="--",
                 label="deterministic (z = mean)")
  axes.set_xscale("log", base=2)
  axes.set_xticks(list(ks), [str(k) for k in ks])
  axes.set_xlabel("number of samples k")
  axes.set_ylabel("mean best-of-k PSNR (dB)")
  axes.set_title(title, fontsize=9)
  axes.grid(alpha=0.3)
  axes.legend(fontsize=8)
  figure.tight_layout()
  path = epath.Path(path)
  buffer = io.BytesIO()
  figure.savefig(buffer, format=path.suffix[1:] or "png")
  paths.write_atomically(path, buffer.getvalue())
  return str(path)
