"""Tests of the golf builder (configs golf, beach, golf_500) on dummy_data/."""

import io
import logging
import pathlib
import re
import shutil
import tarfile

from etils import epath
import numpy as np
from PIL import Image
import pytest
import tensorflow_datasets as tfds

from tfds_builders.golf import golf_dataset_builder as gb
from tfds_builders.golf import make_dummy_data

DUMMY = pathlib.Path(__file__).parent / "dummy_data"
CONFIGS = gb.Golf.builder_configs


class GolfTest(tfds.testing.DatasetBuilderTestCase):
  """TFDS's standard checks on the default config, golf."""

  DATASET_CLASS = gb.Golf
  BUILDER_CONFIG_NAMES_TO_TEST = ["golf"]
  DL_DOWNLOAD_RESULT = {"archive": "golf.tar.bz2", "index": "golf.txt"}
  SPLITS = {"train": 12, "test": 1}  # 9 and 1 of the 10 videos.
  SKIP_CHECKSUMS = True  # No public checksum of the archives is known.


class Golf500Test(GolfTest):
  BUILDER_CONFIG_NAMES_TO_TEST = ["golf_500"]
  SPLITS = {"train": 9, "test": 1}  # One clip of each video.


class BeachTest(GolfTest):
  """No beach.txt in dummy_data (none is known upstream): listed from the
  archive."""

  BUILDER_CONFIG_NAMES_TO_TEST = ["beach"]
  DL_DOWNLOAD_RESULT = {"archive": "beach.tar.bz2", "index": "beach.txt"}
  SPLITS = {"train": 4, "test": 1}


def _prepare(config, archive, index, data_dir, monkeypatch, **kwargs):
  """Builds with the downloads replaced by these files.

  An `index` that is an exception is raised by the index's download, as
  TFDS raises DownloadError for an HTTP 404.
  """

  def download(self, urls):
    del self
    (key,) = urls
    if key == "index" and isinstance(index, Exception):
      raise index
    return {key: epath.Path(archive if key == "archive" else index)}

  monkeypatch.setattr(tfds.download.DownloadManager, "download", download)
  builder = gb.Golf(config=config, data_dir=data_dir)
  builder.download_and_prepare(**kwargs)
  return builder


def _members(archive) -> dict[str, bytes]:
  with tarfile.open(archive, "r:bz2") as tar:
    return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}


def _synthetic_clips(num_videos: int) -> list[str]:
  """1-3 clips per video, named like the real index rows."""
  return [
    f"videos2/{v % 7}/{v:010d}.mp4/{c:04d}.jpg"
    for v in range(num_videos)
    for c in range(1 + v % 3)
  ]


def test_dummy_data_is_in_the_real_format():
  assert sum(p.stat().st_size for p in DUMMY.iterdir()) < 300e3
  row = re.compile(r"^videos2/((\d/){8})(\d{10})\.mp4/\d{4}\.jpg$")
  # An index for golf only: nothing public confirms a beach.txt.
  assert sorted(p.name for p in DUMMY.iterdir()) == [
    "beach.tar.bz2",
    "golf.tar.bz2",
    "golf.txt",
  ]
  golf_index = (DUMMY / "golf.txt").read_text().splitlines()
  assert golf_index == make_dummy_data.clip_names("golf")
  for scene in gb.SCENES:
    members = _members(DUMMY / f"{scene}.tar.bz2")
    index = make_dummy_data.clip_names(scene)
    assert sorted(members) == sorted(f"{gb.ROOT_NAME}/{r}" for r in index)
    for name in index:
      match = row.match(name)
      assert match, name
      # The folders are the id's digits past the second, as in the real rows.
      assert match.group(1).replace("/", "") == match.group(3)[2:]
      with Image.open(io.BytesIO(members[f"{gb.ROOT_NAME}/{name}"])) as image:
        assert image.format == "JPEG" and image.mode == "RGB"
        width, height = image.size
      assert width == 128 and height % 128 == 0
      assert 16 <= height // 128 <= 34


