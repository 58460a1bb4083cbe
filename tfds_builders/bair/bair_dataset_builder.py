"""BAIR robot pushing (Ebert et al. 2017), small 64x64 version, as TFRecords.

Source: http://rail.eecs.berkeley.edu/datasets/bair_robot_pushing_dataset_v0.tar
(30 GB; size and sha256 in `checksums.tsv`, taken from the copy TFDS ships
for its own `bair_robot_pushing_small`). The tar holds
`softmotion30_44k/{train,test}/traj_<first>_to_<last>.tfrecords`; each record
is one `tf.train.Example`, one pushing sequence of 30 frames, with per-frame
keys `<t>/image_aux1/encoded` and `<t>/image_main/encoded` (64x64 RGB, raw
uint8 bytes, 12288 each), `<t>/action` (4 floats) and `<t>/endeffector_pos`
(3 floats), t = 0 .. 29.

Protocol: the video in-betweening paper (Li et al., "Video in-betweening
using direct 3D convolutions", App. B): frames 64x64, test = sequences
0-255, validation = sequences 256-2559, train = all the rest; a random
16-frame window for training and the centre one for evaluation, so we store
whole 30-frame sequences.

What we chose where the paper is silent:

* Sequence numbers. A file `traj_A_to_B.tfrecords` holds sequences A .. B
  in record order, so record i of it is sequence A + i. The official test
  set is the one file `test/traj_0_to_255.tfrecords` and the training files
  continue at 256, so the paper's test split is exactly the official test
  set and its validation split is the first 2304 training sequences (files
  `traj_256_to_511` .. `traj_2304_to_2559`).
* Camera. `image_aux1`, the view the common BAIR readers take (SVG's
  `convert_bair.py`, tensor2tensor's BAIR problem); `image_main` is a
  second camera and is not stored.
* `action` and `endeffector_pos` are kept (840 bytes a sequence) for
  action-conditioned models; `sequence` is the sequence number above.
* Bad input. A missing `softmotion30_44k/{train,test}`, a missing official
  test file, a gap or overlap in sequences 0-2559 (the exact test and
  validation sets) is an error listing what is missing. Gaps above 2559 only
  shrink `train` and are logged as a warning. A corrupt file (bad CRC) or a
  truncated one (a partial record at its end) keeps the sequences read
  before the damage and is reported per split by `video_io.SkippedFiles`; a
  record without 30 well-formed frames is skipped the same way.
* GZIP-compressed TFRecords (recognised by their first two bytes) are read
  too. The real files are plain; compression keeps `dummy_data/` small.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
import dataclasses
import itertools
import logging
import re

from etils import epath
from google.protobuf import message
import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from tfds_builders import video_io
from tfds_builders import video_utils

DATA_URL = (
  "http://rail.eecs.berkeley.edu/datasets/bair_robot_pushing_dataset_v0.tar"
)
ARCHIVE_NAME = "bair_robot_pushing_dataset_v0.tar"
ROOT_NAME = "softmotion30_44k"
TEST_FILE = "test/traj_0_to_255.tfrecords"
NUM_FRAMES = 30
FRAME_SHAPE = (64, 64, 3)
FRAME_BYTES = int(np.prod(FRAME_SHAPE))
IMAGE_KEY = "{}/image_aux1/encoded"
ACTION_KEY = "{}/action"
STATE_KEY = "{}/endeffector_pos"
ACTION_SIZE = 4
STATE_SIZE = 3
# The paper's split: sequences [0, 256) test, [256, 2560) validation.
TEST_END = 256
VALIDATION_END = 2560
SPLIT_NAMES = ("train", "validation", "test")
# A TFRecord is an 8-byte length, a 4-byte CRC, the data, a 4-byte CRC.
_RECORD_OVERHEAD = 16
_GZIP_MAGIC = b"\x1f\x8b"
_FILE_PATTERN = re.compile(r"^(train|test)/traj_(\d+)_to_(\d+)\.tfrecords$")

_INSTRUCTIONS = f"""\
The builder downloads {DATA_URL} (30 GB) and extracts it. If you already
have {ARCHIVE_NAME}, put it in the manual dir and TFDS uses it instead of
downloading (its size and sha256 are in checksums.tsv):

  python -m video_inference.prepare --dataset=bair --manual_dir=DIR

