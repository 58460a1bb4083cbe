"""Shared config fields and the per-family bases the `configs/` files extend.

Every config is locked before a variant changes it, so a misspelt key in a
config file or on the command line (`--config.train.bach_size=8`) is an
error naming the key instead of a silently ignored new field.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os

from etils import epath
import ml_collections

from video_inference import paths

# Sub-configs that define what a checkpoint contains: a workdir holding a
# checkpoint made with other values here is refused (see train.py).
IDENTITY_FIELDS = ("family", "dataset.name", "dataset.num_frames",
                   "dataset.resolution", "dataset.channels", "model")


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
  # clip's temporal median) by 1 + foreground_weight: for data whose
  # background is most of the frame (base.foreground_weights). 0: off, as
  # for filmed data.
  config.loss = dict(foreground_weight=0.0, foreground_tolerance=0.1)

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


def sdvi_config() -> ml_collections.ConfigDict:
  """The sdvi family at the paper's sizes (App. B)."""
  config = common_config()
  config.family = "sdvi"
  config.model = dict(
      latent_dim=128,            # z_I; not given in the paper.
      video_latent_dim=256,      # z_T: the FC of 256*2 after E_T (App. A).
      base_channels=64,          # DCGAN width.
      discriminator_channels=64,
      gru_hidden_size=512,
      gru_layers=2,              # App. A: two-layer GRUs.
  )
  config.loss.update(
      encoder_recon_weight=50.0,   # lambda1, App. B.
      generator_recon_weight=0.5,  # lambda2, App. B.
      video_recon_weight=1.0,
      video_kl_weight=1.0,
      anchor_weight=1.0,
      content_weight=1.0,
      # Eq. 8's adversarial loss on videos decoded from z_T ~ N(0, I): eq. 12
      # leaves it out, but generation from the prior (Table II) needs the
      # prior path trained. 0 turns it off.
      prior_gan_weight=1.0,
  )
  # Paper setup (App. B; section IV-C: up to 6 anchors of 16 frames). The
  # paper gives neither batch size nor step counts.
  config.anchors.update(strategy="random", min_anchors=2, max_anchors=6)
  # Fig. 10's protocol: 100 anchor settings x 200 samples of z_T.
  config.evals.update(num_test_clips=100, num_samples=200)
  config.train.update(
      batch_size=32,
      num_steps=300_000,
      image_phase_steps=50_000,
      image_frames_per_clip=4,
      image_learning_rate=1e-4,                # E_I, G_I: App. B.
      image_finetune_learning_rate=0.0,        # Video phase; 0: the same.
      image_discriminator_learning_rate=2e-7,  # D_I: App. B.
      temporal_learning_rate=1e-4,             # E_T, G_T: not given.
      video_discriminator_learning_rate=1e-4,  # D_T: not given.
  )
  return config


def inbetween3d_config() -> ml_collections.ConfigDict:
  """The inbetween3d family at the paper's sizes (section 3, 4.1, App. A)."""
  config = common_config()
  config.family = "inbetween3d"
  config.model = dict(
      variant="full",            # "full", "no_fusion" or "naive" (4.2).
      base_channels=64,          # Encoder 64-256, G_V 256-64 (App. A).
      latent_channels=64,        # C of E(x) (3.1).
      discriminator_channels=64,  # D_V and D_I: 64 -> 512.
      num_blocks=24,             # L (3.2).
      noise_dim=128,             # D (3).
      # Anchors the generator fuses (beyond the paper, which has 2: first
      # and last). Train with an anchor strategy that fits it.
      max_anchors=2,
  )
  config.loss.update(gradient_penalty=0.1)  # 3.4.
  config.anchors.update(strategy="first_last")
  # 64x64, 16 frames; checkpoints selected by the validation FVD (4.1) of
  # 100 samples per pair (on 256 validation clips: the paper does not say
  # how many; the whole split every 5000 steps would cost more than the
  # training), and that checkpoint scored on the whole test split.
  config.dataset.update(num_frames=16, resolution=64,
                        validation_split="validation")
  config.evals.update(num_test_clips=0, num_samples=100, checkpoint="best",
                      num_validation_clips=256)
  config.train.update(
      batch_size=32,
      num_steps=500_000,
      checkpoint_every=5000,
      eval_every=5000,
      keep_checkpoints=3,
      learning_rate=5e-5,
      adam_eps=1e-8,
  )
  return config


