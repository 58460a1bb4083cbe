"""Trivial baselines through the evaluation, --step selection, paired rows."""

import json
import os
import shutil

import jax
import numpy as np
import pytest

from conftest import load_config
from video_inference import baselines
from video_inference import modes
from video_inference import sampling
from video_inference import train
from video_inference.evaluation import acd
from video_inference.evaluation import report


@pytest.fixture
def anchors_and_clips(tiny_config):
  """Two real tiny clips' frames 0 and 3 as uint8 anchors, and the config."""
  from video_inference import input_pipeline
  clips = input_pipeline.eval_clips(tiny_config, 2, anchor_times=(0, 3))
  frames = ((clips["video"][0, [0, 3]] + 1.0) * 127.5).round()
  return frames.astype(np.uint8), tiny_config


@pytest.mark.parametrize("name", sorted(baselines.BASELINES))
def test_every_baseline_returns_uint8_videos_through_its_anchors(
    name, anchors_and_clips):
  anchors, config = anchors_and_clips
  model, variables = baselines.build(config, name)
  videos = sampling.sample(model, variables, anchors, [0, 3], 4, 3,
                           jax.random.key(0))
  assert videos.dtype == np.uint8 and videos.shape == (3, 4, 32, 32, 3)
  np.testing.assert_array_equal(videos[:, 0], np.broadcast_to(
      anchors[0], videos[:, 0].shape))
  np.testing.assert_array_equal(videos[:, 3], np.broadcast_to(
      anchors[1], videos[:, 3].shape))
  if name == "black":
    assert videos[:, 1:3].max() == 0
  if name == "train_clips":  # Different samples draw different clips.
    assert len({videos[k, 1].tobytes() for k in range(3)}) > 1
  else:  # The rest ignore the rng.
    assert model.ignores_rng
    np.testing.assert_array_equal(videos[0], videos[1])


def test_nearest_anchor_and_crossfade_values():
  video = np.zeros((1, 5, 2, 2, 1), np.float32)
  video[0, 0], video[0, 4] = -1.0, 1.0
  mask = np.array([[True, False, False, False, True]])
  nearest = np.einsum("bts,bs...->bt...",
                      baselines.anchor_weights(mask, blend=False), video)
  np.testing.assert_array_equal(nearest[0, :, 0, 0, 0],
                                [-1, -1, -1, 1, 1])  # A tie goes earlier.
  fade = np.einsum("bts,bs...->bt...",
                   baselines.anchor_weights(mask, blend=True), video)
  np.testing.assert_allclose(fade[0, :, 0, 0, 0], [-1, -0.5, 0, 0.5, 1])
  # Outside the anchors: the nearest one is held.
  late = np.array([[False, True, False, True, False]])
  weights = baselines.anchor_weights(late, blend=True)
  np.testing.assert_array_equal(weights[0, 0], [0, 1, 0, 0, 0])
  np.testing.assert_array_equal(weights[0, 4], [0, 0, 0, 1, 0])
  with pytest.raises(ValueError, match="at least one anchor"):
    baselines.anchor_weights(np.zeros((1, 3), bool), blend=True)


def test_anchor_baselines_refuse_a_family_without_anchors(tfds_dir):
  config = load_config("navsynth_shapes")
  config.dataset.data_dir = tfds_dir
  with pytest.raises(ValueError, match=r"generates without anchors.*"
                     r"'black', 'mean_frame', 'train_clips'"):
    baselines.build(config, "crossfade")
  model, _ = baselines.build(config, "black")
  assert not model.supports_anchors and model.supports_prior
  with pytest.raises(ValueError, match="Unknown baseline 'blak'.*'black'"):
    baselines.build(config, "blak")


