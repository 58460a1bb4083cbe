"""Writes dummy_data/: 36 tiny UCF101-format videos and the split lists.

Run from the repo root:
  python -m tfds_builders.ucf101.make_dummy_data

The videos are our own drawings (a disc crossing a gradient), so the
repository redistributes none of UCF101. The format is the real one, as the
two archives extract:

  videos/UCF101/v_<Action>_gXX_cYY.avi       320x240, 25 fps, MPEG-4 Part 2
  splits/ucfTrainTestlist/classInd.txt       all 101 classes
  splits/ucfTrainTestlist/trainlist01.txt    `<Action>/<file>.avi <label>`
  splits/ucfTrainTestlist/testlist01.txt     `<Action>/<file>.avi`

Three actions: the first and last of classInd.txt, and HandstandPushups,
whose files the zip names `v_HandstandPushups_*` while the lists say
`v_HandStandPushups_*`. As in split 1, test groups are g01-g07 and train
groups g08-g25. 30 trainlist entries make a 2-video validation split.
The other lists of the real zip (trainlist02, ...) are not read, so they are
left out. Each video has NUM_FRAMES frames (>= the 16 of a clip).
"""

from __future__ import annotations

from etils import epath
import numpy as np

from tfds_builders import video_io
from tfds_builders.ucf101 import ucf101_dataset_builder as ucf

ACTIONS = ("ApplyEyeMakeup", "HandstandPushups", "YoYo")
# (group, clip) pairs of each action.
TRAIN_CLIPS = (
  (8, 1),
  (8, 2),
  (9, 1),
  (11, 1),
  (13, 1),
  (15, 1),
  (17, 1),
  (19, 3),
  (22, 1),
  (25, 1),
)
TEST_CLIPS = ((1, 1), (7, 2))
NUM_FRAMES = 18
WIDTH, HEIGHT, FPS = 320, 240, 25
DUMMY = epath.Path(__file__).parent / "dummy_data"


def list_name(action: str, group: int, clip: int) -> str:
  """The file name as the split lists spell it."""
  spelled = "HandStandPushups" if action == "HandstandPushups" else action
  return f"v_{spelled}_g{group:02d}_c{clip:02d}.avi"


def zip_name(action: str, group: int, clip: int) -> str:
  """The file name as the THUMOS zip spells it."""
  return f"v_{action}_g{group:02d}_c{clip:02d}.avi"


def draw_video(action: int, group: int, clip: int) -> np.ndarray:
  """A disc (colour from the action) crossing a gradient (from the group)."""
  rows = np.linspace(0, 1, HEIGHT)[:, None, None]
  cols = np.linspace(0, 1, WIDTH)[None, :, None]
  tint = np.array([group * 10 % 256, 120, 255 - group * 10 % 256])
  background = (60 + 100 * rows + 60 * cols) * tint / 255
  colour = np.array([(action * 90) % 256, 220, (clip * 70) % 256])
  y, x = np.mgrid[:HEIGHT, :WIDTH]
  frames = []
  for t in range(NUM_FRAMES):
    centre_x = 60 + (WIDTH - 120) * t / (NUM_FRAMES - 1)
    centre_y = HEIGHT / 2 + 40 * np.sin(t / 3 + clip)
    disc = ((x - centre_x) ** 2 + (y - centre_y) ** 2 < 30**2)[..., None]
    frames.append(np.where(disc, colour, background))
  return np.clip(np.stack(frames), 0, 255).astype(np.uint8)


def main() -> None:
  videos = DUMMY / "videos" / ucf.VIDEOS_FOLDER
  lists = DUMMY / "splits" / ucf.LISTS_FOLDER
  videos.mkdir(parents=True, exist_ok=True)
  lists.mkdir(parents=True, exist_ok=True)
  # CRLF line ends: the harder case for the parser (LF works too).
  (lists / ucf.CLASS_INDEX_FILE).write_bytes(
    "".join(
      f"{i} {name}\r\n" for i, name in enumerate(ucf.ACTIONS, start=1)
    ).encode()
  )
  train_lines, test_lines = [], []
  for action in ACTIONS:
    label = ucf.ACTIONS.index(action) + 1
    for clips, lines in ((TRAIN_CLIPS, train_lines), (TEST_CLIPS, test_lines)):
      for group, clip in clips:
        entry = f"{action}/{list_name(action, group, clip)}"
        lines.append(f"{entry} {label}" if lines is train_lines else entry)
        path = videos / zip_name(action, group, clip)
        video_io.write_video(path, draw_video(label, group, clip), fps=FPS)
        print(path)
  (lists / ucf.TRAIN_LIST_FILE).write_bytes(
    "".join(line + "\r\n" for line in train_lines).encode()
  )
  (lists / ucf.TEST_LIST_FILE).write_bytes(
    "".join(line + "\r\n" for line in test_lines).encode()
  )


if __name__ == "__main__":
  main()
