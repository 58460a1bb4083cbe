"""KTH human actions (Schuldt, Laptev and Caputo, ICPR 2004), cut into clips.

Source: https://www.csc.kth.se/cvap/actions/, one zip per action
(`walking.zip`, `jogging.zip`, `running.zip`, `boxing.zip`, `handwaving.zip`,
`handclapping.zip`), each holding `personXX_<action>_dY_uncomp.avi` at its
top level: 25 persons, scenarios d1 (outdoors), d2 (outdoors, scale
variation), d3 (outdoors, different clothes), d4 (indoors); 160x120 at 25
fps, grey content in a colour codec. `00sequences.txt` beside them lists,
per video, the 1-based frame ranges of the repetitions of the action, and
marks the one video the distribution lacks, `person13_handclapping_d3`, as
`*missing*`: 599 videos in all. We download everything with dl_manager.

Configs, one per paper:

* `inbetween3d` (default; the 3D-convolution inbetweening paper, App. B):
  all six actions; test persons 17-25, validation person 16, train persons
  1-15. "KTH contains fewer but longer videos, we divide each video up into
  sub-sequences and use all of them": every video is cut into consecutive
  non-overlapping 16-frame clips, one example each.
* `handwaving` (Static2Dynamic / SR-cGAN, section IV-A-2): the hand-waving
  videos only, 16-frame clips, "80/20" train/test.

Preprocessing as App. B of the inbetweening paper says (SR-cGAN only says
64x64): centre crop to a square (120x120), grey (one channel), 64x64.

What we chose where the papers are silent:

* Clips are cut from the whole video, as the inbetweening paper's "each
  video", not from the ranges of `00sequences.txt`, so clips also cover the
  frames between repetitions (for walking, jogging and running: the person
  leaving and re-entering the view). Each example says where it comes from:
  `start_frame` (0-based) and `subsequence`, the 0-based index of the first
  `00sequences.txt` range holding all its frames, -1 if none; filter on it
  to keep the annotated action periods only. The tail shorter than a clip
  is dropped (`video_io.split_into_clips`); a video shorter than one clip
  gives no example and a warning.
* The sdvi paper's 80/20 goes over videos, not clips: the 16-frame clips of
  one video are near-duplicates (same person, scene and motion), so a split
  over clips would put almost the same clip on both sides. Rule: sort the
  video names, permute them with `np.random.default_rng(0)`, the first
  4n//5 are `train` (80 of the 100 hand-waving videos), the rest `test`.
* The roster is what `00sequences.txt` lists (minus `*missing*`). Its
  free-text lines are skipped, but a line that names a video (`personNN_`)
  and still does not parse is logged as a warning with its line number, so
  a malformed entry cannot drop a video unnoticed. The extracted archives
  are compared with the roster: a listed video absent from them is an
  error that names it (the split would silently lose it); an
  `*_uncomp.avi` there that the roster does not list (or lists as
  `*missing*`) is not used, with a warning naming it. A video that cannot
  be decoded in full is skipped with a warning naming it (upstream
  `person01_boxing_d4` is truncated: ~305 of its 370 frames).
* Class names: actions in the order of the KTH page; `person01`..`person25`
  and `d1`..`d4` as in the file names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
import dataclasses
import logging
import re

from etils import epath
import numpy as np
import tensorflow_datasets as tfds

from tfds_builders import video_io
from tfds_builders import video_utils

_LOG = logging.getLogger(__name__)

ACTIONS = (
  "walking",
  "jogging",
  "running",
  "boxing",
  "handwaving",
  "handclapping",
)
PERSONS = tuple(f"person{p:02d}" for p in range(1, 26))
SCENARIOS = ("d1", "d2", "d3", "d4")
FRAME_SIZE = 64
CLIP_LENGTH = 16
SPLIT_SEED = 0

HOMEPAGE = "https://www.csc.kth.se/cvap/actions/"
SEQUENCES_URL = HOMEPAGE + "00sequences.txt"
SEQUENCES_KEY = "sequences"


def archive_url(action: str) -> str:
  return f"{HOMEPAGE}{action}.zip"


def video_filename(stem: str) -> str:
  return f"{stem}_uncomp.avi"


_STEM = re.compile(r"person(\d{2})_([a-z]+)_d(\d)")
# A video line: the stem, white space (tabs, sometimes spaces first), then
# `frames` and its ranges, or `*missing*`.
_LINE = re.compile(r"^\s*(person\d{2}_[a-z]+_d\d)\s+(.*?)\s*$")
_RANGE = re.compile(r"(\d+)\s*-\s*(\d+)")
# A line naming a video, as opposed to the header's prose, which mentions
# persons only as `person11, person12, ...` (the ICPR split).
_NAMES_A_VIDEO = re.compile(r"person\d*_", re.IGNORECASE)
_LISTED_IN_MESSAGES = 30


def parse_stem(stem: str) -> tuple[str, int, int]:
  """'person07_boxing_d3' -> ('boxing', 7, 3); errors name the stem."""
  match = _STEM.fullmatch(stem)
  if not match:
    raise ValueError(f"{stem!r} is not a KTH name personXX_<action>_dY.")
  person, action, scenario = int(match[1]), match[2], int(match[3])
  if action not in ACTIONS or not 1 <= person <= 25 or not 1 <= scenario <= 4:
    raise ValueError(
      f"{stem!r}: expected an action in {ACTIONS}, person 01-25 and "
      "scenario d1-d4."
    )
  return action, person, scenario


@dataclasses.dataclass(frozen=True)
class SequenceIndex:
  """What `00sequences.txt` says: frame ranges per video, and the absent."""

  ranges: Mapping[str, tuple[tuple[int, int], ...]]
  missing: frozenset[str]


def parse_sequences(text: str, name: str = "00sequences.txt") -> SequenceIndex:
  """Parses the sequences file; its free-text header lines are skipped.

  A skipped line that names a video (`personNN_...`) is logged as a warning:
  it is a malformed entry, and its video would be missing from the roster.
  """
  ranges, missing = {}, set()
  for number, line in enumerate(text.splitlines(), start=1):
    match = _LINE.match(line)
    if not match:
      if _NAMES_A_VIDEO.search(line):
        _LOG.warning(
          "%s:%d: %r names a video but is not 'personXX_<action>_dY  "
          "frames a-b, ...'; skipped, so that video is not in the roster.",
          name,
          number,
          line.strip(),
        )
      continue
    stem, rest = match[1], match[2]
    try:
      parse_stem(stem)
    except ValueError as e:
      raise ValueError(f"{name}:{number}: {e}") from e
    if stem in ranges or stem in missing:
      raise ValueError(f"{name}:{number}: {stem} is listed twice.")
    if rest == "*missing*":
      missing.add(stem)
      continue
    pairs = _RANGE.findall(rest)
    if not rest.startswith("frames") or not pairs:
      raise ValueError(
        f"{name}:{number}: expected '{stem} frames a-b, c-d, ...' or "
        f"'{stem} *missing*', got {line.strip()!r}."
      )
    ranges[stem] = tuple((int(a), int(b)) for a, b in pairs)
  if not ranges:
    raise ValueError(
      f"{name} lists no video (no line 'personXX_<action>_dY  frames "
      f"a-b, ...'); is it the KTH sequences file from {SEQUENCES_URL}?"
    )
  return SequenceIndex(ranges=ranges, missing=frozenset(missing))


def split_by_person(stems: Sequence[str]) -> dict[str, list[str]]:
  """inbetween3d App. B: train persons 1-15, validation 16, test 17-25."""
  splits = {"train": [], "validation": [], "test": []}
  for stem in sorted(stems):
    person = parse_stem(stem)[1]
    if person <= 15:
      splits["train"].append(stem)
    elif person == 16:
      splits["validation"].append(stem)
    else:
      splits["test"].append(stem)
  return splits


def split_videos_80_20(stems: Sequence[str]) -> dict[str, list[str]]:
  """sdvi's 80/20, over videos: seeded permutation of the sorted names."""
  stems = sorted(stems)
  order = np.random.default_rng(SPLIT_SEED).permutation(len(stems))
  num_train = (4 * len(stems)) // 5
  return {
    "train": [stems[i] for i in order[:num_train]],
    "test": [stems[i] for i in order[num_train:]],
  }


