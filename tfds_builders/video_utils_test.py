"""Tests of the shared video helpers."""

import io
import struct
import zlib

import numpy as np
from PIL import Image
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from tfds_builders import video_utils


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_png_frames_decode_to_the_same_pixels(channels):
  rng = np.random.default_rng(0)
  video = rng.integers(0, 256, size=(3, 5, 7, channels), dtype=np.uint8)
  frames = video_utils.encode_png_frames(video)
  assert len(frames) == 3
  for frame, expected in zip(frames, video):
    with Image.open(io.BytesIO(frame)) as image:
      assert image.format == "PNG" and image.size == (7, 5)
      pixels = np.asarray(image).reshape(expected.shape)
    np.testing.assert_array_equal(pixels, expected)
    decoded = tf.io.decode_png(frame, channels=channels).numpy()
    np.testing.assert_array_equal(decoded, expected)


@pytest.mark.parametrize(
  "video",
  [
    np.zeros((2, 4, 4, 3), np.float32),
    np.zeros((4, 4, 3), np.uint8),
    np.zeros((2, 4, 4, 2), np.uint8),
  ],
)
def test_png_frames_reject_what_png_cannot_hold(video):
  with pytest.raises(ValueError, match="uint8 \\[T, H, W, C\\]"):
    video_utils.encode_png_frames(video)


def test_stack_frames_decodes_a_video_feature_to_one_array():
  feature = tfds.features.FeaturesDict(
    {"video": tfds.features.Video(shape=(4, 6, 6, 3))}
  )
  video = np.random.default_rng(1).integers(0, 256, (4, 6, 6, 3), np.uint8)
  serialized = feature.serialize_example(
    {"video": video_utils.encode_png_frames(video)}
  )
  plain = feature.deserialize_example_np(serialized)["video"]
  assert isinstance(plain, list)  # The TFDS behaviour being worked around.
  stacked = feature.deserialize_example_np(
    serialized, decoders={"video": video_utils.StackFrames()}
  )["video"]
  assert isinstance(stacked, np.ndarray) and stacked.dtype == np.uint8
  np.testing.assert_array_equal(stacked, video)
  # The tf.data path is unchanged.
  tensor = feature.deserialize_example(
    serialized, decoders={"video": video_utils.StackFrames()}
  )["video"]
  np.testing.assert_array_equal(tensor.numpy(), video)


def _filter_types(png: bytes) -> set[int]:
  """The scanline filter types of a PNG of ours (one IDAT chunk)."""
  with Image.open(io.BytesIO(png)) as image:
    width, height = image.size
    channels = len(image.getbands())
  length = struct.unpack(">I", png[33:37])[0]
  assert png[37:41] == b"IDAT"
  raw = zlib.decompress(png[41:41 + length])
  stride = 1 + width * channels
  return {raw[row * stride] for row in range(height)}


@pytest.mark.parametrize("content, filter_type", [
    ("flat", 0),      # A drawn shape on black: no filter is smaller.
    ("gradient", 2),  # Smooth filmed-like content: "Up" is smaller.
])
def test_png_filter_is_chosen_per_video_and_decodes(content, filter_type):
  video = np.zeros((3, 32, 32, 3), np.uint8)
  if content == "flat":
    video[:, 8:20, 10:22] = (40, 200, 90)
  else:
    rng = np.random.default_rng(0)
    video += np.arange(32, dtype=np.uint8)[None, None, :, None] * 7
    video += rng.integers(0, 3, video.shape, dtype=np.uint8)
  frames = video_utils.encode_png_frames(video)
  for frame, expected in zip(frames, video):
    assert _filter_types(frame) == {filter_type}
    np.testing.assert_array_equal(tf.io.decode_png(frame).numpy(), expected)
