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
  names. A gap in the numbering (a missing `img_<NNNN>.jpg`) is logged as
  a warning naming the take and the missing numbers, and splits the take
  into runs of consecutive frames, so no clip jumps over a lost frame. Each
  run is cut into consecutive non-overlapping 16-frame clips from its first
  frame; a run's remainder is dropped and a run under 16 frames gives no
  clip. Clips are numbered in time order across the take's runs. The log
  counts the clips, the takes that give none and the frames left out.
  `neutral/` and anything that is not a `take<NNN>` folder are not used.
* Frames: centre crop to a square (a no-op on 896x896) and resize to 64x64
  (`video_io.centre_crop_resize`: PIL's antialiased bilinear filter). The
  JPEG is decoded at 1/8 scale by libjpeg's DCT scaling (PIL's `draft`)
  before the resize: 112x112 instead of 896x896, ~4 ms less per frame
  (decode and resize; ~9 minutes on the whole set). On the test's synthetic
  896x896 JPEG the 64x64 result differs from a full decode by 0.3 grey
  levels on average and 6 at most; the test allows 0.5 and 8, slack for
  other libjpeg builds.
* Split over subjects, so no clip straddles it: takes of one subject and
  expression are near repeats, so a clip- or take-level split would put
  near-copies of test clips in train. Sort the subject ids, permute them
  with `np.random.default_rng(0)` and move subjects to `test` in that order
  until it holds at least 20% of the clips; the rest is `train`.
* Labels: `expression` (the six, alphabetical), `subject` ('001'..'086',
  the folder number), `id` = key = `<take path>/clip<CC>`, e.g.
  `001/anger/take000/clip02` (with `session<N>/` where the data has it).
* Bad input: no subject folders (the error lists what the folder holds
  instead), empty subject or take folders (an interrupted extraction), or
  a subject number outside 001..086 raise an error listing them and saying
  where the files go. An expression folder without `take<NNN>` folders is
  skipped with a warning naming it (a subject may lack a recording). A
  frame that cannot be read or decoded (unreadable file, broken link,
  corrupt JPEG) is skipped with a warning naming it (`video_io.SkippedFiles`,
  frames counted per split) and the clip holding it is left out.
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


def frame_number(name: str) -> int:
  """'img_0105.jpg' -> 105."""
  return int(_FRAME.fullmatch(name).group(1))


def consecutive_runs(frames) -> list[tuple[str, ...]]:
  """Frame names (sorted by number) cut where the numbering breaks."""
  runs = []
  for name in frames:
    if runs and frame_number(name) == frame_number(runs[-1][-1]) + 1:
      runs[-1].append(name)
    else:
      runs.append([name])
  return [tuple(run) for run in runs]


def _number_ranges(numbers: list[int]) -> str:
  """[5, 9, 10, 11] -> '5, 9-11', at most _LISTED ranges."""
  ranges = []
  for number in numbers:
    if ranges and number == ranges[-1][1] + 1:
      ranges[-1][1] = number
    else:
      ranges.append([number, number])
  text = [f"{a}" if a == b else f"{a}-{b}" for a, b in ranges[:_LISTED]]
  return ", ".join(text) + (" ..." if len(ranges) > _LISTED else "")


@dataclasses.dataclass(frozen=True)
class Take:
  """One video: a take folder and its frame file names in time order."""

  path: str  # Relative to the root, e.g. '001/anger/take000'.
  subject: str
  expression: str
  frames: tuple[str, ...]

  def clips(self) -> list[tuple[str, ...]]:
    """Frame names of each 16-frame clip, cut within runs of consecutive
    frame numbers so that no clip jumps over a missing frame."""
    clips = []
    for run in consecutive_runs(self.frames):
      clips.extend(tuple(run[start:start + CLIP_LENGTH])
                   for start in range(0, len(run) - CLIP_LENGTH + 1,
                                      CLIP_LENGTH))
    return clips


def find_root(manual_dir: epath.PathLike) -> epath.Path:
  """The folder holding the subject folders: manual_dir/subjects3 or itself."""
  manual_dir = epath.Path(manual_dir)
  nested = manual_dir / ROOT_NAME
  return nested if nested.is_dir() else manual_dir


def _incomplete(kind: str, root, paths: list[str]) -> FileNotFoundError:
  return FileNotFoundError(
    f"{len(paths)} empty {kind} under {root} (an interrupted extraction?):"
    "\n  " + "\n  ".join(paths[:_LISTED])
    + ("\n  ..." if len(paths) > _LISTED else "") + f"\n{_INSTRUCTIONS}")