SPLIT_RULES: dict[str, Callable[[Sequence[str]], dict[str, list[str]]]] = {
  "person": split_by_person,
  "videos_80_20": split_videos_80_20,
}


def clip_starts(num_frames: int, clip_length: int = CLIP_LENGTH) -> range:
  """0-based first frames of the clips `video_io.split_into_clips` cuts."""
  return range(0, num_frames - clip_length + 1, clip_length)


def subsequence_of(
  start: int,
  ranges: Sequence[tuple[int, int]],
  clip_length: int = CLIP_LENGTH,
) -> int:
  """Index of the first 1-based range holding frames start..start+L-1."""
  first, last = start + 1, start + clip_length
  for index, (low, high) in enumerate(ranges):
    if low <= first and last <= high:
      return index
  return -1


def preprocess(frames: np.ndarray) -> np.ndarray:
  """uint8 RGB [T, 120, 160, 3] -> grey [T, 64, 64, 1] (centre square)."""
  square = video_io.centre_crop(frames)
  # Grey before resizing: a third of the pixels to resample.
  return video_io.resize(video_io.to_grayscale(square), FRAME_SIZE)


def clip_id(stem: str, clip_index: int) -> str:
  return f"{video_filename(stem)}#{clip_index:03d}"


def missing_videos(
  video_dirs: Mapping[str, epath.PathLike], stems: Sequence[str]
) -> list[str]:
  """Full paths of the listed videos absent from their extracted archive."""
  absent = []
  for stem in sorted(stems):
    action = parse_stem(stem)[0]
    root = epath.Path(video_dirs[action])
    absent.extend(
      str(root / name)
      for name in video_io.missing_files(root, [video_filename(stem)])
    )
  return absent


