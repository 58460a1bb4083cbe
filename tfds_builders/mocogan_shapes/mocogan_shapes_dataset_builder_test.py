"""Tests of mocogan_shapes: on dummy_data/, and on the real copy if present."""

import collections
import pathlib

import numpy as np
from PIL import Image
import pytest
import tensorflow_datasets as tfds

from tfds_builders import testing
from tfds_builders.mocogan_shapes import make_dummy_data
from tfds_builders.mocogan_shapes import mocogan_shapes_dataset_builder as mc
from tfds_builders.shape_motion import shape_motion_dataset_builder as sm

DUMMY = pathlib.Path(__file__).parent / "dummy_data"
# The project keeps a copy of the original files beside the repo root.
REAL = pathlib.Path(__file__).resolve().parents[2].parent / (
  "shared/data/mocogan/shapes"
)


class MocoganShapesTest(tfds.testing.DatasetBuilderTestCase):
  """TFDS's standard checks; the harness uses dummy_data/ as manual dir."""

  DATASET_CLASS = mc.MocoganShapes
  SPLITS = {"train": 8, "test": 2}


def _fill_ratio(frame: np.ndarray) -> float:
  mask = frame.max(axis=-1) > 0
  rows, cols = np.nonzero(mask)
  return mask.sum() / ((np.ptp(rows) + 1) * (np.ptp(cols) + 1))


def _centroid(frame: np.ndarray) -> np.ndarray:
  return np.argwhere(frame.max(axis=-1) > 0).mean(axis=0)


def test_dummy_data_is_in_the_real_format():
  files = sorted(DUMMY.glob("*/*.png"))
  assert collections.Counter(f.parent.name for f in files) == {"0": 5, "1": 5}
  for f in files:
    assert f.stat().st_size < 4096, f
    with Image.open(f) as image:
      assert image.format == "PNG"
      assert (image.size, image.mode) == ((2048, 64), "RGBA")
      assert (np.asarray(image)[..., 3] == 255).all()


def test_dummy_examples_round_trip_the_drawing_code():
  for folder, name in mc.list_strips(DUMMY):
    ex = mc.load_example(DUMMY, folder, name)
    drawn = sm.generate_video(make_dummy_data._CONFIG, int(name[:8]))
    np.testing.assert_array_equal(ex["video"], drawn["video"])
    assert ex["direction"] == drawn["direction"]
    assert ex["shape"] == drawn["shape"]
    assert ex["id"] == f"{folder}/{name[:8]}"


def test_split_rule():
  pairs = [(str(i % 2), f"{i:08d}.png") for i in range(8000)]
  splits = mc.split_strips(pairs)
  assert len(splits["train"]) == 6400 and len(splits["test"]) == 1600
  assert set(splits["train"]) | set(splits["test"]) == set(pairs)
  assert not set(splits["train"]) & set(splits["test"])
  # Deterministic, and independent of the order the files were listed in.
  assert mc.split_strips(list(reversed(pairs))) == splits


def test_array_record_data_source_returns_numpy_videos(tmp_path):
  builder = testing.prepare_from_manual_dir(
    tfds.builder("mocogan_shapes", data_dir=tmp_path),
    DUMMY,
    file_format="array_record",
  )
  source = builder.as_data_source("train")
  assert len(source) == 8
  for ex in source:
    video = ex["video"]
    assert isinstance(video, np.ndarray)
    assert video.dtype == np.uint8 and video.shape == (32, 64, 64, 3)
    folder, stem = ex["id"].decode().split("/")
    expected = mc.load_example(DUMMY, folder, stem + ".png")
    np.testing.assert_array_equal(video, expected["video"])
    assert ex["shape"] == mc.SHAPES.index(expected["shape"])
    assert ex["direction"] == mc.DIRECTIONS.index(expected["direction"])


def test_nested_shapes_folder_is_accepted(tmp_path):
  manual = tmp_path / "manual"
  testing.copy_dummy_data(DUMMY, manual, "shapes")
  builder = testing.prepare_from_manual_dir(
    tfds.builder("mocogan_shapes", data_dir=tmp_path / "data"), manual
  )
  assert builder.info.splits["train"].num_examples == 8


@pytest.mark.parametrize("case", ["missing", "empty"])
def test_missing_or_empty_manual_dir_says_where_and_what(tmp_path, case):
  manual = tmp_path / "manual"
  if case == "empty":
    manual.mkdir()
  with pytest.raises(Exception) as err:
    testing.prepare_from_manual_dir(
      tfds.builder("mocogan_shapes", data_dir=tmp_path / "data"), manual
    )
  message = str(err.value)
  assert str(manual) in message
  assert "<manual_dir>/0/*.png" in message and "2048x64 RGBA" in message


