"""Tests of mug: layout, split rule, frames and bad input, on dummy_data/."""

import collections
import io
import logging
import pathlib
import re
import shutil

import numpy as np
from PIL import Image
import pytest
import tensorflow_datasets as tfds

from tfds_builders import testing
from tfds_builders import video_io
from tfds_builders.mug import mug_dataset_builder as mb

DUMMY = pathlib.Path(__file__).parent / "dummy_data"
DUMMY_ROOT = DUMMY / mb.ROOT_NAME


class MugTest(tfds.testing.DatasetBuilderTestCase):
  """TFDS's standard checks; the harness uses dummy_data/ as manual dir."""

  DATASET_CLASS = mb.Mug
  # Subjects 004 and 012 (3 of the 9 clips) are drawn for test.
  SPLITS = {"train": 6, "test": 3}


def test_dummy_data_is_in_the_real_layout():
  pattern = re.compile(r"\d{3}/(session\d/)?[a-z]+/take\d{3}/img_\d{4}\.jpg")
  files = sorted(DUMMY_ROOT.rglob("*.jpg"))
  assert len(files) == 187
  assert all(pattern.fullmatch(str(f.relative_to(DUMMY_ROOT))) for f in files)
  assert sum(f.stat().st_size for f in files) < 1_000_000
  with Image.open(files[0]) as image:
    assert (image.format, image.mode) == ("JPEG", "RGB")


def test_listing_follows_the_layout():
  takes = mb.list_takes(mb.find_root(DUMMY))
  paths = [t.path for t in takes]
  assert "001/neutral/take000" not in paths  # Not one of the six.
  assert "012/session2/happiness/take000" in paths
  by_path = {t.path: t for t in takes}
  surprise = by_path["002/surprise/take001"]
  assert surprise.frames[0] == "img_0105.jpg" and len(surprise.frames) == 18
  assert (surprise.subject, surprise.expression) == ("002", "surprise")
  ids = mb.clip_ids(takes)
  assert collections.Counter(i.rsplit("/", 1)[0] for i in ids) == {
    "001/anger/take000": 1, "001/happiness/take000": 2,
    "002/disgust/take000": 1, "002/surprise/take001": 1,
    "004/fear/take000": 1, "007/sadness/take000": 1,
    "012/session1/anger/take000": 1, "012/session2/happiness/take000": 1}


def test_clip_count_and_left_out_frames_are_logged(caplog):
  takes = mb.list_takes(DUMMY_ROOT)
  with caplog.at_level(logging.INFO):
    ids = mb.clip_ids(takes)
  # Remainders 4+1+1+2+0+8+1+0 and the 10 frames of 004/fear/take001.
  assert any(f"{len(ids)} clips of 16 frames from 9 takes; no clip from 1 "
             "takes" in r.getMessage() and "27 frames are in no clip"
             in r.getMessage() for r in caplog.records)


def test_runs_break_where_the_numbering_does():
  names = [f"img_{n:04d}.jpg" for n in (3, 4, 5, 7, 8, 20)]
  assert mb.consecutive_runs(names) == [tuple(names[:3]), tuple(names[3:5]),
                                        (names[5],)]
  numbers = list(range(1, 41))
  numbers.remove(10)
  take = mb.Take("001/anger/take000", "001", "anger",
                 tuple(f"img_{n:04d}.jpg" for n in numbers))
  # Runs 1-9 (no clip) and 11-40 (one clip, 14 frames over).
  assert take.clips() == [tuple(f"img_{n:04d}.jpg" for n in range(11, 27))]


def test_split_rule_moves_whole_subjects():
  rng = np.random.default_rng(5)
  ids = [f"{s:03d}/{mb.EXPRESSIONS[e]}/take000/clip{c:02d}"
         for s in range(1, 53) for e in range(6)
         for c in range(rng.integers(0, 8))]
  splits = mb.split_clips(ids)
  assert sorted(splits["train"] + splits["test"]) == sorted(ids)
  subjects = {k: {i[:3] for i in v} for k, v in splits.items()}
  assert not subjects["train"] & subjects["test"]
  fraction = len(splits["test"]) / len(ids)
  largest = max(collections.Counter(i[:3] for i in ids).values()) / len(ids)
  assert 0.2 <= fraction < 0.2 + largest
  assert 8 <= len(subjects["test"]) <= 13
  assert mb.split_clips(list(reversed(ids))) == splits
  assert mb.split_clips(sorted(ids, key=hash)) == splits