def test_split_rule_on_a_golf_sized_list():
  clips = _synthetic_clips(20268)
  splits = gb.select_clips(clips, CONFIGS["golf"])
  videos = {k: {gb.video_of(c) for c in v} for k, v in splits.items()}
  assert {k: len(v) for k, v in videos.items()} == {
    "train": 18241,
    "test": 2027,
  }
  assert not videos["train"] & videos["test"]
  # Every clip is on the side of its video, none is lost or duplicated.
  assert sorted(splits["train"] + splits["test"]) == sorted(clips)
  # Deterministic, and independent of the order the index lists clips in.
  assert gb.select_clips(list(reversed(clips)), CONFIGS["golf"]) == splits

  # navsynth trains on 500 videos; 50 more, drawn the same way, test.
  capped = gb.select_clips(clips, CONFIGS["golf_500"])
  assert {k: len(v) for k, v in capped.items()} == {"train": 500, "test": 50}
  assert all(c.endswith("/0000.jpg") for v in capped.values() for c in v)
  # A capped test set is part of the full one, its train set of the full.
  for name in ("train", "test"):
    assert {gb.video_of(c) for c in capped[name]} <= videos[name]


def test_split_rule_exact_membership():
  videos = [f"v{i}" for i in range(10)]
  order = np.random.default_rng(0).permutation(10)
  splits = gb.split_videos(reversed(videos))
  assert splits["test"] == [videos[order[9]]]
  assert splits["train"] == sorted(videos[i] for i in order[:9])
  assert gb.split_videos(videos, max_train_videos=5) == {
    "train": sorted(videos[i] for i in order[:5]),
    "test": [],
  }
  videos = [f"v{i:02d}" for i in range(40)]
  order = np.random.default_rng(0).permutation(40)
  assert gb.split_videos(videos, max_train_videos=20) == {
    "train": sorted(videos[i] for i in order[:20]),
    "test": sorted(videos[i] for i in order[36:38]),  # After the 36 train.
  }


def test_parse_index_keeps_only_clip_paths():
  text = (
    "frames-stable-many/videos2/1/11.mp4/0001.jpg\n"
    "./videos2/1/11.mp4/0000.jpg 32\n"
    "\n"
    "videos2/1/11.mp4/list.txt\n"
    "videos2/1/11.mp4/0000.jpg\n"
  )
  assert gb.parse_index(text) == [
    "videos2/1/11.mp4/0000.jpg",
    "videos2/1/11.mp4/0001.jpg",
  ]


def _jpeg(height: int, width: int = 128, mode: str = "RGB") -> bytes:
  buffer = io.BytesIO()
  Image.new(mode, (width, height), 128).save(buffer, format="JPEG")
  return buffer.getvalue()


@pytest.mark.parametrize(
  "data, expected",
  [
    (_jpeg(10 * 128), "x.jpg: 10 frames; 16 needed."),
    (_jpeg(16 * 128, width=64), "64x2048; expected 128 wide"),
    (_jpeg(16 * 128 + 5), "expected 128 wide and a multiple of 128"),
    (b"not a jpeg", "x.jpg: cannot decode image"),
  ],
)
def test_bad_clips_are_refused_with_their_name(data, expected):
  with pytest.raises(gb.video_io.CorruptVideoError, match=re.escape(expected)):
    gb.decode_clip(data, "x.jpg", 16)


def test_the_first_frames_are_kept_in_order():
  levels = 10 * np.arange(20, dtype=np.uint8) + 20  # Frame t is flat 10t+20.
  strip = np.repeat(levels, 128)[:, None, None] * np.ones((1, 128, 3), np.uint8)
  buffer = io.BytesIO()
  Image.fromarray(strip).save(buffer, format="JPEG", quality=95)
  video = gb.decode_clip(buffer.getvalue(), "x.jpg", 16)
  assert video.shape == (16, 64, 64, 3)
  np.testing.assert_allclose(video.mean(axis=(1, 2, 3)), levels[:16], atol=2)


def test_grey_clips_become_rgb():
  video = gb.decode_clip(_jpeg(20 * 128, mode="L"), "x.jpg", 16)
  assert video.shape == (16, 64, 64, 3) and video.dtype == np.uint8


