"""FVD: the Frechet distance, the TF1 resize, the I3D embedding, the cache."""

import os
import re

import flax
import jax
import numpy as np
import pytest
import scipy.linalg
import tensorflow as tf

from video_inference.evaluation import fvd


def _reference_frechet(a, b):
  """The textbook formula with scipy's general matrix square root."""
  mu_a, mu_b = a.mean(0), b.mean(0)
  s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
  root = scipy.linalg.sqrtm(s_a @ s_b).real
  return (np.sum((mu_a - mu_b)**2) + np.trace(s_a) + np.trace(s_b)
          - 2 * np.trace(root))


def _random_activations(seed, n=300, dim=24):
  rng = np.random.default_rng(seed)
  mixing = rng.normal(size=(dim, dim))
  return rng.normal(size=(n, dim)) @ mixing + rng.normal(size=dim)


def test_frechet_distance_matches_scipy_reference():
  a, b = _random_activations(0), _random_activations(1)
  ours = fvd.frechet_distance_from_features(a, b)
  assert ours == pytest.approx(_reference_frechet(a, b), rel=1e-6)
  assert fvd.frechet_distance_from_features(b, a) == pytest.approx(ours,
                                                                   rel=1e-9)
  assert abs(fvd.frechet_distance_from_features(a, a)) < 1e-6 * ours


def test_streamed_statistics_equal_one_shot_numpy():
  features = _random_activations(2, n=101) * 1e3 + 1e6  # Large offset.
  accumulator = fvd.StatisticsAccumulator()
  for start in range(0, 101, 17):
    accumulator.update(features[start:start + 17])
  stats = accumulator.result()
  assert stats.count == 101
  np.testing.assert_allclose(stats.mean, features.mean(0), rtol=1e-12)
  np.testing.assert_allclose(stats.covariance, np.cov(features, rowvar=False),
                             rtol=1e-7, atol=1e-6)


def test_statistics_need_two_vectors():
  with pytest.raises(ValueError, match="at least 2"):
    fvd.FeatureStatistics.from_features(np.zeros((1, 4)))


@pytest.mark.parametrize("in_shape", [(64, 64), (32, 48), (240, 320)])
@pytest.mark.parametrize("channels", [1, 3])
def test_resize_matches_tf1_resize_bilinear(in_shape, channels):
  rng = np.random.default_rng(0)
  frames = rng.integers(0, 256, (2,) + in_shape + (channels,)).astype(
      np.float32)
  ours = np.asarray(fvd.resize_bilinear_tf1(frames, 224, 224))
  reference = tf.compat.v1.image.resize_bilinear(
      frames, (224, 224), align_corners=False,
      half_pixel_centers=False).numpy()
  # Compared on I3D's input scale [-1, 1] (2x/255 - 1).
  np.testing.assert_allclose(2 * ours / 255, 2 * reference / 255, atol=1e-4)


def test_resize_is_not_half_pixel():
  # The legacy sampling differs from jax.image.resize: guard the choice.
  frames = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
  ours = np.asarray(fvd.resize_bilinear_tf1(frames, 8, 8))
  assert ours[0, 0, 0, 0] == 0.0 and ours[0, 0, 1, 0] == 0.5


# --------------------------------------------------------------- I3D ----
NUM_VIDEOS, NUM_FRAMES = 8, 9


@pytest.fixture(scope="module")
def embedder():
  return fvd.I3DEmbedder(batch_size_per_device=2)


