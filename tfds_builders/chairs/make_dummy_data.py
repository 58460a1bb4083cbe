"""Writes dummy_data/: 5 synthetic chairs in the layout of rendered_chairs.tar.

Run from the repo root:
  python -m tfds_builders.chairs.make_dummy_data

The chairs are boxes (seat, four legs, a backrest) drawn here with flat
shading, so the repository redistributes none of the real renders. The
format is the real one: `rendered_chairs/all_chair_names.mat` (a MATLAB v5
file with the cells `folder_names` and `instance_names`, as scipy writes and
reads them), one 32-hex-digit folder per model and 62 RGB PNGs of 600x600
on white in `<model>/renders/`. Render names follow the pattern quoted from
the real archive in public code (`image_001_p020_t011_r096.png`,
`image_052_p030_t232_r096.png`): image numbers 000-030 at elevation 20 and
032-062 at 30, azimuth floor(360 k / 31) degrees, distance 96. The builder
reads elevation and azimuth from the name and does not rely on the numbers.
"""

from __future__ import annotations

from etils import epath
import numpy as np
from PIL import Image
from PIL import ImageDraw
import scipy.io

from tfds_builders.chairs import chairs_dataset_builder as cb

NUM_DUMMY_MODELS = 5
RENDER_SIZE = 600
SEED = 2014
_UNIT_CUBE = np.array([[x, y, z] for x in (0, 1) for y in (0, 1)
                       for z in (0, 1)], dtype=np.float64)
# Vertex indices of the six faces of _UNIT_CUBE, each with its outward normal.
_FACES = (((0, 1, 3, 2), (-1, 0, 0)), ((4, 5, 7, 6), (1, 0, 0)),
          ((0, 1, 5, 4), (0, -1, 0)), ((2, 3, 7, 6), (0, 1, 0)),
          ((0, 2, 6, 4), (0, 0, -1)), ((1, 3, 7, 5), (0, 0, 1)))
_LIGHT = np.array([0.4, 0.8, -0.45]) / np.linalg.norm([0.4, 0.8, -0.45])


def render_names() -> list[str]:
  """The 62 render names: 31 azimuths at each elevation."""
  names = []
  for offset, elevation in zip((0, 32), cb.ELEVATIONS):
    for k in range(cb.NUM_AZIMUTHS):
      azimuth = (360 * k) // cb.NUM_AZIMUTHS
      names.append(f"image_{offset + k:03d}_p{elevation:03d}_t{azimuth:03d}"
                   "_r096.png")
  return names


def chair_boxes(rng: np.random.Generator) -> list[tuple[np.ndarray, ...]]:
  """(corner, size) of the seat, legs and backrest of one random chair."""
  width, depth = rng.uniform(0.45, 0.7), rng.uniform(0.4, 0.6)
  leg, seat, back = rng.uniform(0.35, 0.5), 0.06, rng.uniform(0.35, 0.6)
  thick = rng.uniform(0.04, 0.07)
  boxes = [((-width / 2, leg, -depth / 2), (width, seat, depth)),
           ((-width / 2, leg + seat, depth / 2 - thick),
            (width, back, thick))]
  for x in (-width / 2, width / 2 - thick):
    for z in (-depth / 2, depth / 2 - thick):
      boxes.append(((x, 0.0, z), (thick, leg, thick)))
  centre_y = (leg + seat + back) / 2
  return [(np.array(c) - [0, centre_y, 0], np.array(s)) for c, s in boxes]


def render(boxes, colour: np.ndarray, elevation: float,
           azimuth: float) -> np.ndarray:
  """Orthographic flat-shaded view of the boxes on white, uint8 [H, W, 3]."""
  a, e = np.radians(azimuth), np.radians(elevation)
  turn = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0],
                   [-np.sin(a), 0, np.cos(a)]])
  tilt = np.array([[1, 0, 0], [0, np.cos(e), -np.sin(e)],
                   [0, np.sin(e), np.cos(e)]])
  view = tilt @ turn
  polygons = []
  for corner, size in boxes:
    points = (corner + _UNIT_CUBE * size) @ view.T
    for indices, normal in _FACES:
      face = points[list(indices)]
      shade = 0.45 + 0.55 * max(0.0, float(view @ normal @ _LIGHT))
      polygons.append((face[:, 2].mean(), face, shade))
  image = Image.new("RGB", (RENDER_SIZE, RENDER_SIZE), "white")
  draw = ImageDraw.Draw(image)
  scale = RENDER_SIZE * 0.42
  # Painter's algorithm: the farthest faces (largest depth) first.
  for _, face, shade in sorted(polygons, key=lambda p: -p[0]):
    xy = [(RENDER_SIZE / 2 + scale * x, RENDER_SIZE / 2 - scale * y)
          for x, y, _ in face]
    draw.polygon(xy, fill=tuple(int(c * shade) for c in colour))
  return np.asarray(image)


def main() -> None:
  out = epath.Path(__file__).parent / "dummy_data" / cb.ROOT_NAME
  rng = np.random.default_rng(SEED)
  models = sorted(rng.bytes(16).hex() for _ in range(NUM_DUMMY_MODELS))
  names = render_names()
  out.mkdir(parents=True, exist_ok=True)
  index = out / cb.INDEX_NAME
  scipy.io.savemat(
    str(index),
    {"folder_names": np.array(models, dtype=object)[None],
     "instance_names": np.array(names, dtype=object)[None]})
  # The 116-byte text header holds the creation time; a fixed one keeps
  # reruns byte-identical (readers only parse the bytes after it).
  header = b"MATLAB 5.0 MAT-file, written by make_dummy_data".ljust(116)
  index.write_bytes(header + index.read_bytes()[116:])
  for model in models:
    boxes = chair_boxes(rng)
    colour = rng.integers(40, 200, size=3)
    folder = out / model / "renders"
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
      elevation, azimuth = cb.parse_render_name(name)
      Image.fromarray(render(boxes, colour, elevation, azimuth)).save(
        folder / name, format="PNG", optimize=True)
    print(folder)


if __name__ == "__main__":
  main()
