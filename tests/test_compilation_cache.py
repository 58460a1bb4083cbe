"""The entry points' persistent compilation cache: where it goes, that a
second process loads what the first compiled, and that '' turns it off.
Each check runs in a fresh interpreter (JAX's cache is set once a process)
with the suite's own JAX_COMPILATION_CACHE_DIR removed."""

import json
import os
import subprocess
import sys

import pytest

from conftest import REPO
from conftest import run_python_json

_COMPILE_AND_COUNT = """
import json, sys
import jax, jax.numpy as jnp
from video_inference import compilation_cache

events = []
jax.monitoring.register_event_listener(
    lambda event, **kwargs: events.append(event))
flag = json.loads(sys.argv[1])
folder = compilation_cache.enable(flag)

def step(x):
  for _ in range(4):
    x = jnp.tanh(x @ x.T + 1.0)
  return x

jax.jit(step)(jnp.ones((8, 8))).block_until_ready()
print(json.dumps({
    "folder": folder,
    "enabled": jax.config.jax_enable_compilation_cache,
    "hits": events.count("/jax/compilation_cache/cache_hits"),
    "misses": events.count("/jax/compilation_cache/cache_misses")}))
"""


def _compile(flag):
  """A fresh interpreter that enables the cache with `flag` (None: the
  flag not given) and compiles one small step; its report."""
  return run_python_json(_COMPILE_AND_COUNT, json.dumps(flag))


@pytest.fixture(name="environment")
def _environment(monkeypatch):
  """os.environ for the interpreters `_compile` starts: without the
  suite's cache folder, and writing every program however fast it
  compiled; tests add their own variables."""
  monkeypatch.delenv("JAX_COMPILATION_CACHE_DIR", raising=False)
  monkeypatch.setenv("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
  return monkeypatch


def test_default_folder_is_under_the_users_cache_and_a_rerun_hits(
    environment, tmp_path):
  environment.setenv("XDG_CACHE_HOME", str(tmp_path))
  first = _compile(None)
  expected = tmp_path / "video_inference" / "xla"
  assert first["folder"] == str(expected)
  assert first["misses"] >= 1 and first["hits"] == 0
  assert any(name.startswith("jit_step") for name in os.listdir(expected))
  second = _compile(None)
  assert second["hits"] >= 1 and second["misses"] == 0


def test_flag_beats_environment_and_empty_turns_it_off(environment,
                                                       tmp_path):
  from_environment = tmp_path / "environment"
  from_flag = tmp_path / "flag"
  environment.setenv("JAX_COMPILATION_CACHE_DIR", str(from_environment))
  assert _compile(None)["folder"] == str(from_environment)
  report = _compile(str(from_flag))
  assert report["folder"] == str(from_flag)
  assert any(name.startswith("jit_step") for name in os.listdir(from_flag))
  off = _compile("")
  assert off["folder"] is None and not off["enabled"]
  assert off["hits"] == 0 and off["misses"] == 0


def test_main_passes_its_flag_on(tmp_path):
  folder = tmp_path / "xla"
  completed = subprocess.run(
      [sys.executable, "-m", "video_inference.main",
       f"--config={REPO / 'configs' / 'sdvi_shapes.py'}:tiny",
       f"--workdir={tmp_path / 'run'}", "--mode=no_such_mode",
       f"--compilation_cache_dir={folder}"],
      cwd=REPO, capture_output=True, text=True, timeout=300,
      env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
  assert completed.returncode != 0
  assert f"Compiled steps are kept in {folder}" in completed.stderr
