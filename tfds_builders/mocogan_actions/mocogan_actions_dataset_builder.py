"""MoCoGAN's Weizmann action strips (manual download).

MoCoGAN (Tulyakov et al., CVPR 2018) trains on Weizmann human actions
(Gorelick et al., TPAMI 2007) and ships a preprocessed subset in its
repository as `data/actions/{0,1,3,4}/NNNNNNNN.jpg`: 72 files, each a PNG
despite the name, an RGBA strip of one video's frames of 64x64 side by side
(frame t is columns 64t .. 64t+63), 51-146 frames (5290 in all), alpha
always 255. MoCoGAN reads the
folder with torchvision's `ImageFolder`, so its category is the folder's
rank (0, 1, 3, 4 -> 0, 1, 2, 3), and it uses every file for training.

What the files tell (checked on all 72; `test_real_files` pins it):

* `action` from the folder, named by looking at the frames: 0 = wave1 (one
  hand waves), 1 = wave2 (both hands), 3 = jack (jumping jack: legs spread
  as the arms go up), 4 = bend. Our ClassLabel index is MoCoGAN's category.
* File numbers come in blocks of 8 with period 8 across folders: numbers
  8k+0, 8k+1 are in 1/, 8k+2, 8k+3 in 0/, 8k+4, 8k+5 in 3/, 8k+6, 8k+7 in
  4/, for k = 0..8. Every odd file is exactly (pixel for pixel) the
  horizontal mirror of the even file before it, a flip MoCoGAN added to
  the data. So 36 distinct videos, 9 blocks x 4 actions.
* `person` = k = number // 8: in each block the wave1, wave2 and bend
  videos show one performer in the same clothes against the same wall,
  and Weizmann has 9 performers. The jack video of 4 blocks (k = 0, 1, 3,
  6) shows other clothes and another wall colour. We give it its block's
  label, as the numbering groups it with them; perhaps that performer's
  jack was recorded on another day, but we found no source saying so, so
  the `person` label of those 8 jack files (4 videos and their mirrors)
  is uncertain. The files name no one and we found no mapping from blocks
  to Weizmann's names, so `person` is the block index, not a name.
* `mirrored` = number is odd.

Split: MoCoGAN trains on all of it and has no test set, so one split,
`train` (72 examples; 36 distinct videos and their mirrors). Strips are
stored whole (its training draws random sub-clips). A strip shorter than
32 frames, the least MoCoGAN's loader accepts (`min_len`), is dropped with
a warning (none of the 72 is); a strip that cannot be read (unreadable, a
broken link) or decoded, is not an RGB(A) image 64 pixels high and a
multiple of 64 wide (`mocogan_strips.decode_strip`, shared with
mocogan_shapes), or is numbered outside 0-71 is skipped with a warning; all
are counted in the log.

Completeness: the full set is known (numbers 0-71, folder
`BLOCK_FOLDERS[n % 8]`), so the manual dir is checked before building.
Every block of 8 numbers that has a file must have all 8, in their
folders; a missing strip is an error listing each absent
`<folder>/NNNNNNNN.jpg`. A strip in a folder its number does not belong to
is an error too, since the folder gives the action label. Fewer than the
9 blocks is only a warning (the dummy data has 2). Files in the four
folders that are not `*.jpg` (`.png`, `.JPG`, ...) are ignored with a
warning naming them.
"""

from __future__ import annotations

import logging

from etils import epath
import numpy as np
import tensorflow_datasets as tfds

from tfds_builders import mocogan_strips
from tfds_builders import video_io
from tfds_builders import video_utils

FRAME_SIZE = mocogan_strips.FRAME_SIZE
FOLDER_TO_ACTION = {"0": "wave1", "1": "wave2", "3": "jack", "4": "bend"}
ACTIONS = tuple(FOLDER_TO_ACTION.values())  # MoCoGAN's category order.
NUM_PERSONS = 9
PERSONS = tuple(f"person{k}" for k in range(NUM_PERSONS))
# Within a block of 8 file numbers, the folder of each: 2 files per action.
BLOCK_FOLDERS = ("1", "1", "0", "0", "3", "3", "4", "4")
MIN_FRAMES = 32
_LISTED = 10