@pytest.fixture(scope="module")
def real_videos():
  """Smooth colour textures drifting at random velocities, 48x48.

  Content at every scale, unlike Shape Motion's few-pixel shapes on black
  (whose heavily blurred versions fade to an empty frame that I3D ranks
  closer than a lightly blurred one).
  """
  rng = np.random.default_rng(0)
  size, videos = 48, []
  frequencies = np.hypot(np.fft.fftfreq(2 * size)[:, None],
                         np.fft.fftfreq(2 * size)[None, :])
  low_pass = np.exp(-frequencies**2 / (2 * 0.03**2))[..., None]
  for _ in range(NUM_VIDEOS):
    noise = rng.normal(size=(2 * size, 2 * size, 3))
    texture = np.real(np.fft.ifft2(np.fft.fft2(noise, axes=(0, 1)) * low_pass,
                                   axes=(0, 1)))
    texture = 255 * (texture - texture.min()) / np.ptp(texture)
    velocity = rng.integers(-3, 4, 2)
    top, left = rng.integers(0, size // 2, 2)
    videos.append(np.stack([
        np.roll(texture, tuple(t * velocity), (0, 1))[top:top + size,
                                                      left:left + size]
        for t in range(NUM_FRAMES)]))
  return np.round(np.stack(videos)).astype(np.uint8)


def _noise(videos, strength):
  rng = np.random.default_rng(0)
  noisy = videos + strength * rng.normal(size=videos.shape)
  return np.clip(np.round(noisy), 0, 255).astype(np.uint8)


def _blur(videos, radius):
  blurred = videos.astype(np.float64)
  for _ in range(radius):  # Repeated 3x3 box filter on each frame.
    padded = np.pad(blurred, ((0, 0), (0, 0), (1, 1), (1, 1), (0, 0)),
                    mode="edge")
    blurred = sum(padded[:, :, i:i + blurred.shape[2], j:j + blurred.shape[3]]
                  for i in range(3) for j in range(3)) / 9
  return np.round(blurred).astype(np.uint8)


def _shuffle(videos, fraction):
  """Randomly permutes the first `fraction` of each video's frames."""
  count = int(round(fraction * videos.shape[1]))
  rng = np.random.default_rng(0)
  out = videos.copy()
  for video in out:
    video[:count] = video[rng.permutation(count)]
  return out


@pytest.fixture(scope="module")
def real_statistics(embedder, real_videos):
  return fvd.FeatureStatistics.from_features(embedder(real_videos))


def test_fvd_of_a_set_with_itself_is_zero_and_symmetric(
    embedder, real_videos, real_statistics):
  assert abs(fvd.frechet_distance(real_statistics, real_statistics)) < 1e-2
  # The streaming path (batches of videos -> statistics) agrees.
  streamed = embedder.statistics([real_videos[:4], real_videos[4:]])
  assert streamed.count == NUM_VIDEOS
  np.testing.assert_allclose(streamed.mean, real_statistics.mean, rtol=1e-5,
                             atol=1e-5)
  assert abs(fvd.frechet_distance(streamed, real_statistics)) < 1e-2
  # The public entry point on uint8 videos, and its symmetry.
  other = _noise(real_videos, 40)
  forward = fvd.compute_fvd(real_videos, other, embedder)
  other_statistics = fvd.FeatureStatistics.from_features(embedder(other))
  assert forward > 1.0
  assert forward == pytest.approx(
      fvd.frechet_distance(other_statistics, real_statistics), rel=1e-6)


@pytest.mark.parametrize("corrupt,strengths", [
    (_noise, (15, 60)),
    (_blur, (1, 4)),
    (_shuffle, (0.5, 1.0)),
])
def test_fvd_grows_with_corruption_strength(embedder, real_videos,
                                            real_statistics, corrupt,
                                            strengths):
  distances = [
      fvd.frechet_distance(real_statistics, fvd.FeatureStatistics.from_features(
          embedder(corrupt(real_videos, s)))) for s in strengths]
  # Strength 0 is the real set itself: distance ~0 (tested above).
  assert 1.0 < distances[0] < distances[1], distances


def test_time_unfolded_convolutions_keep_features_and_fvd(embedder,
                                                          real_videos):
  """The embedder's default on CPU (3D convolutions unfolded in time) gives
  the package's own forward's features and FVD."""
  native = fvd.I3DEmbedder(batch_size_per_device=2,
                           conv3d_implementation="native")
  real, noisy = real_videos[:3], _noise(real_videos[:3], 40)
  features = {name: (model(real), model(noisy))
              for name, model in (("native", native), ("unfolded", embedder))}
  for ours, theirs in zip(features["unfolded"], features["native"]):
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)
  distances = {
      name: fvd.frechet_distance(*map(fvd.FeatureStatistics.from_features,
                                      pair))
      for name, pair in features.items()}
  assert distances["unfolded"] == pytest.approx(distances["native"],
                                                rel=1e-3)
  assert distances["native"] > 1.0
  # And the default really unfolds: no 5-D (3D) convolution is left; it
  # pools without reduce-windows, and its strided convolutions stay XLA's
  # (forward only: no patches are built).
  assert _three_d_convolutions(native) > 0
  assert _three_d_convolutions(embedder) == 0
  assert "reduce_window_max" in _jaxpr_text(native)
  assert "reduce_window_max" not in _jaxpr_text(embedder)
  assert "window_strides=(2, 2)" in _jaxpr_text(embedder)


def _jaxpr_text(model) -> str:
  videos = np.zeros((model.mesh.size, NUM_FRAMES, 32, 32, 3), np.uint8)
  return str(jax.make_jaxpr(model._embed)(model.variables, videos))  # pylint: disable=protected-access


def _three_d_convolutions(model) -> int:
  return sum(1 for line in _jaxpr_text(model).splitlines()
             if "conv_general_dilated" in line
             and re.search(r"f32\[\d+,\d+,\d+,\d+,\d+\]", line))


@pytest.mark.parametrize("window, strides", [
    ((3, 3, 3), (1, 1, 1)), ((1, 3, 3), (1, 2, 2)), ((3, 3, 3), (2, 2, 2)),
    ((2, 2, 2), (2, 2, 2))])