def unlisted_videos(
  video_dirs: Mapping[str, epath.PathLike], stems: Sequence[str]
) -> list[str]:
  """Full paths of the `*_uncomp.avi` files in the folders not in `stems`."""
  listed = {video_filename(stem) for stem in stems}
  return sorted(
    str(path)
    for root in video_dirs.values()
    for path in epath.Path(root).glob("*_uncomp.avi")
    if path.name not in listed
  )


def _listing(paths: list[str]) -> str:
  shown = "\n".join(f"  {path}" for path in paths[:_LISTED_IN_MESSAGES])
  if len(paths) > _LISTED_IN_MESSAGES:
    shown += f"\n  ... and {len(paths) - _LISTED_IN_MESSAGES} more"
  return shown


def _missing_message(absent: list[str], num_listed: int) -> str:
  shown = _listing(absent)
  return (
    f"KTH: {len(absent)} of the {num_listed} videos that 00sequences.txt "
    f"lists are not in the extracted archives:\n{shown}\n"
    f"Each <action>.zip of {HOMEPAGE} holds its videos at its top level, "
    "as personXX_<action>_dY_uncomp.avi, and the paths above are where the "
    "extracted copy should have them. Put the files there, or delete the "
    "archive's download and extraction under <data_dir>/downloads (or "
    "prepare with download_mode=FORCE_REDOWNLOAD) to fetch it again."
  )


@dataclasses.dataclass(eq=False)
class KthConfig(tfds.core.BuilderConfig):
  """Which actions, which split rule, how long the clips."""

  actions: tuple[str, ...] = ACTIONS
  split_rule: str = "person"
  clip_length: int = CLIP_LENGTH


