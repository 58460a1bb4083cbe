"""MUG Facial Expression Database: 16-frame clips of posed expressions.

Source: Aifanti, Papachristou and Delopoulos, "The MUG facial expression
database" (WIAMIS 2010): 86 subjects posing the six basic expressions,
recorded as 896x896 JPEG image sequences at 19 frames per second, each
starting and ending at neutral. It is given to researchers who sign its
licence agreement, so this builder reads a manual dir in the layout the
posed part is distributed in:

  subjects3/<subject NNN>/[session<N>/]<expression>/take<NNN>/img_<NNNN>.jpg

Paper followed: Static2Dynamic (SR-cGAN), section IV-A-3: "anger, disgust,
happiness, fear, surprise, and sadness"; "We partition each video into
sequences with the length of 16 frames and finally obtain 8,147 sequences
in total"; 80/20 train/test "as the other two datasets", which are 64x64.

What we chose where the paper is silent:

* A video is one take folder, its frames sorted by the number in their
  names, cut into consecutive non-overlapping 16-frame clips; the remainder
  is dropped and a take under 16 frames gives no clip (both logged).
  `neutral/` and anything that is not a `take<NNN>` folder are not used.
* Frames: centre crop to a square (a no-op on 896x896) and resize to 64x64
  (`video_io.centre_crop_resize`: PIL's antialiased bilinear filter). The
  JPEG is decoded at 1/8 scale by libjpeg's DCT scaling (PIL's `draft`)
  before the resize: 112x112 instead of 896x896, ~4 ms less per frame
  (decode and resize; ~9 minutes on the whole set). The 64x64 result differs
  from a full decode by 0.3 grey levels on average, 6 at most, on our test
  images (the test bounds it).
* Split over subjects, so no clip straddles it: takes of one subject and
  expression are near repeats, so a clip- or take-level split would put
  near-copies of test clips in train. Sort the subject ids, permute them
  with `np.random.default_rng(0)` and move subjects to `test` in that order
  until it holds at least 20% of the clips; the rest is `train`.
* Labels: `expression` (the six, alphabetical), `subject` ('001'..'086',
  the folder number), `id` = key = `<take path>/clip<CC>`, e.g.
  `001/anger/take000/clip02` (with `session<N>/` where the data has it).
* Bad input: no subject folders, or empty subject / expression / take
  folders (an interrupted extraction), raise an error listing them and
  saying where the files go; a frame that cannot be decoded is skipped with
  a warning naming it (`video_io.SkippedFiles`, frames counted per split)
  and the clip holding it is left out.
"""

from __future__ import annotations

import collections
import dataclasses
import io
import logging
import re

from etils import epath
import numpy as np
from PIL import Image
import tensorflow_datasets as tfds

from tfds_builders import video_io
from tfds_builders import video_utils

_HOMEPAGE = "https://mug.ee.auth.gr/fed/"
EXPRESSIONS = ("anger", "disgust", "fear", "happiness", "sadness", "surprise")
NUM_SUBJECTS = 86
SUBJECTS = tuple(f"{i:03d}" for i in range(1, NUM_SUBJECTS + 1))
CLIP_LENGTH = 16
FRAME_SIZE = 64
TEST_FRACTION = 0.2
SPLIT_SEED = 0
ROOT_NAME = "subjects3"
_SESSION = re.compile(r"session\d+")
_TAKE = re.compile(r"take\d+")
_FRAME = re.compile(r"img_(\d+)\.jpe?g", re.IGNORECASE)
_LISTED = 10

_INSTRUCTIONS = f"""\
The MUG Facial Expression Database is given to researchers who sign its
licence agreement: request it at {_HOMEPAGE}. Extract its posed-expression
image sequences (the folder `{ROOT_NAME}`) into the manual dir, so that the
frames are at

  <manual_dir>/{ROOT_NAME}/<subject>/<expression>/take<NNN>/img_<NNNN>.jpg

e.g. <manual_dir>/{ROOT_NAME}/001/anger/take000/img_0001.jpg: <subject> is the
3-digit subject number (some subjects have a session<N>/ folder between
subject and expression) and <expression> one of {", ".join(EXPRESSIONS)}
(neutral/ is not used). The subject folders may also be put directly in the
manual dir. Then:

  python -m video_inference.prepare --dataset=mug --manual_dir=<manual_dir>
"""


