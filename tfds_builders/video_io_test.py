"""Tests of the builders' shared video reading, frame and clip helpers."""

import logging

import numpy as np
import pytest

from tfds_builders import video_io


def _moving_square(num_frames=12, height=48, width=64):
  video = np.zeros((num_frames, height, width, 3), np.uint8)
  for t in range(num_frames):
    video[t, 16:32, 2 * t:2 * t + 16] = (200, 120, 40)
  return video


@pytest.fixture(name="avi")
def _avi(tmp_path):
  path = tmp_path / "person01_walking_d1_uncomp.avi"
  video_io.write_video(path, _moving_square(), fps=25)
  return path


def test_avi_round_trip_keeps_frames(avi):
  decoded = video_io.read_video(avi)
  assert decoded.shape == (12, 48, 64, 3) and decoded.dtype == np.uint8
  # MPEG-4 is lossy: close, not equal; a wrong frame order would be far off.
  error = np.abs(decoded.astype(int) - _moving_square().astype(int))
  assert error.mean() < 3, error.mean()


@pytest.mark.parametrize("keep, expected", [
    (0.9, "truncated, decoded"),
    (0.3, "cannot decode"),
])
def test_truncated_file_is_an_error_naming_it(avi, keep, expected):
  data = avi.read_bytes()
  avi.write_bytes(data[:int(len(data) * keep)])
  with pytest.raises(video_io.CorruptVideoError, match=expected) as error:
    video_io.read_video(avi)
  assert str(avi) in str(error.value)


def test_garbage_and_empty_files_are_errors(tmp_path):
  garbage = tmp_path / "garbage.avi"
  garbage.write_bytes(b"not a video" * 20)
  empty = tmp_path / "empty.avi"
  empty.write_bytes(b"")
  for path in (garbage, empty):
    with pytest.raises(video_io.CorruptVideoError, match=str(path)):
      video_io.read_video(path)


def test_read_videos_skipping_logs_each_skip_and_a_count(avi, tmp_path,
                                                         caplog):
  broken = tmp_path / "broken.avi"
  broken.write_bytes(b"junk")
  skipped = video_io.SkippedFiles("kth", "train")
  with caplog.at_level(logging.INFO):
    read = list(video_io.read_videos_skipping([avi, broken, avi], skipped))
  assert [path for path, _ in read] == [avi, avi]
  assert [name for name, _ in skipped.skipped] == [str(broken)]
  assert f"kth/train: skipping {broken}" in caplog.text
  assert "kth/train: skipped 1 of 3 source files" in caplog.text


def test_centre_crop_and_resize():
  video = np.zeros((2, 120, 160, 3), np.uint8)
  video[:, :, 20:140] = 255  # The central 120x120 square.
  cropped = video_io.centre_crop(video)
  assert cropped.shape == (2, 120, 120, 3) and cropped.min() == 255
  small = video_io.centre_crop_resize(video, 64)
  assert small.shape == (2, 64, 64, 3) and small.min() == 255
  gray = video_io.resize(video[..., :1], (30, 40))
  assert gray.shape == (2, 30, 40, 1)


def test_resize_is_antialiased():
  # A one-pixel checkerboard averages to grey; a point sampler keeps 0 / 255.
  board = (np.indices((64, 64)).sum(0) % 2 * 255).astype(np.uint8)
  video = np.repeat(board[None, :, :, None], 3, axis=-1)
  small = video_io.resize(video, 16)
  assert np.abs(small.astype(int) - 128).max() < 8


def test_to_grayscale_uses_luma_weights():
  video = np.array([[[[255, 0, 0], [0, 255, 0], [0, 0, 255]]]], np.uint8)
  assert video_io.to_grayscale(video)[0, 0, :, 0].tolist() == [76, 150, 29]


def test_split_into_clips_drops_the_short_tail():
  video = np.arange(37)[:, None, None, None]
  clips = video_io.split_into_clips(video, 16)
  assert [clip[:, 0, 0, 0].tolist()[0] for clip in clips] == [0, 16]
  assert all(len(clip) == 16 for clip in clips)
  assert video_io.split_into_clips(video[:15], 16) == []


def test_pad_to_length_repeats_the_last_frame():
  video = np.arange(3)[:, None, None, None]
  padded = video_io.pad_to_length(video, 5)
  assert padded[:, 0, 0, 0].tolist() == [0, 1, 2, 2, 2]
  assert video_io.pad_to_length(video, 2) is video


def test_write_video_rejects_wrong_arrays(tmp_path):
  with pytest.raises(ValueError, match="uint8"):
    video_io.write_video(tmp_path / "x.avi", np.zeros((2, 8, 8, 3)))
