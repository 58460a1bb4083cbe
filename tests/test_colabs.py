"""The colabs execute headless, top to bottom, against a tiny trained run.

Parameters reach them through the environment (the kernel inherits it):
VIDEO_INFERENCE_RUN, VIDEO_INFERENCE_OUT, VIDEO_INFERENCE_KEYFRAMES.
"""

import os
import pathlib
import shutil
import subprocess
import sys

import nbclient
import nbformat
import pytest
from PIL import Image, ImageDraw

from conftest import REPO
from video_inference import inference_file


def _execute(name, tmp_path):
  notebook = nbformat.read(REPO / "colabs" / name, as_version=4)
  client = nbclient.NotebookClient(
      notebook, timeout=600, kernel_name="python3",
      resources={"metadata": {"path": str(REPO / "colabs")}})
  client.execute()  # Raises CellExecutionError naming the failing cell.
  nbformat.write(notebook, tmp_path / name)  # Kept for a look on failure.
  outputs = [output for cell in notebook.cells if cell.cell_type == "code"
             for output in cell.outputs]
  return "".join(output.get("data", {}).get("text/html", "")
                 for output in outputs)


def _assert_saved(out, num_samples):
  names = set(os.listdir(out))
  assert {f"sample_{k:02d}.mp4" for k in range(num_samples)} <= names
  sheet = Image.open(out / "contact_sheet.png")
  assert sheet.width > 0 and sheet.height > 0


def test_sample_from_checkpoint_notebook(trained_run, tmp_path, monkeypatch):
  _, workdir, _ = trained_run
  out = tmp_path / "out"
  monkeypatch.setenv("VIDEO_INFERENCE_RUN", workdir)
  monkeypatch.setenv("VIDEO_INFERENCE_OUT", str(out))
  html = _execute("sample_from_checkpoint.ipynb", tmp_path)
  # Two sampling cells: 4 samples + their mean each, as inline MP4s, and a
  # contact sheet each as an inline PNG.
  assert html.count("data:video/mp4;base64") == 2 * (4 + 1)
  assert html.count("data:image/png;base64") == 2
  assert "contact sheet (top: real clip" in html
  _assert_saved(out, 4)


def test_inbetween_your_keyframes_notebook(trained_run, tmp_path,
                                           monkeypatch):
  _, workdir, _ = trained_run
  paths = []
  for time, x in ((0, 20), (3, 100)):
    image = Image.new("RGB", (160, 120), "black")
    ImageDraw.Draw(image).rectangle((x, 40, x + 30, 70), fill=(40, 90, 230))
    paths.append(f"{tmp_path / f'key{time}.png'}@{time}")
    image.save(tmp_path / f"key{time}.png")
  out = tmp_path / "out"
  # This notebook loads the run as an exported file (the other, the workdir).
  exported = inference_file.export_run(workdir, tmp_path / "run.vi")
  monkeypatch.setenv("VIDEO_INFERENCE_RUN", str(exported))
  monkeypatch.setenv("VIDEO_INFERENCE_OUT", str(out))
  monkeypatch.setenv("VIDEO_INFERENCE_KEYFRAMES", ",".join(paths))
  html = _execute("inbetween_your_keyframes.ipynb", tmp_path)
  assert html.count("data:video/mp4;base64") == 8 + 1
  assert "contact sheet (top: anchors" in html
  _assert_saved(out, 8)


@pytest.mark.parametrize("name", ["sample_from_checkpoint.ipynb",
                                  "inbetween_your_keyframes.ipynb"])
def test_notebooks_are_stored_without_outputs(name):
  notebook = nbformat.read(REPO / "colabs" / name, as_version=4)
  nbformat.validate(notebook)
  code = [cell for cell in notebook.cells if cell.cell_type == "code"]
  assert code and all(not cell.outputs for cell in code)
  assert "installed_version()" in code[0].source  # Install first.


_INSTALLED = "video_inference 0.1.0 from "


def test_install_cell_installs_from_a_clone_beside_a_shadowing_folder(
    tmp_path):
  """The notebooks' install cell, in a fresh virtual environment without
  the package: it clones REPO_URL (a local clone in a folder named
  video_inference), installs it and imports it, although the working
  directory holds a folder named video_inference (what Colab's clone used
  to be, which Python imports as an empty namespace package)."""
  if shutil.which("git") is None or not (REPO / ".git").exists():
    pytest.skip("needs git and a git checkout of the repository")
  source = tmp_path / "source" / "video_inference"
  subprocess.run(["git", "clone", "-q", "--depth=1", f"file://{REPO}",
                  str(source)], check=True, timeout=120)
  venv = tmp_path / "venv"
  subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True,
                 timeout=300)
  # Colab's Python has `wheel`, which an editable install builds with; a
  # fresh venv of Python 3.11 lacks it and this machine has no index.
  import wheel  # pylint: disable=g-import-not-at-top
  site = next(venv.glob("lib/python3*/site-packages"))
  shutil.copytree(pathlib.Path(wheel.__file__).parent, site / "wheel")
  # Colab's own TensorFlow (its metadata is all setup.py looks at).
  colab_tensorflow = site / "tensorflow-2.21.0.dist-info"
  colab_tensorflow.mkdir()
  (colab_tensorflow / "METADATA").write_text(
      "Metadata-Version: 2.1\nName: tensorflow\nVersion: 2.21.0\n")
  work = tmp_path / "content"
  (work / "video_inference").mkdir(parents=True)
  cell = nbformat.read(REPO / "colabs" / "sample_from_checkpoint.ipynb",
                       as_version=4).cells[1].source
  # Offline: the package alone (--no-deps; the dependencies are Colab's).
  environment = dict(os.environ, VIDEO_INFERENCE_REPO_URL=str(source),
                     VIDEO_INFERENCE_PIP_ARGS="--no-deps", PIP_NO_INDEX="1")
  environment.pop("PYTHONPATH", None)
  completed = subprocess.run(
      [str(venv / "bin" / "python"), "-c", cell], cwd=work,
      capture_output=True, text=True, timeout=600, env=environment)
  assert completed.returncode == 0, completed.stderr[-3000:]
  checkout = work / "video_inference_checkout"
  assert _INSTALLED + str(checkout / "video_inference") in completed.stdout
  # The data extra keeps Colab's tensorflow instead of adding tensorflow-cpu.
  requires = subprocess.run(
      [str(venv / "bin" / "python"), "-c", "import importlib.metadata as m; "
       "print(m.requires('video_inference'))"], cwd=work,
      capture_output=True, text=True, timeout=60, env=environment,
      check=True).stdout
  assert "'tensorflow<2.22,>=2.20; extra ==" in requires
  assert "tensorflow-cpu" not in requires
  # A second run finds the install and the clone: nothing to do.
  again = subprocess.run(
      [str(venv / "bin" / "python"), "-c", cell], cwd=work,
      capture_output=True, text=True, timeout=300, env=environment)
  assert again.returncode == 0, again.stderr[-3000:]
  assert _INSTALLED in again.stdout
