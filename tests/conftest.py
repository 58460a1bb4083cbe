"""Test-session setup: 4 fake CPU devices, a private TFDS dir, tiny configs."""

import os
import tempfile

# Must happen before jax is imported anywhere: multi-device tests need
# several (fake) CPU devices.
os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=4")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Persistent XLA compilation cache: the end-to-end tests rebuild the same
# jitted steps in several runs (resume, modes); compiling each once cuts the
# suite's CPU time by minutes. Keyed by the program and flags, so a hit runs
# the same executable a fresh compile would produce.
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", os.path.join(
    tempfile.gettempdir(), "video_inference_test_xla_cache"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "1")

import json  # noqa: E402
import pathlib  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import pytest  # noqa: E402

from video_inference import threefry  # noqa: E402

# The CLI's setting for the whole session, as the entry points set it (tests
# also call models and jitted steps directly, outside the scoped functions).
threefry.set_for_process()

REPO = pathlib.Path(__file__).resolve().parents[1]


def run_python_json(script: str, *args: str) -> dict:
  """Runs `script` in a fresh interpreter from the checkout; its last line
  of output, parsed as JSON (the script's report)."""
  completed = subprocess.run(
      [sys.executable, "-c", script, *map(str, args)], cwd=REPO,
      capture_output=True, text=True, timeout=300,
      env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
  assert completed.returncode == 0, completed.stderr[-3000:]
  return json.loads(completed.stdout.strip().splitlines()[-1])


def load_config(name: str, variant: str = "tiny"):
  """configs/<name>.py's get_config(variant), loaded as the CLI does."""
  from video_inference import config_lib  # pylint: disable=g-import-not-at-top
  return config_lib.load_config_file(f"{REPO / 'configs' / name}.py:{variant}")


def assert_trees_equal(first, second):
  """Two pytrees (e.g. train-state params) equal leaf for leaf, bit exact."""
  import jax  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  first, second = jax.device_get(first), jax.device_get(second)
  assert jax.tree.structure(first) == jax.tree.structure(second)
  for a, b in zip(jax.tree.leaves(first), jax.tree.leaves(second)):
    np.testing.assert_array_equal(a, b)


def share_of_weights_apart(first, second, tolerance: float) -> float:
  """The share of the weights of two param pytrees that differ by more
  than `tolerance`. Adam moves each weight by about +-lr a step, so with
  tolerance lr / 10 a wrong gradient flips many updates, while a correct
  all-reduce in another summation order only differs in float rounding."""
  import jax  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  first, second = jax.device_get(first), jax.device_get(second)
  pairs = list(zip(jax.tree.leaves(first), jax.tree.leaves(second)))
  differing = sum(int(np.sum(np.abs(a - b) > tolerance)) for a, b in pairs)
  return differing / sum(np.size(a) for a, _ in pairs)


def train_and_check_resume(config, tmp_path, stop_at: int,
                           **first_leg) -> dict:
  """Trains `config` uninterrupted in tmp_path/whole and, in tmp_path/parts,
  to step `stop_at` (with `first_leg` overrides of config.train, which stay)
  then resumed to the end: params and model_state must match bit for bit.
  Returns the uninterrupted run's summary."""
  import jax  # pylint: disable=g-import-not-at-top
  from video_inference import train  # pylint: disable=g-import-not-at-top
  devices = jax.devices()[:1]
  num_steps = config.train.num_steps
  whole = train.train_and_evaluate(config, str(tmp_path / "whole"), devices)
  config.train.update(num_steps=stop_at, **first_leg)
  train.train_and_evaluate(config, str(tmp_path / "parts"), devices)
  config.train.num_steps = num_steps
  resumed = train.train_and_evaluate(config, str(tmp_path / "parts"), devices)
  assert resumed["step"] == num_steps
  for tree in ("params", "model_state"):
    assert_trees_equal(getattr(whole["state"], tree),
                       getattr(resumed["state"], tree))
  return whole


@pytest.fixture(scope="session")
def tfds_dir(tmp_path_factory):
  """One TFDS data dir for the session: shape_motion/tiny is generated once."""
  return str(tmp_path_factory.mktemp("tensorflow_datasets"))


@pytest.fixture
def tiny_config(tfds_dir):
  config = load_config("sdvi_shapes")
  config.dataset.data_dir = tfds_dir
  return config


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory, tfds_dir):
  """One uninterrupted 2-step tiny sdvi run, shared read-mostly by the
  modules that train, evaluate and sample: (config, workdir, summary)."""
  import jax  # pylint: disable=g-import-not-at-top
  from video_inference import train  # pylint: disable=g-import-not-at-top
  config = load_config("sdvi_shapes")
  config.dataset.data_dir = tfds_dir
  # FVD is off in the tiny variant; select the best checkpoint by PSNR.
  config.evals.update(best_metric="best_of_2_psnr", best_mode="max")
  workdir = str(tmp_path_factory.mktemp("uninterrupted"))
  summary = train.train_and_evaluate(config, workdir, devices=jax.devices()[:1])
  return config, workdir, summary
