"""Tests of the bair builder on dummy_data/ (no network)."""

import gzip
import logging
import pathlib
import shutil

from etils import epath
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from tfds_builders.bair import bair_dataset_builder as bb
from tfds_builders.bair import make_dummy_data

DUMMY = pathlib.Path(__file__).parent / "dummy_data"
SIZES = {"train": 3, "validation": 9, "test": 2}
# The real archive as far as we know it: the official test file, then
# training files of 256 sequences from 256 on, 43,264 in all (TFDS's count
# as we recall it; only the size of train depends on the last file).
REAL_FILES = [bb.TEST_FILE] + [
  f"train/traj_{a}_to_{a + 255}.tfrecords" for a in range(256, 43520, 256)
]


class BairTest(tfds.testing.DatasetBuilderTestCase):
  """TFDS's standard checks; the extracted archive is dummy_data/."""

  DATASET_CLASS = bb.Bair
  SPLITS = SIZES


def _prepare(extracted, data_dir, monkeypatch, **kwargs):
  monkeypatch.setattr(
    tfds.download.DownloadManager,
    "download_and_extract",
    lambda self, url: epath.Path(extracted),
  )
  builder = bb.Bair(data_dir=data_dir)
  builder.download_and_prepare(**kwargs)
  return builder


def _plain_copy(tmp_path) -> pathlib.Path:
  """dummy_data/ with its files decompressed, i.e. as the real archive."""
  out = tmp_path / "extracted"
  for path in DUMMY.rglob("*.tfrecords"):
    target = out / path.relative_to(DUMMY)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(gzip.decompress(path.read_bytes()))
  return out


def _records(path) -> list[bytes]:
  return [r.numpy() for r in tf.data.TFRecordDataset(str(path), "GZIP")]


def test_dummy_data_is_in_the_real_format():
  files = sorted(
    str(p.relative_to(DUMMY / bb.ROOT_NAME))
    for p in DUMMY.rglob("*")
    if p.is_file()
  )
  assert files == sorted(make_dummy_data.FILES)
  assert sum((DUMMY / bb.ROOT_NAME / f).stat().st_size for f in files) < 300e3
  for name, sequences in make_dummy_data.FILES.items():
    records = _records(DUMMY / bb.ROOT_NAME / name)
    assert len(records) == len(sequences)
    features = tf.train.Example.FromString(records[0]).features.feature
    expected = {
      f"{t}/{key}"
      for t in range(30)
      for key in (
        "image_aux1/encoded",
        "image_main/encoded",
        "action",
        "endeffector_pos",
      )
    }
    assert set(features) == expected
    assert len(features["29/image_main/encoded"].bytes_list.value[0]) == 12288
    assert len(features["0/action"].float_list.value) == 4
    assert len(features["0/endeffector_pos"].float_list.value) == 3


def test_split_rule_on_the_real_file_list():
  splits = bb.split_files(REAL_FILES)
  sizes = {name: sum(r.size for r in ranges) for name, ranges in splits.items()}
  assert sizes == {"train": 40960, "validation": 2304, "test": 256}
  assert [r.path for r in splits["test"]] == [bb.TEST_FILE]
  assert [r.path for r in splits["validation"]] == [
    f"train/traj_{a}_to_{a + 255}.tfrecords" for a in range(256, 2560, 256)
  ]
  assert splits["train"][0].path == "train/traj_2560_to_2815.tfrecords"
  numbers = {
    name: {n for r in ranges for n in range(r.start, r.stop)}
    for name, ranges in splits.items()
  }
  assert numbers["test"] == set(range(256))
  assert numbers["validation"] == set(range(256, 2560))
  assert numbers["train"] == set(range(2560, 43520))
  # Deterministic, and independent of the order the files were listed in.
  assert bb.split_files(list(reversed(REAL_FILES))) == splits


def test_a_file_across_the_validation_boundary_is_divided():
  files = [bb.TEST_FILE] + [
    f"train/traj_{a}_to_{a + 299}.tfrecords" for a in range(256, 3000, 300)
  ]
  splits = bb.split_files(files)
  straddling = "train/traj_2356_to_2655.tfrecords"
  assert (splits["validation"][-1].path, splits["validation"][-1].stop) == (
    straddling,
    2560,
  )
  assert (splits["train"][0].path, splits["train"][0].start) == (
    straddling,
    2560,
  )
  assert splits["train"][0].first == 2356
  assert [bb.split_of(n) for n in (0, 255, 256, 2559, 2560)] == [
    "test",
    "test",
    "validation",
    "validation",
    "train",
  ]


def test_missing_files_are_listed():
  with pytest.raises(FileNotFoundError, match="traj_0_to_255.tfrecords is"):
    bb.split_files(REAL_FILES[1:])
  without = [f for f in REAL_FILES if "traj_768_to" not in f]
  with pytest.raises(FileNotFoundError) as err:
    bb.split_files(without)
  assert "Sequences 768-1023 are missing" in str(err.value)
  assert "train/traj_768_to_1023.tfrecords" in str(err.value)


def test_a_gap_in_train_only_warns(caplog):
  without = [f for f in REAL_FILES if "traj_4096_to" not in f]
  with caplog.at_level(logging.WARNING):
    splits = bb.split_files(without)
  assert sum(r.size for r in splits["train"]) == 40960 - 256
  assert "sequences 4096-4351 are missing" in caplog.text


