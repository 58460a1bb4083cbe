"""Tests of the bair builder on dummy_data/ (no network)."""

import gzip
import logging
import pathlib
import shutil
from unittest import mock

from etils import epath
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from tfds_builders.bair import bair_dataset_builder as bb
from tfds_builders.bair import make_dummy_data

DUMMY = pathlib.Path(__file__).parent / "dummy_data"
SIZES = {"train": 4, "validation": 6, "test": 2}
TEST_FILE = "test/traj_0_to_1.tfrecords"  # dummy_data's test file.
# Real train file names, as far as a public source lists them: the BAIR
# reader of github.com/m-serra/ADR names these in utils/utils.py (train and
# validation lists of its own). Their numbers start off the 256 grid and
# skip 13246-13340; the lexical order (10174 before 1024) is not theirs.
ADR_TRAIN_FILES = [
  f"train/traj_{a}_to_{a + 255}.tfrecords"
  for a in (
    [1024, 1280, 5983, 6239, 6495]
    + list(range(10174, 13246, 256))
    + [13341, 13597, 13853, 14109]
  )
]


class BairTest(tfds.testing.DatasetBuilderTestCase):
  """TFDS's standard checks; the extracted archive is dummy_data/."""

  DATASET_CLASS = bb.Bair
  SPLITS = SIZES

  def setUp(self):
    super().setUp()
    # 6 for the paper's 2304: dummy_data holds 11 training sequences.
    self.enter_context(
      mock.patch.object(bb, "VALIDATION_SIZE", make_dummy_data.VALIDATION_SIZE)
    )


def _prepare(extracted, data_dir, monkeypatch, **kwargs):
  """Builds from `extracted`, validation taking 6 sequences, not 2304."""
  monkeypatch.setattr(bb, "VALIDATION_SIZE", make_dummy_data.VALIDATION_SIZE)
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


def _sequences(splits) -> dict[str, list[int]]:
  """The sequence numbers (A + record index) each split takes, in order."""
  return {
    name: [r.first + i for r in ranges for i in range(r.start, r.stop)]
    for name, ranges in splits.items()
  }


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
    # Named by what they hold, as the real files are.
    first, last = bb.parse_file_name(name)
    assert sequences == list(range(first, last + 1))
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


def test_split_rule_on_real_file_names():
  splits = bb.split_files(
    [bb.TEST_FILE] + ADR_TRAIN_FILES, validation_size=2304
  )
  assert [r.path for r in splits["test"]] == [bb.TEST_FILE]
  # The first 2304 training sequences: the first nine files by number.
  by_number = sorted(ADR_TRAIN_FILES, key=bb.parse_file_name)
  assert by_number[:3] == [
    "train/traj_1024_to_1279.tfrecords",
    "train/traj_1280_to_1535.tfrecords",
    "train/traj_5983_to_6238.tfrecords",
  ]
  assert [r.path for r in splits["validation"]] == by_number[:9]
  assert [r.path for r in splits["train"]] == by_number[9:]
  assert all(r.start == 0 and r.stop == 256 for r in splits["train"])
  sizes = {name: sum(r.size for r in ranges) for name, ranges in splits.items()}
  assert sizes == {"train": 12 * 256, "validation": 2304, "test": 256}
  # The gap (13246-13340) is no error, and the numbers stay the names'.
  numbers = _sequences(splits)
  assert 13245 in numbers["train"] and 13341 in numbers["train"]
  assert not set(range(13246, 13341)) & set(numbers["train"])
  # Deterministic, and independent of the order the files were listed in.
  assert (
    bb.split_files(
      list(reversed(ADR_TRAIN_FILES)) + [bb.TEST_FILE], validation_size=2304
    )
    == splits
  )


