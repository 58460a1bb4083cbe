"""Chair-CAD: the rendered chairs of "Seeing 3D chairs" as rotation videos.

Source: Aubry et al. (CVPR 2014) rendered each of 1393 chair CAD models from
31 azimuths at 2 elevations (20 and 30 degrees) at a fixed distance, on
white, as 600x600 PNGs, published as `rendered_chairs.tar` (`_URL`):

  rendered_chairs/all_chair_names.mat   MATLAB index: `folder_names` (the
                                        1393 model folders) and
                                        `instance_names` (the 62 render file
                                        names that every folder holds)
  rendered_chairs/<model>/renders/image_<NNN>_p<elev>_t<azim>_r<dist>.png

Two papers make videos of them; one builder config follows each:

* `navsynth` (default): Aich et al., CVPR 2020, section 4 and supplementary:
  "we randomly choose 820 chairs for our experiments with the first 16
  frames, similar to [VideoVAE]", "four video sequences per CAD model",
  frames "center-cropped and then resized to 64x64x3"; no train/test split.
* `videovae`: He et al., ECCV 2018, section 5.1: "a subset of 809 chair
  models" following Deep Rotator, renders "cropped to have a small border
  and resized to ... 64x64x3", "we divide the length-31 sequence into 2
  length-16 sequences starting from the 16th frame", four per model, "three
  of them for training, and the last is used for testing"; attributes chair
  ID, tilt and direction of rotation.

What we chose where the papers are silent:

* A length-31 sequence is one model's renders at one elevation sorted by
  azimuth (the `t` field of the name, in degrees); the image number in the
  name is not used.
* "Starting from the 16th frame": both length-16 sequences start at the
  16th frame (index 15) of the sweep; one runs forward to index 30
  (`increasing_azimuth`), the other backward to index 0
  (`decreasing_azimuth`). Two elevations give the four sequences per model
  both papers count. navsynth's "four video sequences" and "similar to
  [VideoVAE]" are read as these same four, so its "first 16 frames" are each
  whole sequence.
* Model subsets: neither list is published. Sort the index's folder names,
  permute them with `np.random.default_rng(0)` and take the first 820
  (navsynth) or 809 (videovae), so the 809 are a subset of the 820. An index
  of N != 1393 models (the dummy data) takes round(820 N / 1393) and
  round(809 N / 1393).
* Splits: navsynth's `train` is its 820 models (3280 videos, the paper's
  data); `test` (not in the paper, which has none) is the 573 other models
  (2292 videos), held-out chairs to evaluate inference on. videovae: for each
  chosen model in sorted order, `default_rng(0).integers(4)` picks which of
  its four sequences (sorted ids) is `test`; 2427 `train`, 809 `test`.
* Crops. The background is white; a chair pixel is one with a channel below
  250 (after alpha, if any, is composited on white). One crop per model,
  from the union of its chair pixels over all 62 renders, so a chair keeps
  its size while it turns. navsynth: the square centred on the render's
  centre that holds that union plus a border of 5% of its extent on each
  side (at most the whole render). videovae: the square centred on the
  union's bounding box, its longer side plus 5% on each side ("a small
  border"), white beyond the render's edge. Then `video_io.resize` to 64.
  navsynth's per-model side departs from a plain reading of "center-
  cropped", one fixed square for every model: ours scales each chair to
  fill about the same share of the frame, so the relative sizes of chairs
  in the renders are not kept. We found no source saying whether Aubry et
  al. scaled the models to a common size before rendering, so we cannot
  claim this loses nothing: it is our choice, not the paper's.
* Each model is decoded and cropped once, whichever split needs it first;
  videovae's other split takes its examples from memory (`_MadeOnce`).
* Labels: `chair` is the model's index in the sorted index (the same chair
  has the same label in both configs), `elevation` '20' or '30' (degrees),
  `direction` as above; `id` is `<model>/p<elev>/<direction>`.
* Bad input: a missing or unreadable index, or one naming a model folder
  twice (its examples would share keys), is an error. A model folder that
  lacks some of the index's render names is read from its own listing
  instead if that is a full set (62 names in the render pattern, 31
  azimuths at each elevation), with a warning, so an index whose names
  differ from the files does not stop the build; a folder with neither
  raises an error listing the missing renders and what both tries found
  (an incomplete extraction). A render that cannot be read (unreadable, a
  broken link) or decoded is skipped with a warning naming it
  (`video_io.SkippedFiles`) and the sequences that need it are left out.
"""

