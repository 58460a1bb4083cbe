"""Writes dummy_data/: 5 strips per class in the exact MoCoGAN file format.

Run from the repo root:
  python -m tfds_builders.mocogan_shapes.make_dummy_data

The strips are drawn by our own `shape_motion` code rather than cropped from
the MoCoGAN files, so the repository redistributes none of their data. The
format is the real one: 2048x64 RGBA PNG (alpha 255), 32 frames of 64x64
side by side, bottom->top videos in `0/`, right->left in `1/`, 8-digit file
numbers unique across both folders. Both shapes appear in both folders.
"""

from __future__ import annotations

from etils import epath

from tfds_builders import mocogan_strips
from tfds_builders.shape_motion import shape_motion_dataset_builder as sm

PER_CLASS = 5
_CONFIG = sm.ShapeMotionConfig(name="dummy", num_frames=32, size=64, seed=2018)
_FOLDERS = {"bottom_to_top": "0", "right_to_left": "1"}


def pick_videos() -> dict[str, list[int]]:
  """Video indices for each folder: PER_CLASS each, both shapes in each."""
  chosen = {folder: [] for folder in _FOLDERS.values()}
  shapes = {folder: set() for folder in _FOLDERS.values()}
  index = 0
  while any(len(v) < PER_CLASS for v in chosen.values()):
    ex = sm.generate_video(_CONFIG, index)
    folder = _FOLDERS[ex["direction"]]
    # Keep the last slot of a folder for a shape it has not seen yet.
    last_slot = len(chosen[folder]) == PER_CLASS - 1
    if len(chosen[folder]) < PER_CLASS and not (
      last_slot and len(shapes[folder]) < 2 and ex["shape"] in shapes[folder]
    ):
      chosen[folder].append(index)
      shapes[folder].add(ex["shape"])
    index += 1
  return chosen


def main() -> None:
  out = epath.Path(__file__).parent / "dummy_data"
  for folder, indices in pick_videos().items():
    (out / folder).mkdir(parents=True, exist_ok=True)
    for index in indices:
      video = sm.generate_video(_CONFIG, index)["video"]
      (out / folder / f"{index:08d}.png").write_bytes(
        mocogan_strips.encode_strip(video)
      )
      print(out / folder / f"{index:08d}.png")


if __name__ == "__main__":
  main()