def test_separable_max_pool_equals_flax_max_pool(window, strides):
  """I3D's four pools, odd and even sizes, "SAME" padding: exactly equal."""
  x = jax.random.normal(jax.random.key(0), (2, 7, 10, 9, 3))
  np.testing.assert_array_equal(
      fvd.separable_max_pool(x, window, strides, "SAME"),
      flax.linen.max_pool(x, window, strides, "SAME"))


def test_gray_videos_embed_as_repeated_channels(embedder, real_videos):
  gray = real_videos[:2, ..., :1]
  np.testing.assert_array_equal(embedder(gray),
                                embedder(np.repeat(gray, 3, axis=-1)))


def test_non_finite_embeddings_are_an_error(embedder, real_videos,
                                            monkeypatch):
  monkeypatch.setattr(embedder, "_embed",
                      lambda v, x: np.full((len(x), 400), np.nan))
  with pytest.raises(FloatingPointError, match="non-finite"):
    embedder(real_videos[:2])


@pytest.mark.parametrize("videos,error,match", [
    (np.zeros((4, 16, 8, 8, 3), np.float32), TypeError, "uint8"),
    (np.zeros((16, 8, 8, 3), np.uint8), ValueError, r"\[N, T, H, W, C\]"),
    (np.zeros((4, 16, 8, 8, 2), np.uint8), ValueError, "C in"),
    (np.zeros((4, 8, 8, 8, 3), np.uint8), ValueError, "at least 9"),
    (np.full((4, 16, 8, 8, 3), 300, np.int32), ValueError, "0..255"),
    (np.zeros((1, 16, 8, 8, 3), np.uint8), ValueError, "at least 2 videos"),
])
def test_bad_inputs_are_refused(videos, error, match):
  good = np.zeros((4, 16, 8, 8, 3), np.uint8)
  with pytest.raises(error, match=match):
    fvd.compute_fvd(videos, good, embedder=object())


def test_cache_is_hit_on_the_second_run(tmp_path):
  calls = []

  def compute():
    calls.append(1)
    return fvd.FeatureStatistics.from_features(_random_activations(3))

  spec = {"dataset": "shape_motion", "split": "test", "num_frames": 16}
  first, hit_first = fvd.cached_statistics(str(tmp_path), spec, compute)
  second, hit_second = fvd.cached_statistics(str(tmp_path), spec, compute)
  assert (hit_first, hit_second, len(calls)) == (False, True, 1)
  np.testing.assert_array_equal(first.covariance, second.covariance)
  _, hit_other = fvd.cached_statistics(str(tmp_path), dict(spec, split="val"),
                                       compute)
  assert not hit_other and len(calls) == 2


def test_evaluate_reports_fvd_diversity_and_reuses_real_statistics(
    tiny_config, tmp_path):
  """The fvd evaluator end to end on an untrained 9-frame tiny sdvi model."""
  import jax
  from video_inference import models
  from video_inference.evaluation import evaluate

  config = tiny_config
  config.dataset.num_frames = 9
  config.evals.fvd.enabled = True
  config.evals.update(num_test_clips=3, num_samples=2, batch_size=6)
  model = models.build_model(config)
  variables = model.sampling_variables(
      jax.jit(model.create_state)(jax.random.key(0)))
  first = evaluate.evaluate(model, variables, config, 0, str(tmp_path))
  assert first["evaluators"] == ["frames", "acd", "fvd", "motion"]
  assert first["fvd_real_statistics_cached"] is False
  fvd_figure = first["metrics"]["fvd"]
  assert fvd_figure["n"] == 2  # One FVD per generation...
  assert fvd_figure["ci95_low"] is None  # ...too few for an interval.
  assert fvd_figure["values"] == first["fvd_per_generation"]
  assert fvd_figure["mean"] > 0
  assert 0 <= first["metrics"]["diversity"]["mean"] <= 2
  assert first["metrics"]["diversity"]["n"] == 3  # One per anchor set.
  second = evaluate.evaluate(model, variables, config, 1, str(tmp_path))
  assert second["fvd_real_statistics_cached"] is True
  assert os.listdir(tmp_path / "fvd_cache")


def test_fvd_evaluator_refuses_short_clips(tiny_config, tmp_path):
  import jax
  from video_inference import models
  from video_inference.evaluation import evaluate

  tiny_config.evals.fvd.enabled = True  # Tiny clips have 4 frames.
  model = models.build_model(tiny_config)
  variables = model.sampling_variables(
      jax.jit(model.create_state)(jax.random.key(0)))
  with pytest.raises(ValueError, match="at least 9 frames"):
    evaluate.evaluate(model, variables, tiny_config, 0, str(tmp_path))
