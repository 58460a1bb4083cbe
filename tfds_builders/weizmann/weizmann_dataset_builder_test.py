"""Tests of weizmann: split rules, person crop, and builds on dummy_data/."""

import logging
import pathlib

import av
import numpy as np
import pytest
import tensorflow_datasets as tfds

from tfds_builders import testing
from tfds_builders import video_io
from tfds_builders.weizmann import make_dummy_data
from tfds_builders.weizmann import person_crop
from tfds_builders.weizmann import weizmann_dataset_builder as wz

DUMMY = pathlib.Path(__file__).parent / "dummy_data"
_EXTRACTED = {action: action for action in wz.ACTIONS}


class NavsynthTest(tfds.testing.DatasetBuilderTestCase):
  """TFDS's standard checks; dummy_data/<action>/ is each extracted zip."""

  DATASET_CLASS = wz.Weizmann
  BUILDER_CONFIG_NAMES_TO_TEST = ["navsynth"]
  DL_EXTRACT_RESULT = _EXTRACTED
  SPLITS = {"train": 90}
  # No checksum of the Weizmann zips is published; none is recorded yet.
  SKIP_CHECKSUMS = True


class NavsynthExchangeTest(NavsynthTest):
  BUILDER_CONFIG_NAMES_TO_TEST = ["navsynth_exchange"]
  SPLITS = {"train": 22, "test": 14}


class VideovaeTest(NavsynthTest):
  BUILDER_CONFIG_NAMES_TO_TEST = ["videovae"]
  SPLITS = {"train": 90, "test": 90}


def _extracted(extracted_root):
  """download_and_extract's stand-in: extracted_root/<action>/, no network."""

  def extracted(urls):
    assert set(urls) == set(wz.ACTIONS)
    return {action: extracted_root / action for action in urls}

  return extracted


# Split rules, on synthetic file lists.


def test_file_names_and_the_90_kept():
  names = wz.all_file_names()
  assert len(names) == 93 and len(set(names)) == 93
  kept = wz.kept_file_names(names)
  assert len(kept) == 90
  assert sorted(set(names) - set(kept)) == [
    "lena_run2.avi",
    "lena_skip2.avi",
    "lena_walk2.avi",
  ]
  cells = {wz.parse_file_name(n)[:2] for n in kept}
  assert len(cells) == 90  # Every person x action exactly once.
  assert wz.kept_file_names(reversed(names)) == kept


@pytest.mark.parametrize(
  "name, parsed",
  [
    ("daria_bend.avi", ("daria", "bend", 1)),
    ("eli_wave1.avi", ("eli", "wave1", 1)),
    ("shahar_wave2.avi", ("shahar", "wave2", 1)),
    ("lena_run2.avi", ("lena", "run", 2)),
    ("lena_skip1.avi", ("lena", "skip", 1)),
  ],
)
def test_parse_file_name(name, parsed):
  assert wz.parse_file_name(name) == parsed


@pytest.mark.parametrize(
  "name", ["bob_walk.avi", "daria_fly.avi", "daria_walk.mp4", "lena_run3.avi"]
)
def test_parse_file_name_rejects_others(name):
  with pytest.raises(ValueError, match=name):
    wz.parse_file_name(name)


def test_table3_split_membership():
  splits = wz.split_files("table3", wz.all_file_names())
  assert (len(splits["train"]), len(splits["test"])) == (22, 14)
  assert not set(splits["train"]) & set(splits["test"])
  actions = {wz.parse_file_name(n)[1] for n in splits["train"] + splits["test"]}
  assert actions == {"run", "walk", "jump", "skip"}
  # Every cell of the four rows of Table 3 is in exactly one split.
  assert len(splits["train"]) + len(splits["test"]) == 4 * 9
  # Row 'run' reads "P1 P2 P3 . P5 . . . .": persons 1-3 and 5 were seen.
  assert [n for n in splits["train"] if "_run" in n] == [
    "daria_run.avi",
    "denis_run.avi",
    "eli_run.avi",
    "ira_run.avi",
  ]
  assert [n for n in splits["test"] if "_jump" in n] == [
    "daria_jump.avi",
    "eli_jump.avi",
  ]
  assert "lena_walk1.avi" in splits["test"]  # Take 1 stands for lena.
  assert "lena_skip1.avi" in splits["train"]
  assert wz.split_files("table3", reversed(wz.all_file_names())) == splits