from __future__ import annotations

import collections
import dataclasses
import io
import logging
import re

from etils import epath
import numpy as np
from PIL import Image
import scipy.io
import tensorflow_datasets as tfds

from tfds_builders import video_io
from tfds_builders import video_utils

_HOMEPAGE = "https://www.di.ens.fr/willow/research/seeing3Dchairs/"
_URL = _HOMEPAGE + "data/rendered_chairs.tar"
ROOT_NAME = "rendered_chairs"
INDEX_NAME = "all_chair_names.mat"
NUM_MODELS = 1393
ELEVATIONS = (20, 30)
NUM_AZIMUTHS = 31
CLIP_LENGTH = 16
START_INDEX = 15  # "the 16th frame"
DIRECTIONS = ("increasing_azimuth", "decreasing_azimuth")
FRAME_SIZE = 64
SPLIT_SEED = 0
# Anti-aliased edges fade into the white background; 250 keeps them.
CHAIR_MAX_LEVEL = 250
BORDER_FRACTION = 0.05
_RENDER_NAME = re.compile(r"image_(\d+)_p(\d+)_t(\d+)_r(\d+)\.png")
_LISTED_MISSING = 10


@dataclasses.dataclass(eq=False)
class ChairsConfig(tfds.core.BuilderConfig):
  """Which paper's model subset, crop and split rule."""

  num_chairs: int = 820  # Out of NUM_MODELS, scaled for a smaller index.
  crop: str = "centre"  # 'centre' (navsynth) or 'chair_box' (videovae).
  split_rule: str = "held_out_chairs"  # or 'one_sequence_per_chair'.


def _instructions(root: epath.PathLike) -> str:
  return (
    f"Expected the extracted {_URL} at {root}: {INDEX_NAME} and one folder "
    "per model, <model>/renders/image_<NNN>_p<elev>_t<azim>_r<dist>.png. "
    "Delete the partial extraction (and the .tar in <data_dir>/downloads if "
    "it is truncated) and prepare again, or extract the archive so that "
    f"{root}/{INDEX_NAME} exists."
  )


def find_root(extracted: epath.PathLike) -> epath.Path:
  """The `rendered_chairs` folder in an extracted archive (or itself)."""
  extracted = epath.Path(extracted)
  nested = extracted / ROOT_NAME
  if not (extracted / INDEX_NAME).exists() and nested.is_dir():
    return nested
  return extracted


def _cell_strings(cell, key: str, path) -> list[str]:
  if cell is None:
    raise ValueError(f"{path} has no '{key}'; it is not the chairs index.")
  # loadmat returns a MATLAB cell row as an object array of 1-element arrays.
  return [str(np.asarray(item).ravel()[0]) for item in np.ravel(cell)]


def read_index(root: epath.PathLike) -> tuple[list[str], list[str]]:
  """(model folder names, render file names) from all_chair_names.mat."""
  path = epath.Path(root) / INDEX_NAME
  if not path.exists():
    raise FileNotFoundError(f"Missing {path}.\n{_instructions(root)}")
  try:
    mat = scipy.io.loadmat(io.BytesIO(path.read_bytes()))
  except (ValueError, NotImplementedError, OSError) as e:
    raise ValueError(f"Cannot read {path} ({e}).\n{_instructions(root)}") from e
  models = _cell_strings(mat.get("folder_names"), "folder_names", path)
  repeated = sorted(name for name, count in collections.Counter(models).items()
                    if count > 1)
  if repeated:
    # Their examples would share keys, and TFDS would fail at the end of a
    # long build; the archive has each model once.
    raise ValueError(
      f"{path} lists {len(repeated)} model folders more than once in "
      f"'folder_names': {', '.join(repeated[:_LISTED_MISSING])}"
      + (" ..." if len(repeated) > _LISTED_MISSING else "")
      + f".\n{_instructions(root)}")
  return models, _cell_strings(mat.get("instance_names"), "instance_names",
                               path)


