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

* Sequence order. The paper numbers sequences from 0 without saying how;
  we read its numbers as positions in the dataset's own order, not as the
  numbers in the file names: those drift off any grid and skip values
  (public BAIR readers list train files such as `traj_10174_to_10429`,
  `traj_12990_to_13245` followed by `traj_13341_to_13596`). So: `test` =
  the official test files (`test/traj_0_to_255`, 256 sequences, i.e. the
  paper's 0-255); `validation` = the first 2304 training sequences, taking
  the train files in order of their start number and the records of a file
  in file order (the paper's 256-2559); `train` = the rest. A file can be
  divided between validation and train. Gaps between file numbers are
  normal. `split_files` is the rule, a pure function of the file names
  (and, in the build, of the number of records each file holds).
* Records per file. `traj_A_to_B` promises B - A + 1 records; the build
  counts them first (from the record headers, without reading the data). A
  file holding fewer is logged as a warning naming it and the shortfall,
  and the rule counts the records it does hold; records beyond the promise
  are ignored, with a warning (their numbers belong to the next file).
* Camera. `image_aux1`, the view the common BAIR readers take (SVG's
  `convert_bair.py`, tensor2tensor's BAIR problem); `image_main` is a
  second camera and is not stored.
* `action` and `endeffector_pos` are kept (840 bytes a sequence) for
  action-conditioned models; `sequence` is the number the file name gives
  the record (A + its index in `traj_A_to_B`), which names the trajectory
  but is not what the split rule goes by.
* Bad input. A missing `softmotion30_44k/{train,test}`, no test file, or
  training files holding no more than the 2304 validation sequences is an
  error saying what to put where; two files of one folder whose name ranges
  overlap (an archive mixing versions) is an error naming both. A corrupt
  file (bad CRC) or a truncated one (a partial record at its end) keeps the
  sequences read before the damage and is reported per split by
  `video_io.SkippedFiles`; a record without 30 well-formed frames is
  skipped the same way.
* GZIP-compressed TFRecords (recognised by their first two bytes) are read
  too. The real files are plain; compression keeps `dummy_data/` small.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
import dataclasses
import gzip
import logging
import re
import struct

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
# The official test set; named in messages (the rule takes all of test/).
TEST_FILE = "test/traj_0_to_255.tfrecords"
NUM_FRAMES = 30
FRAME_SHAPE = (64, 64, 3)
FRAME_BYTES = int(np.prod(FRAME_SHAPE))
IMAGE_KEY = "{}/image_aux1/encoded"
ACTION_KEY = "{}/action"
STATE_KEY = "{}/endeffector_pos"
ACTION_SIZE = 4
STATE_SIZE = 3
# The paper's validation sequences 256-2559: the first 2304 training ones.
VALIDATION_SIZE = 2304
SPLIT_NAMES = ("train", "validation", "test")
# A TFRecord is an 8-byte length, a 4-byte CRC, the data, a 4-byte CRC.
_RECORD_OVERHEAD = 16
_HEADER_SIZE = 12  # The length and its CRC.
_GZIP_MAGIC = b"\x1f\x8b"
_FILE_PATTERN = re.compile(r"^(train|test)/traj_(\d+)_to_(\d+)\.tfrecords$")

_INSTRUCTIONS = f"""\
The builder downloads {DATA_URL} (30 GB) and extracts it. If you already
have {ARCHIVE_NAME}, put it in the manual dir and TFDS uses it instead of
downloading (its size and sha256 are in checksums.tsv):

  python -m video_inference.prepare --dataset=bair --manual_dir=DIR

The extracted archive must hold

  {ROOT_NAME}/test/traj_0_to_255.tfrecords           (the official test set)
  {ROOT_NAME}/train/traj_<A>_to_<B>.tfrecords        (~256 sequences each)
"""


@dataclasses.dataclass(frozen=True)
class FileRange:
  """The records of one TFRecord file that fall in one split."""

  path: str  # Under softmotion30_44k/, e.g. 'train/traj_1024_to_1279...'.
  first: int  # The number its name gives its first record (A).
  start: int  # Index in the file of this split's first record.
  stop: int  # One past the last one.

  @property
  def size(self) -> int:
    return self.stop - self.start


def parse_file_name(path: str) -> tuple[int, int]:
  """'train/traj_1024_to_1279.tfrecords' -> (1024, 1279)."""
  match = _FILE_PATTERN.match(path)
  if not match:
    raise ValueError(
      f"{path} is not a BAIR file name (train|test)/traj_<A>_to_<B>.tfrecords"
    )
  first, last = int(match.group(2)), int(match.group(3))
  if last < first:
    raise ValueError(f"{path}: its range {first}-{last} is empty.")
  return first, last


def promised_records(path: str) -> int:
  """How many records `traj_A_to_B` says it holds: B - A + 1."""
  first, last = parse_file_name(path)
  return last - first + 1


def _in_number_order(paths: Sequence[str]) -> list[tuple[int, str]]:
  """(A, path) of files of one folder by start number; overlaps raise."""
  ranges = sorted((*parse_file_name(p), p) for p in paths)
  # In start order, any overlap shows between neighbours.
  for (_, last, previous), (first, _, path) in zip(ranges, ranges[1:]):
    if first <= last:
      raise ValueError(
        f"{path} and {previous} both claim sequence {first}; the extracted "
        f"archive mixes files of different versions.\n{_INSTRUCTIONS}"
      )
  return [(first, path) for first, _, path in ranges]


def split_files(
  paths: Sequence[str],
  counts: Mapping[str, int] | None = None,
  validation_size: int | None = None,
) -> dict[str, list[FileRange]]:
  """The split rule: which records of which files each split takes.

  `paths` are under softmotion30_44k/; `counts` how many records each file
  holds (the build counts them; by default what the name promises, more is
  capped to it). test = every test/ file; validation = the first
  `validation_size` (default VALIDATION_SIZE) training records, files by
  start number and records in file order; train = the rest. Gaps between
  numbers are fine; overlapping names, no test file, or no training record
  left for train are errors.
  """
  validation_size = (
    VALIDATION_SIZE if validation_size is None else validation_size
  )
  counts = counts or {}
  folders = {"train": [], "test": []}
  for path in sorted(set(paths)):
    parse_file_name(path)  # Refuses other names before anything else.
    folders[path.split("/", 1)[0]].append(path)
  if not folders["test"]:
    raise FileNotFoundError(
      f"No test file: the official {ROOT_NAME}/{TEST_FILE} is missing.\n"
      f"{_INSTRUCTIONS}"
    )

  def records(path: str) -> int:
    return min(counts.get(path, promised_records(path)), promised_records(path))

  splits = {name: [] for name in SPLIT_NAMES}
  for first, path in _in_number_order(folders["test"]):
    if records(path):
      splits["test"].append(FileRange(path, first, 0, records(path)))
  left = validation_size  # Validation records still to take.
  for first, path in _in_number_order(folders["train"]):
    held_out = min(left, records(path))
    if held_out:
      splits["validation"].append(FileRange(path, first, 0, held_out))
    if held_out < records(path):
      splits["train"].append(FileRange(path, first, held_out, records(path)))
    left -= held_out
  if not splits["train"]:
    num_train = sum(r.size for r in splits["validation"])
    raise FileNotFoundError(
      f"The training files hold {num_train} sequences, not more than the "
      f"{validation_size} that validation takes first, so train would be "
      f"empty: the extraction of {ARCHIVE_NAME} is incomplete. Delete it and "
      f"prepare again.\n{_INSTRUCTIONS}"
    )
  return splits


def count_records(path: epath.PathLike) -> int:
  """The whole records of a TFRecord file, from their length headers.

  Seeks from header to header instead of reading the data (a seek per
  record, not a read of the 30 GB); stops at a header or record cut by the
  end of the file. CRCs are not checked here: `read_records` does that.
  """
  path = epath.Path(path)
  with path.open("rb") as raw:
    compressed = raw.read(2) == _GZIP_MAGIC
    raw.seek(0)
    size = None if compressed else path.stat().length
    f = gzip.GzipFile(fileobj=raw) if compressed else raw
    count = 0
    while True:
      header = f.read(_HEADER_SIZE)
      if len(header) < _HEADER_SIZE:
        return count
      (length,) = struct.unpack("<Q", header[:8])
      end = f.tell() + length + 4  # The data and its CRC.
      if size is not None and end > size:
        return count
      # A GzipFile stops at its end, so where it stops tells.
      if f.seek(end) != end:
        return count
      count += 1


def check_record_counts(
  root: epath.Path, paths: Sequence[str]
) -> dict[str, int]:
  """Counts each file's records, warning where the name promises otherwise."""
  counts = {}
  for path in paths:
    counts[path] = count_records(root / path)
    promised = promised_records(path)
    if counts[path] < promised:
      logging.warning(
        "bair: %s holds %d records, %d fewer than the %d its name promises; "
        "the split rule counts the %d it holds.",
        path,
        counts[path],
        promised - counts[path],
        promised,
        counts[path],
      )
    elif counts[path] > promised:
      logging.warning(
        "bair: %s holds %d records, %d more than the %d its name promises; "
        "the extra ones are not used.",
        path,
        counts[path],
        counts[path] - promised,
        promised,
      )
  return counts


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
    paths = list_files(root)
    splits = split_files(paths, check_record_counts(root, paths))
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
          if index >= part.stop:
            break
          if index < part.start:
            continue
          example_id = f"{part.path[: -len('.tfrecords')]}/{index}"
          try:
            example = parse_sequence(record, f"{part.path} record {index}")
          except video_io.CorruptVideoError as e:
            damaged.append(str(e))
            continue
          example["video"] = video_utils.encode_png_frames(example["video"])
          example.update(sequence=part.first + index, id=example_id)
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