def test_split_rule_goes_by_order_across_gaps_and_off_grid_starts():
  # Files of 200 sequences from 256 on, with gaps of 0, 37 or 74 numbers.
  starts, a = [], 256
  for i in range(20):
    starts.append(a)
    a += 200 + 37 * (i % 3)
  train = [f"train/traj_{a}_to_{a + 199}.tfrecords" for a in starts]
  splits = bb.split_files(train + [bb.TEST_FILE])
  # 2304 = 11 whole files + 104 records of the 12th, which is divided.
  assert splits["validation"] == [
    bb.FileRange(path, a, 0, 200) for path, a in zip(train[:11], starts)
  ] + [bb.FileRange(train[11], starts[11], 0, 104)]
  assert splits["train"] == [bb.FileRange(train[11], starts[11], 104, 200)] + [
    bb.FileRange(path, a, 0, 200) for path, a in zip(train[12:], starts[12:])
  ]
  numbers = _sequences(splits)
  assert len(numbers["validation"]) == 2304
  assert len(numbers["train"]) == 20 * 200 - 2304
  assert numbers["test"] == list(range(256))
  assert not set(numbers["validation"]) & set(numbers["train"])
  assert numbers["validation"] + numbers["train"] == sorted(
    a + i for a in starts for i in range(200)
  )


def test_split_rule_counts_the_records_files_hold():
  files = [bb.TEST_FILE] + [
    f"train/traj_{a}_to_{a + 9}.tfrecords" for a in (10, 20, 30, 40)
  ]
  # The first file holds 4 of its 10: validation (12) reaches further.
  splits = bb.split_files(
    files,
    counts={"train/traj_10_to_19.tfrecords": 4, bb.TEST_FILE: 200},
    validation_size=12,
  )
  numbers = _sequences(splits)
  assert numbers["validation"] == [10, 11, 12, 13] + list(range(20, 28))
  assert numbers["train"] == [28, 29] + list(range(30, 50))
  assert len(numbers["test"]) == 200
  # More than the name promises is capped to it.
  splits = bb.split_files(
    files, counts={"train/traj_10_to_19.tfrecords": 15}, validation_size=12
  )
  assert _sequences(splits)["validation"] == list(range(10, 20)) + [20, 21]


def test_split_rule_errors_say_what_is_wrong():
  with pytest.raises(FileNotFoundError, match="traj_0_to_255.tfrecords is"):
    bb.split_files(ADR_TRAIN_FILES)
  with pytest.raises(ValueError, match="both claim sequence 300"):
    bb.split_files(
      [
        bb.TEST_FILE,
        "train/traj_256_to_511.tfrecords",
        "train/traj_300_to_301.tfrecords",
      ]
    )
  with pytest.raises(ValueError, match="not a BAIR file name"):
    bb.split_files([bb.TEST_FILE, "train/extra.tfrecords"])
  with pytest.raises(FileNotFoundError, match="train would be empty"):
    bb.split_files(ADR_TRAIN_FILES[:9] + [bb.TEST_FILE], validation_size=2304)