def test_two_thirds_rule():
  assert wz.two_thirds(28) == {"train": (0, 18), "test": (18, 28)}
  assert wz.two_thirds(146) == {"train": (0, 97), "test": (97, 146)}
  for n in range(3, 150):
    parts = wz.two_thirds(n)
    assert parts["train"][0] == 0 and parts["test"][1] == n
    assert parts["train"][1] == parts["test"][0]  # Adjacent, no overlap.
  splits = wz.split_files("two_thirds", wz.all_file_names())
  assert (
    splits["train"] == splits["test"] == wz.kept_file_names(wz.all_file_names())
  )


# The person-centred crop, on synthetic videos.


def _blob_video(cols, rows=None, height=144, width=180, seed=0):
  """A dark blob (40 rows x 20 cols) at given centres on a noisy wall."""
  rng = np.random.default_rng(seed)
  wall = rng.integers(150, 200, size=(height, width, 3)).astype(np.uint8)
  rows = rows if rows is not None else [70] * len(cols)
  video = np.repeat(wall[None], len(cols), axis=0)
  noise = rng.integers(-8, 9, size=video.shape)
  video = np.clip(video.astype(int) + noise, 0, 255).astype(np.uint8)
  for t, (row, col) in enumerate(zip(rows, cols)):
    video[t, row - 20 : row + 20, col - 10 : col + 10] = (30, 40, 60)
  return video


def test_person_centres_follow_a_walker():
  cols = list(range(40, 140, 5))
  centres, found = person_crop.person_centres(_blob_video(cols))
  assert found == len(cols)
  # The blob spans col-10 .. col+9: its pixel centre is col - 0.5.
  np.testing.assert_allclose(
    centres[2:-2, 1], np.array(cols[2:-2]) - 0.5, atol=1.0
  )
  np.testing.assert_allclose(centres[:, 0], 69.5, atol=1.0)


def test_crop_keeps_the_walker_centred_until_the_edge():
  cols = list(range(40, 140, 5))
  video = _blob_video(cols)
  crops, _ = person_crop.person_centred_crop(video, side=64)
  assert crops.shape == (len(cols), 64, 64, 3)
  for t, crop in enumerate(crops[2:-2], start=2):
    dark = np.argwhere(crop.max(axis=-1) < 80)
    assert abs(dark[:, 1].mean() - 31.5) <= 1.5, t
    assert abs(dark[:, 0].mean() - 31.5) <= 1.5, t
  # At col 20 a 144-wide window is clamped to the left edge of the frame.
  corners = person_crop.crop_corners(np.array([[70.0, 20.0]]), 144, 144, 180)
  assert corners.tolist() == [[0, 0]]
  corners = person_crop.crop_corners(np.array([[70.0, 170.0]]), 144, 144, 180)
  assert corners.tolist() == [[0, 36]]


def test_frames_without_foreground_are_interpolated():
  cols = [60, 70, 80, 90, 100]
  video = _blob_video(cols)
  # Frame 2 becomes frame 0 with its blob (cols 50-69) painted over by
  # frame 4's wall there: no blob at all.
  video[2] = video[0]
  video[2, :, 40:80] = video[4, :, 40:80]
  masks = person_crop.foreground_masks(video)
  assert masks[2].sum() < person_crop.MIN_FOREGROUND_PIXELS
  centres, found = person_crop.person_centres(video)
  assert found == 4
  assert 70 <= centres[2, 1] <= 90


def test_static_video_falls_back_to_the_centre_crop():
  video = np.repeat(_blob_video([90])[:1], 6, axis=0)
  crops, found = person_crop.person_centred_crop(video, side=144)
  assert found == 0
  np.testing.assert_array_equal(crops, video[:, :, 18:162])


def test_crop_larger_than_the_frame_is_an_error():
  with pytest.raises(ValueError, match="does not fit"):
    person_crop.crop_corners(np.zeros((1, 2)), 150, 144, 180)


# Builds on dummy_data/.


