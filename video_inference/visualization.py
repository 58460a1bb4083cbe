"""Pictures of sampled videos: uint8, anchor outlines, grids, PNG/GIF/MP4.

The papers show inferred videos as rows of frames with the anchor frames
outlined in yellow (sdvi Figs. 8-9); `video_grid` draws that figure and
`animated_grid` tiles the K samples per time step so one GIF (or a TensorBoard
summary) plays them side by side.

Choices where the papers are silent:
- float videos in [-1, 1] map to uint8 as round((x + 1) * 127.5), so a uint8
  video survives uint8 -> float (u / 127.5 - 1) -> uint8 exactly. Values up to
  `_FLOAT_TOL` outside [-1, 1] are clipped (float noise around a tanh);
  anything further out is a caller bug and raises.
- The outline is drawn inside the frame (it overwrites the outermost `width`
  pixels), so anchor and non-anchor frames keep one size and the grid stays
  aligned. Default colour (255, 215, 0) ("gold"), width 1.
- Padding between tiles is mid grey (128), visible on the black Shape Motion
  background and on bright UCF101 frames alike.
- The contact sheet (`contact_sheet`) stacks, top to bottom: a reference row
  (the real clip, or the given anchors on grey), the K samples, and their
  per-frame mean (inbetween3d Fig. 3 shows diversity this way: the mean
  blurs where the samples disagree).
- PNG and GIF files are written with Pillow; MP4 (`write_mp4`) with PyAV,
  whose wheels carry FFmpeg and libx264, so no system ffmpeg is needed.
  MP4s are H.264 in yuv420p (what browsers and phones play) at CRF 12:
  luma is near exact, chroma is stored at half resolution, so saturated
  edges of 32x32 frames can differ by tens of levels on single pixels (mean
  error ~1.4 levels on Shape Motion-like frames). Gray frames are repeated
  to RGB, and an odd height or width is padded by one edge row/column
  (yuv420p needs even sizes). Each RGB GIF frame is
  quantised on its own to an adaptive 256-colour palette (median cut) without
  dithering: exact for content with at most 256 colours, and free of dither
  noise that would make decoded frames differ pixel-wise from the input. Gray
  frames are stored as 8-bit gray, which is exact. Pillow merges consecutive
  identical frames into one longer frame, so a decoded GIF may hold fewer
  frames than were written; the total play time is unchanged.
"""

from __future__ import annotations

import base64
import fractions
import html
import io
import math
import os
from typing import Any, Sequence

from etils import epath
import numpy as np
from PIL import Image

from video_inference import paths

_FLOAT_TOL = 1e-3
PAD_VALUE = 128
ANCHOR_COLOR = (255, 215, 0)


def to_float_0_255(video: Any) -> np.ndarray:
  """float64 in 0..255 from uint8 (0..255) or float in [-1, 1] (checked)."""
  video = np.asarray(video)
  if video.dtype == np.uint8:
    return video.astype(np.float64)
  if not np.issubdtype(video.dtype, np.floating):
    raise ValueError(
      "expected a uint8 (0..255) or float in [-1, 1] video; "
      f"got dtype {video.dtype}."
    )
  if video.size:
    lo, hi = float(np.min(video)), float(np.max(video))
    finite = math.isfinite(lo) and math.isfinite(hi)
    if not finite or lo < -1 - _FLOAT_TOL or hi > 1 + _FLOAT_TOL:
      raise ValueError(
        "expected float values in [-1, 1]; got dtype "
        f"{video.dtype} with range [{lo}, {hi}]."
      )
  return (video.astype(np.float64) + 1.0) * 127.5


def to_uint8(video: Any) -> np.ndarray:
  """uint8 passes through; float in [-1, 1] -> round((x + 1) * 127.5)."""
  video = np.asarray(video)
  if video.dtype == np.uint8:
    return video
  scaled = np.round(to_float_0_255(video))
  return np.clip(scaled, 0, 255).astype(np.uint8)