def model_sweeps(root: epath.PathLike, models,
                 renders) -> dict[str, dict[int, list[str]]]:
  """Each model's sweeps; raises an error listing what is missing.

  A model's render names are the index's `instance_names` when its folder
  holds them all. Otherwise, in case the index and the files disagree on
  the names, the folder's own listing is used if it is a full set (62 names
  image_<NNN>_p<elev>_t<azim>_r<dist>.png, 31 azimuths at each elevation),
  with a warning. A model with neither is an error saying what both tries
  found.
  """
  root = epath.Path(root)
  try:
    index_sweeps, index_problem = sweeps(renders), None
  except ValueError as e:
    index_sweeps, index_problem = None, e
  result, from_listing, lacking, empty, missing = {}, [], [], 0, []
  for model in models:
    folder = root / model / "renders"
    present = {p.name for p in folder.iterdir()} if folder.is_dir() else set()
    if index_sweeps and all(name in present for name in renders):
      result[model] = index_sweeps
      continue
    listed = sorted(name for name in present if _RENDER_NAME.fullmatch(name))
    try:
      result[model] = sweeps(listed)
      from_listing.append(model)
      continue
    except ValueError:
      pass
    lacking.append(f"{model}/renders/: {len(listed)} such renders")
    empty += not present
    missing.extend(f"{model}/renders/{name}" for name in renders
                   if name not in present)
  if lacking:
    if index_problem:
      first_try = (f"the index's instance_names are unusable "
                   f"({index_problem})")
    else:
      first_try = (
        f"{len(missing)} of the {len(lacking) * len(renders)} renders that "
        f"instance_names in {root / INDEX_NAME} names for them are missing, "
        "e.g.:\n  " + "\n  ".join(missing[:_LISTED_MISSING]))
    raise FileNotFoundError(
      f"{len(lacking)} of {len(models)} model folders lack renders "
      f"({empty} of them empty). Tried, for each: (1) the index: {first_try}"
      f"\n(2) the folder's own listing, which needs {2 * NUM_AZIMUTHS} "
      "renders named image_<NNN>_p<elev>_t<azim>_r<dist>.png, "
      f"{NUM_AZIMUTHS} azimuths at each elevation {ELEVATIONS}; found, "
      "e.g.:\n  " + "\n  ".join(lacking[:_LISTED_MISSING])
      + f"\n{_instructions(root)}"
    )
  if from_listing:
    logging.warning(
      "chairs: %d of %d model folders (e.g. %s) lack the render names of "
      "instance_names in %s but hold a full set of %d renders; their own "
      "file names are used.", len(from_listing), len(models),
      from_listing[0], root / INDEX_NAME, 2 * NUM_AZIMUTHS)
  return result


def parse_render_name(name: str) -> tuple[int, int]:
  """'image_020_p020_t232_r096.png' -> (elevation 20, azimuth 232)."""
  match = _RENDER_NAME.fullmatch(name)
  if not match:
    raise ValueError(f"Unexpected render name {name!r}; expected "
                     "image_<NNN>_p<elev>_t<azim>_r<dist>.png.")
  return int(match.group(2)), int(match.group(3))


