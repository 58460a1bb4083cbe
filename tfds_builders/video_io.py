"""Reading source videos and frames for the builders, and what they share.

* Decoding goes through PyAV, whose wheels carry the FFmpeg libraries, so a
  fresh machine needs no system ffmpeg. `read_video` returns every decoded
  frame as uint8 RGB; a file FFmpeg cannot open, one with no video stream,
  and one that decodes to clearly fewer frames than its container declares
  (truncated: the AVI index says how many it should hold) raise
  `CorruptVideoError` naming the file.
* `SkippedFiles` is how a builder skips such a file: it logs a warning naming
  the file and why, counts it, and `summary()` logs the count per split at the
  end, so a long build never dies halfway and a split never has a silent gap.
* Frame geometry: `centre_crop` to a square, `resize` with PIL's
  antialiased bilinear filter (the papers only say "down-sampled"; a plain
  bilinear tap would alias 320-pixel frames into 64), `to_grayscale` with the
  ITU-R 601 luma weights tf.image uses.
* Clip rules: `split_into_clips` cuts a video into consecutive
  non-overlapping clips and drops the remainder shorter than a clip (the
  papers "divide each video into clips"); `pad_to_length` repeats the last
  frame where a builder keeps short videos instead.
* `write_video` encodes frames into a real container: AVI/MPEG-4 Part 2 as
  the KTH, UCF101 and Weizmann archives (dummy data and tests), and the MP4s
  of sampled videos (H.264 from the libx264 inside PyAV's wheels).
"""

from __future__ import annotations

import io
import logging
import os
import tempfile
from typing import Iterable, Sequence

import av
from etils import epath
import numpy as np
from PIL import Image

# A file may declare one frame more than it decodes (seen with some AVI
# muxers); fewer than this is treated as a truncated file.
_MISSING_FRAMES_TOLERATED = 1
_NAMED_IN_SUMMARY = 10


class CorruptVideoError(ValueError):
  """A video file that cannot be decoded in full; the message names it."""


def read_video(path: epath.PathLike) -> np.ndarray:
  """All frames of a video file as uint8 [T, H, W, 3] RGB."""
  path = epath.Path(path)
  try:
    with path.open("rb") as f, av.open(f) as container:
      if not container.streams.video:
        raise CorruptVideoError(f"{path}: no video stream.")
      stream = container.streams.video[0]
      declared = stream.frames
      frames = [frame.to_ndarray(format="rgb24")
                for frame in container.decode(stream)]
  except CorruptVideoError:
    raise
  except (av.FFmpegError, OSError, ValueError) as e:
    raise CorruptVideoError(f"{path}: cannot decode ({e}).") from e
  if not frames:
    raise CorruptVideoError(f"{path}: no frame could be decoded.")
  if declared and len(frames) < declared - _MISSING_FRAMES_TOLERATED:
    raise CorruptVideoError(
        f"{path}: truncated, decoded {len(frames)} of the {declared} frames "
        "its container declares.")
  return np.stack(frames)


def write_video(path: epath.PathLike, video: np.ndarray, fps: int = 25,
                codec: str = "mpeg4", key_frame_interval: int | None = None,
                container_options: dict[str, str] | None = None,
                codec_options: dict[str, str] | None = None) -> None:
  """Encodes uint8 [T, H, W, 3] frames into `path` (container from suffix).

  `codec_options` are the encoder's own (libx264: {"crf": "12"}).

  For tiny dummy files: `key_frame_interval=64` makes one key frame per file
  (key frames are most of the bytes) and `container_options=
  {"reserve_index_space": "64"}` stops FFmpeg's AVI muxer reserving ~4 KB
  for an OpenDML index.
  """
  video = _checked_rgb_video(video)
  path = epath.Path(path)
  if "://" not in os.fspath(path):
    _encode(str(path), video, fps, codec, key_frame_interval,
            container_options, codec_options)
    return
  path.write_bytes(encode_video(video, path.suffix, fps, codec,
                                key_frame_interval, container_options,
                                codec_options))


def encode_video(video: np.ndarray, suffix: str, fps: int = 25,
                 codec: str = "mpeg4", key_frame_interval: int | None = None,
                 container_options: dict[str, str] | None = None,
                 codec_options: dict[str, str] | None = None) -> bytes:
  """`write_video`'s file as bytes, the container named by `suffix`."""
  video = _checked_rgb_video(video)
  # FFmpeg reopens the file by name to move an MP4's index to the front
  # (faststart), so the video is encoded to a scratch file, not to memory.
  with tempfile.TemporaryDirectory() as local_dir:
    local = epath.Path(local_dir) / f"video{suffix}"
    _encode(str(local), video, fps, codec, key_frame_interval,
            container_options, codec_options)
    return local.read_bytes()


def _checked_rgb_video(video) -> np.ndarray:
  video = np.asarray(video)
  if video.dtype != np.uint8 or video.ndim != 4 or video.shape[-1] != 3:
    raise ValueError(f"Expected uint8 [T, H, W, 3], got {video.dtype} "
                     f"{video.shape}.")
  return video


