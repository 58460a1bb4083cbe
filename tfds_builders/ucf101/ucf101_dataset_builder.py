"""UCF101 action videos, centre-cropped to 64x64 RGB, whole videos.

Source: UCF101 (Soomro, Zamir and Shah, 2012; https://www.crcv.ucf.edu/
data/UCF101.php), 13,320 YouTube clips of 101 actions, 320x240 at 25 fps,
AVI with MPEG-4 Part 2 (Xvid) video, each named `v_<Action>_gXX_cYY.avi`
where gXX (01-25) is the group of clips cut from one long video (same actor
and scene) and cYY the clip within it. The official site ships a .rar that
TFDS cannot extract, so the videos come from the THUMOS'14 zip of the same
files (`UCF101/v_*.avi`, flat), and the split lists from the official
`UCF101TrainTestSplits-RecognitionTask.zip` (`ucfTrainTestlist/classInd.txt`,
`trainlist01.txt`, `testlist01.txt`, ...). Both archives are checksummed in
`checksums.tsv`.

Follows App. B of "From Here to There: Video Inbetweening Using Direct 3D
Convolutions" (Li, Roblek and Tagliasacchi, 2019):

* B.1: every frame centre-cropped to a square and down-sampled to 64x64,
  kept RGB. The paper takes a random 16-frame sub-sequence of each video for
  training and the centre one for evaluation, so whole videos are stored
  (variable length) and the input pipeline cuts the windows.
* B.2: `test` = testlist01.txt; `validation` = a random 5% of
  trainlist01.txt; `train` = the other 95%.

What we chose where the paper is silent:

* The 5%: sort the trainlist01 entries, permute them with
  `np.random.default_rng(0).permutation`, and take the first
  round(5% of n) (halves rounded up) as `validation`: 477 of the 9,537
  entries, leaving 9,060 for `train`. Validation videos share groups
  (actors, scenes) with train ones, as any random 5% of videos would.
* Down-sampling uses `video_io.resize` (antialiased bilinear); no temporal
  resampling (the dataset paper gives 25 fps).
* A video shorter than the paper's 16-frame clip would break the pipeline's
  window, so it is dropped with a warning; we expect no UCF101 video to
  be (its clips last a second or more).
* A file that cannot be decoded is skipped with a warning naming it and a
  per-split count (`video_io.SkippedFiles`); a listed file missing from the
  extracted archive stops the build with the list of missing files, since
  the archive is checksummed and a gap means a broken extraction.
* The zip spells one class `v_HandstandPushups_*` where the lists (and the
  .rar) say `v_HandStandPushups_*`, so list entries are matched to files
  case-insensitively. `id` keeps the lists' spelling, e.g.
  `v_HandStandPushups_g01_c01`; it is also the example key.
* `action` uses the 101 names of classInd.txt in its order (the label is
  the classInd number minus one); the class comes from the list entry's
  folder, the official class name. `group` is gXX as a label 'g01'..'g25'.

TFDS ships its own `ucf101` builder (JPEG frames, train/test only) and
registers that name on import. This one is not registered with TFDS, so both
coexist: video_inference finds it through `tfds_builders.DATASETS["ucf101"]`
(`python -m video_inference.prepare --dataset=ucf101`), while
`tfds.builder("ucf101")` stays TFDS's. The records go to
`<data_dir>/ucf101/1.0.0`, beside TFDS's `<data_dir>/ucf101/ucf101_1_256/`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from etils import epath
import numpy as np
import tensorflow_datasets as tfds

from tfds_builders import video_io
from tfds_builders import video_utils

NAME = "ucf101"
VIDEOS_URL = "https://storage.googleapis.com/thumos14_files/UCF101_videos.zip"
SPLITS_URL = (
  "https://www.crcv.ucf.edu/data/UCF101/"
  "UCF101TrainTestSplits-RecognitionTask.zip"
)
VIDEOS_FOLDER = "UCF101"  # The top folder inside the videos zip.
LISTS_FOLDER = "ucfTrainTestlist"  # The top folder inside the splits zip.
CLASS_INDEX_FILE = "classInd.txt"
TRAIN_LIST_FILE = "trainlist01.txt"
TEST_LIST_FILE = "testlist01.txt"

# classInd.txt, in its order: action label i is line i + 1 of that file.
ACTIONS = tuple(
  """
  ApplyEyeMakeup ApplyLipstick Archery BabyCrawling BalanceBeam BandMarching
  BaseballPitch Basketball BasketballDunk BenchPress Biking Billiards
  BlowDryHair BlowingCandles BodyWeightSquats Bowling BoxingPunchingBag
  BoxingSpeedBag BreastStroke BrushingTeeth CleanAndJerk CliffDiving
  CricketBowling CricketShot CuttingInKitchen Diving Drumming Fencing
  FieldHockeyPenalty FloorGymnastics FrisbeeCatch FrontCrawl GolfSwing Haircut
  Hammering HammerThrow HandstandPushups HandstandWalking HeadMassage HighJump
  HorseRace HorseRiding HulaHoop IceDancing JavelinThrow JugglingBalls
  JumpingJack JumpRope Kayaking Knitting LongJump Lunges MilitaryParade Mixing
  MoppingFloor Nunchucks ParallelBars PizzaTossing PlayingCello PlayingDaf
  PlayingDhol PlayingFlute PlayingGuitar PlayingPiano PlayingSitar
  PlayingTabla PlayingViolin PoleVault PommelHorse PullUps Punch PushUps
  Rafting RockClimbingIndoor RopeClimbing Rowing SalsaSpin ShavingBeard
  Shotput SkateBoarding Skiing Skijet SkyDiving SoccerJuggling SoccerPenalty
  StillRings SumoWrestling Surfing Swing TableTennisShot TaiChi TennisSwing
  ThrowDiscus TrampolineJumping Typing UnevenBars VolleyballSpiking
  WalkingWithDog WallPushups WritingOnBoard YoYo
