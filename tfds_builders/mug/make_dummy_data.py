"""Writes dummy_data/: synthetic faces in the layout of the MUG database.

Run from the repo root:
  python -m tfds_builders.mug.make_dummy_data

The faces are cartoons drawn here (an oval, eyes, brows and a mouth that
move from neutral to the expression's apex and back, as MUG's takes do), so
the repository redistributes none of the MUG images. The layout is the
real one: `subjects3/<NNN>/[session<N>/]<expression>/take<NNN>/img_<NNNN>.jpg`
(JPEG, RGB). One deviation: frames are 128x128, not MUG's 896x896, to keep
dummy_data/ under 1 MB (the builder crops and resizes any size; a test
decodes an 896x896 JPEG). The takes cover what the builder must handle: a
subject with session folders, a take that starts at a frame number other
than 1, a take of 33 frames (two clips and a remainder), one shorter than a
clip, and a `neutral/` take that is not used.
"""

from __future__ import annotations

import numpy as np
from etils import epath
from PIL import Image
from PIL import ImageDraw

FRAME_SIZE = 128
SEED = 2010
# (take path, number of frames, number of the first frame).
TAKES = (
  ("001/anger/take000", 20, 1),
  ("001/happiness/take000", 33, 1),
  ("001/neutral/take000", 16, 1),
  ("002/disgust/take000", 17, 1),
  ("002/surprise/take001", 18, 105),
  ("004/fear/take000", 16, 1),
  ("004/fear/take001", 10, 1),
  ("007/sadness/take000", 24, 1),
  ("012/session1/anger/take000", 17, 1),
  ("012/session2/happiness/take000", 16, 1),
)
# Apex of each expression: mouth curve (+ smiles), mouth opening, brow
# raise, brow slant (+ inner ends down), eye opening.
_APEX = {
  "anger": (-0.2, 0.0, -0.5, 1.0, 0.7),
  "disgust": (-0.5, 0.2, -0.3, 0.5, 0.5),
  "fear": (-0.3, 0.6, 0.8, -0.6, 1.5),
  "happiness": (1.0, 0.4, 0.2, 0.0, 0.8),
  "sadness": (-0.8, 0.0, 0.3, -1.0, 0.8),
  "surprise": (0.0, 1.0, 1.0, 0.0, 1.6),
  "neutral": (0.0, 0.0, 0.0, 0.0, 1.0),
}


def draw_face(skin, hair, expression: str, intensity: float) -> np.ndarray:
  """One 128x128 RGB frame of a face at `intensity` (0..1) of its apex."""
  curve, opening, raise_, slant, eyes = (
    n + intensity * (a - n)
    for n, a in zip(_APEX["neutral"], _APEX[expression]))
  s = FRAME_SIZE / 128
  image = Image.new("RGB", (FRAME_SIZE, FRAME_SIZE), (70, 80, 90))
  draw = ImageDraw.Draw(image)
  draw.ellipse([30 * s, 14 * s, 98 * s, 112 * s], fill=tuple(skin))
  draw.chord([30 * s, 10 * s, 98 * s, 50 * s], 180, 360, fill=tuple(hair))
  for side in (-1, 1):
    x = 64 + side * 15
    draw.ellipse([(x - 7) * s, (52 - 3 * eyes) * s, (x + 7) * s,
                  (52 + 3 * eyes) * s], fill=(250, 250, 250))
    draw.ellipse([(x - 2) * s, 50 * s, (x + 2) * s, 54 * s], fill=(40, 30, 20))
    inner, outer = (x - side * 7, x + side * 7)
    y = 42 - 5 * raise_
    draw.line([(inner * s, (y + 3 * slant) * s),
               (outer * s, (y - 2 * slant) * s)], fill=tuple(hair),
              width=max(1, int(3 * s)))
  mouth = [(50 + 28 * t) * s for t in (0, 0.5, 1)]
  corners, middle = 88 - 6 * curve, 88 + 4 * curve
  draw.polygon([(mouth[0], corners * s), (mouth[1], (middle - 2) * s),
                (mouth[2], corners * s), (mouth[1], (middle + 1 + 10 * opening)
                                          * s)], fill=(150, 40, 50))
  return np.asarray(image)


def main() -> None:
  out = epath.Path(__file__).parent / "dummy_data" / "subjects3"
  rng = np.random.default_rng(SEED)
  looks = {}
  for path, num_frames, first in TAKES:
    subject, expression = path.split("/")[0], path.split("/")[-2]
    if subject not in looks:
      looks[subject] = (rng.integers(150, 235, 3), rng.integers(10, 90, 3))
    folder = out / path
    folder.mkdir(parents=True, exist_ok=True)
    for t in range(num_frames):
      intensity = np.sin(np.pi * t / (num_frames - 1))
      frame = draw_face(*looks[subject], expression, intensity)
      Image.fromarray(frame).save(folder / f"img_{first + t:04d}.jpg",
                                  format="JPEG", quality=85)
    print(folder)


if __name__ == "__main__":
  main()