def sweeps(render_names) -> dict[int, list[str]]:
  """Elevation -> its render names in increasing azimuth (the sequence)."""
  by_elevation = collections.defaultdict(list)
  for name in render_names:
    elevation, azimuth = parse_render_name(name)
    by_elevation[elevation].append((azimuth, name))
  azimuths = {e: sorted(a for a, _ in v) for e, v in by_elevation.items()}
  if tuple(sorted(by_elevation)) != ELEVATIONS or any(
      len(set(a)) != NUM_AZIMUTHS or len(a) != NUM_AZIMUTHS
      for a in azimuths.values()):
    raise ValueError(
      f"Expected {NUM_AZIMUTHS} distinct azimuths at each elevation "
      f"{ELEVATIONS}; the index has "
      f"{ {e: len(a) for e, a in sorted(azimuths.items())} }.")
  return {e: [name for _, name in sorted(v)]
          for e, v in sorted(by_elevation.items())}


def sequence_frames(sweep: list[str], direction: str) -> list[str]:
  """The 16 render names of one sequence, from the 16th frame on."""
  if direction == DIRECTIONS[0]:
    return sweep[START_INDEX:START_INDEX + CLIP_LENGTH]
  return sweep[START_INDEX::-1][:CLIP_LENGTH]


def sequence_id(model: str, elevation: int, direction: str) -> str:
  return f"{model}/p{elevation:03d}/{direction}"


def parse_sequence_id(seq_id: str) -> tuple[str, int, str]:
  model, elevation, direction = seq_id.split("/")
  return model, int(elevation[1:]), direction


def sequence_ids(models) -> list[str]:
  return [sequence_id(m, e, d)
          for m in sorted(models) for e in ELEVATIONS for d in DIRECTIONS]


def choose_models(models, paper_count: int) -> tuple[list[str], list[str]]:
  """(chosen, rest): the first of a seeded permutation of the sorted names."""
  names = sorted(set(models))  # A function of the set, as documented.
  count = round(paper_count * len(names) / NUM_MODELS)
  order = np.random.default_rng(SPLIT_SEED).permutation(len(names))
  chosen = sorted(names[i] for i in order[:count])
  return chosen, sorted(set(names) - set(chosen))


def pick_test_sequences(seq_ids) -> dict[str, list[str]]:
  """One sequence of each model to `test` (seeded), the rest to `train`."""
  by_model = collections.defaultdict(list)
  for seq_id in seq_ids:
    by_model[parse_sequence_id(seq_id)[0]].append(seq_id)
  rng = np.random.default_rng(SPLIT_SEED)
  splits = {"train": [], "test": []}
  for model in sorted(by_model):
    candidates = sorted(by_model[model])
    test_index = rng.integers(len(candidates))
    splits["test"].append(candidates[test_index])
    splits["train"].extend(s for i, s in enumerate(candidates)
                           if i != test_index)
  return splits


def split_sequences(config: ChairsConfig, models) -> dict[str, list[str]]:
  """The split rule of `config` over the index's model folder names."""
  chosen, rest = choose_models(models, config.num_chairs)
  if config.split_rule == "held_out_chairs":
    return {"train": sequence_ids(chosen), "test": sequence_ids(rest)}
  if config.split_rule == "one_sequence_per_chair":
    return pick_test_sequences(sequence_ids(chosen))
  raise ValueError(f"Unknown split_rule {config.split_rule!r}.")


def decode_render(data: bytes, name: str) -> np.ndarray:
  """PNG bytes -> uint8 [H, W, 3] RGB, transparency composited on white."""
  try:
    with Image.open(io.BytesIO(data)) as image:
      image.load()  # Decodes now, so truncated files fail here.
      if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        image = image.convert("RGBA")
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, image)
      return np.asarray(image.convert("RGB"))
  except (OSError, SyntaxError, ValueError) as e:
    # PIL reports broken files as any of these.
    raise video_io.CorruptVideoError(f"{name}: cannot decode ({e}).") from e


