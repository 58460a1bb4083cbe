"""Tests of the MoCoGAN strip reader both MoCoGAN builders share."""

import io

import numpy as np
from PIL import Image
import pytest

from tfds_builders import mocogan_strips
from tfds_builders import video_io

EXPECTED = "a strip the test wants"


def _video(num_frames):
  # Every frame differs from the others, and is not symmetric in x or y, so
  # a wrong frame order or axis order reads as different pixels.
  rng = np.random.default_rng(num_frames)
  return rng.integers(0, 256, (num_frames, 64, 64, 3), dtype=np.uint8)


def _png(size, mode):
  buffer = io.BytesIO()
  Image.new(mode, size).save(buffer, format="PNG")
  return buffer.getvalue()


@pytest.mark.parametrize("num_frames", [1, 3, 32])
def test_round_trip_keeps_every_frame_in_order(num_frames):
  video = _video(num_frames)
  data = mocogan_strips.encode_strip(video)
  with Image.open(io.BytesIO(data)) as image:
    assert (image.format, image.mode) == ("PNG", "RGBA")
    assert image.size == (64 * num_frames, 64)
    # Frame t is columns 64t .. 64t+63 of the strip.
    np.testing.assert_array_equal(
      np.asarray(image)[:, 64 * (num_frames - 1):, :3], video[-1]
    )
  decoded = mocogan_strips.decode_strip(data, "x.png", EXPECTED)
  assert decoded.dtype == np.uint8 and decoded.flags.c_contiguous
  np.testing.assert_array_equal(decoded, video)
  np.testing.assert_array_equal(
    mocogan_strips.decode_strip(data, "x.png", EXPECTED, num_frames), video
  )


def test_rgb_strip_reads_as_its_rgba_twin():
  video = _video(2)
  buffer = io.BytesIO()
  Image.fromarray(video.transpose(1, 0, 2, 3).reshape(64, 128, 3)).save(
    buffer, format="PNG"
  )
  np.testing.assert_array_equal(
    mocogan_strips.decode_strip(buffer.getvalue(), "x.png", EXPECTED), video
  )


@pytest.mark.parametrize(
  "size, mode, num_frames, is_what",
  [
    ((128, 32), "RGBA", None, "128x32 (RGBA)"),  # Not 64 high.
    ((100, 64), "RGBA", None, "100x64 (RGBA)"),  # Not whole frames.
    ((192, 64), "RGBA", 32, "192x64 (RGBA)"),  # 3 frames, not 32.
    ((128, 64), "L", None, "128x64 (L)"),  # Channels it cannot read as RGB.
    ((128, 64), "P", None, "128x64 (P)"),
    ((128, 64), "LA", None, "128x64 (LA)"),
  ],
)
def test_wrong_strip_error_says_file_what_it_is_and_what_was_expected(
  size, mode, num_frames, is_what
):
  with pytest.raises(video_io.CorruptVideoError) as error:
    mocogan_strips.decode_strip(
      _png(size, mode), "0/00000001.png", EXPECTED, num_frames
    )
  assert str(error.value) == (
    f"0/00000001.png is {is_what}; expected {EXPECTED}."
  )
  assert isinstance(error.value, ValueError)  # What the builders catch.


@pytest.mark.parametrize(
  "data", [b"not an image", mocogan_strips.encode_strip(_video(4))[:200]]
)
def test_undecodable_bytes_error_says_file_and_what_was_expected(data):
  with pytest.raises(video_io.CorruptVideoError) as error:
    mocogan_strips.decode_strip(data, "1/00000002.jpg", EXPECTED)
  message = str(error.value)
  assert message.startswith("Cannot decode 1/00000002.jpg (")
  assert message.endswith(f"; expected {EXPECTED}.")


@pytest.mark.parametrize(
  "layout, root",
  [
    (["0", "1"], ""),  # The class folders in the manual dir.
    (["shapes/0", "shapes/1"], "shapes"),  # MoCoGAN's folder put in whole.
    (["0", "shapes/0"], ""),  # Both: the manual dir's own folders win.
    ([], ""),  # Neither: the manual dir, which the listing then reports.
  ],
)
def test_find_root(tmp_path, layout, root):
  for folder in layout:
    (tmp_path / folder).mkdir(parents=True)
  assert mocogan_strips.find_root(tmp_path, "shapes") == tmp_path / root
