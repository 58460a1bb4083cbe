"""tf.data input pipeline: clips, anchors, and sharding per process.

Training batches are a pure function of (seed, step): the example at global
position p = b * batch_size + slot, b = step div train.updates_per_batch
(1 unless a family fits each batch with several steps), is
`index_shuffle(p mod n)` of epoch p div n; its sub-clip offset (or frame 0
with dataset.train_clip_start="first") and anchors are drawn from an rng
seeded by (seed, p). A run resumed at step s therefore reads exactly the
batches an uninterrupted run reads, in O(1), without checkpointing iterator
state. This needs random access, so datasets are prepared in TFDS's
array_record format and read through `builder.as_data_source`.

Each process reads only its slots of every global batch (multi-host), the
evaluation clips are the centre N frames of the test split with anchors fixed
per clip, and frames are float32 in [-1, 1].

Semi-supervised training (`dataset.labelled_fraction` < 1) hides the labels
of the training examples outside a fixed, seeded subset (`labelled_subset`):
their label values read -1. Evaluation always sees the true labels.
"""

from __future__ import annotations

import collections.abc
import re
from typing import Callable, Iterator, Sequence

from etils import epath
import numpy as np
from PIL import Image
import tensorflow as tf
import tensorflow_datasets as tfds

import tfds_builders
from video_inference import anchors as anchors_lib
from video_inference import errors

# Name -> builder, note, how it is prepared. The table lives beside the
# builders it names, so a new dataset is one entry there.
DATASETS = tfds_builders.DATASETS


class DatasetNotPreparedError(FileNotFoundError):
  """The dataset's records are missing; the message says how to make them."""


class DamagedRecordError(ValueError):
  """A prepared record cannot be read; the message names it and the fix."""


class _CheckedSource(collections.abc.Sequence):
  """A split's random-access source whose unreadable records are named.

  A damaged array_record file fails deep in its reader (a checksum or a
  decompression error) with no word of which dataset, split or record;
  this names them and the command that rebuilds the files.
  """

  def __init__(self, source, name: str, split: str, data_dir: str,
               rebuild: str):
    self._source, self._name, self._split = source, name, split
    self._data_dir, self._rebuild = data_dir, rebuild

  def __len__(self) -> int:
    return len(self._source)

  def __getitem__(self, index):
    try:
      return self._source[index]
    except IndexError:
      raise
    except Exception as error:  # pylint: disable=broad-except
      raise DamagedRecordError(
          f"Record {index} of split {self._split!r} of dataset "
          f"{self._name!r} cannot be read ({errors.one_line(error)}): the "
          f"prepared files in {self._data_dir} are "
          f"damaged. Move that folder away and rebuild it with: "
          f"{self._rebuild}") from error

  def __getattr__(self, name):
    # dataset_info and the rest of the TFDS data source's interface.
    if name.startswith("_"):
      raise AttributeError(name)
    return getattr(self._source, name)


def prepare_command(name: str) -> str:
  dataset = DATASETS.get(name.split("/")[0])
  command = f"python -m video_inference.prepare --dataset={name}"
  if dataset is not None and dataset.manual:
    command += " --manual_dir=DIR"
  return command


def get_builder(name: str, data_dir: str | None = None):
  """The project's TFDS builder for `name` ('dataset' or 'dataset/config')."""
  base, _, config = name.partition("/")
  if base not in DATASETS:
    raise ValueError(f"Unknown dataset {name!r}; valid datasets: "
                     f"{sorted(DATASETS)}.")
  builder_class = DATASETS[base].builder
  configs = [c.name for c in builder_class.BUILDER_CONFIGS]
  if config and config not in configs:
    raise ValueError(
        f"Dataset {base!r} has no config {config!r}; valid: "
        + (", ".join(f"{base}/{c}" for c in configs) or f"none, use {base!r}")
        + ".")
  # Instantiated directly rather than through tfds.builder(name): ucf101's
  # name belongs to TFDS's own builder.
  return builder_class(config=config or None, data_dir=data_dir or None)


def is_prepared(builder) -> bool:
  if not (epath.Path(builder.data_dir) / "dataset_info.json").exists():
    return False
  return builder.info.file_format == tfds.core.FileFormat.ARRAY_RECORD


