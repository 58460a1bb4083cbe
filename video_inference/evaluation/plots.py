"""PNG plots of evaluation curves (matplotlib, off-screen Agg backend)."""

from __future__ import annotations

from typing import Sequence

from etils import epath
import matplotlib

matplotlib.use("Agg")  # No display on servers and CI; must precede pyplot.
from matplotlib import pyplot as plt  # noqa: E402


def stochasticity_curve(path: str, ks: Sequence[int], curve: Sequence[float],
                        low: Sequence[float], high: Sequence[float],
                        baseline: float | None = None, title: str = "") -> str:
  """Best-of-k PSNR against k with its 95% band (sdvi Fig. 10); returns path.

  `low`/`high` hold None where the figure has no interval (too few sets).

  `baseline`, when given, is the deterministic z = mu PSNR, drawn flat.
  """
  figure, axes = plt.subplots(figsize=(5, 3.5), dpi=120)
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
  path.parent.mkdir(parents=True, exist_ok=True)
  with path.open("wb") as f:
    figure.savefig(f, format=path.suffix[1:] or "png")
  plt.close(figure)
  return str(path)
