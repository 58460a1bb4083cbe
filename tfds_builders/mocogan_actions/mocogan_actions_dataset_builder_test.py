"""Tests of mocogan_actions: on dummy_data/, and on the real copy if present."""

import collections
import logging
import pathlib
import shutil

import numpy as np
from PIL import Image
import pytest
import tensorflow_datasets as tfds

from tfds_builders import testing
from tfds_builders.mocogan_actions import make_dummy_data
from tfds_builders.mocogan_actions import mocogan_actions_dataset_builder as ma

DUMMY = pathlib.Path(__file__).parent / "dummy_data"
# The project keeps a copy of the original files beside the repo root.
REAL = pathlib.Path(__file__).resolve().parents[2].parent / (
  "shared/data/mocogan/actions"
)


class MocoganActionsTest(tfds.testing.DatasetBuilderTestCase):
  """TFDS's standard checks; the harness uses dummy_data/ as manual dir."""

  DATASET_CLASS = ma.MocoganActions
  SPLITS = {"train": 16}


def _prepare(manual_dir, data_dir):
  return testing.prepare_from_manual_dir(
    tfds.builder("mocogan_actions", data_dir=data_dir),
    manual_dir,
    file_format="array_record",
  )


def test_dummy_data_is_in_the_real_format():
  files = sorted(DUMMY.glob("*/*"))
  assert collections.Counter(f.parent.name for f in files) == {
    "0": 4,
    "1": 4,
    "3": 4,
    "4": 4,
  }
  for f in files:
    assert f.suffix == ".jpg" and len(f.stem) == 8, f
    assert f.parent.name == ma.BLOCK_FOLDERS[int(f.stem) % 8], f
    assert f.stat().st_size < 8192, f
    with Image.open(f) as image:
      assert image.format == "PNG" and image.mode == "RGBA"
      width, height = image.size
      assert height == 64 and width % 64 == 0
      assert width // 64 == make_dummy_data.num_frames(int(f.stem))
      assert (np.asarray(image)[..., 3] == 255).all()


def test_identity_rule():
  assert ma.identity("00000000.jpg") == (0, False)
  assert ma.identity("00000007.jpg") == (0, True)
  assert ma.identity("00000008.jpg") == (1, False)
  assert ma.identity("00000071.jpg") == (8, True)
  # The folder pattern repeats with period 8: each block holds one person's
  # four actions, two files (original, mirror) each.
  blocks = collections.defaultdict(list)
  for number in range(72):
    blocks[ma.identity(f"{number:08d}.jpg")[0]].append(
      ma.FOLDER_TO_ACTION[ma.BLOCK_FOLDERS[number % 8]]
    )
  assert len(blocks) == ma.NUM_PERSONS
  for actions in blocks.values():
    assert collections.Counter(actions) == {a: 2 for a in ma.ACTIONS}


@pytest.mark.parametrize("name", ["00000072.jpg", "frame.jpg", "-0000001.jpg"])
def test_identity_rejects_names_outside_mocogans(name):
  with pytest.raises(ValueError, match="numbered 00000000 .. 00000071"):
    ma.identity(name)


def test_split_rule_is_everything_in_train():
  pairs = [(ma.BLOCK_FOLDERS[n % 8], f"{n:08d}.jpg") for n in range(72)]
  splits = ma.split_strips(list(reversed(pairs)))
  assert list(splits) == ["train"]
  assert splits["train"] == sorted(pairs)


def test_array_record_data_source_labels_and_mirrors(tmp_path):
  builder = _prepare(DUMMY, tmp_path)
  source = builder.as_data_source("train")
  assert len(source) == 16
  by_id = {ex["id"].decode(): ex for ex in source}
  assert set(by_id) == {f"{ma.BLOCK_FOLDERS[n % 8]}/{n:08d}" for n in range(16)}
  for id_, ex in by_id.items():
    folder, stem = id_.split("/")
    number = int(stem)
    video = ex["video"]
    assert video.dtype == np.uint8
    assert video.shape == (make_dummy_data.num_frames(number), 64, 64, 3)
    np.testing.assert_array_equal(video, make_dummy_data.strip_video(number))
    assert ex["action"] == ma.ACTIONS.index(ma.FOLDER_TO_ACTION[folder])
    assert ex["person"] == number // 8
    assert bool(ex["mirrored"]) == (number % 2 == 1)
    if number % 2:
      original = by_id[f"{folder}/{number - 1:08d}"]["video"]
      np.testing.assert_array_equal(video, original[:, :, ::-1])


