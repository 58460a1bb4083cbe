"""MoCoGAN's original Shape Motion files (manual download).

MoCoGAN (Tulyakov et al., CVPR 2018) trained on "a synthetically generated
dataset of moving shapes" and shipped it in its repository as
`data/shapes/{0,1}/NNNNNNNN.png`; Static2Dynamic (SR-cGAN) uses the same
data: 8000 videos of 32 frames of 64x64, 80% train, 20% test. Each file is
one video: a 2048x64 RGBA PNG strip of its 32 frames of 64x64 side by side
(frame t is columns 64t .. 64t+63). Folder `0/` holds the bottom->top videos
(4079 files), `1/` the right->left ones (3921); file numbers are unique
across both folders (00000000 .. 00007999).

What we chose where the source is silent:

* `direction` comes from the folder: 0 -> 'bottom_to_top',
  1 -> 'right_to_left' (checked on the files: the shapes do move so).
* `shape` is not stored anywhere, so we derive it from the pixels: the fill
  ratio of the bounding box of the non-black pixels of the first frame is
  1.0 for a square and 0.73-0.80 for a circle in all 8000 files (3978
  circles, 4022 squares), so the threshold 0.9 separates them with a wide
  margin.
* The alpha channel (always 255 in the files) is dropped.
* A strip that cannot be decoded, is not an RGB(A) image, or is not
  2048x64 stops the build with an error naming the file
  (`mocogan_strips.decode_strip`, shared with mocogan_actions).
* Splits (the papers give only 80/20): sort all (folder, filename) pairs,
  permute them with `np.random.default_rng(0).permutation`, and take the
  first 4n//5 as `train` and the rest as `test` (6400 / 1600 for n = 8000).
"""

from __future__ import annotations

from etils import epath
import numpy as np
import tensorflow_datasets as tfds

from tfds_builders import mocogan_strips
from tfds_builders import video_utils

NUM_FRAMES = 32
FRAME_SIZE = mocogan_strips.FRAME_SIZE
FOLDER_TO_DIRECTION = {"0": "bottom_to_top", "1": "right_to_left"}
DIRECTIONS = ("bottom_to_top", "right_to_left")
SHAPES = ("circle", "square")
# Circles fill 0.73-0.80 of their box and squares 1.0 (measured on all 8000).
SQUARE_MIN_FILL = 0.9
SPLIT_SEED = 0

_EXPECTED = (
  f"a {NUM_FRAMES * FRAME_SIZE}x{FRAME_SIZE} RGBA PNG strip of {NUM_FRAMES} "
  f"frames of {FRAME_SIZE}x{FRAME_SIZE}"
)

_INSTRUCTIONS = f"""\
Put MoCoGAN's Shape Motion files in the manual dir, as two folders:

  <manual_dir>/0/*.png   bottom->top videos (4079 files in the original)
  <manual_dir>/1/*.png   right->left videos (3921 files in the original)

Each file, e.g. `0/00000000.png`, is {_EXPECTED}.
They are the folder `data/shapes/` of https://github.com/sergeytulyakov/mocogan;
that folder may also be put in the manual dir whole (`<manual_dir>/shapes/0`).
The manual dir is `<data_dir>/downloads/manual/` unless set otherwise, e.g.:

  builder.download_and_prepare(download_config=tfds.download.DownloadConfig(
      manual_dir="path/to/mocogan/data/shapes"))
"""


def list_strips(root: epath.PathLike) -> list[tuple[str, str]]:
  """Sorted (folder, filename) pairs of the PNG strips under root/{0,1}."""
  root = epath.Path(root)
  pairs = []
  for folder in FOLDER_TO_DIRECTION:
    directory = root / folder
    names = (
      sorted(p.name for p in directory.iterdir() if p.suffix == ".png")
      if directory.is_dir()
      else []
    )
    if not names:
      raise FileNotFoundError(
        f"No PNG files in {directory}: the manual dir {root} must hold "
        f"folders 0/ and 1/ of PNG strips.\n{_INSTRUCTIONS}"
      )
    pairs.extend((folder, name) for name in names)
  return sorted(pairs)


def split_strips(
  pairs: list[tuple[str, str]],
) -> dict[str, list[tuple[str, str]]]:
  """The split rule: seeded permutation of the sorted pairs, 80% train."""
  pairs = sorted(pairs)
  order = np.random.default_rng(SPLIT_SEED).permutation(len(pairs))
  num_train = (4 * len(pairs)) // 5
  return {
    "train": [pairs[i] for i in order[:num_train]],
    "test": [pairs[i] for i in order[num_train:]],
  }


def classify_shape(frame: np.ndarray, name: str = "frame") -> str:
  """'square' if the non-black pixels fill their bounding box, else 'circle'."""
  mask = (frame[..., 0] | frame[..., 1] | frame[..., 2]) > 0
  rows = np.flatnonzero(mask.any(axis=1))
  cols = np.flatnonzero(mask.any(axis=0))
  if rows.size == 0:
    raise ValueError(f"{name}: the first frame is all black, no shape to see.")
  box = (rows[-1] - rows[0] + 1) * (cols[-1] - cols[0] + 1)
  return "square" if mask.sum() / box >= SQUARE_MIN_FILL else "circle"


def load_example(root: epath.PathLike, folder: str, filename: str) -> dict:
  """One strip as an example with a numpy `video` (not yet PNG-encoded)."""
  path = epath.Path(root) / folder / filename
  video = mocogan_strips.decode_strip(
    path.read_bytes(), str(path), _EXPECTED, num_frames=NUM_FRAMES
  )
  stem = filename.rsplit(".", 1)[0]
  return {
    "video": video,
    "direction": FOLDER_TO_DIRECTION[folder],
    "shape": classify_shape(video[0], str(path)),
    "id": f"{folder}/{stem}",
  }


class MocoganShapes(
  video_utils.NumpyVideoDataSourceMixin, tfds.core.GeneratorBasedBuilder
):
  """MoCoGAN's Shape Motion strips, read from the manual dir."""

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {
    "1.0.0": "Initial release.",
  }
  MANUAL_DOWNLOAD_INSTRUCTIONS = _INSTRUCTIONS

  def _info(self) -> tfds.core.DatasetInfo:
    return self.dataset_info_from_configs(
      features=tfds.features.FeaturesDict(
        {
          "video": tfds.features.Video(
            shape=(NUM_FRAMES, FRAME_SIZE, FRAME_SIZE, 3),
            encoding_format="png",
          ),
          "direction": tfds.features.ClassLabel(names=list(DIRECTIONS)),
          "shape": tfds.features.ClassLabel(names=list(SHAPES)),
          "id": tfds.features.Text(),
        }
      ),
      supervised_keys=None,
      homepage="https://github.com/sergeytulyakov/mocogan",
    )

  def _split_generators(self, dl_manager: tfds.download.DownloadManager):
    root = mocogan_strips.find_root(dl_manager.manual_dir, "shapes")
    splits = split_strips(list_strips(root))
    return {
      name: self._generate_examples(root, pairs)
      for name, pairs in splits.items()
    }

  def _generate_examples(self, root: epath.Path, pairs):
    for folder, filename in pairs:
      example = load_example(root, folder, filename)
      # TFDS's own per-frame PNG encoding would add ~2 minutes.
      example["video"] = video_utils.encode_png_frames(example["video"])
      yield example["id"], example