def _encode(path: str, video: np.ndarray, fps, codec, key_frame_interval,
            container_options, codec_options) -> None:
  with av.open(path, mode="w", options=container_options or {}) as container:
    stream = container.add_stream(codec, rate=fps,
                                  options=codec_options or {})
    stream.height, stream.width = video.shape[1:3]
    stream.pix_fmt = "yuv420p"
    if key_frame_interval:
      stream.codec_context.gop_size = key_frame_interval
    for frame in video:
      for packet in stream.encode(av.VideoFrame.from_ndarray(frame, "rgb24")):
        container.mux(packet)
    for packet in stream.encode():
      container.mux(packet)


def read_image(data: bytes, name: str) -> np.ndarray:
  """Image file bytes (PNG, JPEG, ...) -> uint8 [H, W, C] as stored."""
  try:
    with Image.open(io.BytesIO(data)) as image:
      image.load()  # Decodes now, so truncated files fail here.
      return np.asarray(image)
  except (OSError, SyntaxError, ValueError) as e:
    # PIL reports broken files as any of these.
    raise CorruptVideoError(f"{name}: cannot decode image ({e}).") from e


def centre_crop(video: np.ndarray) -> np.ndarray:
  """[T, H, W, C] -> [T, s, s, C] with s = min(H, W), centred."""
  h, w = video.shape[1:3]
  side = min(h, w)
  top, left = (h - side) // 2, (w - side) // 2
  return video[:, top:top + side, left:left + side]


def resize(video: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
  """[T, H, W, C] uint8 -> [T, size, size, C] (or (height, width))."""
  height, width = (size, size) if isinstance(size, int) else size
  if video.shape[1:3] == (height, width):
    return video
  channels = video.shape[-1]
  frames = []
  for frame in video:
    image = Image.fromarray(frame[..., 0] if channels == 1 else frame)
    frames.append(np.asarray(image.resize((width, height),
                                          Image.Resampling.BILINEAR)))
  return np.stack(frames).reshape(len(video), height, width, channels)


def to_grayscale(video: np.ndarray) -> np.ndarray:
  """uint8 RGB [T, H, W, 3] -> uint8 [T, H, W, 1] luma (ITU-R 601)."""
  luma = video[..., :3].astype(np.float32) @ np.array(
      [0.2989, 0.5870, 0.1140], np.float32)
  return np.clip(np.round(luma), 0, 255).astype(np.uint8)[..., None]


def centre_crop_resize(video: np.ndarray, size: int = 64) -> np.ndarray:
  return resize(centre_crop(video), size)


def split_into_clips(video: np.ndarray, length: int) -> list[np.ndarray]:
  """Consecutive non-overlapping clips of `length`; a short tail is dropped."""
  return [video[start:start + length]
          for start in range(0, len(video) - length + 1, length)]


def pad_to_length(video: np.ndarray, length: int) -> np.ndarray:
  """Repeats the last frame until the video has `length` frames."""
  if len(video) >= length:
    return video
  tail = np.repeat(video[-1:], length - len(video), axis=0)
  return np.concatenate([video, tail])


def missing_files(root: epath.PathLike, names: Iterable[str]) -> list[str]:
  """The relative paths among `names` that do not exist under root."""
  root = epath.Path(root)
  return [name for name in names if not (root / name).exists()]


class SkippedFiles:
  """Counts and logs the source files a builder had to skip, per split."""

  def __init__(self, dataset: str, split: str):
    self.dataset, self.split = dataset, split
    self.skipped: list[tuple[str, str]] = []
    self.seen = 0

  def ok(self) -> None:
    self.seen += 1

  def skip(self, name: str, reason: str | BaseException) -> None:
    self.seen += 1
    self.skipped.append((name, str(reason)))
    logging.warning("%s/%s: skipping %s: %s (%d skipped so far)",
                    self.dataset, self.split, name, reason, len(self.skipped))

  def summary(self) -> str:
    message = (f"{self.dataset}/{self.split}: skipped {len(self.skipped)} of "
               f"{self.seen} source files")
    if self.skipped:
      # Each skip was logged when it happened; the summary names only the
      # first few, so a badly damaged source does not make one huge line.
      names = [name for name, _ in self.skipped]
      message += ": " + ", ".join(names[:_NAMED_IN_SUMMARY])
      if len(names) > _NAMED_IN_SUMMARY:
        message += f" and {len(names) - _NAMED_IN_SUMMARY} more"
      logging.warning(message)
    else:
      logging.info(message)
    return message


def read_videos_skipping(paths: Sequence[epath.PathLike],
                         skipped: SkippedFiles):
  """Yields (path, frames) for each decodable file; skips the rest, logged."""
  for path in paths:
    try:
      frames = read_video(path)
    except CorruptVideoError as e:
      skipped.skip(str(path), e)
      continue
    skipped.ok()
    yield path, frames
  skipped.summary()