def navsynth_config() -> ml_collections.ConfigDict:
  """The navsynth family with Table 6's Chair-CAD values (supp. B)."""
  config = common_config()
  config.family = "navsynth"
  config.model = dict(
      static_dim=206,            # D_s (Table 6).
      transient_dim=50,          # D_t.
      gru_hidden_size=500,       # One GRU layer of 500 (4.2).
      base_channels=64,          # DCGAN generator (4.2).
      # Which latent-table row a clip uses: "index" (per video), "shared"
      # (one for all), or a name in dataset.labels (per class).
      static_key="index",
      transient_key="index",
      num_static=1,              # Table rows; training checks they suffice.
      num_transient=1,
      rank=0,                    # rho of 3.3.1; 0: no rank projection.
  )
  config.loss.update(
      # l = 4 band-pass levels (Table 6) and the low-pass residual, as the
      # published code's LapLoss(max_levels=4) computes: 5 terms.
      pyramid_levels=5,
      static_weight=0.01,        # lambda_s.
      triplet_weight=0.01,       # lambda_t.
      triplet_margin=2.0,        # alpha, the hinge margin...
      triplet_window=2,          # ...and the positives' range in frames.
      # Negatives farther than this many frames (the published code's 5).
      triplet_negative_window=5,
  )
  config.dataset.update(num_frames=16, resolution=64, eval_split="train")
  config.anchors.update(strategy="random", min_anchors=1, max_anchors=1)
  config.train.update(
      batch_size=16,                  # Not given in the paper.
      # mu_gamma passes (configs) x updates_per_batch.
      num_steps=1025 * 300,
      generator_steps=1025 * 300,     # Phase "joint" end; see navsynth_steps.
      generator_learning_rate=6.25e-5,  # tau_G.
      rnn_learning_rate=6.25e-5,        # tau_R.
      latent_learning_rate=12.5,        # tau_Z (SGD).
      latent_momentum=0.9,
      # mu_{Z,theta} (Table 6): consecutive steps on each batch.
      updates_per_batch=300,
      adam_b1=0.9, adam_b2=0.999, adam_eps=1e-8,  # Supp. B.
  )
  # No anchors: the frame metrics (which score inferred frames against the
  # clip) and ACD do not apply; FVD and the paper's MCS/FCS do.
  # Section 4.4: 500 videos generated from the learned dictionary.
  config.evals.update(num_test_clips=250, num_samples=2)
  config.evals.frames.update(enabled=False, during_training=False)
  config.evals.acd.update(enabled=False, during_training=False)
  config.evals.mcs_fcs.update(enabled=True, during_training=True)
  config.evals.reconstruction.update(enabled=True, during_training=True)
  config.evals.update(best_metric="mcs", best_mode="min")
  config.sample.update(num_anchor_sets=4, num_samples=4, anchor_times=())
  return config


# 32x32 frames: App. A.4's layers (made for 64x64) keep no pixel there; this
# stack has the same depth and widths and also ends at 4x4x80 = 1280.
ENCODER_LAYERS_32 = ((5, 10, 1), (5, 20, 2), (3, 40, 1), (3, 80, 2))


def videovae_config() -> ml_collections.ConfigDict:
  """The videovae family at the paper's sizes (App. A.4, section 4.1)."""
  config = common_config()
  config.family = "videovae"
  config.model = dict(
      # Holistic attributes {label: classes}; each also in dataset.labels.
      attributes={},
      structured=True,           # +S: the structured latent space (3.2).
      conditional=True,          # +C: z_t fed back to the LSTM (eq. 8).
      encoder_layers=((9, 10, 1), (7, 20, 3), (5, 40, 1), (3, 80, 3)),
      encoder_hidden=1024,
      latent_dim=512,            # Each of psi_q, psi_a, psi_dy.
      mlp_hidden=512,            # phi_tau's hidden layer: not given.
      lstm_size=512,
      dropout=0.5,
      # The decoder's frame layer: "linear" (a Laplace mean; videovae.py
      # says why) or "tanh".
      output="linear",
  )
  # The paper's "pixel-wise L1" read as a unit-scale Laplace likelihood on
  # 8-bit values (0..255): on our [-1, 1] frames that is the KL weighted by
  # 1/127.5. With weight 1 (unit scale on [-1, 1]) the posterior collapsed
  # to the prior on Shape Motion (KL 0.18 nats a frame, black frames).
  config.loss.update(kl_weight=1 / 127.5)
  config.dataset.update(num_frames=16, resolution=64,
                        labelled_fraction=0.2)  # "about 20%" (3.2).
  # Generation from attributes only (section 4.2's first setting); use
  # strategy "first_k" with first_k=1 for prediction from the first frame.
  config.anchors.update(strategy="none", min_anchors=0, max_anchors=0,
                        first_k=1)
  config.train.update(
      batch_size=16,             # Not given.
      num_steps=100_000,         # Not given.
      attribute_steps=5_000,     # Phase "attributes", then "vae".
      learning_rate=1e-4,        # Adam (App. A.4).
      adam_b1=0.9, adam_b2=0.999,
  )
  config.evals.update(num_samples=4, best_metric="fvd", best_mode="min")
  config.evals.reconstruction.update(enabled=True, during_training=True)
  config.evals.frames.update(enabled=False, during_training=False)
  config.evals.acd.update(enabled=False, during_training=False)
  config.sample.update(anchor_times=())
  return config


