"""Config fields every family shares, the `:tiny` variant, loading and checks.

Every config is locked before a variant changes it, so a misspelt key in a
config file or on the command line (`--config.train.bach_size=8`) is an
error naming the key instead of a silently ignored new field.
"""

from __future__ import annotations

import importlib.util
import math
import os
from typing import Callable

import ml_collections


# Sub-configs that define what a checkpoint contains: a workdir holding a
# checkpoint made with other values here is refused (see train.py).
IDENTITY_FIELDS = ("family", "dataset.name", "dataset.num_frames",
                   "dataset.resolution", "dataset.channels", "model")
# Inside `model`, the one sub-config that only the sampler reads (a
# family's sampler steps, guidance weight...): changing it changes no
# checkpoint, so evaluating a run with other values is allowed.
SAMPLING_FIELD = "sampling"


# config.loss fields added after runs were saved: an older config.json reads
# each as this value, which is what that run trained with.
ADDED_LOSS_FIELDS = {"foreground_background": "temporal_median"}


def sampling_settings(config: ml_collections.ConfigDict) -> dict:
  """A config's sampler settings (model.sampling) as a dict; {} for a
  family without any, or a run saved before its family had them."""
  return dict(config.model.get(SAMPLING_FIELD) or {})


def common_config() -> ml_collections.ConfigDict:
  """Fields every family shares: data, anchors, loop, evaluation, sampling."""
  config = ml_collections.ConfigDict()
  config.family = ""
  config.seed = 0

  config.dataset = dict(
      name="shape_motion",   # A key of input_pipeline.DATASETS.
      data_dir="",           # "" -> $TFDS_DATA_DIR or ~/tensorflow_datasets.
      train_split="train",
      eval_split="test",     # What `main --mode=evaluate` scores.
      validation_split="",   # Training's evaluations; "" -> eval_split.
      num_frames=16,         # Clip length N the model sees.
      frame_stride=1,        # Take every k-th frame of the source video.
      # Where a training clip starts in a longer video: "random" (a fresh
      # offset per draw) or "first" (always frame 0: one fixed window).
      train_clip_start="random",
      resolution=64,
      channels=3,
      # Integer label features batches carry besides 'index' (e.g. navsynth's
      # ("person", "action") latent tables).
      labels=(),
      # Fraction of training examples whose `labels` batches see; the others
      # carry -1 (semi-supervised training, videovae section 4.1).
      labelled_fraction=1.0,
  )
  # Training anchors; see input_pipeline.ANCHOR_STRATEGIES.
  config.anchors = dict(strategy="random", min_anchors=2, max_anchors=6,
                        first_k=4)

  # Reconstruction terms weigh foreground pixels (those that differ from the
  # background: FOREGROUND_BACKGROUNDS) by 1 + foreground_weight: for
  # data whose background is most of the frame (base.foreground_weights).
  # 0: off, as for filmed data.
  config.loss = dict(foreground_weight=0.0, foreground_tolerance=0.1,
                     **ADDED_LOSS_FIELDS)

  config.train = dict(
      batch_size=16,          # Global, over all devices and hosts.
      num_steps=100_000,
      # Consecutive steps that train on the same batch (navsynth's
      # mu_{Z,theta}: its published code fits each video batch with 300
      # updates before the next); 1: a new batch every step.
      updates_per_batch=1,
      # Periodic actions, in steps; 0: never (the end of training still
      # logs, saves, writes previews and evaluates).
      log_every=100,
      checkpoint_every=1000,
      keep_checkpoints=3,
      # Checkpoints at multiples of this step are kept as well as the newest
      # keep_checkpoints, e.g. to choose one by a validation score after
      # training (the papers' best-validation protocol); 0: none.
      keep_checkpoint_every=0,
      sample_every=5000,
      eval_every=0,
      adam_b1=0.5,
      adam_b2=0.999,
      # The training passes' dtype: "float32", or "bfloat16" (mixed
      # precision: parameters, gradients and optimiser states stay float32).
      dtype="float32",
  )
  # The evaluation suite (evaluation/evaluate.py). Each evaluator runs in
  # `main --mode=evaluate` when enabled, and in training's evaluations (every
  # train.eval_every steps and at the end) when also during_training.
  config.evals = dict(
      num_test_clips=64,      # Clips of the split, each with fixed anchors;
                              # 0: the whole split.
      num_validation_clips=-1,  # The same for training's evaluations; -1:
                                # as num_test_clips.
      num_samples=8,          # K samples (generations) per anchor set.
      batch_size=32,          # Videos per generate call.
      best_metric="fvd",      # Training keeps the checkpoint best by this...
      best_mode="min",        # ...lowest ("min") or highest ("max").
      # What `main --mode=evaluate` scores without --step: "latest", "best"
      # (checkpoints_best/, kept by best_metric) or a step number.
      checkpoint="latest",
      # A trivial generator (baselines.BASELINES) scored instead of the
      # run's checkpoint by `main --mode=evaluate`; "" scores the run.
      baseline="",
      baseline_train_clips=512,  # Pool of mean_frame and train_clips.
      frames=dict(enabled=True, during_training=True),
      # foreground_threshold: see evaluation/acd.py (half the dimmest
      # Shape Motion colour, 0..255).
      acd=dict(enabled=True, during_training=True,
               num_prior_videos=256,  # MoCoGAN's and sdvi's 256.
               foreground_threshold=76.5),
      # Per-step pixel motion and the share of still videos (motion.py).
      motion=dict(enabled=True, during_training=True),
      # The model's own reconstruction of the clips against an all-black
      # video (reconstruction.py); on in the families that can reconstruct.
      reconstruction=dict(enabled=False, during_training=False),
      fvd=dict(enabled=True, during_training=True,
               cache_dir=""),  # "" -> <workdir>/fvd_cache.
      # navsynth's motion / frame consistency (VGG16 features: ~10 ms a
      # 64x64 frame on CPU); families without anchors turn it on.
      mcs_fcs=dict(enabled=False, during_training=False, chunk_size=16),
      # videovae's Intra-E / Inter-E / I-score (section 5.2) from a trained
      # classifier run (configs/classifier_<dataset>.py); `labels` form the
      # joint label, () = all the classifier's.
      attribute_scores=dict(enabled=False, during_training=False,
                            classifier_workdir="", labels=()),
      # A classifier family's accuracy on the evaluation clips.
      classification=dict(enabled=False, during_training=False),
  )
  config.sample = dict(
      num_anchor_sets=4,
      num_samples=4,
      anchor_times=(0, 5, 10, 15),
  )
  return config


