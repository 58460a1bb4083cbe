"""Weizmann human actions (Gorelick et al., TPAMI 2007), as two papers use it.

Source: "Actions as Space-Time Shapes", one zip per action at
https://www.wisdom.weizmann.ac.il/~vision/VideoAnalysis/Demos/SpaceTimeActions/DB/
(`bend.zip`, `jack.zip`, `jump.zip`, `pjump.zip`, `run.zip`, `side.zip`,
`skip.zip`, `walk.zip`, `wave1.zip`, `wave2.zip`), each holding its action's
AVI files at the top level (we also look one folder down), named
`<person>_<action>.avi`: 9 persons x 10 actions, 180x144 pixels, 50 fps
(deinterlaced), 28-146 frames. Lena has two takes of run, skip and walk
(`lena_run1.avi`, `lena_run2.avi`, ...): 93 files. Both papers count 90
videos; we keep take 1 of those three, the file the earlier-numbered take
names, and drop take 2.

Configs, one per use in the papers:

* `navsynth` (default; navsynth paper section 4.1 and supplementary A):
  each frame centre-cropped (144x144) and resized to 64x64x3; whole videos,
  because training draws 16 consecutive frames at random each iteration;
  one split `train` (90 videos), as the paper has no split ("no dataset
  split", supplementary B).
* `navsynth_exchange` (navsynth section 4.3.2, Table 3, action exchange):
  frames "without any cropping", so the whole 180x144 frame is resized to
  64x64 (the paper does not say how; we squash, since the generator makes
  square frames). `train` = the 22 cells of Table 3 marked as seen in
  training, `test` = its 14 other cells (the unseen identity/action pairs
  the model must generate). Table 3 names persons P1..P9 without saying who
  they are; we read them in alphabetical order (daria = P1 .. shahar = P9).
* `videovae` (videovae paper section 5.1): each frame cropped to centre on
  the person (`person_crop`: from the difference to a per-video median
  background; full frame height, so the window only pans sideways) and
  resized to 64x64x3. `train` = the first 2/3 of each video's frames
  (floor(2n/3)), `test` = the rest; both 90 examples. Its 20 random
  length-10 mini-clips per training video are the input pipeline's job.
  The crop is computed on the whole video before it is split: the
  background median uses all frames, the test third's included, so the
  test frames shape the window of the train part (and the other way
  round). Only the window's position depends on them, not any pixel
  value, but it is a use of test frames.

What we chose where the papers are silent: resizing is PIL's antialiased
bilinear (`video_io.resize`); a video or part shorter than the config's
`min_frames` (16 for navsynth, 10 for videovae: the clip lengths the papers
train on) is padded by repeating its last frame, with a warning (no real
video is: the shortest, 28 frames, gives parts of 18 and 10); a corrupt or
truncated file, or a videovae part with no frames (a 1-frame file has no
first two thirds), is skipped with a warning and counted per split; a
missing file is an error listing every missing file and where it belongs
(files are found at the top level of their archive or one folder down).
"""

from __future__ import annotations

from collections.abc import Iterable
import dataclasses
import logging

from etils import epath
import numpy as np
import tensorflow_datasets as tfds

from tfds_builders import video_io
from tfds_builders import video_utils
from tfds_builders.weizmann import person_crop

PERSONS = tuple("daria denis eli ido ira lena lyova moshe shahar".split())
ACTIONS = tuple("bend jack jump pjump run side skip walk wave1 wave2".split())
# (person, action) pairs recorded twice: files `<person>_<action>{1,2}.avi`.
TWO_TAKES = (("lena", "run"), ("lena", "skip"), ("lena", "walk"))
URL = (
  "https://www.wisdom.weizmann.ac.il/~vision/VideoAnalysis/Demos/"
  "SpaceTimeActions/DB/{action}.zip"
)
FRAME_SIZE = 64
FPS = 50

# Navsynth Table 3: for each of its four actions, the persons (P1..P9, read
# as PERSONS in order) whose video of it was in the training set.
EXCHANGE_TRAIN_CELLS = {
  "run": (1, 2, 3, 5),
  "walk": (1, 2, 5, 7),
  "jump": (2, 4, 5, 6, 7, 8, 9),
  "skip": (1, 2, 3, 6, 7, 8, 9),
}