# The labelled datasets of videovae and of its evaluation classifier, which
# must see the same clips and predict the same labels: dataset fields and
# attributes {label: classes}.
ATTRIBUTE_DATASETS = {
    "shapes": (dict(name="shape_motion",
                    labels=("shape", "direction", "hue")),
               dict(shape=2, direction=2, hue=6)),
    # MoCoGAN's actions subset has one split: everything uses `train`.
    "actions": (dict(name="mocogan_actions", labels=("person", "action"),
                     eval_split="train"),
                dict(person=9, action=4)),
    "weizmann": (dict(name="weizmann/videovae", num_frames=10, resolution=64,
                      labels=("person", "action")),
                 dict(person=9, action=10)),
    "chairs": (dict(name="chairs/videovae", num_frames=16, resolution=64,
                    labels=("direction", "elevation")),
               dict(direction=2, elevation=2)),
}


def use_attribute_dataset(config: ml_collections.ConfigDict,
                          name: str) -> None:
  """Sets a videovae or classifier config's dataset and attributes."""
  if name not in ATTRIBUTE_DATASETS:
    raise ValueError(f"Unknown attribute dataset {name!r}; valid: "
                     f"{sorted(ATTRIBUTE_DATASETS)}.")
  dataset, attributes = ATTRIBUTE_DATASETS[name]
  config.dataset.update(**dataset)
  config.model.attributes = dict(attributes)


def classifier_config() -> ml_collections.ConfigDict:
  """The evaluation classifier of a dataset (videovae section 5.2)."""
  config = common_config()
  config.family = "classifier"
  config.model = dict(
      attributes={},             # {label: classes}; each in dataset.labels.
      encoder_layers=((9, 10, 1), (7, 20, 3), (5, 40, 1), (3, 80, 3)),
      encoder_hidden=1024,
      features=512,
      hidden=512,
      dropout=0.5,
  )
  config.dataset.update(num_frames=16, resolution=64)
  config.anchors.update(strategy="none", min_anchors=0, max_anchors=0)
  config.train.update(batch_size=16, num_steps=5_000, learning_rate=1e-4,
                      adam_b1=0.9, adam_b2=0.999, eval_every=1000,
                      sample_every=0)
  for name in ("frames", "acd", "fvd"):
    config.evals[name].update(enabled=False, during_training=False)
  config.evals.classification.update(enabled=True, during_training=True)
  config.evals.update(num_test_clips=1024, best_metric="accuracy",
                      best_mode="max")
  config.sample.update(anchor_times=())
  return config


def cpu_sized_videovae(config: ml_collections.ConfigDict,
                       classifier_workdir: str) -> None:
  """The 2-core CPU budget of videovae_shapes / _actions (docs/results.md):

  10 frames at 32x32, latents 128, LSTM 256, 200 attribute steps then 1200
  VAE steps at batch 16, scored by the classifier run in
  `classifier_workdir` and kept by the best I-score.
  """
  config.dataset.update(num_frames=10, resolution=32, labelled_fraction=0.2)
  # No dropout on the encoder features: at 32x32 a 4-7 pixel shape lives
  # in a few of them, and dropout 0.5 (App. A.4, made for 64x64 people)
  # erased it often enough that the decoder settled on empty frames.
  config.model.update(encoder_layers=ENCODER_LAYERS_32, encoder_hidden=512,
                      latent_dim=128, mlp_hidden=256, lstm_size=256,
                      dropout=0.0)
  # Adam 1e-3, not the paper's 1e-4: at 1e-4 the decoder had not even
  # learnt the black background after 800 steps (L1 0.145 a pixel, black
  # frames score 0.026).
  config.train.update(num_steps=1400, attribute_steps=200,
                      learning_rate=1e-3, log_every=50,
                      checkpoint_every=700, sample_every=700)
  config.evals.update(best_metric="i_score", best_mode="max")
  config.evals.attribute_scores.update(
      enabled=True, during_training=True,
      classifier_workdir=classifier_workdir)


