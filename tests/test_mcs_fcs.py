"""MCS / FCS (navsynth section 4.2): VGG16 weights, scores, the evaluator."""

import glob
import os
import types

import dm_pix
import ml_collections
import numpy as np
from PIL import Image
import pytest

from video_inference.evaluation import mcs_fcs

# MoCoGAN's Weizmann action strips, in the shared data beside the checkout.
ACTIONS_DIR = os.environ.get("MOCOGAN_ACTIONS_DIR", os.path.join(
    os.path.dirname(__file__), os.pardir, os.pardir, "shared", "data",
    "mocogan", "actions"))


@pytest.fixture(scope="module")
def extractor():
  return mcs_fcs.default_extractor()


def _squares(seed, num_videos=16, num_frames=8, size=64, side=20, speed=4):
  """Textured squares sliding right over textured backgrounds, in [-1, 1]."""
  rng = np.random.default_rng(seed)
  videos = np.zeros((num_videos, num_frames, size, size, 3), np.float32)
  for video in videos:
    background = rng.uniform(0.2, 0.4, (size, size, 3))
    texture = rng.uniform(0.0, 1.0, (side, side, 3))
    top, left = rng.integers(0, size - side), rng.integers(0, 8)
    for t, frame in enumerate(video):
      frame[:] = background
      x = left + speed * t
      frame[top:top + side, x:x + side] = texture
  return videos * 2 - 1


def _shuffle_frames(videos, seed=0):
  rng = np.random.default_rng(seed)
  out = videos.copy()
  for video in out:
    video[:] = video[rng.permutation(len(video))]
  return out


def test_checkpoint_holds_torchvision_vgg16_up_to_conv3_3():
  params = mcs_fcs.load_vgg16_params()
  widths = [64, 64, 128, 128, 256, 256, 256]
  assert [p["kernel"].shape[-1] for p in params] == widths
  assert params[0]["kernel"].shape == (3, 3, 3, 64)
  # torchvision's vgg16 features.0.weight[0, 0] (filter 0, red input) and
  # features.0.bias[:4]: the file is HWIO of [out, in, h, w], RGB order.
  np.testing.assert_allclose(
      params[0]["kernel"][:, :, 0, 0],
      [[-0.5537, 0.1427, 0.5290], [-0.5831, 0.3566, 0.7657],
       [-0.6902, -0.0480, 0.4841]], atol=1e-4)
  np.testing.assert_allclose(params[0]["bias"][:4],
                             [0.4034, 0.3778, 0.4644, -0.3228], atol=1e-4)


def test_relu3_3_of_a_64x64_frame(extractor):
  rng = np.random.default_rng(0)
  gray = rng.uniform(-1, 1, (2, 64, 64, 1)).astype(np.float32)
  features = np.asarray(extractor(gray))
  assert features.shape == (2, 16, 16, 256)
  assert features.min() >= 0 and features.max() > 0
  # Gray frames are their channel repeated; uint8 frames are x / 255.
  np.testing.assert_array_equal(features,
                                extractor(np.repeat(gray, 3, axis=-1)))
  as_uint8 = np.round((gray + 1) * 127.5).astype(np.uint8)
  np.testing.assert_allclose(extractor(as_uint8), features, atol=0.05 *
                             features.max())


def test_motion_vector_is_the_mean_of_consecutive_differences(extractor):
  videos = _squares(0, num_videos=3, num_frames=4)
  features = np.asarray(
      extractor(videos.reshape((-1,) + videos.shape[2:])), np.float64)
  features = features.reshape(3, 4, -1)
  explicit = np.diff(features, axis=1).mean(axis=(0, 1))
  # chunk_size 2: two calls, the second padded with an all-zero video.
  ours = mcs_fcs.mean_motion_vector(videos, extractor, chunk_size=2)
  np.testing.assert_allclose(ours, explicit, rtol=1e-4,
                             atol=1e-5 * np.abs(explicit).max())


