"""ACD as MoCoGAN defines it (the shape's colour) and the motion figure."""

import numpy as np
import pytest

from tfds_builders.shape_motion import shape_motion_dataset_builder as sm
from video_inference import input_pipeline
from video_inference.evaluation import acd
from video_inference.evaluation import motion


@pytest.fixture(scope="module")
def real_clips():
  """24 Shape Motion videos drawn at 64x64 and read as the 32x32 configs
  read them (antialiased resize, every 2nd frame): float [-1, 1]."""
  config = sm.ShapeMotionConfig(name="acd_test", num_videos=24)
  return np.stack([
      input_pipeline.to_model_frames(
          sm.generate_video(config, index)["video"][::2], 32, 3)
      for index in range(24)])


def test_real_shape_motion_clips_score_about_zero(real_clips):
  scores, empty = acd.shape_acd_per_video(real_clips)
  assert scores.mean() < 0.5
  assert np.all(empty == 0)
  # At the drawn 64x64 size the shape is one flat colour: exactly 0.
  config = sm.ShapeMotionConfig(name="acd_test", num_videos=4)
  full = np.stack([sm.generate_video(config, i)["video"] for i in range(4)])
  np.testing.assert_allclose(acd.shape_acd_per_video(full)[0], 0, atol=1e-9)


def test_black_video_fails_and_is_flagged_empty(real_clips):
  black = np.zeros((2,) + real_clips.shape[1:], np.uint8)
  scores, empty = acd.shape_acd_per_video(black)
  np.testing.assert_array_equal(empty, [1.0, 1.0])
  np.testing.assert_allclose(scores, acd.empty_video_score(3))
  assert scores.min() > acd.shape_acd_per_video(real_clips)[0].max()
  # One shapeless frame in a video is enough to fail it.
  visual = ((real_clips[:1] + 1.0) * 127.5).astype(np.uint8)
  visual[0, 3] = 0
  scores, empty = acd.shape_acd_per_video(visual)
  assert scores[0] == acd.empty_video_score(3)
  assert empty[0] == pytest.approx(1 / visual.shape[1])


def test_a_few_bright_pixels_are_not_a_shape(real_clips):
  # A still 3-pixel artefact on black used to count as a shape of constant
  # colour in every frame: a perfect ACD of 0 for a video with no shape.
  artefact = np.zeros((1,) + real_clips.shape[1:], np.uint8)
  artefact[..., 5, 7:10, :] = 85
  scores, empty = acd.shape_acd_per_video(artefact)
  np.testing.assert_array_equal(empty, [1.0])
  assert scores[0] == acd.empty_video_score(3)
  # Every real clip's shape is far above the area it must cover.
  _, empty = acd.shape_acd_per_video(real_clips)
  assert empty.max() == 0


def test_a_shape_that_changes_colour_every_frame_scores_worse(real_clips):
  video = ((real_clips[:1] + 1.0) * 127.5).astype(np.uint8)
  palette = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255]], np.uint8)
  shape = video.max(axis=-1, keepdims=True) > 0
  for t in range(video.shape[1]):
    video[0, t] = np.where(shape[0, t], palette[t % 3], 0)
  changing = acd.shape_acd_per_video(video)[0][0]
  real = acd.shape_acd_per_video(real_clips)[0]
  assert changing > 100 > real.max()


def test_known_colour_distances_on_flat_shapes():
  video = np.zeros((1, 3, 8, 8, 3), np.uint8)
  video[0, 0, 2:5, 2:5] = (90, 120, 0)
  video[0, 1, 3:6, 3:6] = (90, 160, 0)   # 40 from frame 0
  video[0, 2, 1:4, 4:7] = (120, 160, 0)  # 30 from frame 1, 50 from frame 0
  scores, empty = acd.shape_acd_per_video(video)
  np.testing.assert_allclose(scores, [(40 + 50 + 30) / 3])
  assert empty[0] == 0
  # uint8 and [-1, 1] floats are the same video.
  as_float = (video / 127.5 - 1.0).astype(np.float32)
  np.testing.assert_allclose(acd.shape_acd_per_video(as_float)[0], scores,
                             rtol=1e-5)


def test_blurred_edges_do_not_count_as_the_shapes_colour():
  video = np.zeros((1, 2, 8, 8, 3), np.float64)
  video[0, :, 2:5, 2:5] = (200, 100, 50)
  video[0, 0, 2:5, 5] = (100, 50, 25)  # A half-covered edge in frame 0 only.
  scores, _ = acd.shape_acd_per_video(video.astype(np.uint8))
  np.testing.assert_allclose(scores, [0.0])


def test_dim_frames_are_shapeless():
  video = np.zeros((1, 2, 8, 8, 1), np.uint8)
  video[0, :, 3:5, 3:5] = 60  # Below the 76.5 threshold: a faded remnant.
  scores, empty = acd.shape_acd_per_video(video)
  np.testing.assert_array_equal(empty, [1.0])
  assert scores[0] == acd.empty_video_score(1) == 255.0


def test_frame_mean_acd_is_the_whole_frame_variant():
  two = np.zeros((1, 2, 4, 4, 3), np.uint8)
  two[0, 1] = (30, 40, 0)  # The mean colour moves by a 3-4-5 triangle.
  np.testing.assert_allclose(acd.frame_mean_acd_per_video(two), [50.0])
  part = np.zeros((1, 2, 4, 4, 3), np.uint8)
  part[0, 1, :2, :2] = (0, 0, 100)  # A quarter of the frame: 25.
  np.testing.assert_allclose(acd.frame_mean_acd_per_video(part), [25.0])
  # It cannot see a black video fail.
  assert acd.frame_mean_acd_per_video(np.zeros_like(two))[0] == 0.0


def test_backgrounds_are_known_only_for_shape_datasets():
  assert acd.background_of("shape_motion/tiny") == 0.0
  assert acd.background_of("mocogan_shapes") == 0.0
  assert acd.background_of("ucf101") is None


def test_acd_errors():
  with pytest.raises(ValueError, match="at least 2 frames"):
    acd.shape_acd_per_video(np.zeros((2, 1, 4, 4, 3), np.uint8))
  with pytest.raises(ValueError, match="range"):
    acd.shape_acd_per_video(np.full((1, 2, 4, 4, 3), 3.0))
  with pytest.raises(ValueError, match="dtype int64"):
    acd.frame_mean_acd_per_video(np.zeros((1, 2, 4, 4, 3), np.int64))
  with pytest.raises(ValueError, match=r"\[N, T, H, W, C\]"):
    acd.shape_acd_per_video(np.zeros((2, 4, 4), np.uint8))


def test_a_still_video_scores_worse_than_a_real_one_on_motion(real_clips):
  real = motion.motion_per_video(real_clips)
  still = np.repeat(real_clips[:, :1], real_clips.shape[1], axis=1)
  assert np.all(motion.motion_per_video(still) == 0.0)
  threshold = motion.still_threshold(real)
  assert np.all(real > threshold)  # No real clip counts as still...
  assert np.all(motion.motion_per_video(still) < threshold)  # ...every still.
  # The known value: a 2x2 patch of 100 appears in 1 of 2 steps.
  video = np.zeros((1, 3, 4, 4, 1), np.uint8)
  video[0, 2, :2, :2] = 100
  np.testing.assert_allclose(motion.motion_per_video(video),
                             [(0 + 4 * 100 / 16) / 2])
