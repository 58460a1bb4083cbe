"""`python -m video_inference.sample` and the runs API on a tiny trained run.

Anchors come from PNG files the tests draw (other sizes, gray, with
transparency); the written GIF and MP4 frames must show them at their times
(within the codecs' tolerance), the K samples must differ, and every bad
input must fail with a message naming it before anything is overwritten.
"""

import json
import os
import subprocess
import sys

import jax
import numpy as np
import orbax.checkpoint as ocp
import pytest
from PIL import Image, ImageDraw, ImageSequence

from conftest import REPO, load_config
from tfds_builders import video_io
from video_inference import checkpoints
from video_inference import models
from video_inference import runs
from video_inference import sample as sample_command

K = 3
GIF_TOLERANCE = 2.0  # Mean absolute error, grey levels: palette rounding.
MP4_TOLERANCE = 4.0  # H.264 yuv420p at CRF 12: chroma at half resolution.


def _disk_image(path, size, centre, colour, mode="RGB", background="black"):
  image = Image.new(mode, size, background)
  x, y = centre
  ImageDraw.Draw(image).ellipse((x - 30, y - 30, x + 30, y + 30),
                                fill=colour)
  image.save(path)
  return str(path)


def _expected_frame(path):
  """What the command should make of an RGB file for a 32x32 RGB model."""
  frame = np.asarray(Image.open(path).convert("RGB"))[None]
  return video_io.resize(video_io.centre_crop(frame), 32)[0]


def _read_gif(path):
  with Image.open(path) as image:
    return np.stack([np.asarray(frame.convert("RGB"))
                     for frame in ImageSequence.Iterator(image)])


def _mean_error(a, b):
  return float(np.abs(a.astype(np.float64) - b.astype(np.float64)).mean())


@pytest.fixture(scope="module")
def keyframes(tmp_path_factory):
  directory = tmp_path_factory.mktemp("keyframes")
  first = _disk_image(directory / "first.png", (320, 240), (120, 90),
                      (230, 50, 60))
  last = _disk_image(directory / "last.png", (200, 200), (150, 140),
                     (40, 200, 90))
  return first, last


def test_command_writes_samples_through_the_keyframes(trained_run, keyframes,
                                                      tmp_path):
  _, workdir, _ = trained_run
  out = tmp_path / "out"
  first, last = keyframes
  paths = sample_command.run_command(
      workdir, [f"{first}@0", f"{last}@3"], num_samples=K, seed=1,
      out=str(out))
  assert sorted(os.path.basename(p) for p in paths) == sorted(
      runs.output_names(K))
  assert all(os.path.getsize(p) > 0 for p in paths)
  anchors = {0: _expected_frame(first), 3: _expected_frame(last)}
  videos = []
  for k in range(K):
    gif = _read_gif(out / f"sample_{k:02d}.gif")
    mp4 = video_io.read_video(out / f"sample_{k:02d}.mp4")
    assert gif.shape == mp4.shape == (4, 32, 32, 3)
    for time, frame in anchors.items():
      assert _mean_error(gif[time], frame) <= GIF_TOLERANCE
      assert _mean_error(mp4[time], frame) <= MP4_TOLERANCE
    videos.append(gif)
  # K distinct samples: every pair differs on the inferred frames 1-2.
  for i in range(K):
    for j in range(i + 1, K):
      assert _mean_error(videos[i][1:3], videos[j][1:3]) > 1.0
  arrays = np.load(out / "samples.npz")
  assert arrays["videos"].shape == (K, 4, 32, 32, 3)
  np.testing.assert_array_equal(arrays["anchor_times"], [0, 3])
  np.testing.assert_array_equal(arrays["anchors"][0], anchors[0])
  mean = np.asarray(Image.open(out / "mean.png").convert("RGB"))
  assert mean.shape == (36, 4 * 34 + 2, 3)
  np.testing.assert_array_equal(
      mean[2 + 1:2 + 31, 2 + 34 + 1:2 + 34 + 31],
      np.round(arrays["videos"].mean(0))[1, 1:31, 1:31].astype(np.uint8))
  # Contact sheet: anchors row + K samples + mean, frames enlarged 4x.
  sheet = np.asarray(Image.open(out / "contact_sheet.png"))
  assert sheet.shape == (4 * ((K + 2) * 34 + 2), 4 * (4 * 34 + 2), 3)
  gold = np.array([255, 215, 0])
  assert (sheet[8, 8:8 + 128] == gold).all()  # Anchor at t=0: outlined.
  request = json.loads((out / "request.json").read_text())
  assert [a["time"] for a in request["anchors"]] == [0, 3]
  assert request["seed"] == 1 and request["step"] == 2


