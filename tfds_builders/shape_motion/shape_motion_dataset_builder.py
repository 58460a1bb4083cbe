"""Procedural Shape Motion: MoCoGAN's moving-shape videos, as sdvi uses them.

Shape Motion was introduced by MoCoGAN (Tulyakov et al., CVPR 2018) and reused
by the Static2Dynamic video-inference paper (SR-cGAN): "the shapes (i.e.
circle or square) with various colors and sizes move along different
trajectories in front of a black background", 8000 videos of 32 frames of
64x64, 80% for training and the rest for testing. Neither paper gives the
generator, so this builder draws the videos itself; the original files are
served by the sibling `mocogan_shapes` builder.

What we chose where the papers are silent (matched to the original files
where we could measure them):

* One shape per video, a circle or a square with equal probability, drawn
  flat (no anti-aliasing) in one colour on pure black. The diameter / side is
  an even number of pixels drawn uniformly from [size/8, 7*size/32] (8, 10,
  12 or 14 at 64x64, exactly the sizes in the original files).
* The colour is drawn in HSV with hue in [0, 1), saturation in [0.5, 1] and
  value in [0.6, 1], so every colour is saturated and its brightest channel
  is at least 153: the shape is always clearly visible.
* Each video's `hue` label is the colour bin of that drawn hue: the nearest
  of six centres k/6 (red, yellow, green, cyan, blue, magenta), i.e.
  floor(6 * h + 0.5) mod 6. It is the "colour bin" attribute the videovae
  family controls, a class label where `color` is a raw RGB value. It is
  computed from the hue already drawn and consumes no random numbers, so
  version 1.1.0 draws exactly the videos of 1.0.0.
* Two motions with equal probability: `bottom_to_top` and `right_to_left`.
  MoCoGAN's README says its shapes follow "a random Bezier curve"; its files
  show paths whose cross coordinate bows out and comes back, at a varying
  speed. We draw a simpler curve of that kind: the main coordinate runs
  linearly (constant speed) from within 15% of the start edge to within 15%
  of the end edge, and the other follows a sine bump,
  base + A * sin(pi * t / (T - 1)), back to where it started. |A| is drawn
  in [0.1, 0.5] of the free range with a random sign, and base so that the
  whole path stays inside the frame: the shape is fully visible throughout.
* Positions are rounded to whole pixels and the shape is a fixed stamp, so
  its pixel count (and mean colour) is the same in every frame. A circle is
  the pixels whose centres lie in the inscribed disc: it fills 0.78-0.81 of
  its box at 64x64 (MoCoGAN's, drawn slightly off-centre, fill 0.73-0.79).

Determinism: video `i` depends only on `np.random.default_rng([seed, i])`,
so any video can be regenerated alone with `generate_video(config, i)`.

Frames are PNG-encoded by `video_utils.encode_png_frames` (standard PNGs,
~25x faster than TFDS's own encoder), and `as_data_source` returns each
video as one uint8 [T, H, W, 3] array (see `video_utils`).

Splits: with n = num_videos, `train` holds ids 0 .. 4n//5 - 1 (the first 80%)
and `test` the remaining ids (the last 20%).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow_datasets as tfds

from tfds_builders import video_utils

SHAPES = ("circle", "square")
DIRECTIONS = ("bottom_to_top", "right_to_left")
# Colour bins, named by their centre hues 0, 1/6, ..., 5/6.
HUES = ("red", "yellow", "green", "cyan", "blue", "magenta")


@dataclasses.dataclass(eq=False)
class ShapeMotionConfig(tfds.core.BuilderConfig):
  """Size of the procedural dataset and the seed it is drawn from."""

  num_videos: int = 8000
  num_frames: int = 32
  size: int = 64
  seed: int = 0


def _hsv_to_rgb(h: float, s: float, v: float) -> np.ndarray:
  """One HSV colour (all in [0, 1]) -> uint8 RGB."""
  # colorsys would do, but this keeps the exact rounding under our control.
  k = (np.array([5.0, 3.0, 1.0]) + h * 6.0) % 6.0
  rgb = v - v * s * np.clip(np.minimum(k, 4.0 - k), 0.0, 1.0)
  return np.round(rgb * 255.0).astype(np.uint8)


def hue_bin(hue: float) -> str:
  """The name of the colour bin whose centre hue (k/6) is nearest `hue`."""
  # Bin 0 (red) straddles hue 0: hues just below 1 wrap round to it.
  return HUES[int(np.floor(hue * len(HUES) + 0.5)) % len(HUES)]


def shape_stamp(shape: str, diameter: int) -> np.ndarray:
  """Boolean [d, d] mask of a circle or square filling a d x d box."""
  if shape == "square":
    return np.ones((diameter, diameter), dtype=bool)
  # Pixel centres tested against the inscribed circle: fills 0.78-0.81 of
  # the box for d in 8..14 (~pi/4, like MoCoGAN's); a 6-pixel circle can
  # only lose its corners (0.89), a 4-pixel one fills 0.75.
  c = np.arange(diameter) + 0.5 - diameter / 2.0
  return c[:, None] ** 2 + c[None, :] ** 2 <= (diameter / 2.0) ** 2


def trajectory(
  rng: np.random.Generator,
  direction: str,
  num_frames: int,
  free: int,
) -> tuple[np.ndarray, np.ndarray]:
  """Integer top-left corners (rows, cols) of the stamp, each [num_frames].

  `free` = size - diameter is the largest valid corner coordinate, so every
  returned corner keeps the stamp fully inside the frame.
  """
  phase = np.linspace(0.0, 1.0, num_frames)
  # The main coordinate decreases (up for rows, left for columns).
  start = rng.uniform(0.85, 1.0) * free
  end = rng.uniform(0.0, 0.15) * free
  main = start + (end - start) * phase
  amp = rng.uniform(0.1, 0.5) * free * rng.choice([-1.0, 1.0])
  # The bump stays between base and base + amp; keep both inside [0, free].
  base = rng.uniform(max(0.0, -amp), min(free, free - amp))
  cross = base + amp * np.sin(np.pi * phase)
  main = np.clip(np.round(main), 0, free).astype(np.int64)
  cross = np.clip(np.round(cross), 0, free).astype(np.int64)
  if direction == "bottom_to_top":
    return main, cross
  return cross, main


def render(
  stamp: np.ndarray,
  rows: np.ndarray,
  cols: np.ndarray,
  color: np.ndarray,
  size: int,
) -> np.ndarray:
  """Draws the stamp at each frame's corner: uint8 [T, size, size, 3]."""
  video = np.zeros((len(rows), size, size, 3), dtype=np.uint8)
  # One scatter of the stamp's few pixels into all frames at once: ~20x
  # faster than testing every pixel of every frame against the shape.
  py, px = np.nonzero(stamp)
  frame = np.arange(len(rows))[:, None]
  video[frame, rows[:, None] + py, cols[:, None] + px] = color
  return video