def test_count_records_walks_the_headers(tmp_path):
  extracted = _plain_copy(tmp_path)
  for name, sequences in make_dummy_data.FILES.items():
    assert bb.count_records(DUMMY / bb.ROOT_NAME / name) == len(sequences)
    assert bb.count_records(extracted / bb.ROOT_NAME / name) == len(sequences)
  path = extracted / bb.ROOT_NAME / "train/traj_256_to_257.tfrecords"
  data = path.read_bytes()
  path.write_bytes(data[: len(data) * 3 // 4])  # Inside record 2 of 2.
  assert bb.count_records(path) == 1
  path.write_bytes(data + b"\x05\x00\x00")  # Half a header after 2.
  assert bb.count_records(path) == 2
  path.write_bytes(b"")
  assert bb.count_records(path) == 0
  compressed = tmp_path / "cut.tfrecords"
  compressed.write_bytes(gzip.compress(data[: len(data) * 3 // 4]))
  assert bb.count_records(compressed) == 1


def test_dummy_data_names_match_their_records(tmp_path, monkeypatch, caplog):
  with caplog.at_level(logging.WARNING):
    _prepare(DUMMY, tmp_path, monkeypatch)
  assert "promises" not in caplog.text


def test_a_file_holding_other_than_its_name_promises_warns(
  tmp_path, monkeypatch, caplog
):
  extracted = _plain_copy(tmp_path)
  train = extracted / bb.ROOT_NAME / "train"
  (train / "traj_300_to_301.tfrecords").rename(
    train / "traj_300_to_305.tfrecords"
  )
  (train / "traj_256_to_257.tfrecords").rename(
    train / "traj_256_to_256.tfrecords"
  )
  with caplog.at_level(logging.WARNING):
    builder = _prepare(
      extracted, tmp_path / "data", monkeypatch, file_format="array_record"
    )
  assert (
    "bair: train/traj_300_to_305.tfrecords holds 2 records, 4 fewer than the "
    "6 its name promises; the split rule counts the 2 it holds." in caplog.text
  )
  assert (
    "bair: train/traj_256_to_256.tfrecords holds 2 records, 1 more than the "
    "1 its name promises; the extra ones are not used." in caplog.text
  )
  # Validation is still the first 6 records used: 257 is dropped, so it
  # takes 1025 too; the 4 numbers 302-305 the name promises do not exist.
  numbers = {
    split: sorted(int(ex["sequence"]) for ex in builder.as_data_source(split))
    for split in SIZES
  }
  assert numbers == {
    "test": [0, 1],
    "validation": [256, 258, 300, 301, 1024, 1025],
    "train": [5983, 5984, 6239],
  }


def test_built_data_matches_the_drawings(tmp_path, monkeypatch):
  builder = _prepare(DUMMY, tmp_path, monkeypatch, file_format="array_record")
  split_of = {
    sequence: split
    for split, sequences in _sequences(
      bb.split_files(list(make_dummy_data.FILES), validation_size=6)
    ).items()
    for sequence in sequences
  }
  assert split_of[1024] == "validation" and split_of[1025] == "train"
  seen = {}
  for split, size in SIZES.items():
    source = builder.as_data_source(split)
    assert len(source) == size
    for ex in source:
      sequence = int(ex["sequence"])
      assert split_of[sequence] == split
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
  cut = train / "traj_5983_to_5984.tfrecords"
  data = cut.read_bytes()
  cut.write_bytes(data[: len(data) * 3 // 4])  # Inside record 2 of 2.
  tail = train / "traj_6239_to_6239.tfrecords"
  tail.write_bytes(tail.read_bytes() + b"\x05\x00\x00")  # Half a header.
  corrupt = train / "traj_258_to_258.tfrecords"
  flipped = bytearray(corrupt.read_bytes())
  flipped[5000] ^= 0xFF
  corrupt.write_bytes(bytes(flipped))
  with caplog.at_level(logging.WARNING):
    builder = _prepare(extracted, tmp_path / "data", monkeypatch)
  splits = builder.info.splits
  assert splits["train"].num_examples == 3  # 1025, 5983, 6239; 5984 lost.
  assert splits["validation"].num_examples == 5  # 258 lost.
  log = caplog.text
  # Counting the records saw the cut one, not the corrupt one.
  assert "traj_5983_to_5984.tfrecords holds 1 records, 1 fewer" in log
  assert (
    f"skipping train/traj_5983_to_5984.tfrecords: {cut}: damaged after 1 "
    "records (truncated record at" in log
  )
  assert "Sequences after 5983 are lost." in log
  assert (
    f"{tail}: truncated, 3 bytes after its 1 whole records are not a whole "
    "record. Sequences after 6239 are lost." in log
  )
  assert f"{corrupt}: damaged after 0 records (corrupted record at" in log
  assert "None of its sequences could be read." in log
  assert "bair/train: skipped 2 of 3 source files" in log
  assert "bair/validation: skipped 1 of 4 source files" in log
  assert "{{function_node" not in log


def test_a_malformed_record_is_skipped(tmp_path, monkeypatch, caplog):
  extracted = tmp_path / "extracted"
  shutil.copytree(DUMMY, extracted)
  name = extracted / bb.ROOT_NAME / TEST_FILE
  drawn = make_dummy_data.draw_sequence(0)
  example = tf.train.Example.FromString(make_dummy_data.to_example(drawn))
  del example.features.feature["29/image_aux1/encoded"]
  with tf.io.TFRecordWriter(str(name), "GZIP") as f:
    f.write(example.SerializeToString())
    f.write(make_dummy_data.to_example(make_dummy_data.draw_sequence(1)))
  with caplog.at_level(logging.WARNING):
    builder = _prepare(extracted, tmp_path / "data", monkeypatch)
  assert builder.info.splits["test"].num_examples == 1
  assert "test/traj_0_to_1.tfrecords record 0: no 29/image_aux1" in caplog.text


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
