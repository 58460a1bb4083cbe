"""Tests of kth on dummy_data/ (no network): splits, labels, bad input."""

import logging
import pathlib
import shutil

import av
import numpy as np
import pytest
import tensorflow_datasets as tfds

from tfds_builders import testing
from tfds_builders import video_io
from tfds_builders.kth import kth_dataset_builder as kth
from tfds_builders.kth import make_dummy_data

DUMMY = pathlib.Path(__file__).parent / "dummy_data"
DL_RESULT = {"sequences": "00sequences.txt", **{a: a for a in kth.ACTIONS}}
FRAMES = {stem: num_frames for stem, num_frames, _ in make_dummy_data.VIDEOS}


class KthInbetween3dTest(tfds.testing.DatasetBuilderTestCase):
  """TFDS's standard checks of the default config on dummy_data/."""

  DATASET_CLASS = kth.Kth
  BUILDER_CONFIG_NAMES_TO_TEST = ["inbetween3d"]
  DL_EXTRACT_RESULT = DL_RESULT
  # No checksum of the KTH archives is published (see README.md).
  SKIP_CHECKSUMS = True
  SPLITS = {"train": 15, "validation": 4, "test": 6}


class KthHandwavingTest(tfds.testing.DatasetBuilderTestCase):
  """The same checks of the sdvi config: 6 hand-waving videos, 4 + 2."""

  DATASET_CLASS = kth.Kth
  BUILDER_CONFIG_NAMES_TO_TEST = ["handwaving"]
  DL_EXTRACT_RESULT = DL_RESULT
  SKIP_CHECKSUMS = True
  SPLITS = {"train": 8, "test": 4}


def _extracted(root, requested=None):
  """download_and_extract's stand-in: the folders in root; records the URLs."""
  root = pathlib.Path(root)

  def extracted(urls):
    if requested is not None:
      requested.update(urls)
    return {key: root / DL_RESULT[key] for key in urls}

  return extracted


def _expected_ids(stems) -> set[str]:
  return {
    kth.clip_id(stem, i)
    for stem in stems
    for i in range(len(kth.clip_starts(FRAMES[stem])))
  }


def _ids(builder, split) -> set[str]:
  return {ex["id"].decode() for ex in builder.as_data_source(split)}


def test_dummy_data_is_in_the_real_format():
  assert (DUMMY / "00sequences.txt").read_text() == (
    make_dummy_data.sequences_text()
  )
  files = sorted(DUMMY.glob("*/*.avi"))
  assert {f.name for f in files} == {
    kth.video_filename(stem) for stem in FRAMES
  }
  assert sum(f.stat().st_size for f in files) < 400_000
  for f in files:
    action = kth.parse_stem(f.name.removesuffix("_uncomp.avi"))[0]
    assert f.parent.name == action  # One folder per action archive.
    with av.open(str(f)) as container:
      assert container.format.name == "avi"
      stream = container.streams.video[0]
      assert stream.codec_context.name == "mpeg4"
      assert (stream.width, stream.height) == (160, 120)
      assert stream.average_rate == 25
    frames = video_io.read_video(f)
    assert len(frames) == FRAMES[f.name.removesuffix("_uncomp.avi")]
    # Grey content in a colour codec, as KTH's: only chroma rounding noise.
    spread = frames.max(axis=-1).astype(int) - frames.min(axis=-1)
    assert spread.mean() < 1 and spread.max() <= 8, f


def test_parse_sequences_reads_upstream_quirks():
  text = (
    "Header text, Training:   person11, 12, 13\n\n"
    "person01_boxing_d1\t\tframes\t1-95, 96-185, 186-245, 246-360\n"
    "person07_handclapping_d2    \tframes\t1-102, 103-248\n"
    "person16_handwaving_d4\t\tframes\t1-104, 207-311, 212-456\n"
    "person13_handclapping_d3\t*missing*\n"
    "person11_boxing_d4    \t\tframes\t1-106, 107-194, 195-250\n"
  )
  index = kth.parse_sequences(text)
  assert index.missing == {"person13_handclapping_d3"}
  assert index.ranges == {
    "person01_boxing_d1": ((1, 95), (96, 185), (186, 245), (246, 360)),
    "person07_handclapping_d2": ((1, 102), (103, 248)),
    "person16_handwaving_d4": ((1, 104), (207, 311), (212, 456)),
    "person11_boxing_d4": ((1, 106), (107, 194), (195, 250)),
  }
  dummy = kth.parse_sequences((DUMMY / "00sequences.txt").read_text())
  assert set(dummy.ranges) == set(FRAMES)
  assert dummy.missing == {make_dummy_data.MISSING}