def test_dummy_data_is_in_the_real_format():
  files = sorted(DUMMY.glob("*/*.avi"))
  assert sorted(f.name for f in files) == wz.all_file_names()
  for f in files:
    assert f.parent.name == wz.parse_file_name(f.name)[1]
  assert sum(f.stat().st_size for f in files) < 1_000_000
  with av.open(str(DUMMY / "walk" / "lena_walk2.avi")) as container:
    stream = container.streams.video[0]
    assert stream.codec_context.name == "mpeg4"
    assert (stream.width, stream.height) == (180, 144)
    assert stream.average_rate == 50
    assert stream.frames == make_dummy_data.num_frames("lena_walk2.avi")


@pytest.fixture(scope="module", name="videovae")
def _videovae(tmp_path_factory):
  return testing.prepare_with_fake_downloads(
    tfds.builder("weizmann/videovae", data_dir=tmp_path_factory.mktemp("data")),
    _extracted(DUMMY),
    file_format="array_record",
  )


def test_videovae_parts_labels_and_ids(videovae):
  kept = wz.kept_file_names(wz.all_file_names())
  for split in ("train", "test"):
    source = videovae.as_data_source(split)
    ids = sorted(ex["id"].decode() for ex in source)
    expected = []
    for name in kept:
      start, end = wz.two_thirds(make_dummy_data.num_frames(name))[split]
      expected.append(f"{name[:-4]}[{start}:{end}]")
    assert ids == sorted(expected)
    for ex in source:
      stem, frames = ex["id"].decode().split("[")
      person, action, _ = wz.parse_file_name(stem + ".avi")
      assert ex["person"] == wz.PERSONS.index(person)
      assert ex["action"] == wz.ACTIONS.index(action)
      start, end = (int(i) for i in frames.rstrip("]").split(":"))
      video = ex["video"]
      assert video.dtype == np.uint8
      assert video.shape == (max(end - start, 10), 64, 64, 3)


def test_short_video_is_padded_with_its_last_frame(videovae):
  # The dummy ido_pjump has 12 frames: parts of 8 and 4, padded to 10.
  for split, part in (("train", "[0:8]"), ("test", "[8:12]")):
    source = videovae.as_data_source(split)
    video = next(
      ex for ex in source if ex["id"].decode() == "ido_pjump" + part
    )["video"]
    length = 8 if split == "train" else 4
    assert len(video) == 10
    for frame in video[length:]:
      np.testing.assert_array_equal(frame, video[length - 1])
    assert not np.array_equal(video[0], video[length - 1])


def _figure_columns(video: np.ndarray) -> np.ndarray:
  """Mean column of the figure in each frame; NaN where it is out of view.

  The walls' channels are all above 115; each of denis's clothes colours
  has a channel below 60.
  """
  dark = video.min(axis=-1) < 90
  cols = np.arange(video.shape[2])
  count = dark.sum(axis=(1, 2))
  return np.where(
    count > 0, (dark * cols).sum(axis=(1, 2)) / np.maximum(count, 1), np.nan
  )


def test_videovae_crop_follows_the_walker_centre_crop_does_not(
  videovae, tmp_path, caplog
):
  with caplog.at_level(logging.WARNING):
    navsynth = testing.prepare_with_fake_downloads(
      tfds.builder("weizmann/navsynth", data_dir=tmp_path),
      _extracted(DUMMY),
      file_format="array_record",
    )
  assert any(
    "ido_pjump.avi has 12 frames for train, fewer than 16; padded"
    in r.getMessage()
    for r in caplog.records
  )
  by_id = {ex["id"].decode(): ex for ex in navsynth.as_data_source("train")}
  assert len(by_id["ido_pjump"]["video"]) == 16
  whole = by_id["denis_walk"]["video"]
  part = next(
    ex
    for ex in videovae.as_data_source("train")
    if ex["id"].decode().startswith("denis_walk[")
  )["video"]
  centred = _figure_columns(part)
  fixed = _figure_columns(whole[: len(part)])
  assert not np.isnan(centred).any()  # Always in view, unlike below.
  centred, fixed = centred[~np.isnan(fixed)], fixed[~np.isnan(fixed)]
  # The centre crop sees the walker cross; the person crop keeps it nearer
  # the middle (except where its window is clamped at the frame's edge).
  assert np.ptp(fixed) > 25
  assert np.abs(centred - 31.5).mean() < np.abs(fixed - 31.5).mean() - 5
  assert set(by_id) == {n[:-4] for n in wz.kept_file_names(wz.all_file_names())}