def load_source(dataset_config, split: str):
  """Random-access source of a split; prepares procedural data on first use."""
  builder = get_builder(dataset_config.name, dataset_config.data_dir)
  if not is_prepared(builder):
    base = dataset_config.name.split("/")[0]
    if DATASETS[base].procedural:
      print(f"Generating {dataset_config.name} into {builder.data_dir} "
            "(once; procedural, no download)...", flush=True)
      builder.download_and_prepare(file_format="array_record")
    else:
      raise DatasetNotPreparedError(
          f"Dataset {dataset_config.name!r} is not prepared in "
          f"{builder.data_dir} (array_record format). Prepare it with: "
          f"{prepare_command(dataset_config.name)}"
          + (f" --data_dir={dataset_config.data_dir}"
             if dataset_config.data_dir else ""))
  # TFDS slicing ("train[:640]", "train[:10%]") names its split first.
  if split.split("[")[0] not in builder.info.splits:
    raise ValueError(f"Dataset {dataset_config.name!r} has no split {split!r}; "
                     f"it has {sorted(builder.info.splits)}.")
  rebuild = (f"{prepare_command(dataset_config.name)}"
             + (f" --data_dir={dataset_config.data_dir}"
                if dataset_config.data_dir else ""))
  return _CheckedSource(builder.as_data_source(split), dataset_config.name,
                        split, builder.data_dir, rebuild)


def to_model_frames(video: np.ndarray, resolution: int,
                    channels: int) -> np.ndarray:
  """uint8 [T, H, W, C] -> float32 [T, r, r, channels] in [-1, 1]."""
  if video.ndim != 4 or video.shape[-1] not in (1, 3, 4):
    raise ValueError(f"Expected a video [T, H, W, C] with C in (1, 3, 4), got "
                     f"shape {video.shape}.")
  video = video[..., :3]  # Drop alpha.
  if video.shape[1:3] != (resolution, resolution):
    video = np.stack([
        np.asarray(Image.fromarray(frame.squeeze(-1) if frame.shape[-1] == 1
                                   else frame).resize(
                                       (resolution, resolution),
                                       Image.Resampling.BILINEAR))
        for frame in video]).reshape((len(video), resolution, resolution, -1))
  if channels == 1 and video.shape[-1] == 3:
    # ITU-R 601 luma, as tf.image.rgb_to_grayscale.
    video = (video @ np.array([0.2989, 0.5870, 0.1140]))[..., None]
  elif channels == 3 and video.shape[-1] == 1:
    video = np.repeat(video, 3, axis=-1)
  return (video.astype(np.float32) / 127.5 - 1.0)


def _clip_span(num_frames: int, stride: int) -> int:
  return (num_frames - 1) * stride + 1


def _clip(video: np.ndarray, num_frames: int, start: int,
          stride: int = 1) -> np.ndarray:
  span = _clip_span(num_frames, stride)
  if len(video) < span:
    raise ValueError(f"A video of {len(video)} frames is shorter than the "
                     f"requested clip of {num_frames} frames at stride "
                     f"{stride} ({span} frames).")
  return video[start:start + span:stride]


def _label(example, name: str) -> np.int32:
  if name not in example:
    raise KeyError(f"dataset.labels names {name!r}, which this dataset's "
                   f"examples do not have; they have {sorted(example)}.")
  return np.int32(example[name])


# Training example p draws from the rng [seed, p]; positions never get this
# far, so the labelled subset's stream is never one of theirs.
_LABELLED_SUBSET_STREAM = 2**62

# dataset.train_clip_start values.
TRAIN_CLIP_STARTS = ("random", "first")

# The value a hidden label reads in a training batch.
HIDDEN_LABEL = -1


def labelled_subset(num_examples: int, fraction: float, seed: int,
                    labels_of: Callable[[int], Sequence[int]] | None = None,
                    num_classes: Sequence[int] = ()) -> np.ndarray:
  """Bool [num_examples]: which training examples keep their labels.

  round(fraction * num_examples) examples are chosen by a permutation
  seeded by `seed` alone, so every call in every process (and every resumed
  run) agrees on the subset. With `labels_of` (index -> one class per
  label) and `num_classes` (per label), a class the subset misses gains the
  next example of that class in the same seeded order: a classifier
  trained on the subset sees every class the split has (20% of 72 strips
  drawn blindly left a person with no label 87% of the time).
  """
  if not 0.0 <= fraction <= 1.0:  # Also refuses NaN.
    raise ValueError(f"dataset.labelled_fraction={fraction} is not in "
                     "[0, 1].")
  rng = np.random.default_rng([seed, _LABELLED_SUBSET_STREAM])
  order = rng.permutation(num_examples)
  count = round(fraction * num_examples)
  labelled = np.zeros(num_examples, dtype=bool)
  labelled[order[:count]] = True
  if labels_of is None or count in (0, num_examples):
    return labelled
  seen = [set() for _ in num_classes]
  for index in order[:count]:
    for classes, value in zip(seen, labels_of(int(index))):
      classes.add(int(value))
  for index in order[count:]:
    if all(len(c) == n for c, n in zip(seen, num_classes)):
      break
    values = [int(v) for v in labels_of(int(index))]
    if any(v not in c for c, v in zip(seen, values)):
      labelled[index] = True
      for classes, value in zip(seen, values):
        classes.add(value)
  return labelled