def cpu_sized_classifier(config: ml_collections.ConfigDict) -> None:
  """The evaluation classifier matching `cpu_sized_videovae`'s clips."""
  config.dataset.update(num_frames=10, resolution=32)
  config.model.update(encoder_layers=ENCODER_LAYERS_32, encoder_hidden=512,
                      features=256, hidden=128)
  config.train.update(num_steps=1000, log_every=50, checkpoint_every=500,
                      eval_every=500)


def make_tiny(config: ml_collections.ConfigDict) -> None:
  """Shrinks a config in place to the test size: 32x32, 4 frames, batch 2."""
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
  if config.family == "sdvi":
    config.model.update(latent_dim=8, video_latent_dim=8, base_channels=8,
                        discriminator_channels=8, gru_hidden_size=16)
    config.train.image_phase_steps = 1
  if config.family == "navsynth":
    # Tiny Shape Motion has 40 training videos; labels-keyed configs fall
    # back to per-video rows there.
    config.dataset.labels = ()
    config.sample.anchor_times = ()
    config.model.update(static_dim=4, transient_dim=4, gru_hidden_size=8,
                        base_channels=8, static_key="index",
                        transient_key="index", num_static=40,
                        num_transient=40)
    config.loss.pyramid_levels = 3
    config.train.update(generator_steps=1, updates_per_batch=2)
  if config.family in ("videovae", "classifier"):
    config.dataset.labels = ("shape", "direction")
    config.model.attributes = dict(shape=2, direction=2)
    config.model.update(encoder_layers=((5, 4, 2), (3, 8, 2)),
                        encoder_hidden=16, dropout=0.5)
    config.sample.anchor_times = ()
    config.evals.attribute_scores.labels = ()
  if config.family == "videovae":
    config.anchors.first_k = 1  # Its only anchor: the first frame.
    config.model.update(latent_dim=4, mlp_hidden=8, lstm_size=8)
    config.train.update(num_steps=3, attribute_steps=1)
    config.evals.update(best_metric="i_score", best_mode="max")
  if config.family == "classifier":
    config.model.update(features=8, hidden=8)
  if config.family == "inbetween3d":
    # Its coarse-to-fine generator needs a multiple of 8 frames, and the
    # MoCoGAN-style video discriminator (four unpadded 4-wide temporal
    # convolutions) at least 13: the paper's 16.
    config.dataset.num_frames = 16
    config.sample.anchor_times = (0, 15)
    config.model.update(base_channels=4, latent_channels=4,
                        discriminator_channels=4, num_blocks=3, noise_dim=8)


# train.dtype's values (models/base.py maps them to the passes' dtype).
TRAIN_DTYPES = ("float32", "bfloat16")

# Settings every run reads, with the least value that can work. A `*_every`
# of 0 means "never" (periodically; the end of training still saves, writes
# previews and evaluates).
_LEAST_VALUES = {
    "train.num_steps": 1, "train.batch_size": 1, "train.updates_per_batch": 1,
    "train.keep_checkpoints": 1, "train.log_every": 0,
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
  rate = config.train.get("learning_rate")
  if rate is not None and not (isinstance(rate, (int, float))
                               and math.isfinite(rate) and rate > 0):
    raise ValueError(f"train.learning_rate={rate!r}: expected a finite "
                     "number > 0.")


def is_due(step: int, every: int) -> bool:
  """Whether a periodic action set to `every` steps runs at `step`."""
  return every > 0 and step % every == 0


def apply_variant(config: ml_collections.ConfigDict, variant: str) -> None:
  """The `:variant` suffix of --config: '' (as written) or 'tiny'."""
  if variant == "tiny":
    make_tiny(config)
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
  """A --step value ('latest', 'best' or a step number) -> the checkpoint."""
  if text in ("latest", "best"):
    return text
  try:
    return int(text)
  except ValueError:
    raise ValueError(f"--step={text!r}: expected 'latest', 'best' or a step "
                     "number.") from None


def has_checkpoint(workdir: paths.PathLike) -> bool:
  """Whether a training run in `workdir` has saved a checkpoint."""
  return bool(paths.listing(epath.Path(workdir) / "checkpoints"))


def load_run_config(workdir: paths.PathLike) -> ml_collections.ConfigDict:
  """The config a training run saved as <workdir>/config.json."""
  path = epath.Path(workdir) / "config.json"
  if not path.is_file():
    present = paths.listing(workdir)
    raise FileNotFoundError(
        f"{path} is missing, so {workdir} holds no training run. It "
        f"contains: {present or 'nothing (or it does not exist)'}.")
  return ml_collections.ConfigDict(json.loads(path.read_text()))


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