def generate_video(config: ShapeMotionConfig, index: int) -> dict:
  """Video `index` of `config` as a TFDS example (numpy values)."""
  rng = np.random.default_rng([config.seed, index])
  shape = SHAPES[rng.integers(len(SHAPES))]
  direction = DIRECTIONS[rng.integers(len(DIRECTIONS))]
  half_lo = max(1, config.size // 16)
  half_hi = max(half_lo, (7 * config.size) // 64)
  diameter = 2 * int(rng.integers(half_lo, half_hi + 1))
  # Drawn in this order (hue, saturation, value) since 1.0.0: reordering or
  # adding draws here would change every video.
  hue = rng.uniform(0.0, 1.0)
  color = _hsv_to_rgb(hue, rng.uniform(0.5, 1.0), rng.uniform(0.6, 1.0))
  rows, cols = trajectory(
    rng, direction, config.num_frames, config.size - diameter
  )
  video = render(shape_stamp(shape, diameter), rows, cols, color, config.size)
  return {
    "video": video,
    "shape": shape,
    "direction": direction,
    "color": color,
    "hue": hue_bin(hue),
    "id": f"shape_motion_{index:05d}",
  }


def split_ranges(num_videos: int) -> dict[str, range]:
  """The split rule: first 80% of ids train, the rest test."""
  num_train = (4 * num_videos) // 5
  return {
    "train": range(0, num_train),
    "test": range(num_train, num_videos),
  }


class ShapeMotion(
  video_utils.NumpyVideoDataSourceMixin, tfds.core.GeneratorBasedBuilder
):
  """Procedural Shape Motion (circle/square moving up or left on black)."""

  VERSION = tfds.core.Version("1.1.0")
  RELEASE_NOTES = {
    "1.0.0": "Initial release.",
    "1.1.0": "Adds the `hue` colour-bin label; the videos are unchanged.",
  }
  BUILDER_CONFIGS = [
    ShapeMotionConfig(
      name="default",
      description="8000 videos of 32 frames of 64x64, seed 0.",
      num_videos=8000,
      num_frames=32,
      size=64,
      seed=0,
    ),
    ShapeMotionConfig(
      name="tiny",
      description="50 videos of 16 frames of 32x32, seed 0 (for tests).",
      num_videos=50,
      num_frames=16,
      size=32,
      seed=0,
    ),
  ]
  DEFAULT_BUILDER_CONFIG_NAME = "default"

  def _info(self) -> tfds.core.DatasetInfo:
    cfg = self.builder_config
    return self.dataset_info_from_configs(
      features=tfds.features.FeaturesDict(
        {
          "video": tfds.features.Video(
            shape=(cfg.num_frames, cfg.size, cfg.size, 3),
            encoding_format="png",
          ),
          "shape": tfds.features.ClassLabel(names=list(SHAPES)),
          "direction": tfds.features.ClassLabel(names=list(DIRECTIONS)),
          "color": tfds.features.Tensor(shape=(3,), dtype=np.uint8),
          "hue": tfds.features.ClassLabel(names=list(HUES)),
          "id": tfds.features.Text(),
        }
      ),
      supervised_keys=None,
      homepage="https://github.com/sergeytulyakov/mocogan",
    )

  def _split_generators(self, dl_manager: tfds.download.DownloadManager):
    del dl_manager  # Procedural: nothing to download.
    return {
      name: self._generate_examples(ids)
      for name, ids in split_ranges(self.builder_config.num_videos).items()
    }

  def _generate_examples(self, ids: range):
    for index in ids:
      example = generate_video(self.builder_config, index)
      # TFDS's own per-frame PNG encoding would add ~2 minutes to 'default'.
      example["video"] = video_utils.encode_png_frames(example["video"])
      yield example["id"], example