def _check_int(value: Any, name: str, minimum: int) -> int:
  # bool is an int subclass, but True as a size is surely a mistake.
  if isinstance(value, (bool, np.bool_)) or not isinstance(
    value, (int, np.integer)
  ):
    raise ValueError(f"{name} must be an int >= {minimum}; got {value!r}.")
  if value < minimum:
    raise ValueError(f"{name} must be an int >= {minimum}; got {value!r}.")
  return int(value)


def _check_channels(
  video: np.ndarray, name: str, rank: int, layout: str
) -> None:
  if video.ndim != rank or video.shape[-1] not in (1, 3):
    raise ValueError(
      f"{name} must have shape {layout} with C in {{1, 3}}; "
      f"got shape {video.shape}."
    )


def _check_times(anchor_times: Any, num_frames: int) -> list[int]:
  if anchor_times is None:
    return []
  if isinstance(anchor_times, (list, tuple)):
    times = list(anchor_times)
  else:  # numpy / jax arrays: .tolist() keeps the dtype's kind (int/float)
    times = np.asarray(anchor_times).reshape(-1).tolist()
  for t in times:
    if isinstance(t, (bool, np.bool_)) or not isinstance(t, (int, np.integer)):
      raise ValueError(f"anchor_times must be ints; got {times!r}.")
    if not 0 <= t < num_frames:
      raise ValueError(
        f"anchor_times must lie in [0, {num_frames}); got {times!r}."
      )
  return [int(t) for t in times]


def outline_anchors(
  video: Any,
  anchor_times: Sequence[int] | None,
  color: Sequence[int] = ANCHOR_COLOR,
  width: int = 1,
) -> np.ndarray:
  """RGB uint8 copy [T, H, W, 3] of `video` [T, H, W, C] with anchors framed."""
  video = to_uint8(video)
  _check_channels(video, "video", 4, "[T, H, W, C]")
  times = _check_times(anchor_times, video.shape[0])
  color = tuple(color)
  if len(color) != 3 or not all(
    isinstance(c, (int, np.integer)) and 0 <= c <= 255 for c in color
  ):
    raise ValueError(f"color must be 3 ints in 0..255; got {color!r}.")
  width = _check_int(width, "width", 1)
  out = np.repeat(video, 3, axis=-1) if video.shape[-1] == 1 else video.copy()
  c = np.asarray(color, np.uint8)
  for t in times:
    out[t, :width] = c
    out[t, -width:] = c
    out[t, :, :width] = c
    out[t, :, -width:] = c
  return out


def _as_batch(videos: Any) -> np.ndarray:
  videos = to_uint8(videos)
  if videos.ndim == 4:  # one video: a grid with a single row
    videos = videos[None]
  _check_channels(videos, "videos", 5, "[K, T, H, W, C]")
  return videos


def video_grid(
  videos: Any, anchor_times: Sequence[int] | None = None, pad: int = 2
) -> np.ndarray:
  """One image [K*(H+pad)+pad, T*(W+pad)+pad, 3]: samples as rows."""
  videos = _as_batch(videos)
  pad = _check_int(pad, "pad", 0)
  k, t, h, w, _ = videos.shape
  grid = np.full(
    (k * (h + pad) + pad, t * (w + pad) + pad, 3), PAD_VALUE, np.uint8
  )
  for i in range(k):
    framed = outline_anchors(videos[i], anchor_times)
    y = pad + i * (h + pad)
    for j in range(t):
      x = pad + j * (w + pad)
      grid[y : y + h, x : x + w] = framed[j]
  return grid


def animated_grid(
  videos: Any,
  anchor_times: Sequence[int] | None = None,
  columns: int | None = None,
  pad: int = 2,
) -> np.ndarray:
  """[T, rows*(H+pad)+pad, columns*(W+pad)+pad, 3]: the K samples tiled.

  `columns` defaults to ceil(sqrt(K)) (a near-square grid) and is capped at
  K; rows = ceil(K / columns); empty cells of the last row stay grey.
  """
  videos = _as_batch(videos)
  pad = _check_int(pad, "pad", 0)
  k, t, h, w, _ = videos.shape
  if columns is None:
    columns = math.ceil(math.sqrt(k))
  columns = min(_check_int(columns, "columns", 1), k)
  rows = math.ceil(k / columns)
  out = np.full(
    (t, rows * (h + pad) + pad, columns * (w + pad) + pad, 3),
    PAD_VALUE,
    np.uint8,
  )
  for i in range(k):
    r, c = divmod(i, columns)
    y, x = pad + r * (h + pad), pad + c * (w + pad)
    out[:, y : y + h, x : x + w] = outline_anchors(videos[i], anchor_times)
  return out


