"""The shared loop end to end on the tiny sdvi config.

train -> checkpoint -> resume equals an uninterrupted run bit for bit; four
(fake) devices match one; bad workdirs, NaN losses and SIGTERM are handled;
the evaluate and sample modes write their files.
"""

import json
import os
import signal

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from conftest import assert_trees_equal
from conftest import share_of_weights_apart
from video_inference import checkpoints
from video_inference import input_pipeline
from video_inference import models
from video_inference import modes
from video_inference import train
from video_inference.models.sdvi import model as sdvi_model


def _params(summary):
  return jax.device_get(summary["state"].params)


def _snapshot(directory):
  return {os.path.join(root, name):
          os.stat(os.path.join(root, name)).st_mtime_ns
          for root, _, names in os.walk(directory) for name in names}


def test_run_leaves_checkpoint_events_samples_and_eval(trained_run):
  config, workdir, summary = trained_run
  assert summary["step"] == 2
  assert sorted(os.listdir(os.path.join(workdir, "checkpoints"))) == ["1", "2"]
  assert any(n.startswith("events.out.tfevents") for n in os.listdir(workdir))
  samples = os.listdir(os.path.join(workdir, "samples"))
  assert any(n.endswith(".gif") for n in samples)
  assert any(n.endswith(".png") for n in samples)
  with open(os.path.join(workdir, "eval_2.json")) as f:
    results = json.load(f)
  for key in ("best_of_2_psnr", "best_of_2_ssim", "acd_prior_samples",
              "acd_real_clips", "acd_inferred_samples", "mean_psnr",
              "psnr_deterministic_z_mean", "best_of_2_psnr_minus_z_mean",
              "acd_inferred_samples_empty_frames", "motion",
              "motion_real_clips", "still_videos"):
    figure = results["metrics"][key]
    assert np.isfinite(figure["mean"]), key
    # 2 anchor sets, 4 prior videos: too few for an interval.
    assert figure["n"] < 10 and figure["ci95_low"] is None, key
  # Tiny Shape Motion is drawn at 32x32: one flat colour, ACD 0.
  assert results["metrics"]["acd_real_clips"]["mean"] < 1e-6
  assert results["metrics"]["best_of_2_psnr"]["n"] == 2  # Anchor sets.
  assert len(results["metrics"]["best_of_2_psnr"]["values"]) == 2
  assert results["stochasticity_curve"]["k"] == [1, 2]
  assert results["evaluators"] == ["frames", "acd", "motion"]
  assert results["num_clips"] == 2 and results["num_samples"] == 2
  (plot,) = results["plots"]
  assert os.path.getsize(plot) > 1000 and plot.endswith(".png")
  # The best checkpoint by the selection metric is kept beside the latest.
  assert os.listdir(os.path.join(workdir, "checkpoints_best")) == ["2"]


def test_resume_is_bit_exact(trained_run, tmp_path):
  config, _, uninterrupted = trained_run
  config = config.copy_and_resolve_references()
  workdir = str(tmp_path / "resumed")
  config.train.num_steps = 1
  first = train.train_and_evaluate(config, workdir, devices=jax.devices()[:1])
  assert first["step"] == 1
  config.train.num_steps = 2
  resumed = train.train_and_evaluate(config, workdir, devices=jax.devices()[:1])
  assert resumed["step"] == 2
  assert_trees_equal(_params(uninterrupted), _params(resumed))


def test_four_devices_match_one(trained_run, tmp_path):
  assert jax.device_count() == 4, "conftest sets 4 fake CPU devices"
  config, _, one_device = trained_run
  config = config.copy_and_resolve_references()
  config.train.batch_size = 4
  config.evals.batch_size = 4
  one = train.train_and_evaluate(config, str(tmp_path / "one"),
                                 devices=jax.devices()[:1])
  four = train.train_and_evaluate(config, str(tmp_path / "four"))
  for key, value in one["metrics"].items():
    np.testing.assert_allclose(four["metrics"][key], value, rtol=1e-4,
                               err_msg=key)
  assert share_of_weights_apart(
      _params(one), _params(four),
      config.train.image_learning_rate / 10) < 0.01


def test_workdir_of_another_config_is_refused_untouched(trained_run):
  config, workdir, _ = trained_run
  other = config.copy_and_resolve_references()
  other.model.latent_dim = 16
  before = _snapshot(workdir)
  with pytest.raises(checkpoints.WorkdirConfigMismatchError, match="model"):
    train.train_and_evaluate(other, workdir, devices=jax.devices()[:1])
  assert _snapshot(workdir) == before


def test_non_finite_loss_stops_and_keeps_last_good_checkpoint(
    tiny_config, tmp_path, monkeypatch):

  class NanAfterFirstPhase(sdvi_model.SdviModel):

    def video_step(self, state, batch, rng):
      state, metrics = super().video_step(state, batch, rng)
      return state, dict(metrics, loss=jnp.nan * metrics["loss"])

  monkeypatch.setitem(models.FAMILIES, "sdvi", NanAfterFirstPhase)
  workdir = str(tmp_path / "nan")
  with pytest.raises(train.NonFiniteLossError,
                     match="step 1.*last good checkpoint is step 1"):
    train.train_and_evaluate(tiny_config, workdir, devices=jax.devices()[:1])
  assert os.listdir(os.path.join(workdir, "checkpoints")) == ["1"]