_EXPECTED = (
  f"an RGBA PNG strip (named .jpg) {FRAME_SIZE} pixels high holding "
  f"frames of {FRAME_SIZE}x{FRAME_SIZE} side by side"
)

_INSTRUCTIONS = f"""\
Put MoCoGAN's Weizmann action strips in the manual dir, as four folders:

  <manual_dir>/0/*.jpg   wave1 (18 files in the original)
  <manual_dir>/1/*.jpg   wave2 (18)
  <manual_dir>/3/*.jpg   jack  (18)
  <manual_dir>/4/*.jpg   bend  (18)

Each file, e.g. `1/00000000.jpg`, is {_EXPECTED}.
They are the folder `data/actions/` of
https://github.com/sergeytulyakov/mocogan; that folder may also be put in
the manual dir whole (`<manual_dir>/actions/0`). For example:

  python -m video_inference.prepare --dataset=mocogan_actions \\
      --manual_dir=path/to/mocogan/data/actions
"""


def list_strips(root: epath.PathLike) -> list[tuple[str, str]]:
  """Sorted (folder, filename) pairs of the *.jpg files, checked.

  Every folder missing or empty is listed in an error; so are the strips
  missing from a block that has some (`check_blocks`). Other files in the
  folders are ignored with a warning.
  """
  root = epath.Path(root)
  pairs, empty, others = [], [], []
  for folder, action in FOLDER_TO_ACTION.items():
    directory = root / folder
    entries = sorted(directory.iterdir()) if directory.is_dir() else []
    names = [p.name for p in entries if p.suffix == ".jpg"]
    # A strip saved as .png or .JPG would silently vanish from the data.
    others += [f"{folder}/{p.name}" + ("/" if p.is_dir() else "")
               for p in entries if p.name not in names]
    if not names:
      empty.append(f"  {directory}/*.jpg ({action})")
    pairs.extend((folder, name) for name in names)
  if others:
    logging.warning(
      "mocogan_actions: ignoring %d entries of %s that are not *.jpg strips: "
      "%s", len(others), root, ", ".join(others[:_LISTED])
      + (" ..." if len(others) > _LISTED else ""))
  if empty:
    raise FileNotFoundError(
      f"No strips in the manual dir {root} for:\n"
      + "\n".join(empty)
      + f"\n{_INSTRUCTIONS}"
    )
  check_blocks(root, pairs)
  return sorted(pairs)


def strip_number(filename: str) -> int | None:
  """'00000013.jpg' -> 13; None for a name outside MoCoGAN's 0-71."""
  stem = filename.rsplit(".", 1)[0]
  if stem.isdigit() and int(stem) < 8 * NUM_PERSONS:
    return int(stem)
  return None