def test_example_order_is_deterministic(tmp_path):
  # Keys are the ids, so two builds store the examples in the same order.
  orders = [
    [
      ex["id"]
      for ex in _prepare(DUMMY, tmp_path / run).as_data_source()["train"]
    ]
    for run in ("first", "second")
  ]
  assert orders[0] == orders[1] and len(orders[0]) == 16


@pytest.mark.parametrize(
  "breakage, reason",
  [
    ("truncated", "Cannot decode"),
    ("wrong_height", "64x32 (RGBA); expected an RGBA PNG strip"),
    ("grayscale", "x64 (L); expected an RGBA PNG strip"),
    ("short", "31 frames, fewer than the 32"),
    ("broken_link", "No such file"),
    ("bad_number", "numbered 00000000 .. 00000071"),
  ],
)
def test_bad_strip_is_skipped_with_a_warning(
  tmp_path, caplog, breakage, reason
):
  manual = testing.copy_dummy_data(DUMMY, tmp_path, "manual")
  bad = manual / "3" / "00000013.jpg"
  total = 16
  if breakage == "truncated":
    bad.write_bytes(bad.read_bytes()[:200])
  elif breakage == "wrong_height":
    Image.new("RGBA", (64, 32)).save(bad, format="PNG")
  elif breakage == "grayscale":  # Not the format: refused, not converted.
    Image.open(bad).convert("L").save(bad, format="PNG")
  elif breakage == "short":
    strip = Image.open(bad)
    strip.crop((0, 0, 31 * 64, 64)).save(bad, format="PNG")
  elif breakage == "broken_link":  # Listed, but reading it is an OSError.
    bad.unlink()
    bad.symlink_to(tmp_path / "nowhere.jpg")
  else:  # A 17th strip, beside a whole set.
    bad = manual / "3" / "00000099.jpg"
    shutil.copy(manual / "3" / "00000013.jpg", bad)
    total = 17
  with caplog.at_level(logging.WARNING):
    builder = _prepare(manual, tmp_path / "data")
  ids = {ex["id"].decode() for ex in builder.as_data_source("train")}
  assert len(ids) == 15 + (total == 17)
  assert ("3/00000013" in ids) == (total == 17) and "3/00000099" not in ids
  messages = [r.getMessage() for r in caplog.records]
  assert any(str(bad) in m and reason in m for m in messages), messages
  assert any(f"mocogan_actions/train: skipped 1 of {total}" in m
             for m in messages)


def test_missing_strip_of_a_block_is_listed(tmp_path):
  manual = testing.copy_dummy_data(DUMMY, tmp_path, "manual")
  (manual / "3" / "00000012.jpg").unlink()  # 3/ holds 3 of its 4.
  (manual / "0" / "00000003.jpg").unlink()
  with pytest.raises(FileNotFoundError) as err:
    _prepare(manual, tmp_path / "data")
  message = str(err.value)
  assert "2 strips missing from blocks [0, 1]" in message
  assert "\n  0/00000003.jpg\n  3/00000012.jpg\n" in message
  assert "<manual_dir>/3/*.jpg   jack" in message


def test_strip_in_the_wrong_folder_is_an_error(tmp_path):
  manual = testing.copy_dummy_data(DUMMY, tmp_path, "manual")
  # 00000013 belongs in 3/ (jack); in 0/ it would be labelled wave1.
  (manual / "3" / "00000013.jpg").rename(manual / "0" / "00000013.jpg")
  with pytest.raises(FileNotFoundError) as err:
    _prepare(manual, tmp_path / "data")
  message = str(err.value)
  assert "\n  3/00000013.jpg\n" in message  # Missing where it belongs.
  assert ("0/00000013.jpg: its number belongs in 3/ (jack); in 0/ it would "
          "be labelled wave1") in message
  # A copy in the wrong folder beside a whole set is still rejected.
  shutil.copy(manual / "0" / "00000013.jpg", manual / "3" / "00000013.jpg")
  with pytest.raises(ValueError, match="1 strips in the wrong folder"):
    _prepare(manual, tmp_path / "data2")