def test_sigterm_saves_and_stops(tiny_config, tmp_path, monkeypatch):
  tiny_config.train.update(num_steps=5, checkpoint_every=100, log_every=100,
                           sample_every=100)
  real_as_numpy = input_pipeline.as_numpy

  def pre_empted(ds):
    for index, batch in enumerate(real_as_numpy(ds)):
      if index == 2:  # The job is told to stop while step 2 is prepared.
        os.kill(os.getpid(), signal.SIGTERM)
      yield batch

  monkeypatch.setattr(input_pipeline, "as_numpy", pre_empted)
  workdir = str(tmp_path / "preempted")
  summary = train.train_and_evaluate(tiny_config, workdir,
                                     devices=jax.devices()[:1])
  assert summary["step"] == 3
  assert os.listdir(os.path.join(workdir, "checkpoints")) == ["3"]


def test_evaluate_and_sample_modes(trained_run):
  config, workdir, _ = trained_run
  results = modes.run_evaluate(config, workdir)
  assert results["step"] == 2 and os.path.exists(results["path"])
  paths = modes.run_sample(config, workdir)
  assert paths and all(os.path.exists(p) for p in paths)
  assert {os.path.splitext(p)[1] for p in paths} == {".png", ".gif"}


def test_inference_without_checkpoint_lists_the_directory(tiny_config,
                                                           tmp_path):
  (tmp_path / "notes.txt").write_text("hello")
  with pytest.raises(FileNotFoundError, match="notes.txt"):
    modes.run_evaluate(tiny_config, str(tmp_path))


def test_relative_workdir_checkpoints_are_written(trained_run, tmp_path,
                                                  monkeypatch):
  """`--workdir=runs/x` (relative) must save: orbax refuses relative paths,
  and its background thread only logs the error while training goes on."""
  import orbax.checkpoint as ocp
  config, _, _ = trained_run
  monkeypatch.chdir(tmp_path)
  state = {"weights": np.arange(3.0)}
  for make in (checkpoints.checkpoint_manager,
               checkpoints.best_checkpoint_manager):
    manager = make("runs/relative", config)
    metrics = {"value": 1.0}
    manager.save(1, args=ocp.args.StandardSave(state), metrics=metrics)
    manager.wait_until_finished()
    assert manager.latest_step() == 1
    restored = manager.restore(1, args=ocp.args.StandardRestore(state))
    np.testing.assert_array_equal(restored["weights"], state["weights"])
  assert sorted(os.listdir(tmp_path / "runs" / "relative")) == [
      "checkpoints", "checkpoints_best"]


def test_checkpoints_at_multiples_of_keep_every_outlive_the_newest_few(
    tiny_config, tmp_path):
  import orbax.checkpoint as ocp
  state = {"weights": np.arange(3.0)}
  kept = {}
  for keep_every in (0, 3):
    with tiny_config.unlocked():
      tiny_config.train.update(keep_checkpoints=1,
                               keep_checkpoint_every=keep_every)
    manager = checkpoints.checkpoint_manager(tmp_path / str(keep_every),
                                             tiny_config)
    for step in range(1, 8):
      manager.save(step, args=ocp.args.StandardSave(state))
    manager.wait_until_finished()
    kept[keep_every] = sorted(manager.all_steps())
  assert kept == {0: [7], 3: [3, 6, 7]}


@pytest.mark.parametrize("field, value", [
    ("train.num_steps", 0), ("train.batch_size", 0),
    ("train.log_every", -1), ("train.checkpoint_every", -1),
    ("train.sample_every", -5), ("train.eval_every", -100),
    ("train.keep_checkpoints", 0), ("train.keep_checkpoint_every", -1),
    ("train.updates_per_batch", 0),
    ("dataset.frame_stride", 0), ("evals.num_samples", 0),
    ("train.learning_rate", float("nan")), ("train.learning_rate", 0.0),
])
def test_setting_that_cannot_work_is_refused_before_anything_is_written(
    tiny_config, tmp_path, field, value):
  section, name = field.split(".")
  with tiny_config.unlocked():
    tiny_config[section][name] = value
  workdir = tmp_path / "refused"
  with pytest.raises(ValueError, match=field.replace(".", r"\.")):
    train.train_and_evaluate(tiny_config, str(workdir),
                             devices=jax.devices()[:1])
  assert not workdir.exists()


def test_every_zero_means_never_and_a_log_window_spans_a_phase_switch(
    tiny_config, tmp_path):
  """`*_every=0` used to divide by zero; one logging window over sdvi's
  image -> video switch used to raise KeyError 'image/discriminator'."""
  tiny_config.train.update(log_every=0, checkpoint_every=0, sample_every=0,
                           eval_every=0)
  workdir = tmp_path / "never"
  summary = train.train_and_evaluate(tiny_config, str(workdir),
                                     devices=jax.devices()[:1])
  assert summary["step"] == 2
  # Only the end of training saved, previewed and evaluated.
  assert os.listdir(workdir / "checkpoints") == ["2"]
  assert summary["sample_files"] and summary["eval_json"]
  # The one window's figures: step 1 (image phase) and step 2 (video).
  assert "image/discriminator" in summary["metrics"]
  assert "video/recon_mse" in summary["metrics"]