def test_truncated_video_is_skipped_with_a_warning(tmp_path, caplog):
  extracted = testing.copy_dummy_data(DUMMY, tmp_path, "extracted")
  broken = extracted / "run" / "ido_run.avi"
  broken.write_bytes(broken.read_bytes()[:3000])
  with caplog.at_level(logging.WARNING):
    builder = testing.prepare_with_fake_downloads(
      tfds.builder("weizmann/navsynth_exchange", data_dir=tmp_path / "data"),
      _extracted(extracted),
      file_format="array_record",
    )
  assert builder.info.splits["test"].num_examples == 13
  assert builder.info.splits["train"].num_examples == 22
  ids = {ex["id"].decode() for ex in builder.as_data_source("test")}
  assert "ido_run" not in ids and "ido_walk" in ids
  messages = [r.getMessage() for r in caplog.records]
  assert any(str(broken) in m and "skipping" in m for m in messages)
  assert any("navsynth_exchange/test: skipped 1 of 14" in m for m in messages)


def test_example_order_is_deterministic(tmp_path):
  # Keys are the ids, so two builds store the examples in the same order.
  orders = []
  for run in ("first", "second"):
    builder = testing.prepare_with_fake_downloads(
      tfds.builder("weizmann/navsynth_exchange", data_dir=tmp_path / run),
      _extracted(DUMMY),
      file_format="array_record",
    )
    orders.append([ex["id"] for ex in builder.as_data_source("test")])
  assert orders[0] == orders[1] and len(orders[0]) == 14


def test_part_with_no_frames_is_counted_as_skipped(tmp_path, caplog):
  one_frame = tmp_path / "ido_run.avi"
  video_io.write_video(one_frame, np.zeros((1, 144, 180, 3), np.uint8),
                       fps=50)
  builder = tfds.builder("weizmann/videovae", data_dir=tmp_path / "data")
  with caplog.at_level(logging.WARNING):
    # frames [0:0] for train, [0:1] for test.
    train = list(builder._generate_examples("train", [one_frame]))
    test = list(builder._generate_examples("test", [one_frame]))
  assert not train and [key for key, _ in test] == ["ido_run[0:1]"]
  messages = [r.getMessage() for r in caplog.records]
  assert any(str(one_frame) in m and "leave none for train" in m
             for m in messages), messages
  assert any("weizmann/videovae/train: skipped 1 of 1 source files" in m
             for m in messages), messages
  assert not any("videovae/test: skipped 1" in m for m in messages)


def test_files_one_folder_down_are_found(tmp_path):
  extracted = testing.copy_dummy_data(DUMMY, tmp_path, "extracted")
  # As if walk.zip wrapped its files in a folder `walk/`.
  (extracted / "walk" / "walk").mkdir()
  for video in (extracted / "walk").glob("*.avi"):
    video.rename(extracted / "walk" / "walk" / video.name)
  paths = wz.locate_files({a: extracted / a for a in wz.ACTIONS})
  assert paths["lena_walk1.avi"] == extracted / "walk/walk/lena_walk1.avi"
  assert paths["daria_run.avi"] == extracted / "run/daria_run.avi"
  assert len(paths) == 90 and all(p.exists() for p in paths.values())


def test_missing_files_are_listed_with_their_archive(tmp_path):
  extracted = testing.copy_dummy_data(DUMMY, tmp_path, "extracted")
  (extracted / "walk" / "lena_walk1.avi").unlink()
  (extracted / "jack" / "ira_jack.avi").unlink()
  (extracted / "walk" / "lena_walk2.avi").unlink()  # Not needed: no error.
  with pytest.raises(FileNotFoundError) as error:
    testing.prepare_with_fake_downloads(
      tfds.builder("weizmann/navsynth", data_dir=tmp_path / "data"),
      _extracted(extracted),
      file_format="array_record",
    )
  message = str(error.value)
  assert "2 of the 90 videos" in message
  assert f"{extracted / 'walk' / 'lena_walk1.avi'}   (from " in message
  assert wz.URL.format(action="jack") in message
  assert "lena_walk2" not in message


if __name__ == "__main__":
  tfds.testing.test_main()
