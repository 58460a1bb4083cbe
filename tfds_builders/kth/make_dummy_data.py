"""Writes dummy_data/: a few tiny KTH-format videos and a sequences file.

Run from the repo root:
  python -m tfds_builders.kth.make_dummy_data

The layout is that of the downloads once extracted: `00sequences.txt`
(same line format, including a `*missing*` entry and a line padded with
spaces before its tab, as upstream has), and one folder per action archive
holding `personXX_<action>_dY_uncomp.avi` at its top level: AVI, MPEG-4
Part 2, 160x120, 25 fps, grey content in a colour codec. The frames are
our own drawings (a block figure moving as its action suggests, on a
background per scenario), so the repository redistributes no KTH data.
Videos are 12-48 frames long, to cover clip tails, one-clip videos and a
video shorter than a clip, and persons land in all three inbetween3d splits.
"""

from __future__ import annotations

import zlib

from etils import epath
import numpy as np

from tfds_builders import video_io
from tfds_builders.kth import kth_dataset_builder as kth

HEIGHT, WIDTH, FPS = 120, 160, 25

# (stem, number of frames, 1-based frame ranges for 00sequences.txt). The
# ranges make some 16-frame clips fall inside one and others not, and one
# line has overlapping ranges, as person16_handwaving_d4 has upstream.
VIDEOS = (
  ("person01_walking_d1", 40, "1-18, 20-40"),
  ("person02_jogging_d2", 33, "1-33"),
  ("person03_running_d3", 20, "3-20"),
  ("person05_boxing_d4", 48, "1-16, 17-30, 31-48"),
  ("person13_handclapping_d1", 36, "1-36"),
  ("person01_handwaving_d1", 40, "1-20, 21-40"),
  ("person04_handwaving_d2", 33, "1-33"),
  ("person11_handwaving_d4", 20, "1-20"),
  ("person16_boxing_d1", 32, "1-32"),
  ("person16_handwaving_d3", 36, "1-10, 1-36"),
  ("person17_handwaving_d4", 48, "1-48"),
  ("person20_running_d2", 16, "1-16"),
  ("person25_handwaving_d1", 33, "1-33"),
  ("person22_handclapping_d3", 12, "1-12"),
)
# Listed as absent, as upstream lists this very video.
MISSING = "person13_handclapping_d3"
# Written with spaces before its tab, a quirk of several upstream lines.
PADDED = "person16_boxing_d1"

_HEADER = """\
Dummy sequences file for the kth TFDS builder tests, in the layout of the
KTH one: free text first, then one line per video with its frame ranges.

Training:   person01, 02
Validation: person16
Test:       person17, 25

"""

_SPEEDS = {"walking": 1.5, "jogging": 3.0, "running": 5.0}


def _background(scenario: int, seed: int) -> np.ndarray:
  """Float [H, W] grey background, one look per scenario."""
  y = np.linspace(0.0, 1.0, HEIGHT)[:, None]
  x = np.linspace(0.0, 1.0, WIDTH)[None, :]
  if scenario == 1:
    base = 70 + 80 * x + 0 * y
  elif scenario == 2:
    base = 50 + 40 * x + 30 * y
  elif scenario == 3:
    base = 90 + 70 * y + 0 * x
  else:  # Indoors: a flat wall over a darker floor.
    base = np.where(y > 0.8, 90.0, 170.0) + 0 * x
  # A little fixed texture, as grass or wall would have.
  texture = np.random.default_rng(seed).normal(0.0, 4.0, (HEIGHT, WIDTH))
  return base + texture


def draw_video(stem: str, num_frames: int) -> np.ndarray:
  """uint8 RGB [T, 120, 160, 3] with R = G = B, as KTH's grey content."""
  action, person, scenario = kth.parse_stem(stem)
  background = _background(scenario, zlib.crc32(stem.encode()))
  shade = 30.0 + 8.0 * person  # Each person its own shade.
  frames = np.empty((num_frames, HEIGHT, WIDTH), np.float64)
  for t in range(num_frames):
    frame = background.copy()
    speed = _SPEEDS.get(action, 0.0)
    left = int(20 + speed * t) % (WIDTH - 20) if speed else 74
    top = 50
    frame[top : top + 44, left : left + 12] = shade  # Body.
    frame[top - 10 : top, left + 2 : left + 10] = shade + 40  # Head.
    swing = np.sin(0.7 * t)
    if action == "boxing":
      reach = int(6 + 12 * abs(swing))
      frame[top + 8 : top + 12, left + 12 : left + 12 + reach] = shade
    elif action == "handwaving":
      offset = int(8 * swing)
      frame[top - 20 : top, left + 4 + offset : left + 8 + offset] = shade
    elif action == "handclapping":
      gap = int(4 + 6 * abs(swing))
      frame[top + 10 : top + 14, left + 12 + gap : left + 24] = shade
    elif speed:
      stride = int(5 * swing)
      frame[top + 44 : top + 54, left + 4 + stride : left + 8 + stride] = shade
    frames[t] = frame
  grey = np.clip(np.round(frames), 0, 255).astype(np.uint8)
  return np.repeat(grey[..., None], 3, axis=-1)


def sequences_text() -> str:
  lines = []
  for stem, _, ranges in VIDEOS:
    # Upstream aligns the columns with one or two tabs.
    gap = "\t" if len(stem) >= 24 else "\t\t"
    if stem == PADDED:
      gap = "    " + gap
    lines.append(f"{stem}{gap}frames\t{ranges}")
  lines.append(f"{MISSING}\t*missing*")
  return _HEADER + "\n".join(lines) + "\n"


def main() -> None:
  out = epath.Path(__file__).parent / "dummy_data"
  out.mkdir(parents=True, exist_ok=True)
  (out / "00sequences.txt").write_text(sequences_text())
  for stem, num_frames, _ in VIDEOS:
    action = kth.parse_stem(stem)[0]
    (out / action).mkdir(exist_ok=True)
    path = out / action / kth.video_filename(stem)
    video_io.write_video(path, draw_video(stem, num_frames), fps=FPS)
    print(path, path.stat().length)


if __name__ == "__main__":
  main()
