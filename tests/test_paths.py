"""Workdirs, caches and outputs on object stores (gs://).

Two checks: no module reaches a file through `os.path`, `open` or `glob`
(which would fail, or quietly write a local `gs:` folder, on a bucket), and
the writers and readers that go through `etils.epath` work against a fake
gs:// kept in memory. Orbax's array writes (TensorStore) and TensorBoard's
event writer (tf.io.gfile) have no fake here; they take gs:// natively.
"""

import ast
import json
import os
import pathlib
from unittest import mock

from etils.epath import backend as epath_backend
from etils.epath import gpath
from fsspec.implementations import memory
import numpy as np
import pytest

from video_inference import checkpoints
from video_inference import modes
from video_inference import paths
from video_inference import runs
from video_inference import visualization
from video_inference.evaluation import fvd
from video_inference.evaluation import report

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "video_inference"

# Calls that only reach local files. A use is allowed only below, by
# (module, function), with the reason.
LOCAL_ONLY = ("os.path.", "os.makedirs", "os.mkdir", "os.listdir",
              "os.scandir", "os.walk", "os.remove", "os.unlink", "os.rename",
              "os.replace", "os.stat", "glob.", "shutil.", "pathlib.",
              "tempfile.", "open")
ALLOWED = {
    # A config is a local Python file that importlib executes.
    ("config_lib.py", "load_config_file"):
        "importlib loads configs from local files only",
}


def _dotted(node) -> str:
  if isinstance(node, ast.Name):
    return node.id
  if isinstance(node, ast.Attribute):
    return _dotted(node.value) + "." + node.attr
  return ""


def _local_file_calls(path: pathlib.Path) -> list[tuple[str, str, int]]:
  """(function, call, line) of each local-only call in a module."""
  tree = ast.parse(path.read_text())
  found = []

  def visit(node, function):
    for child in ast.iter_child_nodes(node):
      name = function
      if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
        name = child.name
      if isinstance(child, ast.Call):
        called = _dotted(child.func)
        if any(called == prefix or (prefix.endswith(".")
                                     and called.startswith(prefix))
               for prefix in LOCAL_ONLY):
          found.append((name, called, child.lineno))
      visit(child, name)

  visit(tree, "<module>")
  return found


def test_no_module_reaches_files_around_epath():
  offenders = []
  for module in sorted(PACKAGE.rglob("*.py")):
    relative = str(module.relative_to(PACKAGE))
    for function, called, line in _local_file_calls(module):
      if (relative, function) not in ALLOWED:
        offenders.append(f"{relative}:{line} {function}: {called}(...)")
  assert not offenders, ("Use etils.epath (video_inference.paths) for "
                         "workdir, cache and output files:\n"
                         + "\n".join(offenders))


def test_the_scan_finds_what_it_forbids(tmp_path):
  module = tmp_path / "m.py"
  module.write_text("import os\ndef f(d):\n  os.makedirs(d)\n"
                    "  return open(os.path.join(d, 'x'))\n")
  assert [call for _, call, _ in _local_file_calls(module)] == [
      "os.makedirs", "open", "os.path.join"]


class _InMemoryGcs(memory.MemoryFileSystem):
  """gs://bucket/key kept in a dict, with GCS's scheme-free keys."""
  protocol = ("gs",)
  store = {}
  pseudo_dirs = [""]
  root_marker = ""

  @classmethod
  def _strip_protocol(cls, path):
    path = os.fspath(path)
    return path.removeprefix("gs://").rstrip("/")


class _InMemoryGcsBackend(epath_backend._FileSystemSpecBackend):  # pylint: disable=protected-access

  def __init__(self, filesystem):
    self.filesystem = filesystem

  def fs(self, path):
    return self.filesystem


@pytest.fixture
def fake_gcs(tmp_path, monkeypatch):
  """gs:// paths served from memory; the test runs in an empty cwd so a
  path mistaken for a local one (a `gs:` folder) shows."""
  filesystem = _InMemoryGcs(skip_instance_cache=True)
  monkeypatch.chdir(tmp_path)
  with mock.patch.object(gpath, "_is_tf_installed", lambda: False), \
      mock.patch.dict(gpath._PREFIX_TO_BACKEND,  # pylint: disable=protected-access
                      {"gs": _InMemoryGcsBackend(filesystem)}):
    yield filesystem
  filesystem.store.clear()
  assert not os.listdir(tmp_path), "a gs:// path was written locally"