def chair_box(frames):
  """(top, left, bottom, right), exclusive, of the chair pixels in any frame."""
  mask = np.zeros(frames[0].shape[:2], dtype=bool)
  for frame in frames:
    # Pairwise minima: numpy's min over a last axis of 3 is ~10x slower.
    darkest = np.minimum(np.minimum(frame[..., 0], frame[..., 1]),
                         frame[..., 2])
    mask |= darkest < CHAIR_MAX_LEVEL
  rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(0))
  if rows.size == 0:
    return None
  return rows[0], cols[0], rows[-1] + 1, cols[-1] + 1


def crop_square(frames, centre_y: float, centre_x: float,
                side: int) -> np.ndarray:
  """T frames [H, W, 3] -> [T, side, side, 3] about a centre; white outside."""
  height, width = frames[0].shape[:2]
  top, left = int(round(centre_y - side / 2)), int(round(centre_x - side / 2))
  out = np.full((len(frames), side, side, 3), 255, dtype=np.uint8)
  src_top, src_left = max(top, 0), max(left, 0)
  src_bottom, src_right = min(top + side, height), min(left + side, width)
  for crop, frame in zip(out, frames):
    crop[src_top - top:src_bottom - top, src_left - left:src_right - left] = (
      frame[src_top:src_bottom, src_left:src_right])
  return out


def crop_chairs(frames, crop: str) -> np.ndarray:
  """One model's renders [H, W, 3] -> their crop (module docstring), 64x64."""
  height, width = frames[0].shape[:2]
  box = chair_box(frames)
  if box is None:  # A blank model: keep the whole render.
    box = (0, 0, height, width)
  top, left, bottom, right = box
  if crop == "centre":
    half = max(height / 2 - top, bottom - height / 2,
               width / 2 - left, right - width / 2)
    side = min(int(np.ceil(2 * half * (1 + 2 * BORDER_FRACTION))),
               min(height, width))
    cropped = crop_square(frames, height / 2, width / 2, side)
  elif crop == "chair_box":
    extent = max(bottom - top, right - left)
    side = int(np.ceil(extent * (1 + 2 * BORDER_FRACTION)))
    cropped = crop_square(frames, (top + bottom) / 2, (left + right) / 2, side)
  else:
    raise ValueError(f"Unknown crop {crop!r}.")
  return video_io.resize(cropped, FRAME_SIZE)


def make_model_examples(root, model, sweeps_of_model, label, crop):
  """(reads, examples) of one model: reads has (path, error or None) for
  each render, examples a seq id -> example for each of its sequences whose
  renders could all be read."""
  names = [n for e in ELEVATIONS for n in sweeps_of_model[e]]
  reads, decoded = [], {}
  for name in names:
    path = epath.Path(root) / model / "renders" / name
    try:
      frame = decode_render(path.read_bytes(), str(path))
      shape = next(iter(decoded.values())).shape if decoded else None
      if shape and frame.shape != shape:
        raise video_io.CorruptVideoError(
          f"{path}: {frame.shape[1]}x{frame.shape[0]}, unlike the "
          f"{shape[1]}x{shape[0]} of the model's other renders.")
    # OSError: listed but unreadable (permissions, a broken link); like an
    # undecodable render it costs the sequences that need it, not the build.
    except (video_io.CorruptVideoError, OSError) as e:
      reads.append((str(path), e))
      continue
    decoded[name] = frame
    reads.append((str(path), None))
  if not decoded:
    return reads, {}
  frames = dict(zip(decoded, crop_chairs(list(decoded.values()), crop)))
  examples = {}
  for elevation in ELEVATIONS:
    for direction in DIRECTIONS:
      wanted = sequence_frames(sweeps_of_model[elevation], direction)
      if any(name not in frames for name in wanted):
        continue
      seq_id = sequence_id(model, elevation, direction)
      examples[seq_id] = {
        "video": video_utils.encode_png_frames(
          np.stack([frames[n] for n in wanted])),
        "chair": label,
        "elevation": str(elevation),
        "direction": direction,
        "id": seq_id,
      }
  return reads, examples


