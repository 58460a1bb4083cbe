"""Sampling for people: load a trained run, draw K videos, look, save.

The Python API behind `python -m video_inference.sample` and the colabs:

    run = runs.load_run("runs/sdvi_shapes")      # step="latest"|"best"|N
    samples = run.sample({0: "first.png", 15: "last.png"}, num_samples=8)
    samples.show()                                # inline, in a notebook

`run.sample()` without anchors takes them from the run's test split: clip
`clip` at the config's `sample.anchor_times` (and, for families with
attributes, that clip's own labels). Every family goes through the common
`sampling.sample`; one that cannot honour a request says why.

Choices the papers leave open:
- Keyframe images (`read_anchor_image`): EXIF orientation applied;
  transparency composited over black (the Shape Motion background); centre
  crop to a square and resize with PIL's antialiased bilinear filter, as the
  TFDS builders make the training frames; RGB -> gray with the ITU-R 601
  luma weights the builders use, gray -> RGB by repetition. The policy is
  printed per file.
- The videos hold the given anchor frames at their times: the model's own
  frames there are its reconstruction of them, which a user who gave
  keyframes does not want replaced. `model_anchors=True` keeps them.
- K samples are drawn in chunks of the run's `evals.batch_size` (one
  compiled generate; chunk c uses fold_in(key(seed), c)), so a seed's first
  k videos are the same whatever K is asked for.
- Output files (`Samples.save`): sample_<k>.gif and .mp4 per sample (plain
  frames), mean.gif and mean.png (the per-frame mean of the K samples),
  contact_sheet.png (`visualization.contact_sheet`: reference row, samples,
  mean; anchors outlined), samples.npz (the uint8 arrays) and request.json
  (run, step, seed, anchors: enough to reproduce). Existing files are kept
  unless `overwrite`; nothing is written inside a run's checkpoint folders.
"""

from __future__ import annotations

import dataclasses
import datetime
import io
import json
import os
from typing import Any, Mapping, Sequence

from etils import epath
import jax
import ml_collections
import numpy as np
from PIL import ExifTags
from PIL import Image
from PIL import ImageOps
import tqdm

from video_inference import checkpoints
from video_inference import config_lib
from video_inference import inference_file
from video_inference import paths
from video_inference import sampling
from video_inference import threefry
from video_inference import visualization

# The PIL modes whose pixels carry transparency.
_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")


# ------------------------------------------------------------- anchors ---
def frame_from_image(image: Image.Image, resolution: int, channels: int,
                     name: str = "image") -> tuple[np.ndarray, str]:
  """A PIL image -> uint8 [resolution, resolution, channels] and the policy.

  The policy is a line saying what was done, e.g.
  'a.png: 640x480 RGB -> centre crop 480x480 -> 32x32 -> gray (ITU-R 601)'.
  """
  # Deferred: tfds_builders' package import loads every builder (and TFDS).
  from tfds_builders import video_io  # pylint: disable=g-import-not-at-top

  steps = [f"{image.width}x{image.height} {image.mode}"]
  has_alpha = image.mode in _ALPHA_MODES or (
      image.mode == "P" and "transparency" in image.info)
  if has_alpha:
    rgba = image.convert("RGBA")
    black = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
    rgb = Image.alpha_composite(black, rgba).convert("RGB")
    steps.append("transparency over black")
  else:
    rgb = image.convert("RGB")
  side = min(rgb.size)
  frame = video_io.centre_crop(np.asarray(rgb)[None])
  if rgb.width != rgb.height:
    steps.append(f"centre crop {side}x{side}")
  frame = video_io.resize(frame, resolution)
  if side != resolution:
    steps.append(f"resize to {resolution}x{resolution} (antialiased "
                 "bilinear)")
  if channels == 1:
    frame = video_io.to_grayscale(frame)
    steps.append("gray (ITU-R 601 luma)")
  elif channels == 3:
    steps.append("RGB")
  else:
    raise ValueError(f"Models take 1 or 3 channels; this one {channels}.")
  return frame[0], f"{name}: " + " -> ".join(steps)


