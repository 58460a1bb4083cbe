"""Writes dummy_data/: all 93 Weizmann file names, drawn by a stick figure.

Run from the repo root:
  python -m tfds_builders.weizmann.make_dummy_data

The real archives are one zip per action whose files sit at the zip's root
(`walk.zip` -> `daria_walk.avi`, ..., `lena_walk1.avi`, `lena_walk2.avi`).
`dummy_data/<action>/` stands for each extracted zip, with the same 93 file
names, in the same container (AVI, MPEG-4 Part 2), frame size (180x144) and
frame rate (50 fps), but 28-33 frames each (one has 12) instead of 28-146,
and a stick figure on a plain two-tone wall instead of a person: the
repository redistributes none of the real data.

`render_video` is also the drawing code of `mocogan_actions`' dummy data.
Each of the 9 persons has their own wall colour, clothes colours and
standing place; locomotion actions (walk, run, skip, side, jump) cross the
frame, the others stay in place, as in the real videos.
"""

from __future__ import annotations

import math

from etils import epath
import numpy as np
from PIL import Image
from PIL import ImageDraw

from tfds_builders import video_io
from tfds_builders.weizmann import weizmann_dataset_builder as wz

FPS = 50
HEIGHT, WIDTH = 144, 180
# The real files have 28-146 frames; 28 is the shortest whose last third
# still holds the 10 frames videovae trains on.
MIN_FRAMES, MAX_FRAMES = 28, 33
# One file shorter than every clip length, so builds exercise the padding.
SHORT_FILE, SHORT_FRAMES = "ido_pjump.avi", 12
LOCOMOTION = ("jump", "run", "side", "skip", "walk")


def num_frames(name: str) -> int:
  """Deterministic length of one file: SHORT_FRAMES or in MIN..MAX_FRAMES."""
  if name == SHORT_FILE:
    return SHORT_FRAMES
  person, action, take = wz.parse_file_name(name)
  seed = 7 * wz.PERSONS.index(person) + 3 * wz.ACTIONS.index(action) + 5 * take
  return MIN_FRAMES + seed % (MAX_FRAMES - MIN_FRAMES + 1)


def _colour(seed: int) -> tuple[int, int, int]:
  rng = np.random.default_rng(seed)
  return tuple(int(c) for c in rng.integers(20, 140, size=3))


def _wall(person: int, height: int, width: int) -> np.ndarray:
  """A light wall, darker below, tinted per person (the recording session)."""
  tint = np.random.default_rng(1000 + person).integers(-25, 25, size=3)
  wall = np.empty((height, width, 3), np.int32)
  wall[:] = np.array([200, 190, 175]) + tint
  wall[height * 3 // 5 :] -= 35
  return np.clip(wall, 0, 255).astype(np.uint8)


def _end(x: float, y: float, length: float, degrees: float):
  """End of a limb of `length` at `degrees` from straight down."""
  angle = math.radians(degrees)
  return x + length * math.sin(angle), y + length * math.cos(angle)


def _pose(action: str, phase: float) -> dict[str, float]:
  """Limb angles (degrees from down) and vertical bob for one frame."""
  swing = math.sin(phase)
  pose = {
    "left_arm": 15,
    "right_arm": -15,
    "left_leg": 5,
    "right_leg": -5,
    "torso": 0,
    "bob": 0,
  }
  if action in ("walk", "run", "skip", "side"):
    amplitude = 35 if action == "run" else 25
    pose.update(
      left_leg=amplitude * swing,
      right_leg=-amplitude * swing,
      left_arm=-amplitude * swing,
      right_arm=amplitude * swing,
    )
    if action in ("skip", "side"):
      pose["bob"] = 6 * abs(swing)
  elif action in ("jump", "pjump"):
    pose["bob"] = 12 * abs(swing)
  elif action == "jack":
    open_ = 0.5 * (1 - math.cos(phase))
    pose.update(
      left_arm=15 + 155 * open_,
      right_arm=-15 - 155 * open_,
      left_leg=5 + 20 * open_,
      right_leg=-5 - 20 * open_,
      bob=8 * open_,
    )
  elif action == "bend":
    pose["torso"] = 80 * 0.5 * (1 - math.cos(phase))
  elif action in ("wave1", "wave2"):
    pose["right_arm"] = -(130 + 40 * swing)
    if action == "wave2":
      pose["left_arm"] = 130 + 40 * swing
  return pose


def render_frame(
  person: int,
  action: str,
  t: int,
  length: int,
  height: int = HEIGHT,
  width: int = WIDTH,
) -> np.ndarray:
  """One uint8 [height, width, 3] frame of `person` doing `action` at t."""
  image = Image.fromarray(_wall(person, height, width))
  draw = ImageDraw.Draw(image)
  scale = height / HEIGHT
  if action in LOCOMOTION:
    direction = 1 if person % 2 == 0 else -1
    progress = t / max(length - 1, 1)
    x = width / 2 + direction * (progress - 0.5) * 0.7 * width
  else:
    x = width / 2 + (person - 4) * 5 * scale
  pose = _pose(action, 2 * math.pi * t / 12)
  hip_y = (92 - pose["bob"]) * scale
  leg, arm, torso = 38 * scale, 26 * scale, 30 * scale
  shirt, trousers = _colour(2 * person), _colour(2 * person + 1)
  thick = max(2, round(5 * scale))
  for side in ("left_leg", "right_leg"):
    draw.line(
      [(x, hip_y), _end(x, hip_y, leg, pose[side])], fill=trousers, width=thick
    )
  # The torso points up from the hip; bending tips it forward.
  neck = _end(x, hip_y, torso, 180 - pose["torso"])
  draw.line([(x, hip_y), neck], fill=shirt, width=thick + 2)
  for side in ("left_arm", "right_arm"):
    draw.line([neck, _end(*neck, arm, pose[side])], fill=shirt, width=thick)
  head = _end(*neck, 9 * scale, 180 - pose["torso"])
  radius = 7 * scale
  draw.ellipse(
    [head[0] - radius, head[1] - radius, head[0] + radius, head[1] + radius],
    fill=(225, 180, 150),
  )
  return np.asarray(image)


def render_video(
  person: int,
  action: str,
  length: int,
  height: int = HEIGHT,
  width: int = WIDTH,
) -> np.ndarray:
  return np.stack(
    [
      render_frame(person, action, t, length, height, width)
      for t in range(length)
    ]
  )


def write_avi(path: epath.PathLike, video: np.ndarray) -> None:
  """MPEG-4 Part 2 in AVI at FPS, compact: one key frame, a small index."""
  video_io.write_video(path, video, fps=FPS, key_frame_interval=64,
                       container_options={"reserve_index_space": "64"})


def main() -> None:
  out = epath.Path(__file__).parent / "dummy_data"
  for name in wz.all_file_names():
    person, action, _ = wz.parse_file_name(name)
    video = render_video(wz.PERSONS.index(person), action, num_frames(name))
    path = out / action / name
    path.parent.mkdir(parents=True, exist_ok=True)
    write_avi(path, video)
  total = sum(p.stat().length for p in out.glob("*/*.avi"))
  print(f"Wrote {len(list(out.glob('*/*.avi')))} files, {total} bytes.")


if __name__ == "__main__":
  main()