def test_other_file_types_are_named_in_a_warning(tmp_path, caplog):
  manual = testing.copy_dummy_data(DUMMY, tmp_path, "manual")
  shutil.copy(manual / "1" / "00000000.jpg", manual / "1" / "00000016.png")
  shutil.copy(manual / "4" / "00000006.jpg", manual / "4" / "00000022.JPG")
  with caplog.at_level(logging.WARNING):
    builder = _prepare(manual, tmp_path / "data")
  assert len(builder.as_data_source("train")) == 16
  assert any("ignoring 2 entries" in r.getMessage()
             and "1/00000016.png, 4/00000022.JPG" in r.getMessage()
             for r in caplog.records)


@pytest.mark.parametrize("case", ["missing", "empty"])
def test_missing_or_empty_manual_dir_says_where_and_what(tmp_path, case):
  manual = tmp_path / "manual"
  if case == "empty":
    manual.mkdir()
  with pytest.raises(Exception) as err:
    _prepare(manual, tmp_path / "data")
  message = str(err.value)
  assert str(manual) in message
  assert "<manual_dir>/3/*.jpg   jack" in message


def test_missing_folders_are_listed(tmp_path):
  manual = testing.copy_dummy_data(DUMMY, tmp_path, "manual")
  shutil.rmtree(manual / "1")
  for f in (manual / "4").iterdir():
    f.unlink()
  with pytest.raises(FileNotFoundError) as err:
    _prepare(manual, tmp_path / "data")
  message = str(err.value)
  assert f"{manual / '1'}/*.jpg (wave2)" in message
  assert f"{manual / '4'}/*.jpg (bend)" in message
  assert f"{manual / '0'}/*.jpg" not in message


def test_nested_actions_folder_is_accepted(tmp_path):
  manual = tmp_path / "manual"
  testing.copy_dummy_data(DUMMY, manual, "actions")
  builder = _prepare(manual, tmp_path / "data")
  assert builder.info.splits["train"].num_examples == 16


def _motion(video: np.ndarray) -> np.ndarray:
  """Mean absolute frame difference per pixel: where things move."""
  return np.abs(np.diff(video.astype(np.float32), axis=0)).mean(axis=(0, 3))


def _leg_activity(video: np.ndarray) -> float:
  """Share of rows 44-59 pixels away from their median over time."""
  still = np.median(video, axis=0)
  moved = np.abs(video.astype(np.int16) - still).max(axis=-1) > 40
  return float(moved[:, 44:60].mean())


@pytest.mark.skipif(
  not (REAL / "0").is_dir(),
  reason=f"the real MoCoGAN actions copy is not at {REAL}",
)
def test_real_files(tmp_path):
  pairs = ma.list_strips(REAL)
  assert len(pairs) == 72
  for folder, name in pairs:
    assert ma.BLOCK_FOLDERS[int(name[:8]) % 8] == folder, name
  builder = _prepare(REAL, tmp_path)
  by_id = {ex["id"].decode(): ex for ex in builder.as_data_source("train")}
  assert len(by_id) == 72
  lengths = [len(ex["video"]) for ex in by_id.values()]
  assert (min(lengths), max(lengths), sum(lengths)) == (51, 146, 5290)
  legs = {}
  for id_, ex in by_id.items():
    folder, stem = id_.split("/")
    number, action = int(stem), ma.ACTIONS[ex["action"]]
    assert (ex["person"], bool(ex["mirrored"])) == ma.identity(stem + ".jpg")
    if number % 2:
      original = by_id[f"{folder}/{number - 1:08d}"]["video"]
      np.testing.assert_array_equal(ex["video"], original[:, :, ::-1])
      continue
    # The action names, from where the frames move (measured on all 36
    # originals): wave1 moves one side (asymmetry 0.16-0.48), the others
    # both (0.01-0.20, wave2 at most 0.05); bend moves the lower third
    # most (0.31-0.42 of all motion, the others 0.13-0.27).
    motion = _motion(ex["video"])
    asymmetry = abs(2 * motion[:, :32].sum() - motion.sum()) / motion.sum()
    lower = motion[43:].sum() / motion.sum()
    if action in ("wave1", "wave2"):
      assert (asymmetry > 0.1) == (action == "wave1"), (id_, asymmetry)
    assert (lower > 0.29) == (action == "bend"), (id_, lower)
    legs[ex["person"], action] = _leg_activity(ex["video"])
  # Jumping jack spreads the legs: in every person's block they move more
  # than in either wave (0.005-0.088 vs at most 0.014).
  for person in range(ma.NUM_PERSONS):
    waves = max(legs[person, "wave1"], legs[person, "wave2"])
    assert legs[person, "jack"] > waves, (person, legs)
    assert legs[person, "bend"] > waves, (person, legs)
