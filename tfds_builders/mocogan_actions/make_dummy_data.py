"""Writes dummy_data/: 2 persons' blocks of MoCoGAN action strips, drawn.

Run from the repo root:
  python -m tfds_builders.mocogan_actions.make_dummy_data

The strips are drawn by the stick figure of `weizmann.make_dummy_data`
rather than cut from the MoCoGAN files, so the repository redistributes
none of their data. The format is the real one: RGBA PNG (alpha 255) named
`NNNNNNNN.jpg`, 64 pixels high, frames of 64x64 side by side, in folders
0/ (wave1), 1/ (wave2), 3/ (jack), 4/ (bend), numbered in blocks of 8 per
person with the same folder pattern (1 1 0 0 3 3 4 4), each odd file the
horizontal mirror of the even one before it. Two blocks (persons 0 and 1)
of 32-39 frames per strip instead of 9 blocks of 51-146.
"""

from __future__ import annotations


from etils import epath
import numpy as np

from tfds_builders import mocogan_strips
from tfds_builders.mocogan_actions import mocogan_actions_dataset_builder as ma
from tfds_builders.weizmann import make_dummy_data as weizmann_dummy

NUM_BLOCKS = 2


def num_frames(number: int) -> int:
  """Strip length of file `number`; a mirror has its original's length."""
  return ma.MIN_FRAMES + (5 * (number // 2)) % 8


def strip_video(number: int) -> np.ndarray:
  """uint8 [T, 64, 64, 3] of file `number`, mirrored when it is odd."""
  person, mirrored = ma.identity(f"{number:08d}.jpg")
  action = ma.FOLDER_TO_ACTION[ma.BLOCK_FOLDERS[number % 8]]
  video = weizmann_dummy.render_video(
    person,
    action,
    num_frames(number),
    height=ma.FRAME_SIZE,
    width=ma.FRAME_SIZE,
  )
  return video[:, :, ::-1] if mirrored else video


def main() -> None:
  out = epath.Path(__file__).parent / "dummy_data"
  for number in range(8 * NUM_BLOCKS):
    folder = out / ma.BLOCK_FOLDERS[number % 8]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{number:08d}.jpg"
    path.write_bytes(mocogan_strips.encode_strip(strip_video(number)))
  total = sum(p.stat().length for p in out.glob("*/*.jpg"))
  print(f"Wrote {8 * NUM_BLOCKS} strips, {total} bytes.")


if __name__ == "__main__":
  main()