def test_built_data_is_the_first_frames_resized(tmp_path, monkeypatch):
  builder = _prepare(
    "golf",
    DUMMY / "golf.tar.bz2",
    DUMMY / "golf.txt",
    tmp_path,
    monkeypatch,
    file_format="array_record",
  )
  members = _members(DUMMY / "golf.tar.bz2")
  expected = gb.select_clips(
    gb.parse_index((DUMMY / "golf.txt").read_text()), CONFIGS["golf"]
  )
  for split, clips in expected.items():
    source = builder.as_data_source(split)
    ids = sorted(ex["id"].decode() for ex in source)
    assert ids == sorted(clips)
    for ex in source:
      clip = ex["id"].decode()
      assert ex["video_id"].decode() == gb.video_of(clip)
      assert ex["scene"] == gb.SCENES.index("golf")
      jpeg = members[f"{gb.ROOT_NAME}/{clip}"]
      np.testing.assert_array_equal(ex["video"], gb.decode_clip(jpeg, clip, 16))
      # The stored frames are the first 16 of the drawing, downscaled.
      drawn = make_dummy_data.draw_clip(
        "golf", _video_number(clip), int(clip[-8:-4])
      )[:16]
      small = gb.video_io.resize(drawn, 64).astype(int)
      assert np.abs(ex["video"].astype(int) - small).mean() < 4
  # Streaming once per split (the path of the full configs) gives the same
  # examples, in the same order: keys come from the clip paths.
  monkeypatch.setattr(gb, "_MAX_BUFFERED_CLIPS", 0)
  streamed = _prepare(
    "golf",
    DUMMY / "golf.tar.bz2",
    DUMMY / "golf.txt",
    tmp_path / "again",
    monkeypatch,
    file_format="array_record",
  )
  for split in expected:
    a, b = builder.as_data_source(split), streamed.as_data_source(split)
    assert [ex["id"] for ex in a] == [ex["id"] for ex in b]
    np.testing.assert_array_equal(a[0]["video"], b[0]["video"])


def _video_number(clip: str) -> int:
  names = [
    make_dummy_data.video_name("golf", v)
    for v in range(len(make_dummy_data.CLIP_FRAMES["golf"]))
  ]
  return names.index(gb.video_of(clip))


def test_beach_is_labelled_beach(tmp_path, monkeypatch):
  builder = _prepare(
    "beach",
    DUMMY / "beach.tar.bz2",
    tfds.download.DownloadError("HTTP code: 404."),
    tmp_path,
    monkeypatch,
    file_format="array_record",
  )
  labels = {int(ex["scene"]) for ex in builder.as_data_source("train")}
  assert labels == {gb.SCENES.index("beach")}


@pytest.mark.parametrize("index", ["download_error", "absent", "no_clips"])
def test_without_an_index_the_archive_lists_the_clips(
  tmp_path, monkeypatch, caplog, index
):
  reasons = {
    "download_error": (
      tfds.download.DownloadError("Failed to get url. HTTP code: 404."),
      "cannot be downloaded (Failed to get url. HTTP code: 404.)",
    ),
    "absent": (tmp_path / "golf.txt", f"is absent ({tmp_path / 'golf.txt'})"),
    "no_clips": (tmp_path / "golf.txt", "lists no .jpg clip"),
  }
  index_file, reason = reasons[index]
  if index == "no_clips":
    index_file.write_text("<html>Not Found</html>\n")
  with caplog.at_level(logging.WARNING):
    builder = _prepare(
      "golf_500",
      DUMMY / "golf.tar.bz2",
      index_file,
      tmp_path / "data",
      monkeypatch,
      file_format="array_record",
    )
  assert (
    f"golf/golf_500: the index http://data.csail.mit.edu/videogan/golf.txt "
    f"{reason}" in caplog.text
  )
  assert "listed from golf.tar.bz2 itself: one more pass" in caplog.text
  # The same examples as with the index.
  expected = gb.select_clips(
    make_dummy_data.clip_names("golf"), CONFIGS["golf_500"]
  )
  for split, clips in expected.items():
    ids = [ex["id"].decode() for ex in builder.as_data_source(split)]
    assert sorted(ids) == clips


