"""Tests of the shared video helpers."""

import io

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
