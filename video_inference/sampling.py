"""The one sampling API: K videos through M anchors at given times.

`sample(model, variables, anchors, anchor_times, num_frames, num_samples, rng)`
serves every family and every task of the library (M = 0: generation from the
prior; first k: prediction; first and last: inbetweening; any: inference).
Families with labels to condition on (videovae's holistic attributes) take
them as `attributes`: a class per label, fixed or switched at given frames
(`attribute_schedule`). What a family samples beyond this (navsynth's
dictionary) lives in its own folder.
The returned frames are the model's own output at every time, anchors
included; figures outline the anchors so a reader can compare them.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from etils import epath
import jax
import jax.numpy as jnp
import numpy as np

from video_inference import anchors as anchors_lib
from video_inference import threefry
from video_inference import visualization


def _anchors_as_float(anchors, model) -> np.ndarray:
  anchors = np.asarray(anchors)
  expected = (model.resolution, model.resolution, model.channels)
  if anchors.ndim != 4 or anchors.shape[1:] != expected:
    raise ValueError(f"anchors must be [M, {expected[0]}, {expected[1]}, "
                     f"{expected[2]}] for this model, got shape "
                     f"{anchors.shape}.")
  if anchors.dtype == np.uint8:
    return anchors.astype(np.float32) / 127.5 - 1.0
  if not np.issubdtype(anchors.dtype, np.floating):
    raise ValueError(f"anchors must be uint8 in 0..255 or float in [-1, 1], "
                     f"got dtype {anchors.dtype}.")
  if anchors.size and (anchors.min() < -1.0 - 1e-3
                       or anchors.max() > 1.0 + 1e-3):
    raise ValueError(f"float anchors must lie in [-1, 1], got range "
                     f"[{anchors.min():.3f}, {anchors.max():.3f}].")
  return anchors.astype(np.float32)


def check_request(model, num_anchors: int, num_frames: int) -> None:
  if num_anchors and not model.supports_anchors:
    raise ValueError(f"The {model.name} family cannot condition on anchor "
                     f"frames; request it with no anchors.")
  if not num_anchors and not model.supports_prior:
    raise ValueError(f"The {model.name} family has no prior to sample "
                     "without anchors; give it anchor frames.")
  if not 0 < num_frames <= model.num_frames:
    raise ValueError(f"num_frames={num_frames} is out of range: this "
                     f"{model.name} model generates 1..{model.num_frames} "
                     "frames (its training clip length).")


def attribute_schedule(model, attributes: Mapping[str, Any] | None,
                       num_frames: int) -> dict[str, np.ndarray]:
  """{label: int [num_frames]} from a user's attribute request.

  Each value is a class index (held for the whole clip), or a sequence of
  (frame, class) switches starting at frame 0: [(0, 2), (6, 3)] is class 2
  for frames 0-5 and class 3 from frame 6 on (transient control, videovae
  Fig. 4b). A label left out is unspecified (-1): the model chooses it.
  """
  attributes = dict(attributes or {})
  classes = model.conditioning_classes
  if attributes and not classes:
    raise ValueError(f"The {model.name} model takes no attributes; got "
                     f"{sorted(attributes)}.")
  unknown = sorted(set(attributes) - set(classes))
  if unknown:
    raise ValueError(f"Unknown attributes {unknown}; this {model.name} model "
                     f"takes {sorted(classes)}.")
  schedule = {}
  for name, request in attributes.items():
    if np.ndim(request) == 0:
      request = [(0, request)]
    if np.ndim(request) != 2 or np.shape(request)[1] != 2:
      raise ValueError(
          f"Attribute {name!r}: give a class, or (frame, class) switches "
          f"such as [(0, 2), (6, 3)]; got {request!r}.")
    switches = [(int(frame), int(value)) for frame, value in request]
    frames = [frame for frame, _ in switches]
    if (not frames or frames[0] != 0
        or any(b <= a for a, b in zip(frames, frames[1:]))
        or frames[-1] >= num_frames):
      raise ValueError(
          f"Attribute {name!r}: switch frames {frames} must start at 0, "
          f"increase strictly and stay below num_frames={num_frames}.")
    bad = [value for _, value in switches
           if not 0 <= value < classes[name]]
    if bad:
      raise ValueError(f"Attribute {name!r}: classes {bad} are out of range "
                       f"0..{classes[name] - 1}.")
    values = np.zeros(num_frames, np.int32)
    for frame, value in switches:
      values[frame:] = value
    schedule[name] = values
  return schedule


@threefry.scoped
def sample(model, variables, anchors, anchor_times: Sequence[int],
           num_frames: int, num_samples: int, rng: jax.Array,
           deterministic: bool = False,
           attributes: Mapping[str, Any] | None = None) -> np.ndarray:
  """uint8 videos [num_samples, num_frames, H, W, C] through the anchors.

  anchors: [M, H, W, C], uint8 0..255 or float [-1, 1], M = len(anchor_times);
  anchor_times: strictly increasing frame indices in [0, num_frames);
  attributes: see `attribute_schedule` (families with conditioning labels).
  """
  times = anchors_lib.validate_times(anchor_times, num_frames)
  anchors = (np.zeros((0, model.resolution, model.resolution, model.channels),
                      np.float32) if len(times) == 0 and np.size(anchors) == 0
             else _anchors_as_float(anchors, model))
  if len(anchors) != len(times):
    raise ValueError(f"Got {len(anchors)} anchor frames but "
                     f"{len(times)} anchor times {times}.")
  check_request(model, len(times), num_frames)
  if num_samples < 1:
    raise ValueError(f"num_samples must be >= 1, got {num_samples}.")
  anchor_video = np.zeros((num_samples, num_frames) + anchors.shape[1:],
                          np.float32)
  anchor_video[:, times] = anchors
  mask = np.zeros((num_samples, num_frames), bool)
  mask[:, times] = True
  conditioning = {
      name: jnp.asarray(np.repeat(values[None], num_samples, axis=0))
      for name, values in attribute_schedule(model, attributes,
                                             num_frames).items()}
  videos = model.generate(variables, jnp.asarray(anchor_video),
                          jnp.asarray(mask), rng, num_frames, deterministic,
                          conditioning=conditioning or None)
  return visualization.to_uint8(np.asarray(videos))


def clip_conditioning(model, clips: Mapping[str, np.ndarray]
                      ) -> dict[str, np.ndarray]:
  """Each clip's own labels, per frame, for the labels the model takes."""
  num_frames = clips["anchor_mask"].shape[1]
  return {name: np.repeat(np.asarray(clips[name], np.int32)[:, None],
                          num_frames, axis=1)
          for name in model.conditioning_classes if name in clips}