def test_full_size_frames_decode_close_to_a_full_decode(tmp_path):
  y, x = np.mgrid[0:896, 0:896] / 896
  picture = np.stack([200 * x, 150 * y + 50, 100 + 80 * np.sin(9 * x * y)],
                     axis=-1)
  picture[300:600, 350:550] = (220, 180, 150)  # A sharp-edged patch.
  buffer = io.BytesIO()
  Image.fromarray(picture.astype(np.uint8)).save(buffer, "JPEG", quality=90)
  fast = mb.decode_frame(buffer.getvalue(), "frame.jpg")
  full = video_io.centre_crop_resize(
    video_io.read_image(buffer.getvalue(), "frame.jpg")[None], 64)[0]
  assert fast.shape == (64, 64, 3) and fast.dtype == np.uint8
  difference = np.abs(fast.astype(int) - full)
  # Measured: 0.28 on average, 6 at most (the module docstring's figures);
  # the bounds leave slack for other libjpeg builds.
  assert difference.mean() < 0.5 and difference.max() <= 8


def test_built_data_labels_keys_and_frames(tmp_path):
  builder = testing.prepare_from_manual_dir(
    tfds.builder("mug", data_dir=tmp_path),
    DUMMY,
    file_format="array_record",
  )
  takes = {t.path: t for t in mb.list_takes(DUMMY_ROOT)}
  expected = mb.split_clips(mb.clip_ids(takes.values()))
  for split in ("train", "test"):
    source = builder.as_data_source(split)
    assert sorted(ex["id"].decode() for ex in source) == expected[split]
    for ex in source:
      path, clip = ex["id"].decode().rsplit("/", 1)
      take = takes[path]
      assert mb.EXPRESSIONS[ex["expression"]] == take.expression
      assert mb.SUBJECTS[ex["subject"]] == path[:3]
      start = int(clip[4:]) * 16
      names = take.frames[start:start + 16]
      np.testing.assert_array_equal(ex["video"], np.stack([
        mb.decode_frame((DUMMY_ROOT / path / n).read_bytes(), n)
        for n in names]))


def test_corrupt_frame_drops_its_clip_with_a_warning(tmp_path, caplog):
  manual = testing.copy_dummy_data(DUMMY, tmp_path, "manual")
  # Frame 20 of 33 lies in the second clip (frames 17..32) of this take.
  bad = manual / mb.ROOT_NAME / "001/happiness/take000/img_0020.jpg"
  bad.write_bytes(bad.read_bytes()[:300])
  with caplog.at_level(logging.WARNING):
    builder = testing.prepare_from_manual_dir(
      tfds.builder("mug", data_dir=tmp_path / "data"), manual
    )
  assert builder.info.splits["train"].num_examples == 5
  assert builder.info.splits["test"].num_examples == 3
  assert any(str(bad) in r.getMessage() and "skipping" in r.getMessage()
             for r in caplog.records)
  assert any(f"mug/train: skipped 1 of {6 * 16}" in r.getMessage()
             for r in caplog.records)


def test_missing_frame_splits_its_take_with_a_warning(tmp_path, caplog):
  manual = testing.copy_dummy_data(DUMMY, tmp_path, "manual")
  take = manual / mb.ROOT_NAME / "007/sadness/take000"  # Frames 1..24.
  (take / "img_0004.jpg").unlink()
  with caplog.at_level(logging.WARNING):
    builder = testing.prepare_from_manual_dir(
      tfds.builder("mug", data_dir=tmp_path / "data"),
      manual,
      file_format="array_record",
    )
  assert any("007/sadness/take000: frame numbers jump over 4 " in
             r.getMessage() for r in caplog.records)
  # Runs 1-3 (no clip) and 5-24: the clip is frames 5-20, not 1-3 and 5-17.
  clip = next(ex for ex in builder.as_data_source("train")
              if ex["id"].decode() == "007/sadness/take000/clip00")
  np.testing.assert_array_equal(clip["video"], np.stack([
    mb.decode_frame((take / f"img_{n:04d}.jpg").read_bytes(), "")
    for n in range(5, 21)]))
  assert builder.info.splits["train"].num_examples == 6