def read_anchor_image(path: str | os.PathLike, resolution: int,
                      channels: int) -> tuple[np.ndarray, str]:
  """An image file (PNG, JPEG, ...) as an anchor frame, and the policy."""
  path = epath.Path(path)
  if not path.is_file():
    raise FileNotFoundError(f"Anchor image {path} does not exist"
                            + (" (it is a directory)." if path.is_dir()
                               else "."))
  try:
    with path.open("rb") as f, Image.open(f) as image:
      image.load()  # Decodes now, so a truncated file fails here.
      orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
      oriented = ImageOps.exif_transpose(image)
  except (OSError, SyntaxError, ValueError) as e:
    # PIL reports unreadable and broken files as any of these.
    raise ValueError(f"Anchor image {path} cannot be read as an image: "
                     f"{e}") from e
  name = path.name
  if orientation != 1:
    name += " (EXIF orientation applied)"
  return frame_from_image(oriented, resolution, channels, name)


def _anchor_frame(source, resolution: int, channels: int
                  ) -> tuple[np.ndarray, str]:
  if isinstance(source, (str, os.PathLike)):
    return read_anchor_image(source, resolution, channels)
  frame = visualization.to_uint8(np.asarray(source))
  if frame.ndim == 3 and frame.shape[-1] == 1:
    frame = frame[..., 0]
  if frame.ndim not in (2, 3) or (frame.ndim == 3
                                  and frame.shape[-1] not in (3, 4)):
    raise ValueError(f"An anchor array must be [H, W], [H, W, 1], [H, W, 3] "
                     f"or [H, W, 4]; got shape {np.shape(source)}.")
  return frame_from_image(Image.fromarray(frame), resolution, channels,
                          f"array {tuple(np.shape(source))}")


def _describe(source) -> str:
  return (os.fspath(source) if isinstance(source, (str, os.PathLike))
          else f"array {tuple(np.shape(source))}")


def anchor_requests(anchors: Mapping[int, Any] | Sequence[tuple[Any, int]],
                    num_frames: int) -> list[tuple[Any, int]]:
  """(image, time) pairs sorted by time, checked against `num_frames`.

  anchors: {time: image} or [(image, time), ...]; an image is a file path
  or an array. Duplicated times, times outside the clip and more anchors
  than frames are refused with the anchors named.
  """
  pairs = (list((image, time) for time, image in anchors.items())
           if isinstance(anchors, Mapping) else list(anchors))
  for pair in pairs:
    if not (isinstance(pair, tuple) and len(pair) == 2):
      raise ValueError(f"Give anchors as {{time: image}} or (image, time) "
                       f"pairs; got {pair!r}.")
  named = [f"{_describe(image)}@{time}" for image, time in pairs]
  if len(pairs) > num_frames:
    raise ValueError(f"{len(pairs)} anchors ({', '.join(named)}) do not fit "
                     f"in a video of {num_frames} frames.")
  bad = [name for name, (_, time) in zip(named, pairs)
         if isinstance(time, bool) or not isinstance(time, (int, np.integer))
         or not 0 <= time < num_frames]
  if bad:
    raise ValueError(f"Anchor times out of range in {', '.join(bad)}: a video "
                     f"of {num_frames} frames has times 0..{num_frames - 1}.")
  by_time = {}
  for name, (_, time) in zip(named, pairs):
    by_time.setdefault(int(time), []).append(name)
  duplicated = {t: names for t, names in by_time.items() if len(names) > 1}
  if duplicated:
    shared = "; ".join(f"time {t}: {', '.join(names)}"
                       for t, names in duplicated.items())
    raise ValueError(f"Each time takes one anchor; these share one: {shared}")
  return sorted(((image, int(time)) for image, time in pairs),
                key=lambda pair: pair[1])


# ------------------------------------------------------------- outputs ---
def output_names(num_samples: int) -> list[str]:
  """The files `Samples.save` writes for K samples."""
  names = []
  for k in range(num_samples):
    names += [f"sample_{k:02d}.gif", f"sample_{k:02d}.mp4"]
  return names + ["mean.gif", "mean.png", "contact_sheet.png", "samples.npz",
                  "request.json"]