def _prepare_path(path: str | os.PathLike, overwrite: bool) -> epath.Path:
  path = epath.Path(path)
  if path.exists() and not overwrite:
    raise FileExistsError(f"{path} exists; pass overwrite=True to replace it.")
  return path


def _pil_image(frame: np.ndarray) -> Image.Image:
  # Pillow infers mode L from a 2-D uint8 array and RGB from [H, W, 3].
  if frame.shape[-1] == 1:
    frame = frame[..., 0]
  return Image.fromarray(np.ascontiguousarray(frame))


def write_png(
  path: str | os.PathLike, image: Any, overwrite: bool = False
) -> str:
  """Writes a [H, W, C] uint8 (or [-1, 1] float) image; returns the path."""
  data = png_bytes(image)
  path = _prepare_path(path, overwrite)
  paths.write_atomically(path, data)
  return str(path)


def _check_animation(frames: Any, fps: Any) -> np.ndarray:
  frames = to_uint8(frames)
  _check_channels(frames, "frames", 4, "[T, H, W, C]")
  if frames.shape[0] < 1:
    raise ValueError("frames must hold at least one frame; got 0.")
  if not (isinstance(fps, (int, float, np.number)) and fps > 0):
    raise ValueError(f"fps must be a number > 0; got {fps!r}.")
  return frames


def write_gif(
  path: str | os.PathLike,
  frames: Any,
  fps: float = 8,
  loop: int = 0,
  overwrite: bool = False,
) -> str:
  """Writes frames [T, H, W, C] as an animated GIF; loop=0 repeats forever.

  GIF stores delays in 1/100 s, so the frame time is 1000/fps ms rounded to
  10 ms (8 fps -> 130 ms rather than 125 ms). Returns the path.
  """
  frames = _check_animation(frames, fps)
  loop = _check_int(loop, "loop", 0)
  path = _prepare_path(path, overwrite)
  images = []
  for frame in frames:
    im = _pil_image(frame)
    if im.mode == "RGB":
      im = im.quantize(
        colors=256,
        method=Image.Quantize.MEDIANCUT,
        dither=Image.Dither.NONE,
      )
    images.append(im)
  # Half-up rounding: Python's round() would send 12.5 (8 fps) down to 12.
  duration = max(10, math.floor(100.0 / fps + 0.5) * 10)
  buffer = io.BytesIO()
  images[0].save(
    buffer,
    format="GIF",
    save_all=True,
    append_images=images[1:],
    duration=duration,
    loop=loop,
  )
  paths.write_atomically(path, buffer.getvalue())
  return str(path)


def _h264_frames(frames: Any, fps: Any) -> np.ndarray:
  """RGB frames with even sides, as H.264's 4:2:0 sampling needs."""
  frames = _check_animation(frames, fps)
  if frames.shape[-1] == 1:
    frames = np.repeat(frames, 3, axis=-1)
  _, h, w, _ = frames.shape
  return np.pad(frames, ((0, 0), (0, h % 2), (0, w % 2), (0, 0)),
                mode="edge")


# PyAV's H.264 settings of every MP4 the library writes: near-lossless, and
# the index first so a browser starts playing before the whole file.
_MP4_OPTIONS = dict(codec="libx264", codec_options={"crf": "12"},
                    container_options={"movflags": "+faststart"})


def write_mp4(
  path: str | os.PathLike,
  frames: Any,
  fps: float = 8,
  overwrite: bool = False,
) -> str:
  """Writes frames [T, H, W, C] as an H.264 MP4; returns the path."""
  data = mp4_bytes(frames, fps)
  path = _prepare_path(path, overwrite)
  paths.write_atomically(path, data)
  return str(path)