def test_with_the_index_the_archive_is_read_once(tmp_path, monkeypatch, caplog):
  passes = []
  iter_archive = tfds.download.DownloadManager.iter_archive
  monkeypatch.setattr(
    tfds.download.DownloadManager,
    "iter_archive",
    lambda self, resource: passes.append(1) or iter_archive(self, resource),
  )
  with caplog.at_level(logging.WARNING):
    _prepare(
      "golf_500",
      DUMMY / "golf.tar.bz2",
      DUMMY / "golf.txt",
      tmp_path,
      monkeypatch,
    )
  assert len(passes) == 1
  assert "one more pass" not in caplog.text


def test_an_archive_without_clips_is_refused(tmp_path, monkeypatch):
  archive = tmp_path / "golf.tar.bz2"
  make_dummy_data.write_archive(archive, {"videos2/1/11.mp4/x.txt": b"x"})
  with pytest.raises(FileNotFoundError, match="holds no .jpg under"):
    _prepare(
      "golf", archive, tmp_path / "absent.txt", tmp_path / "data", monkeypatch
    )


def test_bad_and_missing_clips_are_skipped_with_a_warning(
  tmp_path, monkeypatch, caplog
):
  members = _members(DUMMY / "golf.tar.bz2")
  index = (DUMMY / "golf.txt").read_text().splitlines()
  train = gb.select_clips(index, CONFIGS["golf"])["train"]
  corrupt, short, absent = train[0], train[1], train[2]
  members[f"{gb.ROOT_NAME}/{corrupt}"] = members[f"{gb.ROOT_NAME}/{corrupt}"][
    :400
  ]
  members[f"{gb.ROOT_NAME}/{short}"] = _jpeg(10 * 128)
  del members[f"{gb.ROOT_NAME}/{absent}"]
  archive = tmp_path / "golf.tar.bz2"
  make_dummy_data.write_archive(
    archive, {k[len(gb.ROOT_NAME) + 1 :]: v for k, v in members.items()}
  )
  with caplog.at_level(logging.WARNING):
    builder = _prepare(
      "golf", archive, DUMMY / "golf.txt", tmp_path / "data", monkeypatch
    )
  assert builder.info.splits["train"].num_examples == 12 - 3
  assert builder.info.splits["test"].num_examples == 1
  log = caplog.text
  assert f"skipping {corrupt}: {corrupt}: cannot decode image" in log
  assert f"skipping {short}: {short}: 10 frames; 16 needed." in log
  assert f"skipping {absent}: listed in golf.txt but not in the archive" in log
  assert "golf/golf/train: skipped 3 of 12 source files" in log


def test_an_archive_of_another_index_is_refused(tmp_path, monkeypatch):
  with pytest.raises(FileNotFoundError) as err:
    _prepare(
      "golf", DUMMY / "beach.tar.bz2", DUMMY / "golf.txt", tmp_path, monkeypatch
    )
  message = str(err.value)
  assert "holds none of the 13 clips golf.txt lists" in message
  assert "frames-stable-many/videos2/" in message
  assert "prepare again" in message
  # Streamed once per split (the full configs), it fails after the pass.
  monkeypatch.setattr(gb, "_MAX_BUFFERED_CLIPS", 0)
  with pytest.raises(FileNotFoundError, match="none of its 12 clips could"):
    _prepare(
      "golf",
      DUMMY / "beach.tar.bz2",
      DUMMY / "golf.txt",
      tmp_path / "streamed",
      monkeypatch,
    )


def test_a_truncated_archive_is_an_error_naming_it(tmp_path, monkeypatch):
  archive = tmp_path / "golf.tar.bz2"
  shutil.copy(DUMMY / "golf.tar.bz2", archive)
  archive.write_bytes(archive.read_bytes()[:60000])
  with pytest.raises(gb.video_io.CorruptVideoError) as err:
    _prepare(
      "golf", archive, DUMMY / "golf.txt", tmp_path / "data", monkeypatch
    )
  assert f"golf.tar.bz2 ({archive}) is damaged after" in str(err.value)
  assert "Delete it from the TFDS downloads folder" in str(err.value)


if __name__ == "__main__":
  tfds.testing.test_main()