def check_output_dir(out: str | os.PathLike, num_samples: int,
                     overwrite: bool, workdir: str | None = None
                     ) -> list[str]:
  """The output paths, refusing a checkpoint folder and, unless
  `overwrite`, files that exist."""
  out = paths.as_path(out)
  if workdir is not None:
    for folder in checkpoints.CHECKPOINT_FOLDERS:
      protected = paths.as_path(workdir) / folder
      if out == protected or protected in out.parents:
        raise ValueError(f"Output directory {out} lies inside the run's "
                         f"checkpoint folder {protected}; choose another "
                         "(the run directory itself is fine).")
  if out.exists() and not out.is_dir():
    raise NotADirectoryError(f"Output path {out} exists and is not a "
                             "directory.")
  outputs = [out / name for name in output_names(num_samples)]
  existing = [path for path in outputs if path.exists()]
  if existing and not overwrite:
    shown = ", ".join(path.name for path in existing[:6])
    more = f" and {len(existing) - 6} more" if len(existing) > 6 else ""
    raise FileExistsError(f"{out} already holds {shown}{more}; pass "
                          "--overwrite (overwrite=True) to replace them.")
  return [str(path) for path in outputs]


@dataclasses.dataclass
class Samples:
  """K sampled videos and what they were conditioned on.

  videos: uint8 [K, N, H, W, C]; anchors: uint8 [M, H, W, C] at
  anchor_times; reference: the real test clip [N, H, W, C] when the anchors
  came from one, else None; request: what `request.json` records.
  """
  videos: np.ndarray
  anchor_times: list[int]
  anchors: np.ndarray
  reference: np.ndarray | None
  request: dict[str, Any]
  workdir: str
  fps: float = 8

  @property
  def mean(self) -> np.ndarray:
    """uint8 [N, H, W, C]: the per-frame mean of the K samples."""
    return visualization.per_frame_mean(self.videos)

  def reference_row(self) -> np.ndarray:
    """The real clip, or the anchors at their times on mid grey."""
    if self.reference is not None:
      return self.reference
    row = np.full(self.videos.shape[1:], visualization.PAD_VALUE, np.uint8)
    row[self.anchor_times] = self.anchors
    return row

  def contact_sheet(self, min_frame_size: int = 128) -> np.ndarray:
    """uint8 image: reference row, the K samples, their mean; anchors
    outlined. Enlarged (nearest neighbour, by an integer factor) until a
    frame is at least `min_frame_size` pixels high, so 32x32 frames are
    visible; samples.npz keeps the exact pixels."""
    sheet = visualization.contact_sheet(self.videos, self.anchor_times,
                                        self.reference_row())
    scale = max(1, -(-min_frame_size // self.videos.shape[2]))
    return np.repeat(np.repeat(sheet, scale, axis=0), scale, axis=1)

  def save(self, out: str | os.PathLike, overwrite: bool = False,
           progress: bool = True) -> list[str]:
    """Writes the files listed in the module docstring; returns paths."""
    outputs = check_output_dir(out, len(self.videos), overwrite,
                               self.workdir)
    by_name = {epath.Path(path).name: path for path in outputs}
    for k, video in enumerate(tqdm.tqdm(self.videos, desc="writing",
                                        unit="video", disable=not progress)):
      visualization.write_gif(by_name[f"sample_{k:02d}.gif"], video,
                              fps=self.fps, overwrite=True)
      visualization.write_mp4(by_name[f"sample_{k:02d}.mp4"], video,
                              fps=self.fps, overwrite=True)
    visualization.write_gif(by_name["mean.gif"], self.mean, fps=self.fps,
                            overwrite=True)
    visualization.write_png(by_name["mean.png"], visualization.video_grid(
        self.mean, self.anchor_times), overwrite=True)
    visualization.write_png(by_name["contact_sheet.png"],
                            self.contact_sheet(), overwrite=True)
    arrays = dict(videos=self.videos, anchors=self.anchors,
                  anchor_times=np.asarray(self.anchor_times, np.int32))
    if self.reference is not None:
      arrays["reference"] = self.reference
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    paths.write_atomically(by_name["samples.npz"], buffer.getvalue())
    paths.write_atomically(by_name["request.json"],
                           json.dumps(self.request, indent=2))
    return outputs

  def show(self, height: int = 128, columns: int = 4) -> None:
    """Shows the K videos, their mean and the contact sheet inline in a
    notebook (H.264 through PyAV, as HTML: no ffmpeg binary needed)."""
    from IPython import display  # pylint: disable=g-import-not-at-top
    named = {f"sample {k}": video for k, video in enumerate(self.videos)}
    named["mean of samples"] = self.mean
    title = ("contact sheet (top: " + ("real clip" if self.reference
                                      is not None else "anchors")
             + "; bottom: mean)")
    display.display(display.HTML(
        visualization.videos_html(named, self.fps, height, columns)
        + visualization.image_html(self.contact_sheet(height), title)))


# ----------------------------------------------------------------- run ---
@dataclasses.dataclass
class Run:
  """A trained run loaded for sampling: `load_run(workdir, step)`."""
  workdir: str
  config: ml_collections.ConfigDict
  model: Any
  variables: Any
  step: int

  def __repr__(self) -> str:
    model = self.model
    return (f"Run({self.workdir!r}: {model.name} on "
            f"{self.config.dataset.name}, step {self.step}, "
            f"{model.num_frames} frames of {model.resolution}x"
            f"{model.resolution}x{model.channels})")

  def test_clip(self, index: int = 0) -> dict[str, np.ndarray]:
    """Test clip `index` as the evaluation sees it: 'video' uint8 [N, H, W,
    C] and its labels."""
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) \
        or index < 0:
      raise ValueError(f"clip must be an int >= 0; got {index!r}.")
    # Here, not at the top: reading a dataset needs TensorFlow, which
    # sampling from given keyframes does not.
    from video_inference import input_pipeline  # pylint: disable=g-import-not-at-top
    clips = input_pipeline.eval_clips(self.config, index + 1, anchor_times=())
    available = len(clips["video"])
    if index >= available:
      raise ValueError(f"clip={index} is out of range: the "
                       f"{self.config.dataset.eval_split} split of "
                       f"{self.config.dataset.name} has {available} clips.")
    clip = {name: values[index] for name, values in clips.items()
            if name != "anchor_mask"}
    clip["video"] = visualization.to_uint8(clip["video"])
    return clip

  @threefry.scoped
  def sample(self, anchors: Mapping[int, Any] | Sequence[tuple[Any, int]]
             | None = None, num_samples: int = 4, seed: int = 0,
             num_frames: int | None = None,
             attributes: Mapping[str, Any] | None = None, clip: int = 0,
             model_anchors: bool = False, fps: float = 8,
             verbose: bool = True) -> Samples:
    """K videos through `anchors` ({time: image} or [(image, time)]).

    Without anchors: test clip `clip` at the config's sample.anchor_times.
    attributes: see `sampling.attribute_schedule` (videovae).
    """
    model = self.model
    num_frames = model.num_frames if num_frames is None else num_frames
    if isinstance(num_samples, bool) or not isinstance(
        num_samples, (int, np.integer)) or num_samples < 1:
      raise ValueError(f"num_samples must be an int >= 1; got "
                       f"{num_samples!r}.")
    request = dict(workdir=str(paths.as_path(self.workdir)), step=self.step,
                   family=model.name, seed=seed, num_samples=num_samples,
                   num_frames=num_frames, model_anchors=model_anchors,
                   attributes=dict(attributes or {}),
                   sampling=config_lib.sampling_settings(self.config),
                   created=datetime.datetime.now().isoformat(
                       timespec="seconds"))
    reference = None
    if anchors is None:
      times = [t for t in self.config.sample.anchor_times if t < num_frames]
      sampling.check_request(model, len(times), num_frames)
      test = self.test_clip(clip)
      frames = test["video"][times]
      reference = test["video"][:num_frames]
      notes = [f"test clip {clip} of {self.config.dataset.name} "
               f"({self.config.dataset.eval_split}), frames {times}"]
      if attributes is None and model.conditioning_classes:
        attributes = {name: int(test[name])
                      for name in model.conditioning_classes if name in test}
        notes.append(f"attributes from the clip's labels: {attributes}")
      request.update(anchors=[dict(source=f"test clip {clip}", time=t)
                              for t in times], clip=clip)
    else:
      pairs = anchor_requests(anchors, num_frames)
      times = [time for _, time in pairs]
      sampling.check_request(model, len(times), num_frames)
      read = [_anchor_frame(image, model.resolution, model.channels)
              for image, _ in pairs]
      frames = np.stack([frame for frame, _ in read]) if read else np.zeros(
          (0, model.resolution, model.resolution, model.channels), np.uint8)
      notes = [note for _, note in read]
      request["anchors"] = [dict(source=_describe(image), time=time)
                            for image, time in pairs]
    if verbose:
      for note in notes:
        print(f"anchor: {note}")
    videos = self._draw(frames, times, num_frames, num_samples, seed,
                        attributes, verbose)
    if not model_anchors and times:
      videos[:, times] = frames
    return Samples(videos=videos, anchor_times=times, anchors=frames,
                   reference=reference, request=request,
                   workdir=self.workdir, fps=fps)

  def _draw(self, frames, times, num_frames, num_samples, seed, attributes,
            verbose) -> np.ndarray:
    chunk = self.config.evals.batch_size
    num_chunks = -(-num_samples // chunk)
    key = jax.random.key(seed)
    videos = []
    with tqdm.tqdm(total=num_samples, desc="sampling", unit="video",
                   disable=not verbose) as bar:
      for index in range(num_chunks):
        # Always a full chunk: one compiled generate serves any K.
        drawn = sampling.sample(self.model, self.variables, frames, times,
                                num_frames, chunk,
                                jax.random.fold_in(key, index),
                                attributes=attributes)
        videos.append(drawn[:num_samples - index * chunk])
        bar.update(len(videos[-1]))
    return np.concatenate(videos)


def set_sampling(config: ml_collections.ConfigDict,
                 sampling: Mapping[str, Any]) -> None:
  """Sets `config.model.sampling` keys (what only the sampler reads, e.g.
  a diffusion run's DDIM steps); values are converted to the type the run
  has. Unknown keys, and families without such settings, are refused."""
  if not sampling:
    return
  settings = config.model.get(config_lib.SAMPLING_FIELD)
  if settings is None:
    raise ValueError(f"The {config.family} family has no sampler settings "
                     f"(model.{config_lib.SAMPLING_FIELD}); got "
                     f"{dict(sampling)}.")
  for key, value in sampling.items():
    if key not in settings:
      raise ValueError(f"Unknown sampler setting {key!r} for "
                       f"{config.family}; valid: {sorted(settings)}.")
    kind = type(settings[key])
    try:
      if kind is bool and isinstance(value, str):
        value = {"true": True, "false": False}[value.lower()]
      settings[key] = kind(value)
    except (KeyError, ValueError) as error:
      raise ValueError(f"Sampler setting {key}={value!r}: expected "
                       f"{kind.__name__}.") from error


def load_run(workdir: str, step: int | str = "latest",
             sampling: Mapping[str, Any] | None = None) -> Run:
  """The run in `workdir` at checkpoint `step` ('latest', 'best' or N), or
  an exported file (a path or URL; `inference_file`), which is one step.
  sampling: sampler settings replacing the run's (`set_sampling`)."""
  if inference_file.is_exported(workdir):
    if step not in ("latest", None):
      raise ValueError(f"{workdir} is an exported file holding one step; "
                       f"step={step!r} selects among a workdir's "
                       "checkpoints.")
    config, model, variables, restored, _ = inference_file.load_exported(
        workdir)
    set_sampling(config, sampling or {})
    if model.config is not config:
      set_sampling(model.config, sampling or {})
  else:
    config = checkpoints.load_run_config(workdir)
    set_sampling(config, sampling or {})
    model, variables, restored = checkpoints.load_for_inference(
        config, workdir, step)
  if not model.generates_videos:
    raise ValueError(f"{workdir} holds a {model.name} run, which generates "
                     "no videos; sample from a run of a generative family.")
  return Run(workdir, config, model, variables, restored)


def train_if_missing(workdir: str, config_file: str, step: int | str = "latest",
                     overrides: Mapping[str, Any] | None = None) -> Run:
  """`load_run(workdir, step)`, training `config_file` in `workdir` first
  if it holds no checkpoint. overrides: dotted config fields, e.g.
  {"train.num_steps": 300}, as on the command line."""
  if not checkpoints.has_checkpoint(workdir):
    config = config_lib.load_config_file(config_file)
    for dotted, value in (overrides or {}).items():
      parent, _, field = dotted.rpartition(".")
      target = config_lib.lookup(config, parent) if parent else config
      target[field] = value
    print(f"{workdir} holds no checkpoint: training {config_file} there "
          f"({config.train.num_steps} steps).")
    from video_inference import train  # pylint: disable=g-import-not-at-top
    train.train_and_evaluate(config, workdir)
  return load_run(workdir, step)