def mp4_bytes(frames: Any, fps: float = 8) -> bytes:
  """`write_mp4`'s file as bytes (for HTML players)."""
  from tfds_builders import video_io  # pylint: disable=g-import-not-at-top

  return video_io.encode_video(
      _h264_frames(frames, fps), ".mp4",
      fps=fractions.Fraction(fps).limit_denominator(1001), **_MP4_OPTIONS)


def png_bytes(image: Any) -> bytes:
  """A [H, W, C] uint8 (or [-1, 1] float) image as PNG bytes."""
  image = to_uint8(image)
  _check_channels(image, "image", 3, "[H, W, C]")
  buffer = io.BytesIO()
  _pil_image(image).save(buffer, format="PNG")
  return buffer.getvalue()


def videos_html(named: dict[str, Any], fps: float = 8, height: int = 128,
                columns: int = 4) -> str:
  """A table of looping inline MP4 players, `columns` a row, each titled
  with its name and shown `height` pixels high (pixels kept sharp)."""
  cells = []
  for name, frames in named.items():
    data = base64.b64encode(mp4_bytes(frames, fps)).decode()
    cells.append(
        f'<td style="padding:4px;text-align:center">'
        f"<div>{html.escape(name)}</div>"
        f'<video height="{int(height)}" autoplay loop muted controls '
        f'playsinline style="image-rendering:pixelated" '
        f'src="data:video/mp4;base64,{data}"></video></td>')
  rows = ["<tr>" + "".join(cells[i:i + columns]) + "</tr>"
          for i in range(0, len(cells), columns)]
  return "<table>" + "".join(rows) + "</table>"


def image_html(image: Any, title: str = "") -> str:
  """An inline PNG with its title above it."""
  data = base64.b64encode(png_bytes(image)).decode()
  return (f"<div>{html.escape(title)}</div>"
          f'<img style="image-rendering:pixelated" '
          f'src="data:image/png;base64,{data}">')


def per_frame_mean(videos: Any) -> np.ndarray:
  """uint8 [T, H, W, C]: the mean of K videos [K, T, H, W, C], per pixel."""
  videos = _as_batch(videos)
  return np.round(videos.mean(axis=0)).astype(np.uint8)


def contact_sheet(
  samples: Any,
  anchor_times: Sequence[int] | None,
  reference: Any = None,
  pad: int = 2,
) -> np.ndarray:
  """Rows: `reference` [T, H, W, C] if given, the K samples, their mean."""
  samples = _as_batch(samples)
  rows = [samples, per_frame_mean(samples)[None]]
  if reference is not None:
    reference = to_uint8(reference)
    if reference.shape != samples.shape[1:]:
      raise ValueError(
        f"reference must have the samples' shape {samples.shape[1:]}; "
        f"got {reference.shape}."
      )
    rows.insert(0, reference[None])
  return video_grid(np.concatenate(rows), anchor_times, pad=pad)


def save_samples(
  directory: str | os.PathLike,
  videos: Any,
  anchor_times: Sequence[int] | None,
  prefix: str,
  overwrite: bool = False,
) -> list[str]:
  """Writes `<prefix>_grid.png` and `<prefix>.gif`; returns their paths."""
  if not prefix or os.sep in prefix or (os.altsep and os.altsep in prefix):
    raise ValueError(f"prefix must be a non-empty file name; got {prefix!r}.")
  videos = _as_batch(videos)
  directory = epath.Path(directory)
  png_path = directory / f"{prefix}_grid.png"
  gif_path = directory / f"{prefix}.gif"
  # Check both before writing either, so a refusal leaves no half-saved pair.
  for path in (png_path, gif_path):
    _prepare_path(path, overwrite)
  return [write_png(png_path, video_grid(videos, anchor_times), overwrite=True),
          write_gif(gif_path, animated_grid(videos, anchor_times),
                    overwrite=True)]