def test_unreadable_frame_drops_its_clip_with_a_warning(tmp_path, caplog):
  manual = testing.copy_dummy_data(DUMMY, tmp_path, "manual")
  bad = manual / mb.ROOT_NAME / "002/disgust/take000/img_0003.jpg"
  bad.unlink()
  bad.symlink_to(tmp_path / "nowhere.jpg")  # Listed, but cannot be read.
  with caplog.at_level(logging.WARNING):
    builder = testing.prepare_from_manual_dir(
      tfds.builder("mug", data_dir=tmp_path / "data"), manual
    )
  assert builder.info.splits["train"].num_examples == 5
  assert any(str(bad) in r.getMessage() and "skipping" in r.getMessage()
             for r in caplog.records)
  assert any(f"mug/train: skipped 1 of {6 * 16}" in r.getMessage()
             for r in caplog.records)


def test_expression_folder_without_takes_is_skipped(tmp_path, caplog):
  manual = testing.copy_dummy_data(DUMMY, tmp_path, "manual")
  lonely = manual / mb.ROOT_NAME / "002/fear"
  (lonely / "notes").mkdir(parents=True)  # No take<NNN> folder.
  with caplog.at_level(logging.WARNING):
    builder = testing.prepare_from_manual_dir(
      tfds.builder("mug", data_dir=tmp_path / "data"), manual
    )
  assert builder.info.splits["train"].num_examples == 6
  assert any(f"{lonely} has no take<NNN> folders; skipped" in r.getMessage()
             for r in caplog.records)


def test_example_keys_are_the_ids():
  builder = tfds.builder("mug", data_dir="/nonexistent")
  takes = {t.path: t for t in mb.list_takes(DUMMY_ROOT)}
  ids = mb.clip_ids(takes.values())
  pairs = list(builder._generate_examples(DUMMY_ROOT, "all", takes, ids))
  assert [key for key, _ in pairs] == sorted(ids)
  assert all(key == example["id"] for key, example in pairs)


@pytest.mark.parametrize("content", [None, "readme.txt"])
def test_root_without_subject_folders_lists_what_it_holds(tmp_path, content):
  root = tmp_path / "manual" / mb.ROOT_NAME
  root.mkdir(parents=True)
  if content:
    (root / content).write_text("not a subject")
  with pytest.raises(FileNotFoundError) as err:
    testing.prepare_from_manual_dir(
      tfds.builder("mug", data_dir=tmp_path / "data"), tmp_path / "manual"
    )
  message = str(err.value)
  assert f"No subject folders (<NNN>/) in {root}; " in message
  assert ("it holds: readme.txt." if content else "it is empty.") in message
  assert "<manual_dir>/subjects3/<subject>/<expression>/take<NNN>/" in message


@pytest.mark.parametrize("case", ["missing", "empty"])
def test_missing_or_empty_manual_dir_says_where_and_what(tmp_path, case):
  manual = tmp_path / "manual"
  if case == "empty":
    manual.mkdir()
  with pytest.raises(Exception) as err:
    testing.prepare_from_manual_dir(
      tfds.builder("mug", data_dir=tmp_path / "data"), manual
    )
  message = str(err.value)
  assert str(manual) in message
  assert "<manual_dir>/subjects3/<subject>/<expression>/take<NNN>/" in message
  assert "https://mug.ee.auth.gr/fed/" in message


def test_interrupted_extraction_lists_the_empty_folders(tmp_path):
  manual = testing.copy_dummy_data(DUMMY, tmp_path, "manual")
  root = manual / mb.ROOT_NAME
  for frame in (root / "007/sadness/take000").iterdir():
    frame.unlink()
  (root / "009").mkdir()
  with pytest.raises(FileNotFoundError) as err:
    testing.prepare_from_manual_dir(
      tfds.builder("mug", data_dir=tmp_path / "data"), manual
    )
  message = str(err.value)
  assert "2 empty subject / take folders" in message
  assert "\n  007/sadness/take000\n  009\n" in message
  assert "img_<NNNN>.jpg" in message


def test_unknown_subject_folder_is_an_error(tmp_path):
  manual = testing.copy_dummy_data(DUMMY, tmp_path, "manual")
  shutil.copytree(manual / mb.ROOT_NAME / "001", manual / mb.ROOT_NAME / "087")
  with pytest.raises(ValueError,
                     match=r"\['087'\].*valid subject numbers are 001 to 086"):
    testing.prepare_from_manual_dir(
      tfds.builder("mug", data_dir=tmp_path / "data"), manual
    )


if __name__ == "__main__":
  tfds.testing.test_main()
