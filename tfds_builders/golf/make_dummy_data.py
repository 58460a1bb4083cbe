"""Writes dummy_data/: VGAN's golf and beach archives and golf's index, tiny.

Run from the repo root:
  python -m tfds_builders.golf.make_dummy_data

The format is the real one: `<scene>.tar.bz2` holding
`frames-stable-many/videos2/<digits>/<id>.mp4/<NNNN>.jpg`, with the folders
named after the digits of the id past the second, as in the real row
`videos2/3/2/1/4/7/1/6/7/4632147167.mp4/0000.jpg`; and, for golf only,
`golf.txt` listing those paths relative to `frames-stable-many/`, one per
line. Nothing public confirms a `beach.txt`, so there is none here, and
the beach config's tests cover the builder listing the archive itself. Each
JPEG is a clip, its 128x128 frames stacked vertically, 16 to 34 frames as
the stabilisation script writes them. The pictures are drawn here (a golfer
swinging on grass, waves on a beach), so the repository redistributes none
of the Flickr videos.
"""

from __future__ import annotations

import io
import tarfile

from etils import epath
import numpy as np
from PIL import Image

SIZE = 128
# Per scene, per video: the frame counts of its clips.
CLIP_FRAMES = {
  "golf": [
    [32, 20],
    [16],
    [34],
    [18, 17],
    [16],
    [20],
    [16, 16],
    [24],
    [16],
    [19],
  ],
  "beach": [[20], [16], [32], [17], [16]],
}
JPEG_QUALITY = 90
# The scenes with an index file upstream (golf.txt is confirmed).
INDEXED_SCENES = ("golf",)


def video_name(scene: str, video: int) -> str:
  """'videos2/<digits 3..10>/<id>.mp4' for a 10-digit Flickr-like id."""
  seed = 1000 * (scene == "beach") + video
  digits = str(np.random.default_rng(seed).integers(10**9, 10**10))
  return "videos2/" + "/".join(digits[2:]) + f"/{digits}.mp4"


def clip_names(scene: str) -> list[str]:
  """All clip paths of a scene, relative to frames-stable-many/."""
  return [
    f"{video_name(scene, v)}/{c:04d}.jpg"
    for v, clips in enumerate(CLIP_FRAMES[scene])
    for c in range(len(clips))
  ]


def draw_clip(scene: str, video: int, clip: int) -> np.ndarray:
  """uint8 [T, 128, 128, 3]: a static scene with one moving part."""
  num_frames = CLIP_FRAMES[scene][video][clip]
  rng = np.random.default_rng([video, clip, scene == "beach"])
  yy, xx = np.mgrid[:SIZE, :SIZE].astype(np.float32)
  horizon = rng.uniform(50, 70)
  sky = np.stack([120 + yy, 160 + yy / 2, np.full_like(yy, 235)], -1)
  if scene == "golf":
    ground = np.stack([60 + 0 * yy, 140 + 20 * np.sin(xx / 9), 60 + 0 * yy], -1)
  else:
    ground = np.stack([220 + 0 * yy, 200 + 0 * yy, 150 + 10 * np.sin(yy)], -1)
  background = np.where((yy > horizon)[..., None], ground, sky)
  frames = []
  for t in range(num_frames):
    frame = background.copy()
    if scene == "golf":
      # A golfer: a dark body and a club that swings round the hands.
      x0 = 40 + 6 * video
      frame[int(horizon) - 10 : int(horizon) + 30, x0 : x0 + 8] = (40, 40, 60)
      angle = np.pi * (0.2 + 1.6 * t / num_frames)
      for r in range(24):
        y = int(horizon + 2 + r * np.cos(angle))
        x = int(x0 + 4 + r * np.sin(angle))
        if 0 <= y < SIZE and 0 <= x < SIZE:
          frame[y, x] = (230, 230, 230)
    else:
      # A wave: a white band running up the beach and back.
      crest = horizon + 20 + 15 * np.sin(2 * np.pi * t / 16 + video)
      frame[np.abs(yy - crest) < 3] = (245, 245, 250)
    frames.append(frame)
  return np.clip(np.stack(frames), 0, 255).astype(np.uint8)


def encode_clip(video: np.ndarray) -> bytes:
  """[T, 128, 128, 3] -> one JPEG of the frames stacked vertically."""
  buffer = io.BytesIO()
  Image.fromarray(video.reshape(-1, SIZE, 3)).save(
    buffer, format="JPEG", quality=JPEG_QUALITY
  )
  return buffer.getvalue()


def write_archive(path: epath.PathLike, members: dict[str, bytes]) -> None:
  """A .tar.bz2 of frames-stable-many/<name> files (fixed mtime)."""
  with tarfile.open(str(path), "w:bz2") as tar:
    for name, data in members.items():
      info = tarfile.TarInfo(f"frames-stable-many/{name}")
      info.size, info.mtime = len(data), 0
      tar.addfile(info, io.BytesIO(data))


def write(out: epath.PathLike) -> None:
  out = epath.Path(out)
  out.mkdir(parents=True, exist_ok=True)
  for scene, videos in CLIP_FRAMES.items():
    members = {}
    for v, clips in enumerate(videos):
      for c in range(len(clips)):
        members[f"{video_name(scene, v)}/{c:04d}.jpg"] = encode_clip(
          draw_clip(scene, v, c)
        )
    write_archive(out / f"{scene}.tar.bz2", members)
    index = out / f"{scene}.txt"
    if scene in INDEXED_SCENES:
      index.write_text("\n".join(clip_names(scene)) + "\n")
    else:
      index.unlink(missing_ok=True)
    print(out / f"{scene}.tar.bz2", len(members), "clips")


def main() -> None:
  write(epath.Path(__file__).parent / "dummy_data")


if __name__ == "__main__":
  main()