def test_manual_dir_without_class_folders_says_where_and_what(tmp_path):
  manual = tmp_path / "manual"
  (manual / "0").mkdir(parents=True)
  (manual / "README.txt").write_text("not the data")
  with pytest.raises(FileNotFoundError) as err:
    testing.prepare_from_manual_dir(
      tfds.builder("mocogan_shapes", data_dir=tmp_path / "data"), manual
    )
  message = str(err.value)
  assert f"No PNG files in {manual / '0'}" in message
  assert "<manual_dir>/1/*.png" in message


def _write_png(path: pathlib.Path, size, mode="RGBA"):
  Image.new(mode, size).save(path, format="PNG")


@pytest.mark.parametrize(
  "breakage, expected",
  [
    ("wrong_size", "64x64 (RGBA); expected a 2048x64 RGBA PNG strip"),
    ("grayscale", "2048x64 (L); expected a 2048x64 RGBA PNG strip"),
    ("garbage", "Cannot decode"),
    ("truncated", "Cannot decode"),
  ],
)
def test_bad_file_error_names_file_and_expected_size(
  tmp_path, breakage, expected
):
  manual = testing.copy_dummy_data(DUMMY, tmp_path, "manual")
  bad = manual / "1" / "00000009.png"
  if breakage == "wrong_size":
    _write_png(bad, (64, 64))
  elif breakage == "grayscale":  # Not the format: refused, not converted.
    _write_png(bad, (2048, 64), mode="L")
  elif breakage == "garbage":
    bad.write_bytes(b"this is not a png")
  else:
    bad.write_bytes(bad.read_bytes()[:300])
  with pytest.raises(ValueError) as err:
    testing.prepare_from_manual_dir(
      tfds.builder("mocogan_shapes", data_dir=tmp_path / "data"), manual
    )
  message = str(err.value)
  assert str(bad) in message
  assert expected in message
  assert "2048x64 RGBA PNG strip of 32 frames of 64x64" in message


def test_blank_first_frame_is_an_error_naming_the_file(tmp_path):
  manual = testing.copy_dummy_data(DUMMY, tmp_path, "manual")
  blank = manual / "0" / "00000006.png"
  _write_png(blank, (2048, 64))
  with pytest.raises(ValueError, match="00000006.png: the first frame is all"):
    testing.prepare_from_manual_dir(
      tfds.builder("mocogan_shapes", data_dir=tmp_path / "data"), manual
    )


@pytest.mark.skipif(
  not (REAL / "0").is_dir(),
  reason=f"the real MoCoGAN Shape Motion copy is not at {REAL}",
)
def test_real_files():
  pairs = mc.list_strips(REAL)
  assert collections.Counter(folder for folder, _ in pairs) == {
    "0": 4079,
    "1": 3921,
  }
  splits = mc.split_strips(pairs)
  assert {k: len(v) for k, v in splits.items()} == {"train": 6400, "test": 1600}
  # Pins the split rule on the real files: a change here reshuffles them.
  assert splits["train"][:3] == [
    ("1", "00007565.png"),
    ("0", "00002416.png"),
    ("1", "00005500.png"),
  ]
  assert splits["test"][:2] == [("0", "00004852.png"), ("1", "00001191.png")]
  # Preparing all 8000 takes ~40 s; a sample of each split checks the rest.
  sample = splits["train"][:25] + splits["test"][:25]
  seen = collections.Counter()
  for folder, name in sample:
    ex = mc.load_example(REAL, folder, name)
    video = ex["video"]
    assert video.shape == (32, 64, 64, 3) and video.dtype == np.uint8
    main = 0 if ex["direction"] == "bottom_to_top" else 1
    start, end = _centroid(video[0]), _centroid(video[-1])
    assert start[main] - end[main] > 20, (name, start, end)
    ratio = _fill_ratio(video[0])
    # Far from the 0.9 threshold on either side.
    if ex["shape"] == "square":
      assert ratio > 0.97, (name, ratio)
    else:
      assert 0.7 < ratio < 0.82, (name, ratio)
    seen[ex["shape"], ex["direction"]] += 1
  assert len(seen) == 4, seen


if __name__ == "__main__":
  tfds.testing.test_main()