""".split()
)
NUM_GROUPS = 25
GROUPS = tuple(f"g{group:02d}" for group in range(1, NUM_GROUPS + 1))
FRAME_SIZE = 64
# The paper's clip length: a shorter video has no 16-frame window.
MIN_NUM_FRAMES = 16
VALIDATION_PERCENT = 5
SPLIT_SEED = 0

# A list entry: `<Action>/v_<Action>_gXX_cYY.avi`; the file name's action
# may differ from the folder's in case (HandStandPushups).
_ENTRY = re.compile(
  r"(?P<folder>[A-Za-z]+)/(?P<stem>v_[A-Za-z]+_g(?P<group>\d{2})_c\d{2})"
  r"\.avi"
)
_LISTED_IN_ERRORS = 20

_LAYOUT = f"""\
The builder downloads and extracts two archives:
  {VIDEOS_URL}
    -> {VIDEOS_FOLDER}/v_<Action>_gXX_cYY.avi  (13,320 files, flat)
  {SPLITS_URL}
    -> {LISTS_FOLDER}/{CLASS_INDEX_FILE}, {TRAIN_LIST_FILE}, \
{TEST_LIST_FILE}
If an extraction is incomplete, delete it under <data_dir>/downloads/extracted
and prepare again. Where a URL cannot be reached, download the zip by other
means and put it, under the same file name (UCF101_videos.zip,
UCF101TrainTestSplits-RecognitionTask.zip), in the manual dir
(`--manual_dir=DIR`, default <data_dir>/downloads/manual/): TFDS takes it
from there and checks its sha256."""


def _listing(names: Sequence[str]) -> str:
  shown = "\n".join(f"  {name}" for name in names[:_LISTED_IN_ERRORS])
  more = len(names) - _LISTED_IN_ERRORS
  return shown + (f"\n  ... and {more} more" if more > 0 else "")


def parse_class_index(text: str) -> list[str]:
  """classInd.txt (`<1-based index> <Action>` per line) -> names in order."""
  names = []
  for line in text.splitlines():
    if not line.strip():
      continue
    index, name = line.split()
    if int(index) != len(names) + 1:
      raise ValueError(
        f"{CLASS_INDEX_FILE}: line {line!r} should have index {len(names) + 1}."
      )
    names.append(name)
  return names


def parse_list(text: str) -> list[str]:
  """A train/test list -> its entries `<Action>/v_<Action>_gXX_cYY.avi`.

  trainlist lines end in the 1-based class index, testlist lines do not;
  line ends may be LF or CRLF.
  """
  return [line.split()[0] for line in text.splitlines() if line.strip()]


def parse_entry(entry: str) -> dict[str, str]:
  """`Archery/v_Archery_g08_c01.avi` -> action, group, id of the entry."""
  match = _ENTRY.fullmatch(entry)
  if not match:
    raise ValueError(
      f"Unexpected list entry {entry!r}; expected "
      "'<Action>/v_<Action>_gXX_cYY.avi'."
    )
  if match["folder"] not in ACTIONS:
    raise ValueError(
      f"List entry {entry!r}: unknown action {match['folder']!r}."
    )
  group = int(match["group"])
  if not 1 <= group <= NUM_GROUPS:
    raise ValueError(f"List entry {entry!r}: group outside 1..{NUM_GROUPS}.")
  return {
    "action": match["folder"],
    "group": GROUPS[group - 1],
    "id": match["stem"],
  }


def num_validation(num_train_entries: int) -> int:
  """VALIDATION_PERCENT of the trainlist, rounded half up (477 of 9537)."""
  return (num_train_entries * VALIDATION_PERCENT + 50) // 100


def split_entries(
  train_list: Iterable[str], test_list: Iterable[str]
) -> dict[str, list[str]]:
  """The split rule (App. B.2), each split sorted.

  test = the testlist; validation = the first num_validation(n) of the
  sorted trainlist permuted by default_rng(SPLIT_SEED); train = the rest.
  """
  train_list, test_list = sorted(set(train_list)), sorted(set(test_list))
  both = sorted(set(train_list) & set(test_list))
  if both:
    raise ValueError(
      f"{len(both)} entries are in both {TRAIN_LIST_FILE} and "
      f"{TEST_LIST_FILE}:\n{_listing(both)}"
    )
  order = np.random.default_rng(SPLIT_SEED).permutation(len(train_list))
  held_out = order[: num_validation(len(train_list))]
  validation = sorted(train_list[i] for i in held_out)
  train = sorted(set(train_list) - set(validation))
  return {"train": train, "validation": validation, "test": test_list}


def read_lists(lists_dir: epath.PathLike) -> tuple[list[str], list[str]]:
  """Checks classInd.txt and returns (trainlist01, testlist01) entries."""
  lists_dir = epath.Path(lists_dir)
  needed = (CLASS_INDEX_FILE, TRAIN_LIST_FILE, TEST_LIST_FILE)
  missing = video_io.missing_files(lists_dir, needed)
  if missing:
    raise FileNotFoundError(
      f"Missing in {lists_dir}:\n{_listing(missing)}\n{_LAYOUT}"
    )
  actions = parse_class_index((lists_dir / CLASS_INDEX_FILE).read_text())
  if tuple(actions) != ACTIONS:
    raise ValueError(
      f"{lists_dir / CLASS_INDEX_FILE} does not list the 101 UCF101 "
      f"actions in the expected order; it lists {len(actions)}: "
      f"{actions[:5]} ..."
    )
  lists = []
  for name in (TRAIN_LIST_FILE, TEST_LIST_FILE):
    entries = parse_list((lists_dir / name).read_text())
    for entry in entries:  # Fails now rather than hours into the build.
      try:
        parse_entry(entry)
      except ValueError as error:
        raise ValueError(f"{lists_dir / name}: {error}") from error
    lists.append(entries)
  return lists[0], lists[1]


def index_videos(videos_dir: epath.PathLike) -> dict[str, epath.Path]:
  """Lower-cased file name -> path of each .avi in the extracted folder."""
  videos_dir = epath.Path(videos_dir)
  if not videos_dir.is_dir():
    return {}
  return {
    path.name.lower(): path
    for path in videos_dir.iterdir()
    if path.suffix.lower() == ".avi"
  }


def locate_videos(
  videos: dict[str, epath.Path], entries: Sequence[str], videos_dir: str
) -> dict[str, epath.Path]:
  """List entry -> its file; raises listing every entry without one."""
  found, missing = {}, []
  for entry in entries:
    path = videos.get(entry.rsplit("/", 1)[-1].lower())
    if path is None:
      missing.append(entry)
    else:
      found[entry] = path
  if missing:
    raise FileNotFoundError(
      f"{len(missing)} of the {len(entries)} listed videos are not in "
      f"{videos_dir}:\n{_listing(missing)}\n{_LAYOUT}"
    )
  return found


def preprocess(video: np.ndarray) -> np.ndarray:
  """uint8 [T, H, W, 3] -> centre square, 64x64 (App. B.1)."""
  return video_io.centre_crop_resize(video, FRAME_SIZE)


def load_example(entry: str, path: epath.PathLike) -> dict:
  """One video as an example with a numpy `video` (not yet PNG-encoded)."""
  example = parse_entry(entry)
  example["video"] = preprocess(video_io.read_video(path))
  return example


class Ucf101(
  video_utils.NumpyVideoDataSourceMixin,
  tfds.core.GeneratorBasedBuilder,
  skip_registration=True,  # The name is TFDS's own builder's (see above).
):
  """UCF101 at 64x64 with the inbetweening paper's train/validation/test."""

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {
    "1.0.0": "Initial release: split 1, 5% validation, 64x64 whole videos.",
  }

  def _info(self) -> tfds.core.DatasetInfo:
    return self.dataset_info_from_configs(
      features=tfds.features.FeaturesDict(
        {
          "video": tfds.features.Video(
            shape=(None, FRAME_SIZE, FRAME_SIZE, 3),
            encoding_format="png",
          ),
          "action": tfds.features.ClassLabel(names=list(ACTIONS)),
          "group": tfds.features.ClassLabel(names=list(GROUPS)),
          "id": tfds.features.Text(),
        }
      ),
      supervised_keys=None,
      homepage="https://www.crcv.ucf.edu/data/UCF101.php",
    )

  def _split_generators(self, dl_manager: tfds.download.DownloadManager):
    paths = dl_manager.download_and_extract(
      {"videos": VIDEOS_URL, "splits": SPLITS_URL}
    )
    train_list, test_list = read_lists(paths["splits"] / LISTS_FOLDER)
    videos_dir = paths["videos"] / VIDEOS_FOLDER
    files = locate_videos(
      index_videos(videos_dir), train_list + test_list, str(videos_dir)
    )
    return {
      split: self._generate_examples(split, entries, files)
      for split, entries in split_entries(train_list, test_list).items()
    }

  def _generate_examples(self, split: str, entries, files):
    skipped = video_io.SkippedFiles(NAME, split)
    for entry in entries:
      path = files[entry]
      try:
        example = load_example(entry, path)
      except video_io.CorruptVideoError as error:
        skipped.skip(str(path), error)
        continue
      num_frames = len(example["video"])
      if num_frames < MIN_NUM_FRAMES:
        skipped.skip(
          str(path),
          f"{num_frames} frames, fewer than the {MIN_NUM_FRAMES} of a clip",
        )
        continue
      skipped.ok()
      # TFDS's own per-frame PNG encoding is ~25x slower.
      example["video"] = video_utils.encode_png_frames(example["video"])
      yield example["id"], example
    skipped.summary()
