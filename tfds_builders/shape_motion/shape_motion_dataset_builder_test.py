"""Tests of the procedural shape_motion builder (tiny config; no files)."""

import colorsys
import dataclasses
import hashlib
import math
import os

import numpy as np
import pytest
import tensorflow_datasets as tfds

from tfds_builders.shape_motion import shape_motion_dataset_builder as sm

DEFAULT = sm.ShapeMotion.builder_configs["default"]
TINY = sm.ShapeMotion.builder_configs["tiny"]


class ShapeMotionTest(tfds.testing.DatasetBuilderTestCase):
  """TFDS's standard checks: prepare, read back, split sizes, no overlap."""

  DATASET_CLASS = sm.ShapeMotion
  BUILDER_CONFIG_NAMES_TO_TEST = ["tiny"]
  SPLITS = {"train": 40, "test": 10}
  # Nothing is downloaded or read, but the test harness patches a download
  # dir in regardless and needs it to exist: point it at this folder.
  EXAMPLE_DIR = os.path.dirname(__file__)


def _mask(video: np.ndarray) -> np.ndarray:
  # Elementwise OR: a reduction over a last axis of 3 is ~20x slower.
  return (video[..., 0] | video[..., 1] | video[..., 2]) > 0


def _centroids(video: np.ndarray) -> np.ndarray:
  """[T, 2] (row, col) centroid of the non-black pixels of each frame."""
  mask = _mask(video)
  count = mask.sum(axis=(1, 2))
  rows = (mask.sum(axis=2) * np.arange(mask.shape[1])).sum(axis=1) / count
  cols = (mask.sum(axis=1) * np.arange(mask.shape[2])).sum(axis=1) / count
  return np.stack([rows, cols], axis=1)


def _fill_ratio(frame_mask: np.ndarray) -> float:
  rows, cols = np.nonzero(frame_mask)
  box = (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)
  return frame_mask.sum() / box


def test_split_rule_is_first_80_percent_train():
  assert sm.split_ranges(8000) == {
    "train": range(0, 6400),
    "test": range(6400, 8000),
  }
  assert sm.split_ranges(50) == {"train": range(0, 40), "test": range(40, 50)}


def test_same_seed_same_video_other_seed_differs():
  for index in (0, 7, 4321):
    a = sm.generate_video(DEFAULT, index)
    b = sm.generate_video(DEFAULT, index)
    np.testing.assert_array_equal(a["video"], b["video"])
    assert (a["shape"], a["direction"], a["id"]) == (
      b["shape"],
      b["direction"],
      b["id"],
    )
    np.testing.assert_array_equal(a["color"], b["color"])
    other = sm.generate_video(dataclasses.replace(DEFAULT, seed=1), index)
    assert not np.array_equal(a["video"], other["video"])
  # Videos of one seed differ from each other too.
  assert not np.array_equal(
    sm.generate_video(DEFAULT, 0)["video"],
    sm.generate_video(DEFAULT, 1)["video"],
  )


@pytest.mark.parametrize("config", [DEFAULT, TINY], ids=["default", "tiny"])
def test_shape_visible_and_moves_in_labelled_direction(config):
  n = config.num_frames
  size = config.size
  for index in range(150):
    ex = sm.generate_video(config, index)
    video = ex["video"]
    assert video.shape == (n, size, size, 3) and video.dtype == np.uint8
    counts = _mask(video).sum(axis=(1, 2))
    # Fully on screen in every frame: the same stamp, never cropped.
    assert counts.min() > 0 and (counts == counts[0]).all(), ex["id"]
    # One flat colour, the labelled one, on pure black.
    mask = _mask(video)
    assert (video[mask] == ex["color"]).all(), ex["id"]
    assert not video[~mask].any(), ex["id"]
    assert ex["color"].max() >= 150, "colour too dark to see"
    c = _centroids(video)
    main, cross = (0, 1) if ex["direction"] == "bottom_to_top" else (1, 0)
    # The main coordinate (row for bottom->top, col for right->left)
    # decreases steadily across most of the frame...
    assert (np.diff(c[:, main]) <= 0).all(), ex["id"]
    assert c[0, main] - c[-1, main] > 0.5 * size, ex["id"]
    # ... while the other one bows out and comes back.
    assert abs(c[-1, cross] - c[0, cross]) <= 1.0, ex["id"]
    assert np.abs(c[:, cross] - c[0, cross]).max() >= 0.05 * size, ex["id"]


@pytest.mark.parametrize("config", [DEFAULT, TINY], ids=["default", "tiny"])
def test_shape_label_matches_pixels(config):
  for index in range(150):
    ex = sm.generate_video(config, index)
    ratio = _fill_ratio(_mask(ex["video"])[0])
    if ex["shape"] == "square":
      assert ratio == 1.0, ex["id"]
    elif config.size >= 64:
      assert abs(ratio - math.pi / 4) < 0.04, (ex["id"], ratio)
    else:
      # A 6-pixel circle can only lose its corners (32/36 = 0.89).
      assert ratio < 0.9, (ex["id"], ratio)