@dataclasses.dataclass(frozen=True)
class Take:
  """One video: a take folder and its frame file names in time order."""

  path: str  # Relative to the root, e.g. '001/anger/take000'.
  subject: str
  expression: str
  frames: tuple[str, ...]


def find_root(manual_dir: epath.PathLike) -> epath.Path:
  """The folder holding the subject folders: manual_dir/subjects3 or itself."""
  manual_dir = epath.Path(manual_dir)
  nested = manual_dir / ROOT_NAME
  return nested if nested.is_dir() else manual_dir


def _frame_number(name: str) -> tuple[int, str]:
  return int(_FRAME.fullmatch(name).group(1)), name


def _incomplete(kind: str, root, paths: list[str]) -> FileNotFoundError:
  return FileNotFoundError(
    f"{len(paths)} empty {kind} under {root} (an interrupted extraction?):"
    "\n  " + "\n  ".join(paths[:_LISTED])
    + ("\n  ..." if len(paths) > _LISTED else "") + f"\n{_INSTRUCTIONS}")


def list_takes(root: epath.PathLike) -> list[Take]:
  """Every take of the six expressions under root, sorted by path."""
  root = epath.Path(root)
  subject_dirs = sorted(
    (p for p in root.iterdir() if p.is_dir() and p.name.isdigit()),
    key=lambda p: p.name) if root.is_dir() else []
  if not subject_dirs:
    raise FileNotFoundError(
      f"No subject folders (<NNN>/) in {root}.\n{_INSTRUCTIONS}")
  unknown = [p.name for p in subject_dirs
             if f"{int(p.name):03d}" not in SUBJECTS]
  if unknown:
    raise ValueError(f"Subject folders {unknown} in {root} are outside the "
                     f"MUG subjects 001..{NUM_SUBJECTS:03d}.")
  takes, empty = [], []
  for subject_dir in subject_dirs:
    subject = f"{int(subject_dir.name):03d}"
    entries = list(subject_dir.iterdir())
    if not entries:
      empty.append(subject_dir.name)
    parents = [((subject_dir.name,), subject_dir)] + [
      ((subject_dir.name, p.name), p) for p in sorted(entries)
      if p.is_dir() and _SESSION.fullmatch(p.name)]
    for parts, parent in parents:
      for expression in EXPRESSIONS:
        expression_dir = parent / expression
        if not expression_dir.is_dir():
          continue
        take_dirs = sorted(p for p in expression_dir.iterdir()
                           if p.is_dir() and _TAKE.fullmatch(p.name))
        if not take_dirs:
          empty.append("/".join(parts + (expression,)))
        for take_dir in take_dirs:
          path = "/".join(parts + (expression, take_dir.name))
          frames = sorted((f.name for f in take_dir.iterdir()
                           if _FRAME.fullmatch(f.name)), key=_frame_number)
          if not frames:
            empty.append(path)
            continue
          takes.append(Take(path, subject, expression, tuple(frames)))
  if empty:
    raise _incomplete("subject / expression / take folders", root, empty)
  if not takes:
    raise FileNotFoundError(
      f"No take folders of the six expressions under {root}.\n{_INSTRUCTIONS}")
  return sorted(takes, key=lambda t: t.path)


def clip_ids(takes) -> list[str]:
  """`<take path>/clip<CC>` for each whole 16-frame clip of each take."""
  ids, too_short = [], 0
  for take in takes:
    num_clips = len(take.frames) // CLIP_LENGTH
    too_short += num_clips == 0
    ids.extend(f"{take.path}/clip{c:02d}" for c in range(num_clips))
  logging.info("mug: %d clips of %d frames from %d takes; %d takes are "
               "shorter than a clip.", len(ids), CLIP_LENGTH, len(takes),
               too_short)
  return ids


