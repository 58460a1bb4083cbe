"""Test-session setup: 4 fake CPU devices, a private TFDS dir, tiny configs."""

import os

# Must happen before jax is imported anywhere: multi-device tests need
# several (fake) CPU devices.
os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=4")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import importlib.util  # noqa: E402
import pathlib  # noqa: E402

import pytest  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[1]


def load_config(name: str, variant: str = "tiny"):
  """configs/<name>.py's get_config(variant), loaded as the CLI does."""
  spec = importlib.util.spec_from_file_location(
      f"configs_{name}", REPO / "configs" / f"{name}.py")
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.get_config(variant)


@pytest.fixture(scope="session")
def tfds_dir(tmp_path_factory):
  """One TFDS data dir for the session: shape_motion/tiny is generated once."""
  return str(tmp_path_factory.mktemp("tensorflow_datasets"))


@pytest.fixture
def tiny_config(tfds_dir):
  config = load_config("sdvi_shapes")
  config.dataset.data_dir = tfds_dir
  return config
