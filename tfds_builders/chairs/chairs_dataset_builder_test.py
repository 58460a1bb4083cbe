"""Tests of chairs: split rules, crops, and builds on dummy_data/."""

import collections
import logging
import pathlib
import shutil
from unittest import mock

import numpy as np
from PIL import Image
import pytest
import scipy.io
import tensorflow_datasets as tfds

from tfds_builders import testing
from tfds_builders.chairs import chairs_dataset_builder as cb
from tfds_builders.chairs import make_dummy_data

DUMMY = pathlib.Path(__file__).parent / "dummy_data"
DUMMY_ROOT = DUMMY / cb.ROOT_NAME


class ChairsNavsynthTest(tfds.testing.DatasetBuilderTestCase):
  """TFDS's checks; download_and_extract returns dummy_data/."""

  DATASET_CLASS = cb.Chairs
  BUILDER_CONFIG_NAMES_TO_TEST = ["navsynth"]
  # 3 of the 5 dummy models (round(820 * 5 / 1393)), 4 sequences each.
  SPLITS = {"train": 12, "test": 8}
  # No published checksum of rendered_chairs.tar to record (see README).
  SKIP_CHECKSUMS = True


class ChairsVideovaeTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = cb.Chairs
  BUILDER_CONFIG_NAMES_TO_TEST = ["videovae"]
  SPLITS = {"train": 9, "test": 3}
  SKIP_CHECKSUMS = True


def _models(count):
  return [f"{i:032x}" for i in range(count)]


def test_dummy_data_is_in_the_real_format():
  mat = scipy.io.loadmat(DUMMY_ROOT / cb.INDEX_NAME)
  assert mat["folder_names"].shape == (1, 5)
  assert mat["instance_names"].shape == (1, 62)
  models, renders = cb.read_index(DUMMY_ROOT)
  assert renders[1] == "image_001_p020_t011_r096.png"
  assert "image_052_p030_t232_r096.png" in renders
  total = 0
  for model in models:
    assert sorted(p.name for p in (DUMMY_ROOT / model / "renders").iterdir()
                  ) == sorted(renders)
    for path in (DUMMY_ROOT / model / "renders").iterdir():
      total += path.stat().st_size
  with Image.open(DUMMY_ROOT / models[0] / "renders" / renders[0]) as image:
    assert (image.format, image.mode, image.size) == ("PNG", "RGB",
                                                      (600, 600))
  assert total < 1_000_000