def split_clips(ids) -> dict[str, list[str]]:
  """The split rule: whole subjects to `test`, seeded, until >= 20% of clips."""
  per_subject = collections.Counter(i.split("/", 1)[0] for i in ids)
  subjects = sorted(per_subject)
  order = np.random.default_rng(SPLIT_SEED).permutation(len(subjects))
  test_subjects, num_test = set(), 0
  for index in order:
    if num_test >= TEST_FRACTION * len(ids):
      break
    test_subjects.add(subjects[index])
    num_test += per_subject[subjects[index]]
  test = sorted(i for i in ids if i.split("/", 1)[0] in test_subjects)
  train = sorted(i for i in ids if i.split("/", 1)[0] not in test_subjects)
  return {"train": train, "test": test}


def decode_frame(data: bytes, name: str) -> np.ndarray:
  """JPEG bytes -> uint8 [64, 64, 3], centre-cropped; errors name the file."""
  try:
    with Image.open(io.BytesIO(data)) as image:
      # Decodes at the smallest 1/2, 1/4 or 1/8 scale still >= 64 pixels.
      image.draft("RGB", (FRAME_SIZE, FRAME_SIZE))
      image.load()  # Decodes now, so truncated files fail here.
      frame = np.asarray(image.convert("RGB"))
  except (OSError, SyntaxError, ValueError) as e:
    # PIL reports broken files as any of these.
    raise video_io.CorruptVideoError(f"{name}: cannot decode ({e}).") from e
  return video_io.centre_crop_resize(frame[None], FRAME_SIZE)[0]


class Mug(
  video_utils.NumpyVideoDataSourceMixin, tfds.core.GeneratorBasedBuilder
):
  """MUG posed facial expressions in 16-frame clips, from the manual dir."""

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {
    "1.0.0": "Initial release.",
  }
  MANUAL_DOWNLOAD_INSTRUCTIONS = _INSTRUCTIONS

  def _info(self) -> tfds.core.DatasetInfo:
    return self.dataset_info_from_configs(
      features=tfds.features.FeaturesDict({
        "video": tfds.features.Video(
          shape=(CLIP_LENGTH, FRAME_SIZE, FRAME_SIZE, 3),
          encoding_format="png",
        ),
        "expression": tfds.features.ClassLabel(names=list(EXPRESSIONS)),
        "subject": tfds.features.ClassLabel(names=list(SUBJECTS)),
        "id": tfds.features.Text(),
      }),
      supervised_keys=None,
      homepage=_HOMEPAGE,
    )

  def _split_generators(self, dl_manager: tfds.download.DownloadManager):
    root = find_root(dl_manager.manual_dir)
    takes = {take.path: take for take in list_takes(root)}
    return {
      split: self._generate_examples(root, split, takes, ids)
      for split, ids in split_clips(clip_ids(takes.values())).items()
    }

  def _generate_examples(self, root: epath.Path, split: str, takes, ids):
    skipped = video_io.SkippedFiles("mug", split)
    clips = collections.defaultdict(list)
    for clip_id in ids:
      path, clip = clip_id.rsplit("/", 1)
      clips[path].append(int(clip[len("clip"):]))
    for path in sorted(clips):
      take = takes[path]
      for clip in sorted(clips[path]):
        names = take.frames[clip * CLIP_LENGTH:(clip + 1) * CLIP_LENGTH]
        frames = []
        for name in names:
          file = root / path / name
          try:
            frames.append(decode_frame(file.read_bytes(), str(file)))
          except video_io.CorruptVideoError as e:
            skipped.skip(str(file), e)
            continue
          skipped.ok()
        if len(frames) < CLIP_LENGTH:
          continue  # Its undecodable frame was logged above.
        clip_id = f"{path}/clip{clip:02d}"
        yield clip_id, {
          "video": video_utils.encode_png_frames(np.stack(frames)),
          "expression": take.expression,
          "subject": take.subject,
          "id": clip_id,
        }
    skipped.summary()