@threefry.scoped
def sample_batch(model, variables, videos: np.ndarray, anchor_masks: np.ndarray,
                 num_samples: int, rng: jax.Array, batch_size: int,
                 deterministic: bool = False,
                 conditioning: Mapping[str, np.ndarray] | None = None
                 ) -> np.ndarray:
  """K float samples [B, K, N, H, W, C] for each clip's anchors.

  conditioning: {label: int [B, N]} per clip (see `clip_conditioning`).
  Runs in chunks of `batch_size` rows, padding the last chunk, so one
  compiled `generate` serves any number of clips.
  """
  num_clips, num_frames = anchor_masks.shape
  check_request(model, int(anchor_masks.any()), num_frames)
  rows = jax.tree.map(
      lambda value: np.repeat(np.asarray(value), num_samples, axis=0),
      {"video": videos, "mask": anchor_masks,
       "conditioning": {name: np.asarray(values, np.int32)
                        for name, values in (conditioning or {}).items()}})
  outputs = []
  for chunk, start in enumerate(range(0, len(rows["video"]), batch_size)):
    piece = jax.tree.map(lambda value: value[start:start + batch_size], rows)
    pad = batch_size - len(piece["video"])
    if pad:
      # Repeat the last row: padding rows are valid requests for every family
      # (one that needs anchors would refuse all-empty rows).
      piece = jax.tree.map(
          lambda value: np.concatenate(
              [value, np.repeat(value[-1:], pad, axis=0)]), piece)
    piece = jax.tree.map(jnp.asarray, piece)
    generated = model.generate(variables, piece["video"], piece["mask"],
                               jax.random.fold_in(rng, chunk), num_frames,
                               deterministic,
                               conditioning=piece["conditioning"] or None)
    outputs.append(np.asarray(generated)[:batch_size - pad])
  return np.concatenate(outputs).reshape(
      (num_clips, num_samples) + videos.shape[1:])


def write_preview(model, variables, preview: dict[str, np.ndarray], config,
                  step: int, workdir: str, writer) -> list[str]:
  """Samples on fixed test anchors -> TensorBoard images and GIF/PNG files.

  One grid per anchor set: the real clip on top, then K samples; anchors
  outlined. Returns the written paths. Runs on the writing process only
  (the train loop's process 0).
  """
  samples = sample_batch(model, variables, preview["video"],
                         preview["anchor_mask"], config.sample.num_samples,
                         jax.random.fold_in(jax.random.key(config.seed), step),
                         batch_size=config.evals.batch_size,
                         conditioning=clip_conditioning(model, preview))
  directory = epath.Path(workdir) / "samples"
  written, images = [], {}
  for index, (real, generated, mask) in enumerate(
      zip(preview["video"], samples, preview["anchor_mask"])):
    rows = visualization.to_uint8(np.concatenate([real[None], generated]))
    times = anchors_lib.times_from_mask(mask)
    prefix = f"step_{step:07d}_set_{index}"
    written += visualization.save_samples(directory, rows, times, prefix,
                                          overwrite=True)
    images[f"samples/set_{index}"] = visualization.video_grid(rows, times)[None]
  writer.write_images(step, images)
  return written
