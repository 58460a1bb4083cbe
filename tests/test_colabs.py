"""The colabs execute headless, top to bottom, against a tiny trained run.

Parameters reach them through the environment (the kernel inherits it):
VIDEO_INFERENCE_RUN, VIDEO_INFERENCE_OUT, VIDEO_INFERENCE_KEYFRAMES.
"""

import os

import nbclient
import nbformat
import pytest
from PIL import Image, ImageDraw

from conftest import REPO


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
  monkeypatch.setenv("VIDEO_INFERENCE_RUN", workdir)
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
  assert "find_spec(\"video_inference\")" in code[0].source  # Setup first.