def test_mcs_is_lowest_for_the_set_itself_and_higher_for_shuffled_frames(
    extractor):
  real, other_real = _squares(1), _squares(2)
  f_real, f_other, f_shuffled = (
      mcs_fcs.mean_motion_vector(v, extractor)
      for v in (real, other_real, _shuffle_frames(real)))
  itself = mcs_fcs.mcs_from_vectors(f_real, f_real)
  against_real = mcs_fcs.mcs_from_vectors(f_real, f_other)
  against_shuffled = mcs_fcs.mcs_from_vectors(f_real, f_shuffled)
  assert itself == mcs_fcs.MCS_FLOOR  # Exact match: floored, not -inf.
  # Another draw of the same motion is closer than shuffled frames.
  assert itself < against_real < against_shuffled - 0.2
  assert mcs_fcs.mcs_from_vectors(f_shuffled, f_real) == against_shuffled


def _actions_videos(num_videos=12, num_frames=10):
  """Weizmann strips (64x64 frames side by side, PNG data) as uint8 videos."""
  paths = sorted(glob.glob(os.path.join(ACTIONS_DIR, "*", "*.jpg")))
  if len(paths) < num_videos:
    pytest.skip(f"needs {num_videos} Weizmann strips in {ACTIONS_DIR}; found "
                f"{len(paths)}.")
  videos = []
  for path in paths[::len(paths) // num_videos][:num_videos]:
    with Image.open(path) as image:
      strip = np.asarray(image.convert("RGB"))
    frames = strip.reshape(64, -1, 64, 3).transpose(1, 0, 2, 3)
    videos.append(frames[:num_frames])
  return np.stack(videos)


def test_mcs_and_fcs_on_real_weizmann_clips(extractor):
  videos = _actions_videos()
  clips, later = videos[:, :-1], videos[:, 1:]  # Same motion, one frame on.
  f_clips, f_later, f_shuffled = (
      mcs_fcs.mean_motion_vector(v, extractor)
      for v in (clips, later, _shuffle_frames(clips)))
  against_later = mcs_fcs.mcs_from_vectors(f_clips, f_later)
  against_shuffled = mcs_fcs.mcs_from_vectors(f_clips, f_shuffled)
  assert mcs_fcs.mcs_from_vectors(f_clips, f_clips) == mcs_fcs.MCS_FLOOR
  assert against_later < against_shuffled - 0.2
  # Real clips: high frame consistency (the paper's bound is 0.95).
  assert 0.6 < mcs_fcs.fcs(clips) < 1


def test_fcs_is_one_for_a_static_video_and_lower_when_frames_change():
  rng = np.random.default_rng(0)
  frame = rng.uniform(-1, 1, (1, 1, 64, 64, 3)).astype(np.float32)
  static = np.repeat(frame, 5, axis=1)
  assert mcs_fcs.fcs_per_video(static)[0] == pytest.approx(1.0, abs=1e-5)
  moving = _squares(3, num_videos=2, num_frames=5)
  scores = mcs_fcs.fcs_per_video(np.concatenate([static, moving]),
                                 chunk_size=2)
  assert scores.shape == (3,)
  assert np.all(scores[1:] < 0.99)
  # Frame 0 is the reference, not a scored frame: two frames give exactly
  # SSIM(x_1, x_0); the uint8 video scores the same up to its rounding.
  two = moving[:, :2]
  expected = dm_pix.ssim((two[:, 1] + 1) / 2, (two[:, 0] + 1) / 2)
  np.testing.assert_allclose(mcs_fcs.fcs_per_video(two), expected, rtol=1e-5)
  as_uint8 = np.round((two + 1) * 127.5).astype(np.uint8)
  np.testing.assert_allclose(mcs_fcs.fcs_per_video(as_uint8), expected,
                             atol=1e-2)


@pytest.mark.parametrize("videos, match", [
    (np.zeros((2, 1, 32, 32, 3), np.float32), "at least 2"),
    (np.zeros((2, 4, 8, 8, 3), np.float32), "at least 11x11"),
    (np.zeros((2, 4, 32, 32, 2), np.float32), "C in"),
    (np.full((2, 4, 32, 32, 3), 3.0, np.float32), r"\[-1, 1\]"),
])
def test_bad_videos_are_refused(videos, match):
  with pytest.raises(ValueError, match=match):
    mcs_fcs.fcs_per_video(videos)


def test_evaluator_on_a_fake_context(extractor):
  del extractor  # Shares the loaded weights.
  clips = _squares(4, num_videos=3, num_frames=4, size=32, side=8, speed=2)
  context = types.SimpleNamespace(clips={"video": clips})
  settings = ml_collections.ConfigDict(
      dict(enabled=True, during_training=True, chunk_size=2))
  evaluator = mcs_fcs.MotionFrameConsistency(context, settings)
  for seed in (5, 6):
    evaluator.observe(_squares(seed, num_videos=3, num_frames=4, size=32,
                               side=8, speed=2))
  result = evaluator.finish()
  metrics = result["metrics"]
  assert set(metrics) == {"mcs", "fcs", "fcs_real_clips"}
  # MCS of the 2 x 3 generated videos as one set; the paper's per
  # generation figure beside it.
  assert metrics["mcs"]["n"] == 6 and len(result["mcs_per_generation"]) == 2
  assert metrics["fcs"]["n"] == 3 and metrics["fcs_real_clips"]["n"] == 3
  for figure in metrics.values():
    assert figure["ci95_low"] is None  # n < 10.
  assert mcs_fcs.MCS_FLOOR < metrics["mcs"]["mean"]
  assert 0 < metrics["fcs"]["mean"] < 1


def test_evaluator_refuses_single_frame_clips():
  context = types.SimpleNamespace(
      clips={"video": np.zeros((2, 1, 32, 32, 3), np.float32)})
  settings = ml_collections.ConfigDict(dict(chunk_size=2))
  with pytest.raises(ValueError, match="mcs_fcs.enabled=False"):
    mcs_fcs.MotionFrameConsistency(context, settings)


def test_evaluate_runs_the_evaluator_on_the_tiny_model(tiny_config, tmp_path,
                                                      monkeypatch):
  """Through evaluate.evaluate, registered as "mcs_fcs" for this test."""
  import jax
  from video_inference import models
  from video_inference.evaluation import evaluate

  monkeypatch.setitem(evaluate.EVALUATORS, "mcs_fcs",
                      mcs_fcs.MotionFrameConsistency)
  config = tiny_config
  settings = dict(enabled=True, during_training=True, chunk_size=4)
  with config.unlocked():
    if "mcs_fcs" in config.evals:
      config.evals.mcs_fcs.update(settings)
    else:
      config.evals.mcs_fcs = settings
  config.evals.frames.enabled = config.evals.acd.enabled = False
  config.evals.motion.enabled = False
  model = models.build_model(config)
  variables = model.sampling_variables(
      jax.jit(model.create_state)(jax.random.key(0)))
  result = evaluate.evaluate(model, variables, config, 0, str(tmp_path))
  assert result["evaluators"] == ["mcs_fcs"]
  metrics = result["metrics"]
  assert metrics["mcs"]["n"] == (config.evals.num_samples *
                                 config.evals.num_test_clips)
  assert metrics["fcs"]["n"] == config.evals.num_test_clips
  assert metrics["fcs_real_clips"]["n"] == config.evals.num_test_clips
  assert os.path.exists(tmp_path / "eval_0.json")


def test_summarize_mcs_is_the_set_figure_with_an_interval_around_it():
  rng = np.random.default_rng(7)
  real = rng.normal(size=40)
  vectors = real + rng.normal(0.0, 1.0, (30, 40))
  summary = mcs_fcs.summarize_mcs(real, vectors)
  assert summary["n"] == 30
  assert summary["mean"] == pytest.approx(
      mcs_fcs.mcs_from_vectors(real, vectors.mean(axis=0)))
  assert summary["ci95_low"] < summary["mean"] < summary["ci95_high"]
  # The Gram-matrix resampling equals resampling the vectors themselves.
  picks = rng.integers(0, 30, 30)
  deviations = vectors - real
  gram = deviations @ deviations.T
  direct = np.sum(deviations[picks].mean(axis=0)**2)
  assert gram[np.ix_(picks, picks)].sum() / 30**2 == pytest.approx(direct)