@pytest.mark.parametrize(
  "text, message",
  [
    ("just some words\n", "lists no video"),
    (
      "person01_boxing_d1\tframes\t1-9\nperson01_boxing_d1\tframes\t1-9\n",
      "listed twice",
    ),
    ("person01_boxing_d1\t\tsomething else\n", "expected 'person01_boxing"),
    ("person01_skating_d1\t\tframes\t1-9\n", "expected an action in"),
    ("person26_boxing_d1\t\tframes\t1-9\n", "person 01-25"),
  ],
)
def test_parse_sequences_errors_say_what_is_wrong(text, message):
  with pytest.raises(ValueError, match=message):
    kth.parse_sequences(text, "seq.txt")


def test_a_video_line_that_does_not_parse_is_named_in_a_warning(caplog):
  text = (
    "Training:   person11, person12, person13\n"
    "person01_boxing_d1\t\tframes\t1-95\n"
    "person2_boxing_d1\t\tframes\t1-95\n"
    "person03_boxing_d1frames 1-95\n"
    "Person04_Boxing_d1\t\tframes\t1-95\n"
  )
  with caplog.at_level(logging.WARNING):
    index = kth.parse_sequences(text, "seq.txt")
  assert set(index.ranges) == {"person01_boxing_d1"}
  warned = [r.getMessage() for r in caplog.records]
  assert len(warned) == 3, warned  # Not the header's list of persons.
  for number, line in (
    (3, "person2_boxing_d1\t\tframes\t1-95"),
    (4, "person03_boxing_d1frames 1-95"),
    (5, "Person04_Boxing_d1\t\tframes\t1-95"),
  ):
    assert any(w.startswith(f"seq.txt:{number}: {line!r}") for w in warned)
  assert "not in the roster" in warned[0]


def _full_roster(actions=kth.ACTIONS) -> list[str]:
  """The 599 upstream videos: 6 x 25 x 4 less the one marked missing."""
  return [
    f"person{p:02d}_{a}_d{d}"
    for a in actions
    for p in range(1, 26)
    for d in range(1, 5)
    if (a, p, d) != ("handclapping", 13, 3)
  ]


def test_person_split_rule():
  roster = _full_roster()
  splits = kth.split_by_person(roster)
  assert {k: len(v) for k, v in splits.items()} == {
    "train": 359,
    "validation": 24,
    "test": 216,
  }
  persons = {
    split: {kth.parse_stem(s)[1] for s in stems}
    for split, stems in splits.items()
  }
  assert persons == {
    "train": set(range(1, 16)),
    "validation": {16},
    "test": set(range(17, 26)),
  }
  assert sorted(s for stems in splits.values() for s in stems) == sorted(roster)
  assert kth.split_by_person(roster[::-1]) == splits


def test_videos_80_20_split_rule():
  roster = _full_roster(["handwaving"])
  splits = kth.split_videos_80_20(roster)
  assert len(splits["train"]) == 80 and len(splits["test"]) == 20
  assert not set(splits["train"]) & set(splits["test"])
  assert set(splits["train"]) | set(splits["test"]) == set(roster)
  assert kth.split_videos_80_20(roster[::-1]) == splits
  # Pins the rule on the real names: a change here reshuffles the split.
  assert sorted(splits["test"])[:4] == [
    "person02_handwaving_d4",
    "person08_handwaving_d2",
    "person08_handwaving_d4",
    "person09_handwaving_d2",
  ]