def test_overlapping_files_are_an_error():
  files = REAL_FILES + ["train/traj_300_to_555.tfrecords"]
  with pytest.raises(ValueError, match="both claim sequence 300"):
    bb.split_files(files)
  with pytest.raises(ValueError, match="not a BAIR file name"):
    bb.split_files(REAL_FILES + ["train/extra.tfrecords"])


def test_built_data_matches_the_drawings(tmp_path, monkeypatch):
  builder = _prepare(DUMMY, tmp_path, monkeypatch, file_format="array_record")
  seen = {}
  for split, size in SIZES.items():
    source = builder.as_data_source(split)
    assert len(source) == size
    for ex in source:
      sequence = int(ex["sequence"])
      assert bb.split_of(sequence) == split
      drawn = make_dummy_data.draw_sequence(sequence)
      assert ex["video"].dtype == np.uint8
      np.testing.assert_array_equal(ex["video"], drawn["image_aux1"])
      np.testing.assert_array_equal(ex["action"], drawn["action"])
      np.testing.assert_array_equal(
        ex["endeffector_pos"], drawn["endeffector_pos"]
      )
      seen[ex["id"].decode()] = sequence
  expected = {
    f"{name[: -len('.tfrecords')]}/{i}": sequence
    for name, sequences in make_dummy_data.FILES.items()
    for i, sequence in enumerate(sequences)
  }
  assert seen == expected
  # Keys come from ids: a second build reads back in the same order.
  again = _prepare(
    _plain_copy(tmp_path),
    tmp_path / "again",
    monkeypatch,
    file_format="array_record",
  )
  for split in SIZES:
    assert [ex["id"] for ex in again.as_data_source(split)] == [
      ex["id"] for ex in builder.as_data_source(split)
    ]


def test_truncated_and_corrupt_files_are_skipped_with_a_warning(
  tmp_path, monkeypatch, caplog
):
  extracted = _plain_copy(tmp_path)
  train = extracted / bb.ROOT_NAME / "train"
  cut = train / "traj_2560_to_2815.tfrecords"
  data = cut.read_bytes()
  cut.write_bytes(data[: len(data) * 3 // 4])  # Inside record 2 of 2.
  tail = train / "traj_2816_to_3071.tfrecords"
  tail.write_bytes(tail.read_bytes() + b"\x05\x00\x00")  # Half a header.
  corrupt = train / "traj_512_to_767.tfrecords"
  flipped = bytearray(corrupt.read_bytes())
  flipped[5000] ^= 0xFF
  corrupt.write_bytes(bytes(flipped))
  with caplog.at_level(logging.WARNING):
    builder = _prepare(extracted, tmp_path / "data", monkeypatch)
  splits = builder.info.splits
  assert splits["train"].num_examples == 2  # 2560 and 2816; 2561 is lost.
  assert splits["validation"].num_examples == 8
  log = caplog.text
  assert (
    f"skipping train/traj_2560_to_2815.tfrecords: {cut}: damaged after 1 "
    "records (truncated record at" in log
  )
  assert "Sequences after 2560 are lost." in log
  assert (
    f"{tail}: truncated, 3 bytes after its 1 whole records are not a whole "
    "record. Sequences after 2816 are lost." in log
  )
  assert f"{corrupt}: damaged after 0 records (corrupted record at" in log
  assert "None of its sequences could be read." in log
  assert "bair/train: skipped 2 of 2 source files" in log
  assert "bair/validation: skipped 1 of 9 source files" in log
  assert "{{function_node" not in log


def test_a_malformed_record_is_skipped(tmp_path, monkeypatch, caplog):
  extracted = tmp_path / "extracted"
  shutil.copytree(DUMMY, extracted)
  name = extracted / bb.ROOT_NAME / bb.TEST_FILE
  drawn = make_dummy_data.draw_sequence(0)
  example = tf.train.Example.FromString(make_dummy_data.to_example(drawn))
  del example.features.feature["29/image_aux1/encoded"]
  with tf.io.TFRecordWriter(str(name), "GZIP") as f:
    f.write(example.SerializeToString())
    f.write(make_dummy_data.to_example(make_dummy_data.draw_sequence(1)))
  with caplog.at_level(logging.WARNING):
    builder = _prepare(extracted, tmp_path / "data", monkeypatch)
  assert builder.info.splits["test"].num_examples == 1
  assert (
    "test/traj_0_to_255.tfrecords record 0: no 29/image_aux1" in caplog.text
  )


@pytest.mark.parametrize("removed", ["softmotion30_44k", "test", "train"])
def test_missing_folders_say_what_and_where(tmp_path, monkeypatch, removed):
  extracted = tmp_path / "extracted"
  shutil.copytree(DUMMY, extracted)
  root = extracted / bb.ROOT_NAME
  shutil.rmtree(
    extracted / removed if removed == bb.ROOT_NAME else root / removed
  )
  with pytest.raises(FileNotFoundError) as err:
    _prepare(extracted, tmp_path / "data", monkeypatch)
  message = str(err.value)
  assert "Delete it and prepare again" in message
  assert "softmotion30_44k/test/traj_0_to_255.tfrecords" in message
  if removed != bb.ROOT_NAME:
    assert f"lacks softmotion30_44k/{removed}/" in message


if __name__ == "__main__":
  tfds.testing.test_main()