def test_module_runs_from_the_command_line(trained_run, keyframes, tmp_path):
  _, workdir, _ = trained_run
  first, last = keyframes
  command = [sys.executable, "-m", "video_inference.sample",
             f"--workdir={workdir}", f"--anchor={first}@0",
             f"--anchor={last}@3", "--num_samples=2", "--step=best",
             f"--out={tmp_path / 'cli'}"]
  done = subprocess.run(command, capture_output=True, text=True, cwd=REPO,
                        check=False)
  assert done.returncode == 0, done.stderr[-2000:]
  assert "first.png: 320x240 RGB -> centre crop 240x240 -> resize to 32x32" \
      in done.stdout
  assert "Wrote 9 files" in done.stdout
  assert (tmp_path / "cli" / "sample_01.mp4").exists()
  # A bad input: exit status 1 and the message, no traceback.
  done = subprocess.run(command[:-1] + [f"--anchor={tmp_path}/nope.png@1",
                                        f"--out={tmp_path / 'cli2'}"],
                        capture_output=True, text=True, cwd=REPO, check=False)
  assert done.returncode == 1
  assert "nope.png does not exist" in done.stderr
  assert "Traceback" not in done.stderr
  assert not (tmp_path / "cli2").exists()


def test_test_split_anchors_and_seeds(trained_run):
  config, workdir, _ = trained_run
  run = runs.load_run(workdir)
  samples = run.sample(num_samples=2, seed=0, clip=1, verbose=False)
  clip = run.test_clip(1)["video"]
  np.testing.assert_array_equal(samples.reference, clip)
  assert samples.anchor_times == list(config.sample.anchor_times) == [0, 3]
  np.testing.assert_array_equal(samples.videos[:, [0, 3]],
                                np.stack([clip[[0, 3]]] * 2))
  # The model's own frames at the anchor times when asked for.
  own = run.sample(num_samples=2, seed=0, clip=1, model_anchors=True,
                   verbose=False)
  assert not np.array_equal(own.videos[:, 0], samples.videos[:, 0])
  np.testing.assert_array_equal(own.videos[:, 1:3], samples.videos[:, 1:3])
  # More samples keep the first ones (chunks of evals.batch_size = 2).
  more = run.sample(num_samples=3, seed=0, clip=1, verbose=False)
  np.testing.assert_array_equal(more.videos[:2], samples.videos)
  other = run.sample(num_samples=2, seed=5, clip=1, verbose=False)
  assert not np.array_equal(other.videos, samples.videos)
  with pytest.raises(ValueError, match="clip=99 is out of range"):
    run.sample(num_samples=1, clip=99, verbose=False)


def test_steps_latest_best_and_numbered(trained_run):
  _, workdir, _ = trained_run
  assert runs.load_run(workdir).step == 2
  assert runs.load_run(workdir, "best").step == 2
  assert runs.load_run(workdir, 1).step == 1
  with pytest.raises(FileNotFoundError, match=r"step 7 .*steps present"):
    runs.load_run(workdir, 7)
  with pytest.raises(ValueError, match="'latest', 'best' or a step"):
    sample_command.parse_step("newest")