def test_clip_rule_and_subsequence_index():
  assert list(kth.clip_starts(47)) == [0, 16]
  assert list(kth.clip_starts(48)) == [0, 16, 32]
  assert list(kth.clip_starts(15)) == []
  video = np.arange(47)[:, None, None, None]
  clips = video_io.split_into_clips(video, kth.CLIP_LENGTH)
  assert [int(c[0, 0, 0, 0]) for c in clips] == list(kth.clip_starts(47))
  ranges = ((1, 18), (17, 40), (33, 48))
  # 1-based ranges: clip 0 is frames 1-16, clip 1 frames 17-32.
  assert kth.subsequence_of(0, ranges) == 0
  assert kth.subsequence_of(16, ranges) == 1
  assert kth.subsequence_of(32, ranges) == 2
  assert kth.subsequence_of(33, ranges) == -1


def test_built_clips_labels_keys_and_pixels(tmp_path, caplog):
  requested = {}
  with caplog.at_level(logging.WARNING):
    builder = testing.prepare_with_fake_downloads(
      tfds.builder("kth/inbetween3d", data_dir=tmp_path),
      _extracted(DUMMY, requested),
      file_format="array_record",
    )
  assert requested == {
    "sequences": "https://www.csc.kth.se/cvap/actions/00sequences.txt",
    **{a: f"https://www.csc.kth.se/cvap/actions/{a}.zip" for a in kth.ACTIONS},
  }
  # The 12-frame video gives no clip, and says so.
  assert "person22_handclapping_d3_uncomp.avi has 12 frames" in caplog.text
  # dummy_data's folders hold exactly the roster.
  assert "not used" not in caplog.text
  by_split = kth.split_by_person(list(FRAMES))
  decoded = {}
  for split, stems in by_split.items():
    source = builder.as_data_source(split)
    assert _ids(builder, split) == _expected_ids(stems)
    for ex in source:
      stem, clip = ex["id"].decode().split("_uncomp.avi#")
      action, person, scenario = kth.parse_stem(stem)
      assert kth.ACTIONS[ex["action"]] == action
      assert kth.PERSONS[ex["person"]] == f"person{person:02d}"
      assert kth.SCENARIOS[ex["scenario"]] == f"d{scenario}"
      assert ex["start_frame"] == 16 * int(clip)
      video = ex["video"]
      assert video.dtype == np.uint8 and video.shape == (16, 64, 64, 1)
      if stem not in decoded:
        path = DUMMY / action / kth.video_filename(stem)
        decoded[stem] = kth.preprocess(video_io.read_video(path))
      start = ex["start_frame"]
      np.testing.assert_array_equal(video, decoded[stem][start : start + 16])
  subsequences = {
    ex["id"].decode(): int(ex["subsequence"])
    for split in by_split
    for ex in builder.as_data_source(split)
  }
  # From the dummy 00sequences.txt ranges (1-based, inclusive).
  assert subsequences["person01_walking_d1_uncomp.avi#000"] == 0
  assert subsequences["person01_walking_d1_uncomp.avi#001"] == -1
  assert subsequences["person03_running_d3_uncomp.avi#000"] == -1
  assert subsequences["person05_boxing_d4_uncomp.avi#001"] == -1
  assert subsequences["person05_boxing_d4_uncomp.avi#002"] == 2
  assert subsequences["person16_handwaving_d3_uncomp.avi#000"] == 1


def test_handwaving_config_downloads_only_its_archive(tmp_path):
  requested = {}
  builder = testing.prepare_with_fake_downloads(
    tfds.builder("kth/handwaving", data_dir=tmp_path),
    _extracted(DUMMY, requested),
    file_format="array_record",
  )
  assert set(requested) == {"sequences", "handwaving"}
  hand_waving = [s for s in FRAMES if "handwaving" in s]
  for split, stems in kth.split_videos_80_20(hand_waving).items():
    assert _ids(builder, split) == _expected_ids(stems)
  labels = {ex["action"] for ex in builder.as_data_source("train")}
  assert labels == {kth.ACTIONS.index("handwaving")}


