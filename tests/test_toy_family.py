"""A family from a folder outside the library (tests/toy_family) trains,
resumes, evaluates, samples and runs its own mode through the ordinary entry
points, registered at run time: adding a family touches no shared file."""

import json
import pathlib

import numpy as np
import pytest

from toy_family import config as toy_config
from video_inference import checkpoints
from video_inference import models
from video_inference import modes
from video_inference import runs

LIBRARY = pathlib.Path(__file__).resolve().parents[1] / "video_inference"


@pytest.fixture
def toy_family(monkeypatch):
  monkeypatch.setitem(models.FAMILIES, "toy", "toy_family.model:ToyModel")


def test_no_library_module_names_the_toy_family():
  named = [str(path) for path in LIBRARY.rglob("*.py")
           if "toy" in path.read_text()]
  assert not named


def test_toy_family_through_the_ordinary_entry_points(toy_family, tfds_dir,
                                                      tmp_path):
  config = toy_config.get_config("tiny")
  config.dataset.data_dir = tfds_dir
  config.train.batch_size = 4  # The suite's 4 fake CPU devices.
  workdir = str(tmp_path / "toy")
  summary = modes.run("train", config, workdir)
  assert summary["step"] == 2 and checkpoints.has_checkpoint(workdir)
  assert checkpoints.load_run_config(workdir).family == "toy"
  assert summary["sample_files"]
  fitted = np.asarray(summary["state"].params["mean"]["params"]["logits"])
  assert np.abs(fitted).max() > 0  # Two Adam steps moved it from zeros.

  config.train.num_steps = 3  # Resumes from step 2's checkpoint.
  resumed = modes.run("train", config, workdir)
  assert resumed["step"] == 3

  results = modes.run("evaluate", config, workdir, step="latest")
  saved = json.loads(pathlib.Path(results["path"]).read_text())
  assert saved["step"] == 3 and "best_of_2_psnr" in saved["metrics"]

  run = runs.load_run(workdir)
  first = np.full((32, 32, 3), 255, np.uint8)
  samples = run.sample({0: first}, num_samples=2, verbose=False)
  assert samples.videos.shape == (2, 4, 32, 32, 3)
  np.testing.assert_array_equal(samples.videos[:, 0], 255)  # The anchor.
  assert not np.array_equal(samples.videos[0], samples.videos[1])

  written = modes.run("mean_video", config, workdir)
  assert pathlib.Path(written[0]).name == "mean_video_step_3.gif"
  with pytest.raises(ValueError, match="mean_video"):
    modes.run("dictionary", config, workdir)
