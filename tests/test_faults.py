"""Faults a long run meets, injected into the tiny sdvi run (issue 24).

kill -9 at chosen and random moments (during a save, during the final
evaluation) then resume: the final state is bit-identical to an
uninterrupted run's; a truncated or deleted file of the latest checkpoint:
the run resumes from the previous one with one warning and the damaged
step kept aside; a full disk during a save: a clear error, the last good
checkpoint intact, and the rerun resumes; a damaged config.json and a
damaged dataset record are named. docs/reliability.md lists what each
test proves.
"""

import errno
import json
import logging
import os
import pathlib
import random
import shutil
import signal
import subprocess
import sys
import time

from etils import epath
import jax
import pytest

from conftest import REPO
from conftest import assert_trees_equal
from video_inference import checkpoints
from video_inference import input_pipeline
from video_inference import models
from video_inference import train


def _run(config, workdir):
  return train.train_and_evaluate(config, str(workdir),
                                  devices=jax.devices()[:1])


def _largest_file(directory) -> str:
  files = [os.path.join(root, name) for root, _, names in os.walk(directory)
           for name in names]
  return max(files, key=os.path.getsize)


def _damage(path: str, how: str) -> None:
  if how == "truncate":
    with open(path, "r+b") as f:
      f.truncate(os.path.getsize(path) // 2)
  else:
    os.remove(path)


def _warnings(caplog, text: str) -> list[str]:
  return [r.getMessage() for r in caplog.records
          if r.levelno == logging.WARNING and text in r.getMessage()]


@pytest.mark.parametrize("how", ["truncate", "delete"])
def test_damaged_latest_checkpoint_resumes_from_the_previous_one(
    trained_run, tiny_config, tmp_path, caplog, how):
  _, _, uninterrupted = trained_run  # The same tiny run, 2 steps.
  workdir = tmp_path / "parts"
  _run(tiny_config, workdir)
  checkpoint_dir = workdir / "checkpoints"
  _damage(_largest_file(checkpoint_dir / "2"), how)
  caplog.set_level(logging.WARNING)
  resumed = _run(tiny_config, workdir)
  (warning,) = _warnings(caplog, "unreadable")
  assert "step 2" in warning and "using step 1" in warning
  assert "2.damaged" in warning and "\n" not in warning

  # Step 2 trained again from step 1 and saved; the damaged one kept.
  assert sorted(os.listdir(checkpoint_dir)) == ["1", "2", "2.damaged"]
  assert resumed["step"] == 2
  assert_trees_equal(uninterrupted["state"].params, resumed["state"].params)
  # Inference falls back too, and moves nothing.
  _damage(_largest_file(checkpoint_dir / "2"), how)
  caplog.clear()
  _, _, step = checkpoints.load_for_inference(tiny_config, str(workdir))
  assert step == 1 and len(_warnings(caplog, "unreadable")) == 1
  assert sorted(os.listdir(checkpoint_dir)) == ["1", "2", "2.damaged"]


def test_no_readable_checkpoint_lists_each_and_moves_nothing(tiny_config,
                                                             tmp_path):
  _run(tiny_config, tmp_path)
  checkpoint_dir = tmp_path / "checkpoints"
  for step in ("1", "2"):
    _damage(_largest_file(checkpoint_dir / step), "truncate")
  with pytest.raises(checkpoints.UnreadableCheckpointError,
                     match=r"(?s)nothing was changed.*step 2: .*step 1: "):
    _run(tiny_config, tmp_path)
  assert sorted(os.listdir(checkpoint_dir)) == ["1", "2"]


def test_full_disk_during_a_save_stops_cleanly_and_the_rerun_resumes(
    trained_run, tiny_config, tmp_path, monkeypatch):
  _, _, uninterrupted = trained_run
  workdir = tmp_path / "parts"
  real_write_text = epath.Path.write_text

  def full_disk_for_step_2(self, *args, **kwargs):
    # Orbax writes each checkpoint's metadata files through epath.
    if f"{os.sep}checkpoints{os.sep}2." in os.fspath(self):
      raise OSError(errno.ENOSPC, "No space left on device", os.fspath(self))
    return real_write_text(self, *args, **kwargs)

  monkeypatch.setattr(epath.Path, "write_text", full_disk_for_step_2)
  with pytest.raises(checkpoints.CheckpointSaveError,
                     match=r"no space left on device.*step 1, is intact"):
    _run(tiny_config, workdir)
  monkeypatch.undo()
  assert "1" in os.listdir(workdir / "checkpoints")
  assert "2" not in os.listdir(workdir / "checkpoints")
  resumed = _run(tiny_config, workdir)
  assert resumed["step"] == 2
  assert_trees_equal(uninterrupted["state"].params, resumed["state"].params)


def test_full_disk_leaves_an_existing_file_whole(tmp_path, monkeypatch):
  from video_inference import paths  # pylint: disable=g-import-not-at-top
  target = tmp_path / "eval_2.json"
  target.write_text('{"old": 1}')

  def full(self, *args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")

  monkeypatch.setattr(epath.Path, "write_text", full)
  with pytest.raises(OSError, match="eval_2.json is unchanged"):
    paths.write_atomically(target, '{"new": 2}')
  monkeypatch.undo()
  assert target.read_text() == '{"old": 1}'
  assert os.listdir(tmp_path) == ["eval_2.json"]  # No temporary left.


def test_damaged_config_json_is_named_and_left_alone(tiny_config, tmp_path):
  damaged = '{"dataset": {"name": "shape_'  # Cut short.
  (tmp_path / "config.json").write_text(damaged)
  with pytest.raises(checkpoints.DamagedRunConfigError,
                     match=r"config\.json is damaged.*nothing was changed"):
    _run(tiny_config, tmp_path)
  assert (tmp_path / "config.json").read_text() == damaged
  assert os.listdir(tmp_path) == ["config.json"]


def test_damaged_dataset_record_names_split_index_and_rebuild(tiny_config,
                                                              tmp_path):
  input_pipeline.load_source(tiny_config.dataset, "train")  # Prepared.
  copy_dir = tmp_path / "tfds"
  shutil.copytree(pathlib.Path(tiny_config.dataset.data_dir) / "shape_motion",
                  copy_dir / "shape_motion")
  (records,) = list(copy_dir.rglob("*train.array_record*"))
  data = bytearray(records.read_bytes())
  middle = len(data) // 2
  data[middle:middle + 64] = bytes(64)
  records.write_bytes(bytes(data))
  tiny_config.dataset.data_dir = str(copy_dir)
  source = input_pipeline.load_source(tiny_config.dataset, "train")
  with pytest.raises(input_pipeline.DamagedRecordError) as raised:
    for index in range(len(source)):
      source[index]  # pylint: disable=pointless-statement
  message = str(raised.value)
  assert "of split 'train' of dataset 'shape_motion/tiny'" in message
  assert "Record " in message and str(copy_dir) in message
  assert "python -m video_inference.prepare --dataset=shape_motion/tiny" in (
      message)
  # Read inside tf.data (the training pipeline), it is named the same way.
  tiny_config.train.num_steps = len(source) // 2
  batches = input_pipeline.as_numpy(input_pipeline.train_dataset(
      tiny_config, source=source))
  with pytest.raises(input_pipeline.DamagedRecordError,
                     match="of split 'train'"):
    for _ in batches:
      pass


# ------------------------------------------------- kill -9, then resume --
_STEPS = 8


def _command(config, workdir):
  return [sys.executable, "-m", "video_inference.main",
          f"--config={REPO / 'configs' / 'sdvi_shapes.py'}:tiny",
          f"--workdir={workdir}",
          f"--config.dataset.data_dir={config.dataset.data_dir}",
          f"--config.train.num_steps={_STEPS}",
          "--config.train.checkpoint_every=1"]


def _launch(config, workdir, *flags):
  """The CLI on `config` in a subprocess, its stderr to a file beside the
  workdir (a pipe nobody reads can fill and stall it)."""
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3",
             XLA_FLAGS="--xla_force_host_platform_device_count=1")
  log = open(f"{workdir}.{time.time_ns()}.log", "w+")  # pylint: disable=consider-using-with
  process = subprocess.Popen(_command(config, workdir) + list(flags),
                             cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                             stderr=log)
  process.log = log
  return process


def _finish(process) -> str:
  """Waits for `process` to succeed; returns its stderr."""
  code = process.wait(timeout=300)
  process.log.seek(0)
  errors = process.log.read()
  assert code == 0, errors[-3000:]
  return errors


def _kill_when(process, condition, timeout: float = 120) -> bool:
  """SIGKILLs `process` once condition() holds; whether it was killed
  (False: it ended first)."""
  deadline = time.time() + timeout
  while time.time() < deadline:
    if process.poll() is not None:
      return False
    if condition():
      process.send_signal(signal.SIGKILL)
      process.wait()
      return True
    time.sleep(0.002)
  process.kill()
  raise AssertionError("the condition never held")


def _final_state(config, workdir):
  model = models.build_model(config)
  manager = checkpoints.checkpoint_manager(str(workdir), config,
                                           read_only=True)
  target = jax.eval_shape(model.create_state, checkpoints.init_rng(config))
  return checkpoints.restore_newest_readable(manager, target, [_STEPS])[1]


def test_kill_9_at_any_moment_then_resume_is_bit_exact(tiny_config,
                                                       tmp_path):
  config = tiny_config
  config.train.update(num_steps=_STEPS, checkpoint_every=1)
  reference = tmp_path / "uninterrupted"
  _finish(_launch(config, reference))

  workdir = tmp_path / "killed"
  checkpoint_dir = workdir / "checkpoints"

  def listing():
    return os.listdir(checkpoint_dir) if checkpoint_dir.is_dir() else []

  # 1. During an asynchronous save: its temporary folder exists.
  killed_in_save = _kill_when(
      _launch(config, workdir),
      lambda: any("tmp" in name for name in listing()))
  # 2. At a random moment of the next run's training.
  rng = random.Random(0)
  started = []

  def random_moment():
    if not started and len(listing()) > 0:
      started.append(time.time() + rng.uniform(0.0, 1.5))
    return bool(started) and time.time() >= started[0]

  _kill_when(_launch(config, workdir), random_moment)
  # 3. During the final evaluation: the last checkpoint is complete, the
  # evaluation's JSON not written yet.
  killed_in_evaluation = _kill_when(
      _launch(config, workdir),
      lambda: str(_STEPS) in listing())
  assert killed_in_save
  if killed_in_evaluation:
    assert not (workdir / f"eval_{_STEPS}.json").exists()
  # 4. The rerun completes what is left.
  _finish(_launch(config, workdir))
  results = json.loads((workdir / f"eval_{_STEPS}.json").read_text())
  assert results["step"] == _STEPS
  assert_trees_equal(_final_state(config, reference).params,
                     _final_state(config, workdir).params)
  assert_trees_equal(_final_state(config, reference).opt_state,
                     _final_state(config, workdir).opt_state)
  # 5. The final checkpoint damaged: evaluation falls back to the one
  # before with one warning line, and none of the thousands of lines of
  # tracebacks the failed reads leave behind at exit.
  _damage(_largest_file(checkpoint_dir / str(_STEPS)), "truncate")
  errors = _finish(_launch(config, workdir, "--mode=evaluate"))
  (warning,) = [line for line in errors.splitlines() if "unreadable" in line]
  assert f"step {_STEPS} " in warning and f"using step {_STEPS - 1}" in warning
  assert "Traceback" not in errors and len(errors.splitlines()) < 40