def test_corrupt_and_truncated_videos_are_skipped_and_named(tmp_path, caplog):
  root = testing.copy_dummy_data(DUMMY, tmp_path, "downloads")
  truncated = root / "handwaving" / "person04_handwaving_d2_uncomp.avi"
  # Cut inside the last frames, as upstream person01_boxing_d4 is cut.
  data = truncated.read_bytes()
  truncated.write_bytes(data[: len(data) * 9 // 10])
  garbage = root / "handwaving" / "person17_handwaving_d4_uncomp.avi"
  garbage.write_bytes(b"not an avi at all")
  with caplog.at_level(logging.WARNING):
    builder = testing.prepare_with_fake_downloads(
      tfds.builder("kth/handwaving", data_dir=tmp_path / "data"),
      _extracted(root),
      file_format="array_record",
    )
  assert str(truncated) in caplog.text and str(garbage) in caplog.text
  assert "truncated, decoded" in caplog.text
  assert "kth/handwaving/test: skipped 1 of 2 source files" in caplog.text
  assert "kth/handwaving/train: skipped 1 of 4 source files" in caplog.text
  ids = _ids(builder, "train") | _ids(builder, "test")
  assert ids == _expected_ids(
    s
    for s in FRAMES
    if "handwaving" in s
    and s not in ("person04_handwaving_d2", "person17_handwaving_d4")
  )


def test_missing_videos_are_listed_with_where_they_belong(tmp_path):
  root = testing.copy_dummy_data(DUMMY, tmp_path, "downloads")
  (root / "boxing" / "person16_boxing_d1_uncomp.avi").unlink()
  shutil.rmtree(root / "running")
  with pytest.raises(FileNotFoundError) as err:
    testing.prepare_with_fake_downloads(
      tfds.builder("kth/inbetween3d", data_dir=tmp_path / "data"),
      _extracted(root),
    )
  message = str(err.value)
  assert "3 of the 14 videos that 00sequences.txt lists" in message
  for path in (
    root / "boxing" / "person16_boxing_d1_uncomp.avi",
    root / "running" / "person03_running_d3_uncomp.avi",
    root / "running" / "person20_running_d2_uncomp.avi",
  ):
    assert str(path) in message
  assert "https://www.csc.kth.se/cvap/actions/" in message
  # The video upstream lacks is expected to be absent, not reported.
  assert "person13_handclapping_d3" not in message


def test_videos_the_roster_lacks_are_named_and_not_used(tmp_path, caplog):
  root = testing.copy_dummy_data(DUMMY, tmp_path, "downloads")
  extra = root / "handwaving" / "person02_handwaving_d1_uncomp.avi"
  shutil.copy(root / "handwaving" / "person01_handwaving_d1_uncomp.avi", extra)
  other_action = root / "boxing" / "person02_boxing_d1_uncomp.avi"
  shutil.copy(root / "boxing" / "person05_boxing_d4_uncomp.avi", other_action)
  with caplog.at_level(logging.WARNING):
    builder = testing.prepare_with_fake_downloads(
      tfds.builder("kth/handwaving", data_dir=tmp_path / "data"),
      _extracted(root),
      file_format="array_record",
    )
  assert (
    "kth/handwaving: videos in the extracted archives that "
    f"{root / '00sequences.txt'} does not list (or lists as *missing*) are "
    f"not used (1):\n  {extra}\n" in caplog.text + "\n"
  )
  # Only the config's archives are compared.
  assert str(other_action) not in caplog.text
  ids = _ids(builder, "train") | _ids(builder, "test")
  assert ids == _expected_ids(s for s in FRAMES if "handwaving" in s)


def test_sequences_file_without_videos_is_an_error(tmp_path):
  root = testing.copy_dummy_data(DUMMY, tmp_path, "downloads")
  (root / "00sequences.txt").write_text("<html>moved</html>\n")
  with pytest.raises(ValueError, match="00sequences.txt lists no video"):
    testing.prepare_with_fake_downloads(
      tfds.builder("kth/handwaving", data_dir=tmp_path / "data"),
      _extracted(root),
    )


if __name__ == "__main__":
  tfds.testing.test_main()