def test_labels_are_balanced_and_sizes_match_mocogan():
  examples = [sm.generate_video(DEFAULT, i) for i in range(400)]
  for key, names in (("shape", sm.SHAPES), ("direction", sm.DIRECTIONS)):
    counts = {name: sum(ex[key] == name for ex in examples) for name in names}
    assert min(counts.values()) > 150, (key, counts)
  diameters = set()
  for ex in examples:
    rows, cols = np.nonzero(_mask(ex["video"])[0])
    diameters.add(int(rows.max() - rows.min() + 1))
  # The original MoCoGAN files use exactly these sizes at 64x64.
  assert diameters == {8, 10, 12, 14}


# SHA-256 of generate_video(config, index)["video"] as version 1.0.0 drew
# them: later versions may add labels but must not change a single pixel.
VIDEO_SHA256_OF_1_0_0 = {
  ("default", 0): (
    "c364a2c3cfa5872b96d397f87452eacbf3b0e5701d5c2f54652e2a150c07793b"
  ),
  ("default", 7): (
    "717b96de56949b797c89236394ae003b9804f104301a3f3f9e7f53af3f1666be"
  ),
  ("tiny", 41): (
    "cf11ee4ebf3eac0cd04f7027fd162a0a0f48efd0fb6eacfe0368b2f17a2a080e"
  ),
}


@pytest.mark.parametrize("config_name,index", list(VIDEO_SHA256_OF_1_0_0))
def test_videos_are_pixel_identical_to_1_0_0(config_name, index):
  config = sm.ShapeMotion.builder_configs[config_name]
  video = sm.generate_video(config, index)["video"]
  assert video.shape == (config.num_frames, config.size, config.size, 3)
  digest = hashlib.sha256(video.tobytes()).hexdigest()
  assert digest == VIDEO_SHA256_OF_1_0_0[config_name, index]


def test_hue_bin_centres_and_wraparound():
  assert [sm.hue_bin(k / 6) for k in range(6)] == list(sm.HUES)
  assert sm.hue_bin(0.0) == sm.hue_bin(0.99) == "red"
  assert sm.hue_bin(1 / 12 - 1e-9) == "red"
  assert sm.hue_bin(1 / 12 + 1e-9) == "yellow"
  assert sm.hue_bin(11 / 12 - 1e-9) == "magenta"


def test_hue_label_matches_the_drawn_colour():
  # Rounding the colour to uint8 moves its hue by at most ~0.002 (the
  # channel spread is >= 0.3 * 255), so allow that much past a bin's edge.
  tolerance = 0.005
  counts = dict.fromkeys(sm.HUES, 0)
  for index in range(600):
    ex = sm.generate_video(DEFAULT, index)
    hue, _, _ = colorsys.rgb_to_hsv(*(ex["color"] / 255.0))
    centre = sm.HUES.index(ex["hue"]) / len(sm.HUES)
    offset = abs(hue - centre)
    distance = min(offset, 1.0 - offset)  # Hue is circular.
    assert distance <= 1 / 12 + tolerance, (ex["id"], hue, ex["hue"])
    counts[ex["hue"]] += 1
  # Hues are uniform: every bin gets about a sixth of the videos.
  assert min(counts.values()) > 60, counts


def test_array_record_data_source_returns_numpy_videos(tmp_path):
  builder = tfds.builder("shape_motion/tiny", data_dir=tmp_path)
  builder.download_and_prepare(file_format="array_record")
  source = builder.as_data_source("train")
  assert len(source) == 40
  ex = source[0]
  assert isinstance(ex["video"], np.ndarray)
  assert ex["video"].dtype == np.uint8
  assert ex["video"].shape == (16, 32, 32, 3)
  # What was stored is exactly what `generate_video` draws for that id.
  index = int(ex["id"].decode().rsplit("_", 1)[1])
  assert index < 40  # a train id
  expected = sm.generate_video(TINY, index)
  np.testing.assert_array_equal(ex["video"], expected["video"])
  np.testing.assert_array_equal(ex["color"], expected["color"])
  assert ex["shape"] == sm.SHAPES.index(expected["shape"])
  assert ex["direction"] == sm.DIRECTIONS.index(expected["direction"])
  assert ex["hue"] == sm.HUES.index(expected["hue"])
  test_ids = {
    int(e["id"].decode().rsplit("_", 1)[1])
    for e in builder.as_data_source("test")
  }
  assert test_ids == set(range(40, 50))


def test_tfrecord_as_dataset_matches_generator(tmp_path):
  builder = tfds.builder("shape_motion/tiny", data_dir=tmp_path)
  builder.download_and_prepare()
  for ex in tfds.as_numpy(builder.as_dataset("test").take(3)):
    index = int(ex["id"].decode().rsplit("_", 1)[1])
    assert 40 <= index < 50
    np.testing.assert_array_equal(
      ex["video"], sm.generate_video(TINY, index)["video"]
    )


if __name__ == "__main__":
  tfds.testing.test_main()