class _MadeOnce:
  """Makes each model's examples once, for whichever split asks first.

  videovae puts 3 sequences of each of its models in `train` and 1 in
  `test`; decoding all 62 renders of all 809 models for each split would
  double its prepare time. The examples a later split still needs wait here
  as PNG bytes (~30 kB a sequence: ~25 MB for videovae's `test`, ~75 MB if
  `test` were built first); navsynth's splits share no model, so nothing
  waits.
  """

  def __init__(self, splits: dict[str, list[str]], make):
    self._make = make
    self._made = {}
    # How many splits have yet to ask for each model.
    self._askers = collections.Counter(
      model for ids in splits.values()
      for model in {parse_sequence_id(s)[0] for s in ids})

  def take(self, model: str):
    if model not in self._made:
      self._made[model] = self._make(model)
    made = self._made[model]
    self._askers[model] -= 1
    if self._askers[model] <= 0:
      del self._made[model]
    return made


class Chairs(
  video_utils.NumpyVideoDataSourceMixin, tfds.core.GeneratorBasedBuilder
):
  """Chair-CAD rotation videos (Aubry et al.'s renders), downloaded."""

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {
    "1.0.0": "Initial release.",
  }
  BUILDER_CONFIGS = [
    ChairsConfig(
      name="navsynth",
      description="820 seeded models, 4 sequences each, centre crop; test = "
      "the other 573 models (navsynth paper).",
      num_chairs=820, crop="centre", split_rule="held_out_chairs",
    ),
    ChairsConfig(
      name="videovae",
      description="809 seeded models, 4 sequences each (3 train, 1 test), "
      "crop to the chair plus a small border (VideoVAE paper).",
      num_chairs=809, crop="chair_box", split_rule="one_sequence_per_chair",
    ),
  ]
  DEFAULT_BUILDER_CONFIG_NAME = "navsynth"

  def _info(self) -> tfds.core.DatasetInfo:
    return self.dataset_info_from_configs(
      features=tfds.features.FeaturesDict({
        "video": tfds.features.Video(
          shape=(CLIP_LENGTH, FRAME_SIZE, FRAME_SIZE, 3),
          encoding_format="png",
        ),
        "chair": tfds.features.ClassLabel(num_classes=NUM_MODELS),
        "elevation": tfds.features.ClassLabel(
          names=[str(e) for e in ELEVATIONS]),
        "direction": tfds.features.ClassLabel(names=list(DIRECTIONS)),
        "id": tfds.features.Text(),
      }),
      supervised_keys=None,
      homepage=_HOMEPAGE,
    )

  def _split_generators(self, dl_manager: tfds.download.DownloadManager):
    root = find_root(dl_manager.download_and_extract(_URL))
    models, renders = read_index(root)
    if len(models) > NUM_MODELS:
      raise ValueError(f"{root / INDEX_NAME} lists {len(models)} models; the "
                       f"chairs archive has {NUM_MODELS}.")
    sweeps_by_model = model_sweeps(root, models, renders)
    labels = {m: i for i, m in enumerate(sorted(models))}
    splits = split_sequences(self.builder_config, models)
    made = _MadeOnce(splits, lambda model: make_model_examples(
      root, model, sweeps_by_model[model], labels[model],
      self.builder_config.crop))
    return {split: self._generate_examples(split, ids, made)
            for split, ids in splits.items()}

  def _generate_examples(self, split, seq_ids, made):
    skipped = video_io.SkippedFiles(f"chairs/{self.builder_config.name}",
                                    split)
    by_model = collections.defaultdict(list)
    for seq_id in seq_ids:
      by_model[parse_sequence_id(seq_id)[0]].append(seq_id)
    for model in sorted(by_model):
      reads, examples = made.take(model)
      # Replayed for the second split of a model, so each split's log
      # names and counts the renders its examples needed.
      for path, error in reads:
        if error is None:
          skipped.ok()
        else:
          skipped.skip(path, error)
      for seq_id in sorted(by_model[model]):
        if seq_id in examples:  # Else an unreadable render, logged above.
          yield seq_id, examples.pop(seq_id)
    skipped.summary()

