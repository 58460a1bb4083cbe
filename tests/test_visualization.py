"""Tests for video_inference.visualization."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image, ImageSequence

from video_inference import visualization as vis

GOLD = (255, 215, 0)


def _random_video(shape, seed=0) -> np.ndarray:
  return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def _border_mask(h: int, w: int, width: int) -> np.ndarray:
  y, x = np.mgrid[:h, :w]
  return (y < width) | (y >= h - width) | (x < width) | (x >= w - width)


def _read_gif(path: str) -> np.ndarray:
  with Image.open(path) as im:
    frames = ImageSequence.Iterator(im)
    return np.stack([np.asarray(f.convert("RGB")) for f in frames])


# to_uint8


def test_to_uint8_round_trips_every_value():
  u = np.arange(256, dtype=np.uint8).reshape(4, 8, 8, 1)
  for dtype in (np.float32, np.float64):
    as_float = (u.astype(dtype) / 127.5 - 1.0).astype(dtype)
    np.testing.assert_array_equal(vis.to_uint8(as_float), u)


def test_to_uint8_passes_uint8_and_maps_endpoints():
  u = _random_video((2, 3, 4, 3))
  assert vis.to_uint8(u) is u
  out = vis.to_uint8(np.array([-1.0, 0.0, 1.0, 1.0 + 1e-4], np.float32))
  np.testing.assert_array_equal(out, [0, 128, 255, 255])
  assert out.dtype == np.uint8


@pytest.mark.parametrize(
  "bad, words",
  [
    (np.array([0.0, 1.5]), "range"),
    (np.array([-2.0, 0.0]), "range"),
    (np.array([np.nan, 0.0]), "range"),
    (np.array([0, 255], np.int32), "int32"),
    (np.array([True]), "bool"),
  ],
)
def test_to_uint8_rejects_other_inputs(bad, words):
  with pytest.raises(ValueError, match=words):
    vis.to_uint8(bad)


# outline_anchors


@pytest.mark.parametrize("width", [1, 2])
def test_outline_changes_exactly_the_anchor_borders(width):
  video = _random_video((5, 8, 10, 3))
  original = video.copy()
  out = vis.outline_anchors(video, [0, 3], width=width)
  assert out.shape == (5, 8, 10, 3) and out.dtype == np.uint8
  np.testing.assert_array_equal(video, original)  # input untouched
  border = _border_mask(8, 10, width)
  changed = np.any(out != video, axis=-1)
  for t in range(5):
    if t in (0, 3):
      assert np.all(out[t][border] == GOLD)
      np.testing.assert_array_equal(out[t][~border], video[t][~border])
    else:
      assert not changed[t].any()


def test_outline_converts_gray_and_accepts_array_times():
  video = _random_video((3, 6, 6, 1))
  out = vis.outline_anchors(video, np.array([2]), color=(1, 2, 3))
  assert out.shape == (3, 6, 6, 3)
  np.testing.assert_array_equal(out[:2], np.repeat(video[:2], 3, axis=-1))
  border = _border_mask(6, 6, 1)
  assert np.all(out[2][border] == (1, 2, 3))
  np.testing.assert_array_equal(
    out[2][~border], np.repeat(video[2], 3, -1)[~border]
  )


@pytest.mark.parametrize("times", [[-1], [5], [1.0], [True], np.array([0.5])])
def test_outline_rejects_bad_times(times):
  with pytest.raises(ValueError, match="anchor_times"):
    vis.outline_anchors(_random_video((5, 4, 4, 3)), times)


# grids


def test_video_grid_layout():
  k, t, h, w, pad = 3, 4, 6, 5, 2
  videos = _random_video((k, t, h, w, 1))
  grid = vis.video_grid(videos, anchor_times=[1], pad=pad)
  assert grid.shape == (k * (h + pad) + pad, t * (w + pad) + pad, 3)
  assert grid.dtype == np.uint8
  tiles = np.zeros(grid.shape[:2], bool)
  for i in range(k):
    framed = vis.outline_anchors(videos[i], [1])
    for j in range(t):
      y, x = pad + i * (h + pad), pad + j * (w + pad)
      np.testing.assert_array_equal(grid[y : y + h, x : x + w], framed[j])
      tiles[y : y + h, x : x + w] = True
  assert np.all(grid[~tiles] == vis.PAD_VALUE)
  assert vis.video_grid(videos, pad=0).shape == (k * h, t * w, 3)


def test_animated_grid_layout():
  k, t, h, w, pad = 5, 3, 4, 6, 2
  videos = _random_video((k, t, h, w, 3))
  frames = vis.animated_grid(videos, anchor_times=[0, 2])
  # Default columns = ceil(sqrt(5)) = 3, so 2 rows with one empty cell.
  assert frames.shape == (t, 2 * (h + pad) + pad, 3 * (w + pad) + pad, 3)
  for i in range(k):
    r, c = divmod(i, 3)
    y, x = pad + r * (h + pad), pad + c * (w + pad)
    np.testing.assert_array_equal(
      frames[:, y : y + h, x : x + w], vis.outline_anchors(videos[i], [0, 2])
    )
  y, x = pad + (h + pad), pad + 2 * (w + pad)
  assert np.all(frames[:, y : y + h, x : x + w] == vis.PAD_VALUE)
  one_row = vis.animated_grid(videos, columns=5, pad=1)
  assert one_row.shape == (t, h + 2, 5 * (w + 1) + 1, 3)


def test_grids_accept_float_videos():
  videos = _random_video((2, 3, 4, 4, 3))
  as_float = videos / 127.5 - 1.0
  np.testing.assert_array_equal(
    vis.video_grid(as_float), vis.video_grid(videos)
  )


# files


def test_png_round_trip_and_overwrite(tmp_path):
  image = _random_video((7, 9, 3))
  path = str(tmp_path / "a" / "b" / "img.png")
  assert vis.write_png(path, image) == path
  with Image.open(path) as im:
    np.testing.assert_array_equal(np.asarray(im), image)
  with pytest.raises(FileExistsError, match="img.png"):
    vis.write_png(path, np.zeros_like(image))
  with Image.open(path) as im:  # the refusal left the file alone
    np.testing.assert_array_equal(np.asarray(im), image)
  vis.write_png(path, image[..., :1], overwrite=True)
  with Image.open(path) as im:
    assert im.mode == "L"
    np.testing.assert_array_equal(np.asarray(im), image[..., 0])


def test_gif_preserves_simple_colours(tmp_path):
  rng = np.random.default_rng(1)
  frames = np.zeros((6, 16, 20, 3), np.uint8)
  for t in range(6):  # a moving square of a new colour on a fixed stripe
    frames[t, 4:10, 2 + 2 * t : 8 + 2 * t] = rng.integers(0, 256, 3)
    frames[t, :2] = (10, 200, 30)
  path = vis.write_gif(tmp_path / "sub" / "x.gif", frames, fps=10)
  decoded = _read_gif(path)
  assert decoded.shape == frames.shape
  assert np.abs(decoded.astype(int) - frames).max() <= 2
  with Image.open(path) as im:
    assert im.info["duration"] == 100 and im.info["loop"] == 0
  with pytest.raises(FileExistsError, match="x.gif"):
    vis.write_gif(path, frames)
  vis.write_gif(path, frames[:2], overwrite=True)
  assert _read_gif(path).shape[0] == 2


def test_gif_of_natural_colours_stays_close(tmp_path):
  x = np.linspace(0, 255, 48)
  g = np.stack(np.meshgrid(x, x), -1)
  image = np.concatenate([g, g.mean(-1, keepdims=True)], -1).astype(np.uint8)
  frames = np.stack([np.roll(image, 3 * t, axis=1) for t in range(3)])
  decoded = _read_gif(vis.write_gif(tmp_path / "g.gif", frames))
  assert decoded.shape == frames.shape
  # > 256 colours: quantisation error, but no frame is badly off.
  assert np.abs(decoded.astype(int) - frames).mean() < 6


def test_gray_gif_is_exact(tmp_path):
  frames = _random_video((3, 8, 8, 1))
  path = vis.write_gif(tmp_path / "gray.gif", frames)
  with Image.open(path) as im:
    gray = ImageSequence.Iterator(im)
    decoded = np.stack([np.asarray(f.convert("L")) for f in gray])
  np.testing.assert_array_equal(decoded, frames[..., 0])


def test_save_samples(tmp_path):
  videos = np.zeros((2, 3, 5, 5, 3), np.uint8)
  videos[:, 1] = 60
  videos[:, 2] = 200
  directory = tmp_path / "out"
  paths = vis.save_samples(directory, videos, [0], "step_10")
  assert paths == [
    str(directory / "step_10_grid.png"),
    str(directory / "step_10.gif"),
  ]
  with Image.open(paths[0]) as im:
    np.testing.assert_array_equal(np.asarray(im), vis.video_grid(videos, [0]))
  decoded = _read_gif(paths[1])
  expected = vis.animated_grid(videos, [0])
  assert decoded.shape == expected.shape
  assert np.abs(decoded.astype(int) - expected).max() <= 2

  os.remove(
    paths[0]
  )  # only the GIF exists now: still a refusal, nothing written
  with pytest.raises(FileExistsError, match="step_10.gif"):
    vis.save_samples(directory, videos, [0], "step_10")
  assert not os.path.exists(paths[0])
  assert (
    vis.save_samples(directory, videos, [0], "step_10", overwrite=True) == paths
  )
  with pytest.raises(ValueError, match="prefix"):
    vis.save_samples(directory, videos, [0], "a/b")


# write_mp4, per_frame_mean, contact_sheet


def _disk_video(frames, h, w, channels=3):
  """A bright disk moving over black: smooth content like Shape Motion."""
  y, x = np.mgrid[:h, :w]
  video = np.zeros((frames, h, w, channels), np.uint8)
  for t in range(frames):
    inside = (y - h / 2) ** 2 + (x - 6 - 2 * t) ** 2 < 30
    video[t][inside] = (220, 60, 90)[:channels] if channels == 3 else 200
  return video


@pytest.mark.parametrize("shape", [(6, 32, 32, 3), (5, 31, 33, 1)])
def test_write_mp4_round_trips_within_codec_tolerance(tmp_path, shape):
  from tfds_builders import video_io
  video = _disk_video(*shape)
  path = vis.write_mp4(tmp_path / "v.mp4", video, fps=8)
  decoded = video_io.read_video(path)
  t, h, w, _ = shape
  # Odd sizes are padded by one edge row/column for yuv420p.
  assert decoded.shape == (t, h + h % 2, w + w % 2, 3)
  decoded = decoded[:, :h, :w]
  if shape[-1] == 1:
    decoded = decoded[..., :1]
  error = np.abs(decoded.astype(int) - video.astype(int))
  assert error.mean() < 2.5
  with pytest.raises(FileExistsError):
    vis.write_mp4(path, video)


def test_per_frame_mean_and_contact_sheet_rows():
  samples = np.stack([np.full((3, 4, 4, 3), v, np.uint8) for v in (10, 20, 31)])
  mean = vis.per_frame_mean(samples)
  assert mean.shape == (3, 4, 4, 3) and (mean == 20).all()
  reference = np.full((3, 4, 4, 3), 200, np.uint8)
  sheet = vis.contact_sheet(samples, [0], reference, pad=1)
  # Rows: reference, 3 samples, mean.
  assert sheet.shape == (5 * 5 + 1, 3 * 5 + 1, 3)
  row_values = [sheet[1 + 5 * r + 2, 1 + 5 * 1 + 2, 0] for r in range(5)]
  assert row_values == [200, 10, 20, 31, 20]
  assert tuple(sheet[1, 1]) == GOLD  # Anchor frame outlined in every row.
  assert vis.contact_sheet(samples, None).shape == (4 * 6 + 2, 3 * 6 + 2, 3)
  with pytest.raises(ValueError, match="reference must have"):
    vis.contact_sheet(samples, [0], reference[:2])