def _no_subjects(root: epath.Path) -> FileNotFoundError:
  # What is there instead usually shows the mistake (one level too deep or
  # too shallow, an unextracted archive).
  found = sorted(p.name + ("/" if p.is_dir() else "")
                 for p in root.iterdir()) if root.is_dir() else []
  if not root.is_dir():
    holds = "it does not exist"
  elif not found:
    holds = "it is empty"
  else:
    holds = "it holds: " + ", ".join(found[:_LISTED]) + (
      f" and {len(found) - _LISTED} more" if len(found) > _LISTED else "")
  return FileNotFoundError(
    f"No subject folders (<NNN>/) in {root}; {holds}.\n{_INSTRUCTIONS}")


def _warn_about_gaps(path: str, frames: tuple[str, ...]) -> None:
  numbers = [frame_number(name) for name in frames]
  present = set(numbers)
  missing = [n for n in range(numbers[0], numbers[-1] + 1)
             if n not in present]
  repeated = sorted(n for n, count in collections.Counter(numbers).items()
                    if count > 1)
  if missing:
    logging.warning(
      "mug: %s: frame numbers jump over %s (missing img_<NNNN>.jpg); its "
      "clips are cut only within runs of consecutive frames.", path,
      _number_ranges(missing))
  if repeated:
    logging.warning(
      "mug: %s: frame numbers %s occur in more than one file name; its clips "
      "are cut only within runs of consecutive frames.", path,
      _number_ranges(repeated))


def list_takes(root: epath.PathLike) -> list[Take]:
  """Every take of the six expressions under root, sorted by path."""
  root = epath.Path(root)
  subject_dirs = sorted(
    (p for p in root.iterdir() if p.is_dir() and p.name.isdigit()),
    key=lambda p: p.name) if root.is_dir() else []
  if not subject_dirs:
    raise _no_subjects(root)
  unknown = [p.name for p in subject_dirs
             if f"{int(p.name):03d}" not in SUBJECTS]
  if unknown:
    raise ValueError(
      f"Subject folders {unknown} in {root} are outside the MUG subjects: "
      f"valid subject numbers are {SUBJECTS[0]} to {SUBJECTS[-1]} (the "
      f"{NUM_SUBJECTS} classes of the `subject` label). Remove the others "
      "from the manual dir.")
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
          # It may be a recording the subject lacks, and no frame of it
          # could be used anyway: a warning, not a failed build. (An empty
          # take folder, an interrupted extraction's mark, stays an error.)
          logging.warning("mug: %s has no take<NNN> folders; skipped.",
                          expression_dir)
        for take_dir in take_dirs:
          path = "/".join(parts + (expression, take_dir.name))
          frames = tuple(sorted((f.name for f in take_dir.iterdir()
                                 if _FRAME.fullmatch(f.name)),
                                key=lambda n: (frame_number(n), n)))
          if not frames:
            empty.append(path)
            continue
          _warn_about_gaps(path, frames)
          takes.append(Take(path, subject, expression, frames))
  if empty:
    raise _incomplete("subject / take folders", root, empty)
  if not takes:
    raise FileNotFoundError(
      f"No take folders of the six expressions under {root}.\n{_INSTRUCTIONS}")
  return sorted(takes, key=lambda t: t.path)


def clip_ids(takes) -> list[str]:
  """`<take path>/clip<CC>` for each 16-frame clip of each take."""
  ids, no_clip, left_out = [], 0, 0
  for take in takes:
    clips = take.clips()
    no_clip += not clips
    left_out += len(take.frames) - CLIP_LENGTH * len(clips)
    ids.extend(f"{take.path}/clip{c:02d}" for c in range(len(clips)))
  logging.info("mug: %d clips of %d frames from %d takes; no clip from %d "
               "takes (under %d consecutive frames); %d frames are in no clip "
               "(remainders shorter than a clip).", len(ids), CLIP_LENGTH,
               len(takes), no_clip, CLIP_LENGTH, left_out)
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
      take_clips = take.clips()
      for clip in sorted(clips[path]):
        frames = []
        for name in take_clips[clip]:
          file = root / path / name
          try:
            frames.append(decode_frame(file.read_bytes(), str(file)))
          # OSError: a file listed but unreadable (permissions, a broken
          # link); like an undecodable one it costs its clip, not the build.
          except (video_io.CorruptVideoError, OSError) as e:
            skipped.skip(str(file), e)
            continue
          skipped.ok()
        if len(frames) < CLIP_LENGTH:
          continue  # Its unreadable frame was logged above.
        clip_id = f"{path}/clip{clip:02d}"
        yield clip_id, {
          "video": video_utils.encode_png_frames(np.stack(frames)),
          "expression": take.expression,
          "subject": take.subject,
          "id": clip_id,
        }
    skipped.summary()