@dataclasses.dataclass(eq=False)
class WeizmannConfig(tfds.core.BuilderConfig):
  """How frames are cropped and how videos are split."""

  crop: str = "centre"  # 'centre', 'full' (no crop) or 'person'.
  split_rule: str = "all_train"  # 'all_train', 'table3' or 'two_thirds'.
  min_frames: int = 16
  # Side of the person-centred window in source pixels (crop='person').
  person_window: int = 144


def all_file_names() -> list[str]:
  """The 93 file names of the ten archives, sorted."""
  names = []
  for person in PERSONS:
    for action in ACTIONS:
      if (person, action) in TWO_TAKES:
        names += [f"{person}_{action}1.avi", f"{person}_{action}2.avi"]
      else:
        names.append(f"{person}_{action}.avi")
  return sorted(names)


def parse_file_name(name: str) -> tuple[str, str, int]:
  """'lena_run2.avi' -> ('lena', 'run', 2); 'eli_wave1.avi' -> take 1."""
  stem = name.rsplit(".", 1)[0]
  person, _, action = stem.partition("_")
  take = 1
  # wave1 and wave2 are actions; a digit after any other action is a take.
  if action not in ACTIONS and action[:-1] in ACTIONS and action[-1:] in "12":
    action, take = action[:-1], int(action[-1])
  if (
    person not in PERSONS or action not in ACTIONS or not name.endswith(".avi")
  ):
    raise ValueError(
      f"{name} is not a Weizmann file name (<person>_<action>[take].avi)."
    )
  return person, action, take


def kept_file_names(names: Iterable[str]) -> list[str]:
  """One file per (person, action): the lowest take; sorted."""
  best = {}
  for name in sorted(names):
    person, action, take = parse_file_name(name)
    if (person, action) not in best or take < best[person, action][0]:
      best[person, action] = (take, name)
  return sorted(name for _, name in best.values())


def table3_split(names: Iterable[str]) -> dict[str, list[str]]:
  """Navsynth Table 3: its seen cells -> 'train', its other cells -> 'test'."""
  splits = {"train": [], "test": []}
  for name in sorted(names):
    person, action, _ = parse_file_name(name)
    if action in EXCHANGE_TRAIN_CELLS:
      seen = PERSONS.index(person) + 1 in EXCHANGE_TRAIN_CELLS[action]
      splits["train" if seen else "test"].append(name)
  return splits


def two_thirds(num_frames: int) -> dict[str, tuple[int, int]]:
  """Videovae: frames [0, floor(2n/3)) -> 'train', the rest -> 'test'."""
  boundary = (2 * num_frames) // 3
  return {"train": (0, boundary), "test": (boundary, num_frames)}


def split_files(rule: str, names: Iterable[str]) -> dict[str, list[str]]:
  """The files each split reads (a file may feed two splits: two_thirds)."""
  kept = kept_file_names(names)
  if rule == "all_train":
    return {"train": kept}
  if rule == "table3":
    return table3_split(kept)
  if rule == "two_thirds":
    return {"train": kept, "test": kept}
  raise ValueError(f"Unknown split rule {rule!r}.")


def locate_files(extracted: dict[str, epath.PathLike]) -> dict[str, epath.Path]:
  """Path of each kept file in its extracted archive; lists what is missing.

  A file is looked for at the top level of its archive, then one folder
  down (`<action>/<name>`), in case an archive wraps its files in a folder.
  """
  paths, missing = {}, []
  for name in kept_file_names(all_file_names()):
    action = parse_file_name(name)[1]
    root = epath.Path(extracted[action])
    paths[name] = root / name
    if not video_io.missing_files(root, [name]):
      continue
    nested = sorted(root.glob(f"*/{name}")) if root.is_dir() else []
    if nested:
      if len(nested) > 1:
        logging.warning("weizmann: %s is in %d folders of %s; using %s.",
                        name, len(nested), root, nested[0])
      paths[name] = nested[0]
    else:
      missing.append(f"  {root / name}   (from {URL.format(action=action)})")
  if missing:
    raise FileNotFoundError(
      f"weizmann: {len(missing)} of the {len(paths)} videos it needs are "
      "missing from the extracted archives:\n" + "\n".join(missing) + "\n"
      "Each zip holds its action's .avi files at its top level (one folder "
      "down is also accepted). Put each listed file at the path shown (it "
      "is in the zip named beside it), or delete that extracted folder and "
      "its zip under <data_dir>/downloads/ and run again to download them "
      "afresh."
    )
  return paths


