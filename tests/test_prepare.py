"""The prepare command: builds once, lists datasets, names bad manual dirs."""

import pathlib

import pytest

from conftest import REPO, load_config
from video_inference import input_pipeline
from video_inference import prepare

DUMMY_SHAPES = REPO / "tfds_builders" / "mocogan_shapes" / "dummy_data"


def test_prepare_builds_once_and_reports_sizes(tmp_path, capsys):
  data_dir = prepare.prepare("mocogan_shapes", str(tmp_path),
                             str(DUMMY_SHAPES))
  out = capsys.readouterr().out
  assert "Prepared mocogan_shapes" in out and "test 2, train 8" in out
  marker = pathlib.Path(data_dir) / "dataset_info.json"
  written = marker.stat().st_mtime_ns
  assert prepare.prepare("mocogan_shapes", str(tmp_path),
                         str(DUMMY_SHAPES)) == data_dir
  assert "already prepared" in capsys.readouterr().out
  assert marker.stat().st_mtime_ns == written  # Not rebuilt.


def test_manual_dir_that_is_not_a_directory_says_what_goes_there(tmp_path):
  with pytest.raises(FileNotFoundError) as error:
    prepare.prepare("mocogan_shapes", str(tmp_path), str(tmp_path / "nope"))
  assert "nope is not a directory" in str(error.value)
  assert "<manual_dir>/0/*.png" in str(error.value)


def test_list_names_every_dataset_and_how_to_prepare_it(tmp_path):
  lines = prepare.list_datasets(str(tmp_path))
  listed = {line.split()[0].split("/")[0] for line in lines}
  assert listed == set(input_pipeline.DATASETS)
  shapes = [line for line in lines if line.startswith("shape_motion")]
  assert shapes and all("generated on first use" in s for s in shapes)
  manual = [line for line in lines if line.startswith("mocogan_shapes")]
  assert manual[0].endswith(
      "python -m video_inference.prepare --dataset=mocogan_shapes "
      "--manual_dir=DIR")


def test_every_config_names_a_registered_builder_config():
  for path in sorted((REPO / "configs").glob("*.py")):
    name = load_config(path.stem, "").dataset.name
    # Raises for an unknown dataset or builder config.
    input_pipeline.get_builder(name)