def check_blocks(root: epath.PathLike, pairs) -> None:
  """Raises an error listing the strips missing from each block that has
  any, and strips in a folder their number does not belong to."""
  present = set(pairs)
  blocks, misplaced = set(), []
  for folder, filename in sorted(pairs):
    number = strip_number(filename)
    if number is None:
      continue  # Skipped with a warning when the examples are made.
    blocks.add(number // 8)
    expected = BLOCK_FOLDERS[number % 8]
    if folder != expected:
      misplaced.append(
        f"  {folder}/{filename}: its number belongs in {expected}/ "
        f"({FOLDER_TO_ACTION[expected]}); in {folder}/ it would be labelled "
        f"{FOLDER_TO_ACTION[folder]}")
  missing = [
    f"  {BLOCK_FOLDERS[n % 8]}/{n:08d}.jpg"
    for block in sorted(blocks) for n in range(8 * block, 8 * block + 8)
    if (BLOCK_FOLDERS[n % 8], f"{n:08d}.jpg") not in present]
  if missing or misplaced:
    message = f"The strips in the manual dir {root} are incomplete:\n"
    if missing:
      message += (f"{len(missing)} strips missing from blocks "
                  f"{sorted(blocks)} (each block of 8 numbers is whole in "
                  "the original):\n" + "\n".join(missing) + "\n")
    if misplaced:
      message += (f"{len(misplaced)} strips in the wrong folder (the folder "
                  "gives the action label):\n" + "\n".join(misplaced)
                  + "\n")
    raise (FileNotFoundError if missing else ValueError)(
      message + _INSTRUCTIONS)
  if len(blocks) < NUM_PERSONS:
    logging.warning(
      "mocogan_actions: %s holds %d of the %d blocks of 8 strips (blocks "
      "%s); MoCoGAN's copy has all %d, 72 strips.", root, len(blocks),
      NUM_PERSONS, sorted(blocks), NUM_PERSONS)


def split_strips(
  pairs: list[tuple[str, str]],
) -> dict[str, list[tuple[str, str]]]:
  """MoCoGAN trains on every strip: one split, sorted."""
  return {"train": sorted(pairs)}


def identity(filename: str) -> tuple[int, bool]:
  """'00000013.jpg' -> (person 1, mirrored True), from the file number."""
  stem = filename.rsplit(".", 1)[0]
  if not stem.isdigit() or int(stem) >= 8 * NUM_PERSONS:
    raise ValueError(
      f"{filename}: MoCoGAN's strips are numbered 00000000 .. "
      f"{8 * NUM_PERSONS - 1:08d}; the person comes from the number."
    )
  number = int(stem)
  return number // 8, number % 2 == 1


def load_example(root: epath.PathLike, folder: str, filename: str) -> dict:
  """One strip as an example with a numpy `video` (not yet PNG-encoded)."""
  path = epath.Path(root) / folder / filename
  person, mirrored = identity(filename)
  return {
    "video": mocogan_strips.decode_strip(
      path.read_bytes(), str(path), _EXPECTED
    ),
    "action": FOLDER_TO_ACTION[folder],
    "person": PERSONS[person],
    "mirrored": mirrored,
    "id": f"{folder}/{filename.rsplit('.', 1)[0]}",
  }


class MocoganActions(
  video_utils.NumpyVideoDataSourceMixin, tfds.core.GeneratorBasedBuilder
):
  """MoCoGAN's Weizmann action strips, read from the manual dir."""

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {
    "1.0.0": "Initial release.",
  }
  MANUAL_DOWNLOAD_INSTRUCTIONS = _INSTRUCTIONS

  def _info(self) -> tfds.core.DatasetInfo:
    return self.dataset_info_from_configs(
      features=tfds.features.FeaturesDict(
        {
          "video": tfds.features.Video(
            shape=(None, FRAME_SIZE, FRAME_SIZE, 3), encoding_format="png"
          ),
          "action": tfds.features.ClassLabel(names=list(ACTIONS)),
          "person": tfds.features.ClassLabel(names=list(PERSONS)),
          "mirrored": tfds.features.Scalar(
            dtype=np.bool_, doc="The horizontal flip of the strip before it."
          ),
          "id": tfds.features.Text(),
        }
      ),
      supervised_keys=None,
      homepage="https://github.com/sergeytulyakov/mocogan",
    )

  def _split_generators(self, dl_manager: tfds.download.DownloadManager):
    root = mocogan_strips.find_root(dl_manager.manual_dir, "actions")
    splits = split_strips(list_strips(root))
    return {
      name: self._generate_examples(root, name, pairs)
      for name, pairs in splits.items()
    }

  def _generate_examples(self, root: epath.Path, split: str, pairs):
    skipped = video_io.SkippedFiles("mocogan_actions", split)
    for folder, filename in pairs:
      path = root / folder / filename
      try:
        example = load_example(root, folder, filename)
      # CorruptVideoError (undecodable, wrong size) is a ValueError too, as
      # is a file number outside MoCoGAN's, which names no person; OSError
      # is a listed file that cannot be read (permissions, a broken link).
      except (ValueError, OSError) as e:
        skipped.skip(str(path), e)
        continue
      if len(example["video"]) < MIN_FRAMES:
        skipped.skip(
          str(path),
          f"{len(example['video'])} frames, fewer than the "
          f"{MIN_FRAMES} MoCoGAN's loader accepts",
        )
        continue
      skipped.ok()
      # TFDS's own per-frame PNG encoding is ~25x slower.
      example["video"] = video_utils.encode_png_frames(example["video"])
      yield example["id"], example
    skipped.summary()