@pytest.mark.parametrize("specs, message", [
    (["{first}@0", "{last}@4"], r"out of range in .*last.png@4"),
    (["{first}@-1", "{last}@3"], r"out of range in .*first.png@-1"),
    (["{first}@2", "{last}@2"], r"share one: time 2: .*first.png@2, "
     r".*last.png@2"),
    (["{first}@0", "{first}@1", "{first}@2", "{last}@3", "{last}@1"],
     r"5 anchors .* do not fit in a video of 4 frames"),
    (["{first}"], "expected PATH@TIME"),
    (["{first}@x"], "'x' after '@' is not an integer"),
    (["{dir}/missing.png@1"], "missing.png does not exist"),
    (["{dir}/notes.png@1"], r"notes.png cannot be read as an image"),
    (["{dir}/truncated.png@1"], r"truncated.png cannot be read"),
])
def test_bad_anchors_are_named(trained_run, keyframes, tmp_path, specs,
                               message):
  _, workdir, _ = trained_run
  first, last = keyframes
  (tmp_path / "notes.png").write_text("not an image")
  data = open(first, "rb").read()
  (tmp_path / "truncated.png").write_bytes(data[:len(data) // 2])
  out = tmp_path / "out"
  specs = [s.format(first=first, last=last, dir=tmp_path) for s in specs]
  with pytest.raises((ValueError, FileNotFoundError), match=message):
    sample_command.run_command(workdir, specs, num_samples=1, out=str(out))
  assert not out.exists()


def test_run_without_checkpoint_lists_its_contents(trained_run, tmp_path):
  _, workdir, _ = trained_run
  (tmp_path / "notes.txt").write_text("hello")
  with pytest.raises(FileNotFoundError, match=r"config.json is missing.*"
                     r"notes.txt"):
    runs.load_run(str(tmp_path))
  with open(os.path.join(workdir, "config.json")) as f:
    (tmp_path / "config.json").write_text(f.read())
  with pytest.raises(FileNotFoundError, match=r"No checkpoint in .*"
                     r"\['config.json', 'notes.txt'\]"):
    sample_command.run_command(str(tmp_path), out=str(tmp_path / "out"))


def _snapshot(directory):
  return {os.path.join(root, name): open(os.path.join(root, name), "rb").read()
          for root, _, names in os.walk(directory) for name in names}


def test_outputs_are_kept_without_overwrite(trained_run, keyframes, tmp_path):
  _, workdir, _ = trained_run
  first, last = keyframes
  out = str(tmp_path / "out")
  sample_command.run_command(workdir, [f"{first}@0"], num_samples=1, out=out)
  before = _snapshot(out)
  with pytest.raises(FileExistsError, match=r"already holds sample_00.gif.*"
                     r"--overwrite"):
    sample_command.run_command(workdir, [f"{last}@0"], num_samples=1,
                               out=out)
  assert _snapshot(out) == before
  sample_command.run_command(workdir, [f"{last}@0"], num_samples=1, out=out,
                             overwrite=True)
  assert _snapshot(out)[os.path.join(out, "sample_00.gif")] != before[
      os.path.join(out, "sample_00.gif")]


def test_out_in_the_run_never_touches_checkpoints(trained_run, keyframes):
  _, workdir, _ = trained_run
  first, _ = keyframes
  checkpoints = os.path.join(workdir, "checkpoints")
  before = _snapshot(checkpoints)
  for inside in ("checkpoints", "checkpoints/2", "checkpoints_best/x"):
    with pytest.raises(ValueError, match="inside the run's checkpoint"):
      sample_command.run_command(workdir, [f"{first}@0"], num_samples=1,
                                 out=os.path.join(workdir, inside))
  # The run directory itself, and the default, are fine.
  written = sample_command.run_command(workdir, [f"{first}@0"],
                                       num_samples=1, out=workdir,
                                       overwrite=True)
  default = sample_command.run_command(workdir, [f"{first}@0"],
                                       num_samples=1, seed=3, overwrite=True)
  assert os.path.dirname(written[0]) == workdir
  assert os.path.dirname(default[0]) == os.path.join(
      workdir, "samples", "sample_step_2_seed_3")
  assert _snapshot(checkpoints) == before


# ------------------------------------------------- anchor image policy ---
def test_anchor_policy_crop_resize_colour_and_alpha(tmp_path):
  gray = _disk_image(tmp_path / "gray.png", (64, 96), (32, 48), 200, mode="L")
  frame, note = runs.read_anchor_image(gray, 32, 3)
  assert frame.shape == (32, 32, 3)
  assert (frame[..., 0] == frame[..., 1]).all()  # Gray repeated to RGB.
  assert "64x96 L -> centre crop 64x64 -> resize to 32x32" in note
  rgb = _disk_image(tmp_path / "rgb.png", (32, 32), (16, 16), (255, 0, 0))
  frame, note = runs.read_anchor_image(rgb, 32, 1)
  assert frame.shape == (32, 32, 1) and "crop" not in note and "gray" in note
  assert frame[16, 16, 0] == 76  # ITU-R 601 luma of pure red.
  clear = _disk_image(tmp_path / "alpha.png", (100, 100), (50, 50),
                      (0, 255, 0, 255), mode="RGBA",
                      background=(255, 255, 255, 0))
  frame, note = runs.read_anchor_image(clear, 100, 3)
  assert "transparency over black" in note
  assert (frame[0, 0] == 0).all() and tuple(frame[50, 50]) == (0, 255, 0)


def test_anchor_policy_follows_exif_orientation(tmp_path):
  image = Image.new("RGB", (40, 20), "black")
  image.paste((255, 255, 255), (0, 0, 20, 20))  # White left half.
  exif = Image.Exif()
  exif[0x0112] = 6  # Rotate 90 degrees clockwise to display.
  path = tmp_path / "photo.jpg"
  image.save(path, exif=exif, quality=95)
  frame, note = runs.read_anchor_image(path, 20, 3)
  assert "EXIF orientation applied" in note
  # Displayed upright the white half is on top.
  assert frame[:8].mean() > 200 and frame[12:].mean() < 50


# ------------------------------------------------------ other families ---
def _untrained_run(family, tfds_dir, workdir):
  """A step-0 checkpoint of a family's tiny config: enough to sample."""
  config = load_config(f"{family}_shapes")
  config.dataset.data_dir = tfds_dir
  model = models.build_model(config)
  state = jax.jit(model.create_state)(checkpoints.init_rng(config))
  manager = checkpoints.checkpoint_manager(workdir, config)
  manager.save(0, args=ocp.args.StandardSave(state))
  manager.wait_until_finished()
  with open(os.path.join(workdir, "config.json"), "w") as f:
    f.write(config.to_json_best_effort())
  return workdir


def test_families_that_cannot_honour_a_request_say_why(tfds_dir, keyframes,
                                                       tmp_path):
  first, last = keyframes
  navsynth = _untrained_run("navsynth", tfds_dir, str(tmp_path / "navsynth"))
  with pytest.raises(ValueError, match="navsynth family cannot condition on "
                     "anchor frames"):
    sample_command.run_command(navsynth, [f"{first}@0"], num_samples=1,
                               out=str(tmp_path / "a"))
  paths = sample_command.run_command(navsynth, num_samples=2,
                                     out=str(tmp_path / "b"))
  assert len(paths) == len(runs.output_names(2))
  videovae = _untrained_run("videovae", tfds_dir, str(tmp_path / "videovae"))
  with pytest.raises(ValueError, match="first frame"):
    sample_command.run_command(videovae, [f"{first}@0", f"{last}@2"],
                               num_samples=1, out=str(tmp_path / "c"))
  with pytest.raises(ValueError, match=r"classes \[5\] are out of range"):
    sample_command.run_command(videovae, [f"{first}@0"], num_samples=1,
                               attributes=["shape=5"],
                               out=str(tmp_path / "d"))
  samples = runs.load_run(videovae).sample({0: first}, num_samples=2,
                                           attributes={"shape": 1},
                                           verbose=False)
  assert samples.videos.shape[:2] == (2, 4)
  inbetween3d = _untrained_run("inbetween3d", tfds_dir,
                               str(tmp_path / "inbetween3d"))
  with pytest.raises(ValueError, match=r"at most model.max_anchors=2 "
                     r"anchors; got rows with \[3\]"):
    sample_command.run_command(
        inbetween3d, [f"{first}@0", f"{first}@7", f"{last}@15"],
        num_samples=1, out=str(tmp_path / "e"))
  with pytest.raises(ValueError, match="exactly its 16 training frames"):
    sample_command.run_command(inbetween3d, [f"{first}@0", f"{last}@7"],
                               num_frames=8, num_samples=1,
                               out=str(tmp_path / "f"))
  samples = runs.load_run(inbetween3d).sample({0: first, 15: last},
                                              num_samples=2, verbose=False)
  assert samples.videos.shape[:2] == (2, 16)
  classifier = _untrained_run("classifier", tfds_dir,
                              str(tmp_path / "classifier"))
  with pytest.raises(ValueError, match="generates no videos"):
    runs.load_run(classifier)


def test_sampler_settings_replace_the_runs(tfds_dir, keyframes, tmp_path):
  first, last = keyframes
  workdir = _untrained_run("diffusion", tfds_dir, str(tmp_path / "run"))
  sample_command.run_command(workdir, [f"{first}@0", f"{last}@3"],
                             num_samples=1, out=str(tmp_path / "a"),
                             sampling_settings=["steps=2", "guidance=0.5"])
  request = json.loads((tmp_path / "a" / "request.json").read_text())
  assert request["sampling"] == {"steps": 2, "guidance": 0.5}
  run = runs.load_run(workdir, sampling={"steps": "5"})
  assert run.model.config.model.sampling.steps == 5
  with pytest.raises(ValueError, match=r"Unknown sampler setting 'eta'.*"
                     r"\['guidance', 'steps'\]"):
    sample_command.run_command(workdir, num_samples=1,
                               out=str(tmp_path / "b"),
                               sampling_settings=["eta=1"])
  with pytest.raises(ValueError, match="steps=.*expected int"):
    runs.load_run(workdir, sampling={"steps": "many"})
  sdvi = _untrained_run("sdvi", tfds_dir, str(tmp_path / "sdvi"))
  with pytest.raises(ValueError, match="sdvi family has no sampler settings"):
    runs.load_run(sdvi, sampling={"steps": 3})
  with pytest.raises(ValueError, match="expected KEY=VALUE"):
    sample_command.parse_setting("steps")


def test_train_if_missing_trains_once_then_loads(tfds_dir, tmp_path):
  config_file = f"{REPO / 'configs' / 'sdvi_shapes.py'}:tiny"
  workdir = str(tmp_path / "run")
  with pytest.raises(KeyError, match="num_stepz"):
    runs.train_if_missing(workdir, config_file,
                          overrides={"train.num_stepz": 1})
  run = runs.train_if_missing(workdir, config_file, overrides={
      "dataset.data_dir": tfds_dir, "train.num_steps": 1,
      "train.batch_size": 4})  # The tests' 4 fake devices.
  assert run.step == 1
  # A second call loads the checkpoint and does not train again.
  assert runs.train_if_missing(workdir, config_file).step == 1