def test_evaluate_scores_a_baseline_without_a_checkpoint(tiny_config,
                                                          tmp_path):
  tiny_config.evals.baseline = "black"
  results = modes.run_evaluate(tiny_config, str(tmp_path))
  assert os.path.basename(results["path"]) == "eval_baseline_black.json"
  assert results["baseline"] == "black" and results["step"] == 0
  metrics = results["metrics"]
  # Black frames between the anchors: every inferred video fails ACD.
  assert metrics["acd_inferred_samples"]["mean"] == acd.empty_video_score(3)
  assert metrics["acd_inferred_samples_empty_frames"]["mean"] > 0
  assert metrics["acd_real_clips"]["mean"] < 1e-6
  assert metrics["acd_prior_samples_empty_frames"]["mean"] == 1.0
  tiny_config.evals.baseline = "crossfade"
  fade = modes.run_evaluate(tiny_config, str(tmp_path))["metrics"]
  assert "acd_prior_samples" not in fade  # No prior: it needs anchors.
  table = report.markdown_table(
      [str(tmp_path / "eval_baseline_black.json"),
       str(tmp_path / "eval_baseline_crossfade.json")], ["mean_psnr"])
  assert "| baseline: black | - |" in table
  paired = report.paired_table(
      [str(tmp_path / "eval_baseline_black.json"),
       str(tmp_path / "eval_baseline_crossfade.json")],
      ["mean_psnr", "acd_prior_samples"])
  difference = fade["mean_psnr"]["mean"] - metrics["mean_psnr"]["mean"]
  assert f"{difference:.4g} (n=2)" in paired
  assert "unpaired" in paired  # Only black has prior samples.
  with pytest.raises(ValueError, match="a baseline .* has none"):
    modes.run_evaluate(tiny_config, str(tmp_path), step="best")


def test_step_best_loads_the_best_checkpoint(tiny_config, tmp_path,
                                             monkeypatch, capsys):
  """Step 1 scores best (-1 > -2), so 'best' is 1 while 'latest' is 2."""
  tiny_config.train.update(eval_every=1)
  tiny_config.evals.update(best_metric="score", best_mode="max")

  def fake_evaluate(model, variables, config, step, *args, **kwargs):
    del model, variables, config, args, kwargs
    return {"metrics": {"score": {"mean": -float(step)}}}

  workdir = str(tmp_path / "run")
  with monkeypatch.context() as patch:
    patch.setattr(train.evaluate_lib, "evaluate", fake_evaluate)
    train.train_and_evaluate(tiny_config, workdir, jax.devices()[:1])
  tiny_config.evals.acd.enabled = tiny_config.evals.frames.enabled = False
  assert modes.run_evaluate(tiny_config, workdir, "best")["step"] == 1
  assert modes.run_evaluate(tiny_config, workdir)["step"] == 2  # latest
  assert modes.run_evaluate(tiny_config, workdir, "1")["step"] == 1
  tiny_config.evals.checkpoint = "best"  # A paper config's default.
  results = modes.run_evaluate(tiny_config, workdir)
  assert results["step"] == 1
  with open(os.path.join(workdir, "eval_1.json")) as f:
    assert json.load(f)["step"] == 1
  with pytest.raises(ValueError, match="'latest', 'best' or a step number"):
    modes.run_evaluate(tiny_config, workdir, "newest")
  os.remove(os.path.join(workdir, "eval_2.json"))
  tiny_config.evals.update(best_metric="motion", best_mode="min")
  built = []
  build_model = modes.models.build_model
  with monkeypatch.context() as patch:
    patch.setattr(modes.models, "build_model",
                  lambda config: built.append(1) or build_model(config))
    every = modes.run_evaluate(tiny_config, workdir, "all")
  assert len(built) == 1  # One model (one compiled sampler) for both steps.
  motion = {step: results["metrics"]["motion"]["mean"]
            for step, results in every["evaluations"].items()}
  assert sorted(motion) == [1, 2] and motion[1] != motion[2]
  assert every["best_step"] == min(motion, key=motion.get)
  assert os.path.exists(os.path.join(workdir, "eval_2.json"))
  assert f"step {every['best_step']}: " in capsys.readouterr().out
  # A checkpoint that cannot be read is reported; the others are scored.
  shutil.rmtree(os.path.join(workdir, "checkpoints", "1", "default"))
  every = modes.run_evaluate(tiny_config, workdir, "all")
  assert list(every["failed"]) == [1] and list(every["evaluations"]) == [2]
  assert every["best_step"] == 2
  assert "step 1: failed" in capsys.readouterr().out


def test_clip_counts_whole_split_and_validation(tiny_config):
  from video_inference.evaluation import evaluate
  model, variables = baselines.build(tiny_config, "nearest_anchor")
  tiny_config.evals.update(num_test_clips=0, num_validation_clips=1)
  whole = evaluate.evaluate(model, variables, tiny_config, 0)
  assert whole["num_clips"] == whole["num_clips_in_split"] > 2
  during = evaluate.evaluate(model, variables, tiny_config, 0,
                             during_training=True)
  assert during["num_clips"] == 1
  assert during["metrics"]["mean_psnr"]["n"] == 1