The extracted archive must hold

  {ROOT_NAME}/test/traj_0_to_255.tfrecords           (the official test set)
  {ROOT_NAME}/train/traj_<A>_to_<B>.tfrecords        (256, 512, ... onwards)
"""


@dataclasses.dataclass(frozen=True)
class FileRange:
  """The sequences of one TFRecord file that fall in one split."""

  path: str  # Relative to softmotion30_44k/, e.g. 'train/traj_256_to_511...'.
  first: int  # Sequence number of the file's first record.
  last: int  # Sequence number its name gives to its last record.
  start: int  # First sequence number of this split in the file.
  stop: int  # One past the last one.

  @property
  def size(self) -> int:
    return self.stop - self.start


def split_of(sequence: int) -> str:
  """The paper's rule (App. B): 0-255 test, 256-2559 validation, rest train."""
  if sequence < TEST_END:
    return "test"
  if sequence < VALIDATION_END:
    return "validation"
  return "train"


def parse_file_name(path: str) -> tuple[int, int]:
  """'train/traj_256_to_511.tfrecords' -> (256, 511)."""
  match = _FILE_PATTERN.match(path)
  if not match:
    raise ValueError(
      f"{path} is not a BAIR file name (train|test)/traj_<A>_to_<B>.tfrecords"
    )
  first, last = int(match.group(2)), int(match.group(3))
  if last < first:
    raise ValueError(f"{path}: its range {first}-{last} is empty.")
  return first, last


def _missing_names(start: int, stop: int, folder: str) -> list[str]:
  """Names of the 256-sequence files that would cover [start, stop)."""
  return [
    f"{folder}/traj_{a}_to_{min(a + 255, stop - 1)}.tfrecords"
    for a in range(start, stop, 256)
  ]


def split_files(paths: Sequence[str]) -> dict[str, list[FileRange]]:
  """The split rule applied to the file names (paths under softmotion30_44k).

  Returns, per split, the part of each file that belongs to it, in sequence
  order. Raises if the official test file is missing, if files overlap, or if
  sequences 0-2559 have a gap (the test and validation sets would not be the
  paper's); gaps above 2559 are logged.
  """
  ranges = sorted((*parse_file_name(p), p) for p in set(paths))
  if TEST_FILE not in {p for _, _, p in ranges}:
    raise FileNotFoundError(
      f"The official test file {ROOT_NAME}/{TEST_FILE} is missing.\n"
      f"{_INSTRUCTIONS}"
    )
  gaps, expected = [], 0
  for first, last, path in ranges:
    if first < expected:
      previous = next(p for a, b, p in ranges if a <= first <= b and p != path)
      raise ValueError(
        f"{path} and {previous} both claim sequence {first}; the extracted "
        f"archive mixes files of different versions.\n{_INSTRUCTIONS}"
      )
    if first > expected:
      gaps.append((expected, first))
    expected = last + 1
  exact = [(a, min(b, VALIDATION_END)) for a, b in gaps if a < VALIDATION_END]
  if exact:
    missing = [n for a, b in exact for n in _missing_names(a, b, "train")]
    raise FileNotFoundError(
      f"Sequences {', '.join(f'{a}-{b - 1}' for a, b in exact)} are missing, "
      f"so the test and validation splits (sequences 0-2559) would not be "
      f"the paper's. Missing files under {ROOT_NAME}/: "
      f"{', '.join(missing)}.\n{_INSTRUCTIONS}"
    )
  for a, b in gaps:
    logging.warning(
      "bair: sequences %d-%d are missing (e.g. %s); train is smaller.",
      a,
      b - 1,
      _missing_names(a, b, "train")[0],
    )
  splits = {name: [] for name in SPLIT_NAMES}
  bounds = (0, TEST_END, VALIDATION_END, None)
  for first, last, path in ranges:
    for low, high in itertools.pairwise(bounds):
      start = max(first, low)
      stop = last + 1 if high is None else min(last + 1, high)
      if start < stop:
        splits[split_of(start)].append(
          FileRange(path, first, last, start, stop)
        )
  return splits