def make_tiny(config: ml_collections.ConfigDict) -> None:
  """Shrinks a config in place to the test size: 32x32, 4 frames, batch 2.
  A family's own fields shrink in its `config.make_tiny`."""
  config.dataset.name = "shape_motion/tiny"
  config.dataset.train_split = "train"
  config.dataset.validation_split = ""  # Tiny Shape Motion: train/test only.
  config.dataset.num_frames = 4
  config.dataset.frame_stride = 1
  config.dataset.resolution = 32
  config.anchors.update(min_anchors=1, max_anchors=2, first_k=2)
  config.train.update(batch_size=2, num_steps=2, log_every=1,
                      checkpoint_every=1, sample_every=2)
  config.evals.update(num_test_clips=2, num_samples=2, batch_size=2)
  config.evals.acd.num_prior_videos = 4
  config.evals.fvd.enabled = False  # I3D needs >= 9 frames and ~1 s a clip.
  config.sample.update(num_anchor_sets=1, num_samples=2, anchor_times=(0, 3))


# train.dtype's values (models/base.py maps them to the passes' dtype).
TRAIN_DTYPES = ("float32", "bfloat16")

# loss.foreground_background's values: what a pixel is compared with to tell
# foreground (models/base.py's foreground_weights).
FOREGROUND_BACKGROUNDS = {
    "temporal_median": "each pixel's median over the clip's frames (any "
                       "static background)",
    "black": "-1 in every channel (data drawn on black, as Shape Motion)",
}


def check_foreground_background(background: str) -> None:
  if background not in FOREGROUND_BACKGROUNDS:
    raise ValueError(
        f"loss.foreground_background={background!r}; valid: "
        f"{sorted(FOREGROUND_BACKGROUNDS)} ({FOREGROUND_BACKGROUNDS}).")

