"""Tests for evaluation.frames (PSNR/SSIM, best of K)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from video_inference.evaluation import frames as fm


def _video(shape, seed=0) -> np.ndarray:
  rng = np.random.default_rng(seed)
  return rng.uniform(-1, 1, shape).astype(np.float32)


def _noisy(target: np.ndarray, sigmas, seed=1) -> np.ndarray:
  rng = np.random.default_rng(seed)
  out = [target + s * rng.standard_normal(target.shape) for s in sigmas]
  return np.clip(np.stack(out), -1, 1).astype(np.float32)


# PSNR / SSIM


def test_psnr_identical_is_inf_and_falls_with_noise():
  target = _video((4, 12, 12, 3))
  samples = _noisy(target, [0.0, 0.05, 0.2, 0.5])
  psnr = np.asarray(fm.psnr_per_video(samples, target))
  assert psnr.shape == (4,)
  assert np.isposinf(psnr[0])
  assert np.all(np.diff(psnr[1:]) < 0) and psnr[1] > 25


def test_psnr_known_value_on_the_0_1_scale():
  target = np.full((3, 8, 8, 1), -0.5, np.float32)
  # +0.2 in [-1, 1] is +0.1 in [0, 1]: MSE 0.01, PSNR 20 dB.
  samples = np.stack([target + 0.2, target - 0.2])
  psnr = fm.psnr_per_video(samples, target)
  np.testing.assert_allclose(psnr, [20.0, 20.0], rtol=1e-5)


def test_psnr_is_the_mean_of_per_frame_values_and_mask_selects_frames():
  target = np.zeros((2, 8, 8, 3), np.float32)
  sample = target.copy()
  sample[1] += 0.2  # frame 0 exact (inf dB), frame 1 at 20 dB
  assert np.isposinf(fm.psnr_per_video(sample[None], target)[0])
  mask = np.array([False, True])
  psnr = fm.psnr_per_video(sample[None], target, mask)
  np.testing.assert_allclose(psnr, [20.0], rtol=1e-5)
  other = target.copy()
  other[0] += 0.2
  other[1] += 0.02  # 40 dB; mean over both frames is 30 dB
  np.testing.assert_allclose(
    fm.psnr_per_video(other[None], target), [30.0], rtol=1e-4
  )
  with pytest.raises(ValueError, match="no frame"):
    fm.psnr_per_video(sample[None], target, np.array([False, False]))


def test_ssim_of_identical_videos_is_one_and_falls_with_noise():
  target = _video((3, 16, 16, 3), seed=2)
  samples = _noisy(target, [0.0, 0.1, 0.4])
  ssim = np.asarray(fm.ssim_per_video(samples, target))
  np.testing.assert_allclose(ssim[0], 1.0, atol=1e-5)
  assert ssim[0] > ssim[1] > ssim[2]


def test_metrics_jit_and_mask_agree():
  target = _video((3, 12, 12, 1), seed=3)
  samples = _noisy(target, [0.1, 0.3])
  mask = jnp.array([True, False, True])
  for metric in (fm.psnr_per_video, fm.ssim_per_video):
    eager = metric(samples, target, mask)
    jitted = jax.jit(metric)(samples, target, mask)
    np.testing.assert_allclose(jitted, eager, rtol=1e-5)
    manual = np.stack(
      [metric(samples[:, [t]], target[[t]]) for t in (0, 2)]
    ).mean(0)
    np.testing.assert_allclose(eager, manual, rtol=1e-5)


def test_ssim_rejects_frames_smaller_than_its_window():
  target = _video((2, 8, 8, 3))
  with pytest.raises(ValueError, match="11x11"):
    fm.ssim_per_video(target[None], target)


@pytest.mark.parametrize(
  "samples_shape, target_shape, mask, words",
  [
    ((2, 3, 12, 12, 3), (4, 12, 12, 3), None, "samples must have shape"),
    ((3, 12, 12, 3), (3, 12, 12, 3), None, r"samples must have shape \[K, T"),
    ((2, 3, 12, 12, 3), (12, 12, 3), None, r"target must have shape \[T"),
    ((2, 3, 12, 12, 2), (3, 12, 12, 2), None, "C in"),
    ((2, 3, 12, 12, 3), (3, 12, 12, 3), np.array([True, False]), "frame_mask"),
    ((2, 3, 12, 12, 3), (3, 12, 12, 3), np.array([1, 0, 1]), "frame_mask"),
  ],
)
def test_metric_shape_errors(samples_shape, target_shape, mask, words):
  samples, target = _video(samples_shape), _video(target_shape)
  for metric in (fm.psnr_per_video, fm.ssim_per_video):
    with pytest.raises(ValueError, match=words):
      metric(samples, target, mask)


def test_metrics_reject_uint8():
  target = np.zeros((2, 12, 12, 3), np.uint8)
  with pytest.raises(ValueError, match="samples must be a float video"):
    fm.psnr_per_video(target[None], target)


# best of K and the stochasticity curve


def test_best_of_k_and_curve_match_brute_force():
  rng = np.random.default_rng(4)
  scores = rng.normal(20.0, 3.0, (7, 10))
  np.testing.assert_allclose(
    fm.best_of_k(scores), scores.max(axis=1), rtol=1e-6
  )
  ks, curve = fm.stochasticity_curve(scores)
  np.testing.assert_array_equal(ks, [1, 2, 4, 8, 10])
  brute = [np.mean([max(row[:k]) for row in scores]) for k in ks]
  np.testing.assert_allclose(curve, brute)
  all_ks, full = fm.stochasticity_curve(scores, ks=range(1, 11))
  np.testing.assert_array_equal(all_ks, np.arange(1, 11))
  assert np.all(np.diff(full) >= 0)
  assert full[0] == pytest.approx(scores[:, 0].mean())
  assert full[-1] == pytest.approx(np.mean(fm.best_of_k(scores)))


def test_curve_default_ks_and_errors():
  assert fm.stochasticity_curve(np.zeros((2, 8)))[0].tolist() == [1, 2, 4, 8]
  assert fm.stochasticity_curve(np.zeros((2, 1)))[0].tolist() == [1]
  assert fm.stochasticity_curve(np.zeros((2, 5)), ks=[5, 1, 5])[0].tolist() == [
    1,
    5,
  ]
  for ks in ([0], [6], [2.5], []):
    with pytest.raises(ValueError, match="ks"):
      fm.stochasticity_curve(np.zeros((2, 5)), ks=ks)
  with pytest.raises(ValueError, match="num_sets, K"):
    fm.best_of_k(np.zeros(5))