def preprocess(
  frames: np.ndarray, config: WeizmannConfig, name: str
) -> np.ndarray:
  """Source RGB frames -> uint8 [T, 64, 64, 3] as the config's paper does."""
  if config.crop == "centre":
    return video_io.centre_crop_resize(frames, FRAME_SIZE)
  if config.crop == "full":
    return video_io.resize(frames, FRAME_SIZE)
  if config.crop == "person":
    crops, found = person_crop.person_centred_crop(frames, config.person_window)
    if not found:
      logging.warning(
        "weizmann: no moving person found in %s; its frames "
        "are centre-cropped instead.",
        name,
      )
    return video_io.resize(crops, FRAME_SIZE)
  raise ValueError(f"Unknown crop {config.crop!r}.")


class Weizmann(
  video_utils.NumpyVideoDataSourceMixin, tfds.core.GeneratorBasedBuilder
):
  """Weizmann human actions: 90 videos, 9 persons x 10 actions, 64x64."""

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {
    "1.0.0": "Initial release.",
  }
  BUILDER_CONFIGS = [
    WeizmannConfig(
      name="navsynth",
      description="Centre crop, whole videos, all 90 in 'train' "
      "(navsynth paper).",
      crop="centre",
      split_rule="all_train",
      min_frames=16,
    ),
    WeizmannConfig(
      name="navsynth_exchange",
      description="Whole frame, whole videos; navsynth Table 3 cells: 22 "
      "'train', 14 'test'.",
      crop="full",
      split_rule="table3",
      min_frames=16,
    ),
    WeizmannConfig(
      name="videovae",
      description="Person-centred crop; first 2/3 of each video 'train', "
      "last 1/3 'test' (videovae paper).",
      crop="person",
      split_rule="two_thirds",
      min_frames=10,
    ),
  ]
  DEFAULT_BUILDER_CONFIG_NAME = "navsynth"

  def _info(self) -> tfds.core.DatasetInfo:
    return self.dataset_info_from_configs(
      features=tfds.features.FeaturesDict(
        {
          "video": tfds.features.Video(
            shape=(None, FRAME_SIZE, FRAME_SIZE, 3), encoding_format="png"
          ),
          "action": tfds.features.ClassLabel(names=list(ACTIONS)),
          "person": tfds.features.ClassLabel(names=list(PERSONS)),
          "id": tfds.features.Text(),
        }
      ),
      supervised_keys=None,
      homepage="https://www.wisdom.weizmann.ac.il/~vision/"
      "SpaceTimeActions.html",
    )

  def _split_generators(self, dl_manager: tfds.download.DownloadManager):
    extracted = dl_manager.download_and_extract(
      {action: URL.format(action=action) for action in ACTIONS}
    )
    paths = locate_files(extracted)
    splits = split_files(self.builder_config.split_rule, paths)
    return {
      split: self._generate_examples(split, [paths[n] for n in names])
      for split, names in splits.items()
    }

  def _generate_examples(self, split: str, paths: list[epath.Path]):
    config = self.builder_config
    skipped = video_io.SkippedFiles(f"weizmann/{config.name}", split)
    # Not video_io.read_videos_skipping: a file that decodes but leaves this
    # split no frames must be counted as skipped too.
    for path in paths:
      try:
        frames = video_io.read_video(path)
      except video_io.CorruptVideoError as e:
        skipped.skip(str(path), e)
        continue
      name = epath.Path(path).name
      person, action, _ = parse_file_name(name)
      video = preprocess(frames, config, str(path))
      stem = name.rsplit(".", 1)[0]
      key = stem
      if config.split_rule == "two_thirds":
        start, end = two_thirds(len(video))[split]
        video, key = video[start:end], f"{stem}[{start}:{end}]"
        if not len(video):  # A 1-frame file has no first two thirds.
          skipped.skip(str(path), f"its {len(frames)} frame(s) leave none "
                       f"for {split} ([{start}:{end}])")
          continue
      skipped.ok()
      if len(video) < config.min_frames:
        logging.warning(
          "weizmann/%s: %s has %d frames for %s, fewer than %d; padded by "
          "repeating its last frame.",
          config.name,
          path,
          len(video),
          split,
          config.min_frames,
        )
        video = video_io.pad_to_length(video, config.min_frames)
      yield (
        key,
        {
          # TFDS's own per-frame PNG encoding is ~25x slower.
          "video": video_utils.encode_png_frames(video),
          "action": action,
          "person": person,
          "id": key,
        },
      )
    skipped.summary()
