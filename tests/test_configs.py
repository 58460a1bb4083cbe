"""Every config loads (both variants), is locked, and names valid choices."""

import pathlib

import pytest

from conftest import REPO, load_config
from video_inference import anchors
from video_inference import input_pipeline
from video_inference import models

CONFIGS = sorted(p.stem for p in (REPO / "configs").glob("*.py"))


def test_there_are_configs():
  assert {"sdvi_shapes", "sdvi_ucf", "sdvi_kth", "sdvi_mug",
          "inbetween3d_shapes", "inbetween3d_bair", "inbetween3d_kth",
          "inbetween3d_ucf"} <= set(CONFIGS)


@pytest.mark.parametrize("name", CONFIGS)
@pytest.mark.parametrize("variant", ["", "tiny"])
def test_config_loads_with_valid_names(name, variant):
  config = load_config(name, variant)
  assert config.family in models.FAMILIES
  assert config.dataset.name.split("/")[0] in input_pipeline.DATASETS
  assert config.anchors.strategy in anchors.ANCHOR_STRATEGIES
  assert config.train.batch_size > 0
  if config.family == "sdvi":
    assert 0 < config.train.image_phase_steps < config.train.num_steps
  models.build_model(config)  # Sizes and names are consistent.
  anchors.validate_times(config.sample.anchor_times, config.dataset.num_frames)
  docstring = pathlib.Path(REPO / "configs" / f"{name}.py").read_text()
  assert "python -m video_inference.main" in docstring


@pytest.mark.parametrize("name", CONFIGS)
def test_tiny_variant_is_test_sized(name):
  config = load_config(name, "tiny")
  # videovae: one attribute step, then two VAE steps (a resume at step 2
  # lands inside the VAE phase).
  assert config.train.num_steps == (3 if config.family == "videovae" else 2)
  assert config.dataset.resolution == 32
  # inbetween3d's generator and video discriminator need 16 frames.
  assert config.dataset.num_frames == (16 if config.family == "inbetween3d"
                                       else 4)
  assert config.dataset.validation_split == ""
  assert config.train.batch_size == 2


def test_config_is_locked_against_typos():
  config = load_config("sdvi_shapes", "")
  with pytest.raises(AttributeError, match="bach_size"):
    config.train.bach_size = 8


def test_unknown_variant_is_an_error():
  with pytest.raises(ValueError, match="huge"):
    load_config("sdvi_shapes", "huge")


def test_unknown_family_lists_valid_names():
  config = load_config("sdvi_shapes")
  config.family = "nope"
  with pytest.raises(ValueError, match="sdvi"):
    models.build_model(config)