def test_sweeps_sort_by_azimuth_and_sequences_start_at_the_16th_frame():
  names = make_dummy_data.render_names()
  shuffled = list(np.random.default_rng(1).permutation(names))
  sweeps = cb.sweeps(shuffled)
  assert list(sweeps) == [20, 30]
  for elevation, sweep in sweeps.items():
    azimuths = [cb.parse_render_name(n) for n in sweep]
    assert all(e == elevation for e, _ in azimuths)
    assert [a for _, a in azimuths] == [360 * k // 31 for k in range(31)]
    forward = cb.sequence_frames(sweep, "increasing_azimuth")
    backward = cb.sequence_frames(sweep, "decreasing_azimuth")
    assert forward == sweep[15:31] and backward == sweep[15::-1]
    assert len(forward) == len(backward) == 16
    assert forward[0] == backward[0] == sweep[15]


def test_sweeps_reject_an_index_without_31_azimuths_per_elevation():
  names = make_dummy_data.render_names()
  with pytest.raises(ValueError, match="31 distinct azimuths"):
    cb.sweeps(names[:-1])
  with pytest.raises(ValueError, match="Unexpected render name"):
    cb.sweeps(names + ["thumbnail.png"])


def test_model_choice_on_the_real_count():
  models = _models(1393)
  nav, nav_rest = cb.choose_models(models, 820)
  vae, vae_rest = cb.choose_models(list(reversed(models)), 809)
  assert (len(nav), len(nav_rest), len(vae), len(vae_rest)) == (
    820, 573, 809, 584)
  assert set(vae) < set(nav)  # One permutation, two prefixes.
  assert not set(nav) & set(nav_rest)
  # A function of the set of names: repeats and order change nothing.
  assert cb.choose_models(models[::3] + models, 820) == (nav, nav_rest)
  assert cb.choose_models(sorted(models, key=hash), 820) == (nav, nav_rest)


def test_split_rules_on_the_real_count():
  models = _models(1393)
  nav = cb.split_sequences(cb.Chairs.builder_configs["navsynth"], models)
  assert {k: len(v) for k, v in nav.items()} == {"train": 3280, "test": 2292}
  vae = cb.split_sequences(cb.Chairs.builder_configs["videovae"], models)
  assert {k: len(v) for k, v in vae.items()} == {"train": 2427, "test": 809}
  for splits in (nav, vae):
    assert not set(splits["train"]) & set(splits["test"])
  per_model = collections.Counter(
    cb.parse_sequence_id(s)[0] for s in vae["test"])
  assert set(per_model.values()) == {1}
  train_models = collections.Counter(
    cb.parse_sequence_id(s)[0] for s in vae["train"])
  assert set(train_models.values()) == {3} and set(train_models) == set(
    per_model)
  # All four (elevation, direction) kinds are drawn for test.
  kinds = collections.Counter(s.split("/", 1)[1] for s in vae["test"])
  assert len(kinds) == 4 and min(kinds.values()) > 150
  assert cb.split_sequences(cb.Chairs.builder_configs["videovae"],
                            models[::-1]) == vae


def test_crops_keep_the_whole_chair_with_a_border():
  frames = np.full((2, 600, 600, 3), 255, np.uint8)
  frames[0, 100:200, 350:420] = 0  # Off-centre: above and right.
  frames[1, 150:250, 380:400] = 0
  box = cb.chair_box(frames)
  assert box == (100, 350, 250, 420)
  centre = cb.crop_chairs(frames, "centre")
  tight = cb.crop_chairs(frames, "chair_box")
  assert centre.shape == tight.shape == (2, 64, 64, 3)
  for video in (centre, tight):
    dark = video.min(axis=-1) < 128
    assert dark.any() and not dark[:, [0, -1]].any()
    assert not dark[:, :, [0, -1]].any()
  # The centre crop is centred on the render: the chair sits up and right.
  rows, cols = np.nonzero(centre[0].min(axis=-1) < 128)
  assert rows.mean() < 32 and cols.mean() > 32
  # The box crop centres the union's box (150 rows x 70 columns) and fits
  # its longer side with 5% to spare on each side.
  rows, cols = np.nonzero(tight.min(axis=0).min(axis=-1) < 128)
  assert abs(rows.min() - (63 - rows.max())) <= 1
  assert abs(cols.min() - (63 - cols.max())) <= 1
  assert 2 <= rows.min() <= 4 and 17 <= cols.min() <= 19


def test_alpha_renders_are_composited_on_white(tmp_path):
  image = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
  image.putpixel((3, 3), (10, 20, 30, 255))
  image.save(tmp_path / "a.png")
  frame = cb.decode_render((tmp_path / "a.png").read_bytes(), "a.png")
  assert frame.shape == (8, 8, 3)
  assert (frame[0, 0] == 255).all() and tuple(frame[3, 3]) == (10, 20, 30)


def _write_index(root, models, renders):
  scipy.io.savemat(str(root / cb.INDEX_NAME),
                   {"folder_names": np.array(models, dtype=object)[None],
                    "instance_names": np.array(renders, dtype=object)[None]})


def test_index_naming_a_model_twice_is_an_error(tmp_path):
  models, renders = cb.read_index(DUMMY_ROOT)
  _write_index(tmp_path, models + [models[2]], renders)
  with pytest.raises(ValueError, match=f"more than once.*: {models[2]}"):
    cb.read_index(tmp_path)


def test_built_data_labels_keys_and_frames(tmp_path):
  decode = mock.Mock(side_effect=cb.decode_render)
  with mock.patch.object(cb, "decode_render", decode):
    builder = testing.prepare_with_fake_downloads(
      tfds.builder("chairs/videovae", data_dir=tmp_path), DUMMY,
      file_format="array_record")
  # Both splits hold sequences of the same 3 models; each render is decoded
  # once, not once per split.
  assert decode.call_count == 3 * 62
  models, renders = cb.read_index(DUMMY_ROOT)
  expected = cb.split_sequences(builder.builder_config, models)
  sweeps = cb.sweeps(renders)
  labels = {m: i for i, m in enumerate(sorted(models))}
  crops = {}
  for split in ("train", "test"):
    source = builder.as_data_source(split)
    ids = [ex["id"].decode() for ex in source]
    assert sorted(ids) == sorted(expected[split])
    for ex in source:
      model, elevation, direction = cb.parse_sequence_id(ex["id"].decode())
      assert ex["chair"] == labels[model]
      assert cb.ELEVATIONS[ex["elevation"]] == elevation
      assert cb.DIRECTIONS[ex["direction"]] == direction
      if model not in crops:
        names = sweeps[20] + sweeps[30]
        frames = np.stack([cb.decode_render(
          (DUMMY_ROOT / model / "renders" / n).read_bytes(), n) for n in names])
        crops[model] = dict(zip(names, cb.crop_chairs(frames, "chair_box")))
      wanted = cb.sequence_frames(sweeps[elevation], direction)
      np.testing.assert_array_equal(
        ex["video"], np.stack([crops[model][n] for n in wanted]))


@pytest.mark.parametrize("breakage", ["truncated", "broken_link"])
def test_bad_render_drops_its_sequences_with_a_warning(tmp_path, caplog,
                                                       breakage):
  copy = testing.copy_dummy_data(DUMMY, tmp_path, "extracted")
  models, renders = cb.read_index(copy / cb.ROOT_NAME)
  _, held_out = cb.choose_models(models, 820)
  # Azimuth index 20 at elevation 20: only that sweep's forward sequence.
  bad = (copy / cb.ROOT_NAME / held_out[0] / "renders"
         / cb.sweeps(renders)[20][20])
  if breakage == "truncated":
    bad.write_bytes(bad.read_bytes()[:200])
  else:  # Listed, but reading it is an OSError.
    bad.unlink()
    bad.symlink_to(tmp_path / "nowhere.png")
  with caplog.at_level(logging.WARNING):
    builder = testing.prepare_with_fake_downloads(
      tfds.builder("chairs/navsynth", data_dir=tmp_path / "data"), copy)
  assert builder.info.splits["test"].num_examples == 7
  assert builder.info.splits["train"].num_examples == 12
  assert any(str(bad) in r.getMessage() and "skipping" in r.getMessage()
             for r in caplog.records)
  assert any("chairs/navsynth/test: skipped 1 of 124" in r.getMessage()
             for r in caplog.records)


def test_incomplete_extraction_lists_what_is_missing(tmp_path):
  copy = testing.copy_dummy_data(DUMMY, tmp_path, "extracted")
  models, renders = cb.read_index(copy / cb.ROOT_NAME)
  shutil.rmtree(copy / cb.ROOT_NAME / models[1])
  (copy / cb.ROOT_NAME / models[0] / "renders" / renders[5]).unlink()
  with pytest.raises(FileNotFoundError) as err:
    testing.prepare_with_fake_downloads(
      tfds.builder("chairs/navsynth", data_dir=tmp_path / "data"), copy)
  message = str(err.value)
  assert "2 of 5 model folders lack renders (1 of them empty)" in message
  assert "63 of the 124 renders that instance_names" in message
  assert f"{models[0]}/renders/{renders[5]}" in message
  assert f"{models[1]}/renders/{renders[0]}" in message
  # What the fallback to each folder's own listing found.
  assert f"{models[0]}/renders/: 61 such renders" in message
  assert f"{models[1]}/renders/: 0 such renders" in message
  assert "rendered_chairs.tar" in message


def test_index_names_unlike_the_files_fall_back_to_the_listing(tmp_path,
                                                               caplog):
  copy = testing.copy_dummy_data(DUMMY, tmp_path, "extracted")
  root = copy / cb.ROOT_NAME
  models, renders = cb.read_index(root)
  # An index whose render names match no file (another distance field).
  _write_index(root, models, [n.replace("_r096", "_r100") for n in renders])
  with caplog.at_level(logging.WARNING):
    builder = testing.prepare_with_fake_downloads(
      tfds.builder("chairs/navsynth", data_dir=tmp_path / "data"), copy)
  assert builder.info.splits["train"].num_examples == 12
  assert builder.info.splits["test"].num_examples == 8
  assert any("5 of 5 model folders" in r.getMessage()
             and "their own file names are used" in r.getMessage()
             for r in caplog.records)
  # With one render gone as well, neither try works for that model.
  (root / models[3] / "renders" / renders[7]).unlink()
  with pytest.raises(FileNotFoundError) as err:
    testing.prepare_with_fake_downloads(
      tfds.builder("chairs/navsynth", data_dir=tmp_path / "data2"), copy)
  message = str(err.value)
  assert "1 of 5 model folders lack renders" in message
  assert "62 of the 62 renders that instance_names" in message
  assert f"{models[3]}/renders/: 61 such renders" in message


def test_missing_index_says_what_and_where(tmp_path):
  copy = testing.copy_dummy_data(DUMMY, tmp_path, "extracted")
  (copy / cb.ROOT_NAME / cb.INDEX_NAME).unlink()
  with pytest.raises(FileNotFoundError) as err:
    testing.prepare_with_fake_downloads(
      tfds.builder("chairs/navsynth", data_dir=tmp_path / "data"), copy)
  assert f"Missing {copy / cb.ROOT_NAME / cb.INDEX_NAME}" in str(err.value)
  assert "<model>/renders/image_<NNN>_p<elev>" in str(err.value)


if __name__ == "__main__":
  tfds.testing.test_main()