def list_files(root: epath.PathLike) -> list[str]:
  """The traj_*.tfrecords paths under root/{train,test}, relative to root."""
  root = epath.Path(root)
  missing = [
    f"{ROOT_NAME}/{d}/" for d in ("train", "test") if not (root / d).is_dir()
  ]
  if missing:
    raise FileNotFoundError(
      f"{root} lacks {' and '.join(missing)}: the extraction of "
      f"{ARCHIVE_NAME} is incomplete or is not that archive. Delete it and "
      f"prepare again.\n{_INSTRUCTIONS}"
    )
  paths = [
    f"{d}/{p.name}"
    for d in ("train", "test")
    for p in (root / d).iterdir()
    if p.name.endswith(".tfrecords")
  ]
  if not any(p.startswith("train/") for p in paths):
    raise FileNotFoundError(
      f"No traj_*.tfrecords in {root / 'train'}.\n{_INSTRUCTIONS}"
    )
  return sorted(paths)


def find_root(extracted: epath.PathLike) -> epath.Path:
  """softmotion30_44k/ inside the extracted archive (or the folder itself)."""
  extracted = epath.Path(extracted)
  if (extracted / ROOT_NAME).is_dir():
    return extracted / ROOT_NAME
  if extracted.name == ROOT_NAME:
    return extracted
  found = (
    sorted(p.name for p in extracted.iterdir()) if extracted.is_dir() else []
  )
  raise FileNotFoundError(
    f"No {ROOT_NAME}/ in {extracted} (it holds: {found or 'nothing'}); the "
    f"extraction of {ARCHIVE_NAME} is incomplete or is not that archive. "
    f"Delete it and prepare again.\n{_INSTRUCTIONS}"
  )


def parse_sequence(record: bytes, name: str) -> dict[str, np.ndarray]:
  """One serialized tf.train.Example -> video, action, endeffector_pos."""
  try:
    features = tf.train.Example.FromString(record).features.feature
  except message.DecodeError as e:
    raise video_io.CorruptVideoError(
      f"{name}: not a tf.train.Example ({e})."
    ) from e
  frames, actions, states = [], [], []
  for t in range(NUM_FRAMES):
    keys = (IMAGE_KEY.format(t), ACTION_KEY.format(t), STATE_KEY.format(t))
    absent = [key for key in keys if key not in features]
    if absent:
      raise video_io.CorruptVideoError(
        f"{name}: no {', '.join(absent)}; expected {NUM_FRAMES} frames."
      )
    image = features[keys[0]].bytes_list.value
    action = features[keys[1]].float_list.value
    state = features[keys[2]].float_list.value
    if len(image) != 1 or len(image[0]) != FRAME_BYTES:
      raise video_io.CorruptVideoError(
        f"{name}: frame {t} is not {FRAME_BYTES} bytes of 64x64 RGB."
      )
    if len(action) != ACTION_SIZE or len(state) != STATE_SIZE:
      raise video_io.CorruptVideoError(
        f"{name}: frame {t} has {len(action)} action and {len(state)} "
        f"endeffector_pos values; expected {ACTION_SIZE} and {STATE_SIZE}."
      )
    frames.append(np.frombuffer(image[0], np.uint8).reshape(FRAME_SHAPE))
    actions.append(action)
    states.append(state)
  return {
    "video": np.stack(frames),
    "action": np.asarray(actions, np.float32),
    "endeffector_pos": np.asarray(states, np.float32),
  }