# Settings every run reads, with the least value that can work. A `*_every`
# of 0 means "never" (periodically; the end of training still saves, writes
# previews and evaluates).
_LEAST_VALUES = {
    "train.num_steps": 1, "train.batch_size": 1, "train.updates_per_batch": 1,
    "train.keep_checkpoints": 1, "train.keep_checkpoint_every": 0,
    "train.log_every": 0,
    "train.checkpoint_every": 0, "train.sample_every": 0,
    "train.eval_every": 0, "dataset.num_frames": 1, "dataset.frame_stride": 1,
    "dataset.resolution": 1, "evals.num_samples": 1, "evals.batch_size": 1,
    "sample.num_anchor_sets": 1, "sample.num_samples": 1,
}


def check_run_settings(config: ml_collections.ConfigDict) -> None:
  """Refuses, before anything runs, a setting that cannot work, naming it."""
  for field, least in _LEAST_VALUES.items():
    try:
      value = lookup(config, field)
    except KeyError:
      continue  # A family without the setting (none today) skips it.
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
      meaning = " (0: never)" if least == 0 else ""
      raise ValueError(f"{field}={value!r}: expected an integer >= "
                       f"{least}{meaning}.")
  if config.train.get("dtype", "float32") not in TRAIN_DTYPES:
    raise ValueError(f"train.dtype={config.train.dtype!r}; valid: "
                     f"{TRAIN_DTYPES}.")
  check_foreground_background(config.loss.foreground_background)
  rate = config.train.get("learning_rate")
  if rate is not None and not (isinstance(rate, (int, float))
                               and math.isfinite(rate) and rate > 0):
    raise ValueError(f"train.learning_rate={rate!r}: expected a finite "
                     "number > 0.")


def is_due(step: int, every: int) -> bool:
  """Whether a periodic action set to `every` steps runs at `step`."""
  return every > 0 and step % every == 0


def apply_variant(config: ml_collections.ConfigDict, variant: str,
                  family_tiny: Callable[[ml_collections.ConfigDict], None]
                  ) -> None:
  """The `:variant` suffix of --config: '' (as written) or 'tiny' (the
  common test size, then `family_tiny`'s changes for the family)."""
  if variant == "tiny":
    make_tiny(config)
    family_tiny(config)
  elif variant:
    raise ValueError(
        f"Unknown config variant {variant!r}; valid: '' or 'tiny'.")


def load_config_file(spec: str) -> ml_collections.ConfigDict:
  """`path/to/config.py[:variant]` -> its get_config(variant), as --config."""
  path, _, variant = spec.partition(":")
  if not os.path.isfile(path):
    raise FileNotFoundError(f"Config file {path} does not exist.")
  module_spec = importlib.util.spec_from_file_location(
      "config_" + os.path.splitext(os.path.basename(path))[0], path)
  module = importlib.util.module_from_spec(module_spec)
  module_spec.loader.exec_module(module)
  return module.get_config(variant)


def parse_step(text: str) -> int | str:
  """A --step value ('latest', 'best' or a step number) -> the checkpoint.
  (`main --mode=evaluate` also takes 'all': `modes.run_evaluate`.)"""
  if text in ("latest", "best"):
    return text
  try:
    return int(text)
  except ValueError:
    raise ValueError(f"--step={text!r}: expected 'latest', 'best' or a step "
                     "number (or, to evaluate, 'all').") from None


def lookup(config: ml_collections.ConfigDict, dotted: str):
  value = config
  for part in dotted.split("."):
    value = value[part]
  return value


def flatten_for_hparams(config: ml_collections.ConfigDict) -> dict:
  """Dotted keys -> scalars (TensorBoard's hparams take no nesting/tuples)."""
  flat = {}

  def visit(prefix, value):
    if isinstance(value, (dict, ml_collections.ConfigDict)):
      for key in value.keys():
        visit(f"{prefix}{key}.", value[key])
    elif isinstance(value, (bool, int, float, str)):
      flat[prefix[:-1]] = value
    else:
      flat[prefix[:-1]] = str(value)

  visit("", config)
  return flat
