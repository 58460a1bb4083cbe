"""MoCoGAN's frame strips, as both MoCoGAN builders read them.

MoCoGAN (Tulyakov et al., CVPR 2018) ships its datasets in its repository
as `data/<dataset>/<class>/NNNNNNNN.<ext>`, one file per video: an RGBA PNG
strip (alpha always 255) 64 pixels high holding the video's frames of 64x64
side by side, frame t in columns 64t .. 64t+63. `mocogan_shapes` and
`mocogan_actions` both read such strips:

* `find_root` takes the manual dir as the class folders' parent, or as the
  parent of MoCoGAN's `<dataset>/` folder put there whole.
* `decode_strip` turns a strip's bytes into uint8 [T, 64, 64, 3] frames,
  alpha dropped. A file that is not an RGB or RGBA image 64 pixels high and
  a multiple of 64 wide (or does not hold the number of frames a builder
  requires) raises `video_io.CorruptVideoError`, a ValueError, naming the
  file, what it is, and what the builder expected.
* `encode_strip` is the inverse, for the builders' dummy data.
"""

from __future__ import annotations

import io

from etils import epath
import numpy as np
from PIL import Image

from tfds_builders import video_io

FRAME_SIZE = 64
# Other modes (L, P, CMYK, ...) would need a colour conversion that
# MoCoGAN's files never need; reading their channels as RGB would be wrong.
_RGB_MODES = ("RGB", "RGBA")


def find_root(manual_dir: epath.PathLike, dataset_folder: str) -> epath.Path:
  """The folder holding the class folders (`0/`, ...) of a manual dir.

  That is manual_dir itself, or manual_dir/`dataset_folder` (MoCoGAN's
  `data/shapes` or `data/actions` copied in whole) when only it has `0/`.
  """
  manual_dir = epath.Path(manual_dir)
  nested = manual_dir / dataset_folder
  if not (manual_dir / "0").is_dir() and (nested / "0").is_dir():
    return nested
  return manual_dir


def decode_strip(
  data: bytes, name: str, expected: str, num_frames: int | None = None
) -> np.ndarray:
  """A strip file's bytes -> uint8 video [T, 64, 64, 3].

  Args:
    data: the file's bytes.
    name: the file, as errors name it.
    expected: what the file should be, in the builder's words; errors say
      it after what the file is.
    num_frames: how many frames the strip must hold; None accepts any
      number (its width says how many).

  Returns:
    The frames, left to right, without the alpha channel.

  Raises:
    video_io.CorruptVideoError: the bytes are not a decodable image, or not
      an RGB(A) strip of frames of 64x64 (of `num_frames` when given).
  """
  try:
    with Image.open(io.BytesIO(data)) as image:
      image.load()  # Decodes now, so truncated files fail here.
      mode, (width, height) = image.mode, image.size
      pixels = np.asarray(image)
  except (OSError, SyntaxError, ValueError) as e:
    # PIL reports broken files as any of these (UnidentifiedImageError is an
    # OSError; bad chunks raise SyntaxError or ValueError).
    raise video_io.CorruptVideoError(
      f"Cannot decode {name} ({e}); expected {expected}."
    ) from e
  if (
    mode not in _RGB_MODES
    or height != FRAME_SIZE
    or width % FRAME_SIZE
    or num_frames not in (None, width // FRAME_SIZE)
  ):
    raise video_io.CorruptVideoError(
      f"{name} is {width}x{height} ({mode}); expected {expected}."
    )
  # [64, T * 64, C] -> [T, 64, 64, 3]: frames are side by side in x.
  frames = pixels[..., :3].reshape(
    FRAME_SIZE, width // FRAME_SIZE, FRAME_SIZE, 3
  )
  return np.ascontiguousarray(frames.transpose(1, 0, 2, 3))


def encode_strip(video: np.ndarray) -> bytes:
  """uint8 [T, 64, 64, 3] -> (64 T)x64 RGBA PNG bytes, as MoCoGAN stores it."""
  t, h, w, _ = video.shape
  strip = video.transpose(1, 0, 2, 3).reshape(h, t * w, 3)
  alpha = np.full((h, t * w, 1), 255, dtype=np.uint8)
  buffer = io.BytesIO()
  Image.fromarray(np.concatenate([strip, alpha], axis=-1), "RGBA").save(
    buffer, format="PNG", optimize=True
  )
  return buffer.getvalue()
