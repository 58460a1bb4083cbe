"""Importing the library changes nothing in the user's process: not JAX's
random-number setting, not matplotlib's backend, not logging; and the
sampling API (`runs`, the sample command) imports neither TensorFlow nor
TensorFlow Datasets. Each check runs in a fresh interpreter."""


import pytest

from conftest import run_python_json

_STATE = """
import json, logging, sys
import jax, matplotlib

def state():
  root = logging.getLogger()
  return {"threefry": jax.config.jax_threefry_partitionable,
          # The raw value (reading rcParams["backend"] would resolve it):
          # a name, or a sentinel while still automatic.
          "backend": str(dict.__getitem__(matplotlib.rcParams, "backend")),
          "root_level": root.level, "root_handlers": len(root.handlers),
          "tensorflow": "tensorflow" in sys.modules,
          "tensorflow_datasets": "tensorflow_datasets" in sys.modules}
"""


def _run(body: str) -> dict:
  return run_python_json(_STATE + body + "\nprint(json.dumps(result))\n")


# The commands whose flags share names with main's (absl keeps one flag
# registry per process): each is imported in its own interpreter.
_COMMANDS_BESIDE_MAIN = ("video_inference.sample", "video_inference.export")


@pytest.mark.parametrize("command", _COMMANDS_BESIDE_MAIN)
def test_sampling_modules_import_no_tensorflow_and_change_nothing(command):
  result = _run(f"""
before = state()
import video_inference.runs
import video_inference.inference_file
import {command}
result = {{"before": before, "after": state()}}
""")
  assert result["after"] == result["before"]
  assert not result["after"]["tensorflow"]


def test_importing_every_module_changes_no_global_setting():
  result = _run(f"""
import importlib, pkgutil
before = state()
import video_inference
names = [info.name for info in pkgutil.walk_packages(
    video_inference.__path__, "video_inference.")
    if info.name not in {_COMMANDS_BESIDE_MAIN!r}]
for name in names:
  importlib.import_module(name)
after = state()
result = {{"before": before, "after": after, "count": len(names)}}
""")
  for key in ("threefry", "backend", "root_level", "root_handlers"):
    assert result["after"][key] == result["before"][key], key
  assert result["count"] > 40