def train_dataset(config, start_step: int = 0, process_index: int = 0,
                  process_count: int = 1, source=None,
                  labelled_only_steps: int = 0) -> tf.data.Dataset:
  """This process's share of every global training batch from `start_step`.

  Yields {'video': float32 [b, N, r, r, C], 'anchor_mask': bool [b, N],
  'index': int32 [b] (the example's position in the split), and one int32 [b]
  per name in `dataset.labels`} with b = batch_size / process_count.

  With `dataset.labelled_fraction` < 1, only the examples in
  `labelled_subset(len(split), labelled_fraction, config.seed, ...)` (every
  class of every label included) carry their labels; every label of every
  other example reads HIDDEN_LABEL (-1). 'video' and 'index' are never
  hidden. The batches of the steps before `labelled_only_steps` (a phase
  that learns from labels alone: `Phase.labelled_only`) are drawn from that
  subset only, shuffled by their own stream; every later batch is the one
  it would be without them.
  """
  data, train = config.dataset, config.train
  if train.batch_size % process_count:
    raise ValueError(f"train.batch_size={train.batch_size} is not divisible "
                     f"by the {process_count} processes.")
  source = source if source is not None else load_source(data, data.train_split)
  num_examples = len(source)
  local_batch = train.batch_size // process_count
  seed = config.seed
  span = _clip_span(data.num_frames, data.frame_stride)
  if data.train_clip_start not in TRAIN_CLIP_STARTS:
    raise ValueError(f"dataset.train_clip_start={data.train_clip_start!r} "
                     f"is not one of {TRAIN_CLIP_STARTS}.")
  fixed_window = data.train_clip_start == "first"
  anchor_kwargs = dict(config.anchors)

  labels = tuple(data.labels)
  # Computed even at fraction 1 (all True) so a bad fraction is refused.
  features = source.dataset_info.features if labels else {}
  labelled = labelled_subset(
      num_examples, data.labelled_fraction, seed,
      labels_of=lambda i: [_label(source[i], name) for name in labels],
      num_classes=[features[name].num_classes for name in labels])

  def load(index, position):
    rng = np.random.default_rng([seed, int(position)])
    example = source[int(index)]
    video = example["video"]
    # Drawn even for a fixed window, so the anchors' stream is the same.
    start = int(rng.integers(0, max(len(video) - span, 0) + 1))
    if fixed_window:
      start = 0
    clip = to_model_frames(_clip(video, data.num_frames, start,
                                 data.frame_stride),
                           data.resolution, data.channels)
    mask = anchors_lib.sample_anchor_mask(rng, data.num_frames,
                                          **anchor_kwargs)
    label_values = [_label(example, name) for name in labels]
    if not labelled[int(index)]:
      label_values = [np.int32(HIDDEN_LABEL)] * len(labels)
    return (clip, mask, np.int32(index), *label_values)

  def permuted(position, count, stream):
    """position mod count through the permutation of (seed, stream)."""
    return tf.random.experimental.index_shuffle(
        position % count, seed=tf.stack([tf.cast(seed, tf.int64), stream]),
        max_index=count - 1)

  def shuffled(position):
    index = permuted(position, num_examples, position // num_examples)
    if restrict_to_labelled:
      # Epochs over the labelled subset: negative stream numbers, so this
      # shuffle never repeats one of the whole split's.
      labelled_index = tf.gather(labelled_indices, permuted(
          position, num_labelled, -1 - position // num_labelled))
      index = tf.where(position < labelled_only_positions, labelled_index,
                       index)
    return index, position

  def load_tf(index, position):
    clip, mask, example_index, *label_values = tf.numpy_function(
        load, [index, position],
        (tf.float32, tf.bool, tf.int32) + (tf.int32,) * len(labels))
    clip.set_shape((data.num_frames, data.resolution, data.resolution,
                    data.channels))
    mask.set_shape((data.num_frames,))
    example_index.set_shape(())
    batch = {"video": clip, "anchor_mask": mask, "index": example_index}
    for name, value in zip(labels, label_values):
      value.set_shape(())
      batch[name] = value
    return batch

  first = process_index * local_batch
  repeats = train.updates_per_batch
  if repeats < 1:
    raise ValueError(f"train.updates_per_batch={repeats} must be >= 1.")
  labelled_indices = tf.constant(np.flatnonzero(labelled), tf.int64)
  num_labelled = int(labelled.sum())
  # Every example labelled: the subset is the split, drawn as always.
  restrict_to_labelled = (labelled_only_steps > 0
                          and num_labelled < num_examples)
  if restrict_to_labelled and not num_labelled:
    raise ValueError(
        f"The first {labelled_only_steps} training steps learn from labels "
        f"alone, but dataset.labelled_fraction={data.labelled_fraction} "
        f"leaves none of the {num_examples} training examples labelled.")
  # In positions: the batches of the steps before labelled_only_steps.
  labelled_only_positions = (-(-labelled_only_steps // repeats)
                             * train.batch_size)
  # Step s trains on batch s // repeats: `repeats` consecutive steps share
  # one batch (loaded once), and the batch of any step is still known
  # without state.
  batches = tf.data.Dataset.range(start_step // repeats,
                                  -(-train.num_steps // repeats))
  positions = batches.flat_map(lambda batch: tf.data.Dataset.range(
      batch * train.batch_size + first,
      batch * train.batch_size + first + local_batch))
  ds = positions.map(shuffled).map(
      load_tf, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
  ds = ds.batch(local_batch, drop_remainder=True)

  def repeat_for_its_steps(batch_index, batch):
    steps = (tf.minimum((batch_index + 1) * repeats, train.num_steps)
             - tf.maximum(batch_index * repeats, start_step))
    return tf.data.Dataset.from_tensors(batch).repeat(steps)

  ds = tf.data.Dataset.zip((batches, ds)).flat_map(repeat_for_its_steps)
  return ds.prefetch(2)


def eval_clips(config, num_clips: int,
               anchor_times: Sequence[int] | None = None, source=None,
               split: str | None = None) -> dict[str, np.ndarray]:
  """The first `num_clips` clips (centre N frames) of `split` with anchors.

  num_clips <= 0 takes every clip of the split. A run that trains on one
  fixed window (`dataset.train_clip_start="first"`) is evaluated on that
  window too: the first N frames (`eval_clip_start`).

  `split` defaults to dataset.eval_split; `source`, when given, is that
  split's data source already opened.
  Anchors are `anchor_times` for every clip when given, else drawn with the
  training strategy from an rng seeded by the clip's index, so every
  evaluation of every run sees the same anchor sets.
  """
  data = config.dataset
  if source is None:
    source = load_source(data, split or data.eval_split)
  num_clips = len(source) if num_clips <= 0 else min(num_clips, len(source))
  videos, masks, labels = [], [], {name: [] for name in data.labels}
  for index in range(num_clips):
    example = source[index]
    for name in labels:
      labels[name].append(_label(example, name))
    video = example["video"]
    span = _clip_span(data.num_frames, data.frame_stride)
    start = (0 if eval_clip_start(config) == "first"
             else max(len(video) - span, 0) // 2)
    videos.append(to_model_frames(
        _clip(video, data.num_frames, start, data.frame_stride),
        data.resolution, data.channels))
    if anchor_times is not None:
      masks.append(anchors_lib.mask_from_times(anchor_times, data.num_frames))
    else:
      rng = np.random.default_rng([config.seed, 1_000_003, index])
      masks.append(anchors_lib.sample_anchor_mask(rng, data.num_frames,
                                                  **config.anchors))
  return {"video": np.stack(videos), "anchor_mask": np.stack(masks),
          "index": np.arange(num_clips, dtype=np.int32),
          **{name: np.asarray(values, np.int32)
             for name, values in labels.items()}}


def eval_clip_start(config) -> str:
  """Where eval_clips cut their clips: "first" or "centre"."""
  return "first" if config.dataset.train_clip_start == "first" else "centre"


def as_numpy(ds: tf.data.Dataset) -> Iterator[dict[str, np.ndarray]]:
  """The batches of `ds` as numpy; a damaged record read inside tf.data
  (where errors become TensorFlow's) is raised as DamagedRecordError."""
  batches = iter(tfds.as_numpy(ds))
  while True:
    try:
      yield next(batches)
    except StopIteration:
      return
    except tf.errors.OpError as error:
      damaged = re.search(r"DamagedRecordError: (.*?)(?:\n|$)", error.message)
      if damaged:
        raise DamagedRecordError(damaged.group(1)) from None
      raise