def _stored(filesystem, prefix: str) -> list[str]:
  return sorted(key.removeprefix(prefix) for key in filesystem.store
                if key.startswith(prefix))


def test_atomic_write_and_listing_on_a_bucket(fake_gcs):
  written = paths.write_atomically("gs://bucket/run/eval_3.json", '{"a": 1}')
  assert str(written) == "gs://bucket/run/eval_3.json"
  assert _stored(fake_gcs, "bucket/run/") == ["eval_3.json"]  # No .tmp left.
  assert paths.listing("gs://bucket/run") == ["eval_3.json"]
  assert paths.listing("gs://bucket/absent") == []
  assert str(paths.as_path("gs://bucket/run")) == "gs://bucket/run"
  assert not paths.is_local("gs://bucket/run") and paths.is_local("runs/x")
  assert report.latest_evaluation("gs://bucket/run") == (
      "gs://bucket/run/eval_3.json", {"a": 1})


def test_run_config_and_fvd_cache_on_a_bucket(fake_gcs, trained_run):
  config, workdir, _ = trained_run
  with pytest.raises(FileNotFoundError, match="gs://bucket/run/config.json"):
    checkpoints.load_run_config("gs://bucket/run")
  text = (pathlib.Path(workdir) / "config.json").read_text()
  fake_gcs.pipe("gs://bucket/run/config.json", text.encode())
  assert checkpoints.load_run_config("gs://bucket/run") == (
      checkpoints.load_run_config(workdir))
  assert not checkpoints.has_checkpoint("gs://bucket/run")

  statistics = fvd.FeatureStatistics(3, np.arange(2.0), np.eye(2))
  spec = {"dataset": "d", "num_clips": 3}
  computed = []
  compute = lambda: computed.append(1) or statistics  # noqa: E731
  for expected_hit in (False, True):
    loaded, hit = fvd.cached_statistics("gs://bucket/cache", spec, compute)
    assert hit == expected_hit and loaded.count == 3
    np.testing.assert_array_equal(loaded.covariance, np.eye(2))
  assert len(computed) == 1
  assert [name for name in _stored(fake_gcs, "bucket/cache/")
          if name.endswith(".tmp")] == []


def test_baseline_evaluation_writes_its_json_to_a_bucket(fake_gcs,
                                                          tiny_config):
  tiny_config.evals.baseline = "crossfade"
  results = modes.run_evaluate(tiny_config, "gs://bucket/baseline")
  assert results["path"] == "gs://bucket/baseline/eval_baseline_crossfade.json"
  saved = json.loads(fake_gcs.cat(results["path"]))
  assert saved["metrics"]["mean_psnr"]["mean"] == pytest.approx(
      results["metrics"]["mean_psnr"]["mean"])


def test_samples_and_grids_saved_to_a_bucket(fake_gcs, trained_run):
  _, workdir, _ = trained_run
  samples = runs.load_run(workdir).sample(num_samples=2, verbose=False)
  written = samples.save("gs://bucket/out", progress=False)
  assert all(path.startswith("gs://bucket/out/") for path in written)
  assert _stored(fake_gcs, "bucket/out/") == sorted(
      runs.output_names(2))
  with pytest.raises(FileExistsError, match="gs://bucket/out"):
    samples.save("gs://bucket/out", progress=False)
  with fake_gcs.open("gs://bucket/out/samples.npz", "rb") as f:
    np.testing.assert_array_equal(np.load(f)["videos"], samples.videos)
  mp4 = fake_gcs.cat("gs://bucket/out/sample_00.mp4")
  assert mp4[4:8] == b"ftyp" and len(mp4) > 100

  grid = visualization.save_samples("gs://bucket/grids", samples.videos,
                                    samples.anchor_times, "set_0")
  assert grid == ["gs://bucket/grids/set_0_grid.png",
                  "gs://bucket/grids/set_0.gif"]
  assert fake_gcs.cat(grid[0])[:8] == b"\x89PNG\r\n\x1a\n"
  fake_gcs.pipe("gs://bucket/anchor.png", fake_gcs.cat(grid[0]))
  frame, _ = runs.read_anchor_image("gs://bucket/anchor.png", 32, 3)
  assert frame.shape == (32, 32, 3)