def read_records(path: epath.PathLike) -> Iterator[bytes]:
  """The records of a TFRecord file; raises CorruptVideoError on damage.

  tf.data reports a bad CRC or a cut record, but stops silently at a partial
  length header at the end of a plain file, so the bytes read are checked
  against the file size too.
  """
  path = epath.Path(path)
  with path.open("rb") as f:
    compressed = f.read(2) == _GZIP_MAGIC
  dataset = tf.data.TFRecordDataset(
    str(path), compression_type="GZIP" if compressed else ""
  )
  consumed, count = 0, 0
  try:
    for record in dataset:
      data = record.numpy()
      consumed += len(data) + _RECORD_OVERHEAD
      count += 1
      yield data
  except tf.errors.OpError as e:
    # Drops TF's '{{function_node ...}}' prefix and '[Op:...]' suffix.
    reason = re.sub(r"\{\{.*?\}\}\s*|\s*\[Op:.*$", "", e.message)
    raise video_io.CorruptVideoError(
      f"{path}: damaged after {count} records ({reason})."
    ) from e
  size = path.stat().length
  if not compressed and consumed != size:
    raise video_io.CorruptVideoError(
      f"{path}: truncated, {size - consumed} bytes after its {count} whole "
      "records are not a whole record."
    )


class Bair(
  video_utils.NumpyVideoDataSourceMixin, tfds.core.GeneratorBasedBuilder
):
  """BAIR robot pushing, 30-frame 64x64 sequences, split as in App. B."""

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {
    "1.0.0": "Initial release.",
  }

  def _info(self) -> tfds.core.DatasetInfo:
    return self.dataset_info_from_configs(
      features=tfds.features.FeaturesDict(
        {
          "video": tfds.features.Video(
            shape=(NUM_FRAMES, *FRAME_SHAPE), encoding_format="png"
          ),
          "action": tfds.features.Tensor(
            shape=(NUM_FRAMES, ACTION_SIZE), dtype=np.float32
          ),
          "endeffector_pos": tfds.features.Tensor(
            shape=(NUM_FRAMES, STATE_SIZE), dtype=np.float32
          ),
          "sequence": tfds.features.Scalar(dtype=np.int32),
          "id": tfds.features.Text(),
        }
      ),
      supervised_keys=None,
      homepage="https://sites.google.com/view/sna-visual-mpc/",
    )

  def _split_generators(self, dl_manager: tfds.download.DownloadManager):
    root = find_root(dl_manager.download_and_extract(DATA_URL))
    splits = split_files(list_files(root))
    return {
      name: self._generate_examples(root, ranges, name)
      for name, ranges in splits.items()
    }

  def _generate_examples(self, root: epath.Path, ranges, split: str):
    skipped = video_io.SkippedFiles("bair", split)
    for part in ranges:
      damaged = []
      records = read_records(root / part.path)
      index = -1
      try:
        for index, record in enumerate(records):
          sequence = part.first + index
          if sequence >= part.stop:
            if sequence > part.last:
              damaged.append(
                f"records after the {part.last - part.first + 1} its name "
                "promises are ignored"
              )
            break
          if sequence < part.start:
            continue
          example_id = f"{part.path[: -len('.tfrecords')]}/{index}"
          try:
            example = parse_sequence(record, f"{part.path} record {index}")
          except video_io.CorruptVideoError as e:
            damaged.append(str(e))
            continue
          example["video"] = video_utils.encode_png_frames(example["video"])
          example.update(sequence=sequence, id=example_id)
          yield example_id, example
      except video_io.CorruptVideoError as e:
        damaged.append(
          f"{e} Sequences after {part.first + index} are lost."
          if index >= 0
          else f"{e} None of its sequences could be read."
        )
      finally:
        records.close()
      if damaged:
        skipped.skip(part.path, "; ".join(damaged))
      else:
        skipped.ok()
    skipped.summary()