class Kth(
  video_utils.NumpyVideoDataSourceMixin, tfds.core.GeneratorBasedBuilder
):
  """KTH actions as 16-frame 64x64 grey clips, split as each paper does."""

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {
    "1.0.0": "Initial release.",
  }
  BUILDER_CONFIGS = [
    KthConfig(
      name="inbetween3d",
      description=(
        "All six actions; train persons 1-15, validation 16, test 17-25."
      ),
      actions=ACTIONS,
      split_rule="person",
    ),
    KthConfig(
      name="handwaving",
      description="Hand-waving only; 80/20 train/test over videos.",
      actions=("handwaving",),
      split_rule="videos_80_20",
    ),
  ]
  DEFAULT_BUILDER_CONFIG_NAME = "inbetween3d"

  def _info(self) -> tfds.core.DatasetInfo:
    cfg = self.builder_config
    return self.dataset_info_from_configs(
      features=tfds.features.FeaturesDict(
        {
          "video": tfds.features.Video(
            shape=(cfg.clip_length, FRAME_SIZE, FRAME_SIZE, 1),
            encoding_format="png",
          ),
          "action": tfds.features.ClassLabel(names=list(ACTIONS)),
          "person": tfds.features.ClassLabel(names=list(PERSONS)),
          "scenario": tfds.features.ClassLabel(names=list(SCENARIOS)),
          "id": tfds.features.Text(),
          "start_frame": tfds.features.Scalar(dtype=np.int32),
          "subsequence": tfds.features.Scalar(dtype=np.int32),
        }
      ),
      supervised_keys=None,
      homepage=HOMEPAGE,
    )

  def _split_generators(self, dl_manager: tfds.download.DownloadManager):
    cfg = self.builder_config
    urls = {SEQUENCES_KEY: SEQUENCES_URL}
    urls.update({action: archive_url(action) for action in cfg.actions})
    paths = dl_manager.download_and_extract(urls)
    sequences_path = epath.Path(paths[SEQUENCES_KEY])
    index = parse_sequences(
      # Latin-1 reads any byte; the file itself is ASCII.
      sequences_path.read_bytes().decode("latin-1"),
      str(sequences_path),
    )
    stems = [s for s in index.ranges if parse_stem(s)[0] in cfg.actions]
    if not stems:
      raise ValueError(
        f"{sequences_path} lists no video of {cfg.actions}; is it the KTH "
        f"sequences file from {SEQUENCES_URL}?"
      )
    video_dirs = {action: paths[action] for action in cfg.actions}
    absent = missing_videos(video_dirs, stems)
    if absent:
      raise FileNotFoundError(_missing_message(absent, len(stems)))
    unlisted = unlisted_videos(video_dirs, stems)
    if unlisted:
      # Not an error: the roster defines the splits, and an extra file is
      # most likely something added by hand. But never dropped silently.
      _LOG.warning(
        "kth/%s: videos in the extracted archives that %s does not list "
        "(or lists as *missing*) are not used (%d):\n%s",
        cfg.name,
        sequences_path,
        len(unlisted),
        _listing(unlisted),
      )
    return {
      split: self._generate_examples(split, split_stems, video_dirs, index)
      for split, split_stems in SPLIT_RULES[cfg.split_rule](stems).items()
    }

  def _generate_examples(
    self,
    split: str,
    stems: list[str],
    video_dirs: Mapping[str, epath.PathLike],
    index: SequenceIndex,
  ):
    cfg = self.builder_config
    skipped = video_io.SkippedFiles(f"kth/{cfg.name}", split)
    paths = [
      epath.Path(video_dirs[parse_stem(stem)[0]]) / video_filename(stem)
      for stem in stems
    ]
    for path, frames in video_io.read_videos_skipping(paths, skipped):
      stem = path.name.removesuffix("_uncomp.avi")
      action, person, scenario = parse_stem(stem)
      video = preprocess(frames)
      clips = video_io.split_into_clips(video, cfg.clip_length)
      if not clips:
        _LOG.warning(
          "kth/%s/%s: %s has %d frames, fewer than one %d-frame clip; it "
          "gives no example.",
          cfg.name,
          split,
          path,
          len(video),
          cfg.clip_length,
        )
      starts = clip_starts(len(video), cfg.clip_length)
      for clip_index, (start, clip) in enumerate(zip(starts, clips)):
        key = clip_id(stem, clip_index)
        example = {
          # TFDS's own per-frame PNG encoding is ~25x slower.
          "video": video_utils.encode_png_frames(clip),
          "action": action,
          "person": PERSONS[person - 1],
          "scenario": SCENARIOS[scenario - 1],
          "id": key,
          "start_frame": start,
          "subsequence": subsequence_of(
            start, index.ranges[stem], cfg.clip_length
          ),
        }
        yield key, example
