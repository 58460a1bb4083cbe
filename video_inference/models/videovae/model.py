"""Training and synthesis of the videovae family.

Paper: "Probabilistic Video Generation using Holistic Attribute Control",
He, Lehrmann, Marino, Mori and Sigal, ECCV 2018 (VideoVAE), sections 3.2-4.2
and App. A.4. Networks are in `networks.py`.

Training (section 4.1) has two phases in the one loop:
- "attributes" (`train.attribute_steps` steps): the attribute classifiers
  phi_att learn from the labelled examples only, by cross-entropy. Which
  examples are labelled is the input pipeline's `dataset.labelled_fraction`
  (the paper's ~20%): the others reach the model with label -1. The
  phase's batches are drawn from the labelled examples alone
  (`Phase.labelled_only`): batches of the whole split hold about one
  labelled row in five, which left phi_att after the CPU configs' budget
  wrong on the hue of most Shape Motion clips, so the VAE phase trained
  most unlabelled clips with a wrong hue attribute (docs/results.md,
  videovae's tenth round).
- "vae" (the rest): the timestep-wise ELBO of eq. 9, an L1 likelihood
  (sum of |x - mu_x| over pixels) plus `loss.kl_weight` times the KL of
  the dynamic posterior from the learned prior at every frame, with
  posterior samples fed forward (teacher forcing through the LSTM). The
  attributes of a clip are its label where visible and otherwise the
  frozen classifier's argmax on the clip. The paper infers them once per
  training video; we infer them per batch from the frozen network, which
  needs no pass outside the step but reads the clip, not the whole video:
  where clips are random windows of longer videos (Weizmann parts, the
  MoCoGAN strips) an unlabelled video's inferred label can differ between
  windows the classifier is unsure of.
Both phases use Adam at `train.learning_rate`: the paper's 1e-4 in the
paper-sized configs, 1e-3 in the CPU-sized ones (see their docstrings).

Synthesis (section 4.2) through the common sampling API: `generate` takes
the attributes as `conditioning` ({name: int [B, N]}, one value per frame,
so an attribute may change at any frame: the transient control of Fig. 4b;
-1 leaves it unspecified, partial control). Without an anchor the LSTM
starts from its zero state and z_1 is drawn from the prior; with the first
frame as the anchor, z_1 is drawn from the posterior of that frame and the
first output is its reconstruction. Every later z_t comes from the prior
and its decoded frame is encoded again for the LSTM. The first frame is the
only anchor the model can honour; `check_anchor_times` refuses others.

Choices where the paper is silent:
- h_0 is the LSTM's zero state in training and generation alike (the paper
  "randomly initialises" it at test time; a state the prior never saw in
  training would put the first frame off the learned prior).
- An unspecified attribute is drawn uniformly from its classes, once per
  video (constant over time): the remaining degree of freedom of Fig. 3a.
- The likelihood's scale: the paper's "pixel-wise L1" read as a
  unit-scale Laplace on 8-bit values (0..255), i.e. on our [-1, 1] frames
  the ELBO with the KL weighted by 1/127.5 (`loss.kl_weight`). At weight 1
  with a tanh decoder the posterior collapsed onto the prior on Shape
  Motion (0.18 nats a frame); with the linear decoder it did not. The
  CPU configs use weight 1 with 8 latents (Shape Motion) and 32 (MoCoGAN
  actions): with 128 latents every Shape Motion prior sample decoded to
  the same empty frame (docs/results.md). The loss is divided by the
  pixels of a clip (per-pixel units).
- `loss.kl_warmup_steps` (0: none, as in the paper) raises the KL weight
  linearly from 0 over the first steps of the VAE phase (Bowman et al.,
  "Generating Sentences from a Continuous Space", CoNLL 2016). On Shape
  Motion a constant weight of 5 collapsed the posterior onto the prior
  before the decoder had learnt the background; ramped over 400 steps it
  kept a code of 4.5 nats a frame.
- The -S models ignore the attributes altogether and have no "attributes"
  phase.
- The L1 term can weigh foreground pixels by 1 + `loss.foreground_weight`
  (base.foreground_weights; off by default, on for Shape Motion).
- Dropout 0.5 on the encoder features (App. A.4) is kept at the paper's
  sizes; the 32x32 CPU configs use none (config.cpu_sized).
- `model.sampling.temperature` (1: the paper's sampling) scales the
  standard deviation of every z_t the sampler draws, as in reduced- or
  raised-temperature sampling of flows and VAEs (Kingma and Dhariwal,
  "Glow", NeurIPS 2018). A sampler setting, not a training one: a run is
  evaluated at other values with --config.model.sampling.temperature, and
  the figures go to their own eval file (modes.evaluation_tag).
- `model.lstm_reads` ("data_frames": the paper) says what the LSTM reads
  of frame t in training. The paper trains it on psi_q of the observed
  frame (teacher forcing) and synthesises by feeding it psi_q of each
  decoded frame (section 4.2), which it never read in training: on Shape
  Motion the share of generated frames with a shape fell at every step
  after the first (docs/results.md). "decoded_frames" trains the LSTM on
  psi_q of the model's own decoded posterior sample (clipped, no gradient
  into the frame), the input the sampler gives it, and the sampler then
  also feeds a given first frame back through its reconstruction; the
  posterior still reads the observed frame. A remedy for this
  exposure bias in the spirit of scheduled sampling (Bengio et al.,
  NeurIPS 2015), with the whole sequence fed back; it adds a
  forward-only decode and an encode of every frame inside the time loop.
- `model.decoder_reads_attributes` (False: the paper, whose decoder reads
  z_t alone) feeds the attributes' one-hot vector to the decoder beside
  z_t, as the decoder of a conditional VAE does (Sohn et al., "Learning
  Structured Output Representation using Deep Conditional Generative
  Models", NeurIPS 2015). On Shape Motion the paper's route, the
  attributes shifting the posterior and the prior of z_t, let no hue
  through: with every label correct the hue moved z_t by a few per cent
  of its spread and every decoded shape was grey, too dim for the shape
  rule where it was small (docs/results.md, videovae's tenth and
  eleventh rounds). The -S model reads no attributes anywhere, so the
  ablation's -S rows are the same with either setting.
- `model.prior_covariance` ("diagonal": the paper's factorised
  Gaussian) set to "full" gives the prior at every step the covariance
  U diag(var) U^T, U unit lower-triangular from D(D-1)/2 more outputs of
  psi_p: the KL from the diagonal posterior stays in closed form and a
  draw is mean + U (std * noise). On Shape Motion the codes of real first
  frames lie along correlated directions of z; the diagonal prior at the
  LSTM's zero state matched them dimension by dimension, yet about half
  its draws decoded to no shape, while a full-covariance Gaussian fitted
  to the same codes drew a shape in nearly twice as many, and the frames
  after a shapeless first frame stayed shapeless more often
  (docs/results.md, videovae's twelfth round).
- `reconstruct` (the evaluation's `reconstruction` figures) is the
  teacher-forced posterior reconstruction with z_t the posterior mean and
  no dropout.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax

from video_inference import config_lib
from video_inference.models import base
from video_inference.models.videovae import attribute_grids
from video_inference.models.videovae import networks


# What the LSTM reads of frame t in training (model.lstm_reads).
LSTM_READS = {
    "data_frames": "the encoding of the observed frame (the paper)",
    "decoded_frames": "the encoding of the model's own decoded frame, as "
                      "in synthesis",
}


def attribute_list(config) -> tuple[tuple[str, int], ...]:
  """config.model.attributes {name: classes} as ((name, classes), ...)."""
  return tuple((name, int(config.model.attributes[name]))
               for name in config.model.attributes)


def batch_attributes(config, who: str) -> tuple[tuple[str, int], ...]:
  """attribute_list(config), refused unless non-empty and all in labels."""
  attributes = attribute_list(config)
  if not attributes:
    raise ValueError(f"{who} needs model.attributes ({{label name: number "
                     "of classes}: the holistic attribute controls).")
  missing = [name for name, _ in attributes
             if name not in config.dataset.labels]
  if missing:
    raise ValueError(
        f"model.attributes {missing} must also be in dataset.labels="
        f"{tuple(config.dataset.labels)} so batches carry them; add them.")
  return attributes


def check_attribute_labels(config, source) -> None:
  """The dataset has every configured attribute with that many classes."""
  features = source.dataset_info.features
  for name, num_classes in attribute_list(config):
    if name not in features:
      raise ValueError(
          f"model.attributes names {name!r}, which dataset "
          f"{config.dataset.name!r} does not have; it has "
          f"{sorted(features.keys())}.")
    actual = getattr(features[name], "num_classes", None)
    if actual != num_classes:
      raise ValueError(
          f"model.attributes[{name!r}] = {num_classes} classes but dataset "
          f"{config.dataset.name!r} has {actual}; set "
          f"--config.model.attributes.{name}={actual}.")


def classifier_losses(classifier, params, batch, rng, attributes):
  """Masked cross-entropy over labelled rows (label >= 0) per attribute."""
  logits = classifier.apply(params, batch["video"], train=True,
                            rngs={"dropout": rng})
  total, metrics = 0.0, {}
  for name, _ in attributes:
    labels = batch[name]
    visible = labels >= 0
    count = jnp.maximum(jnp.sum(visible), 1)
    per_row = optax.softmax_cross_entropy_with_integer_labels(
        logits[name], jnp.maximum(labels, 0))
    loss = jnp.sum(jnp.where(visible, per_row, 0.0)) / count
    correct = jnp.argmax(logits[name], -1) == labels
    metrics[f"{name}_cross_entropy"] = loss
    metrics[f"{name}_accuracy"] = jnp.sum(correct & visible) / count
    total = total + loss
  metrics["labelled_rows"] = jnp.mean(batch[attributes[0][0]] >= 0)
  metrics["loss"] = total
  return total, metrics


class VideoVaeModel(base.VideoModel):
  """VideoVAE: see this module's and networks.py's docstrings."""

  name = "videovae"
  supports_anchors = True   # The first frame only (check_anchor_times).
  supports_prior = True
  has_deterministic_mode = True
  can_reconstruct = True  # Each frame decoded from its posterior mean.
  extra_modes = {"attributes": attribute_grids.write_attribute_grids}
  added_model_fields = {"lstm_reads": "data_frames", "activation": "relu",
                        "decoder_reads_attributes": False,
                        "prior_covariance": "diagonal"}

  def __init__(self, config):
    super().__init__(config)
    model, train = config.model, config.train
    self.structured = bool(model.structured)
    self.attributes = (batch_attributes(config, "model.structured=True")
                       if self.structured else attribute_list(config))
    if self.structured:
      if not 0 < train.attribute_steps < train.num_steps:
        raise ValueError(
            f"train.attribute_steps={train.attribute_steps} must be in 1.."
            f"{train.num_steps - 1} (train.num_steps - 1): the classifiers "
            "train first, then the VAE.")
    anchors = config.anchors
    if not (anchors.strategy == "none" or (anchors.strategy == "first_k"
                                           and anchors.first_k == 1)):
      raise ValueError(
          f"anchors.strategy={anchors.strategy!r} (first_k="
          f"{anchors.first_k}) asks videovae for anchors it cannot honour: "
          "use 'none' (attributes only) or 'first_k' with first_k=1.")
    self.vae = networks.VideoVae(
        self.resolution, self.channels, tuple(map(tuple,
                                                  model.encoder_layers)),
        model.encoder_hidden, model.latent_dim, model.mlp_hidden,
        model.lstm_size, self.structured, bool(model.conditional),
        model.dropout, model.output, model.activation,
        self.structured and bool(model.decoder_reads_attributes),
        model.prior_covariance)
    self.classifier = networks.AttributeClassifier(
        self.attributes, tuple(map(tuple, model.encoder_layers)),
        model.encoder_hidden, model.latent_dim, model.mlp_hidden,
        model.dropout)
    networks.conv_sizes(self.resolution, model.encoder_layers)
    if model.lstm_reads not in LSTM_READS:
      raise ValueError(f"model.lstm_reads={model.lstm_reads!r}; valid: "
                       f"{sorted(LSTM_READS)} ({LSTM_READS}).")
    self.lstm_reads_decoded_frames = model.lstm_reads == "decoded_frames"
    if model.prior_covariance not in networks.PRIOR_COVARIANCES:
      raise ValueError(
          f"model.prior_covariance={model.prior_covariance!r}; valid: "
          f"{sorted(networks.PRIOR_COVARIANCES)} "
          f"({networks.PRIOR_COVARIANCES}).")
    if model.activation not in networks.ACTIVATIONS:
      raise ValueError(f"model.activation={model.activation!r}; valid: "
                       f"{sorted(networks.ACTIVATIONS)}.")
    adam = optax.adam(train.learning_rate, b1=train.adam_b1, b2=train.adam_b2)
    self.optimizers = {"vae": adam}
    if self.structured:
      self.optimizers["attributes"] = adam

  @property
  def conditioning_classes(self) -> dict[str, int]:
    return dict(self.attributes) if self.structured else {}

  @property
  def attribute_size(self) -> int:
    return sum(n for _, n in self.attributes) if self.structured else 0

  # ---------------------------------------------------------------- state --
  def create_state(self, rng):
    rng_vae, rng_classifier = jax.random.split(rng)
    frames = jnp.zeros((1, self.resolution, self.resolution, self.channels))
    params = {"vae": self.vae.init(rng_vae, frames,
                                   jnp.zeros((1, self.attribute_size)))}
    if self.structured:
      params["attributes"] = self.classifier.init(
          rng_classifier, jnp.zeros((1, 2) + frames.shape[1:]))
    return base.initial_state(params, self.optimizers)

  def phases(self):
    train = self.config.train
    if not self.structured:
      return [base.Phase("vae", 0, train.num_steps, self.vae_step)]
    return [base.Phase("attributes", 0, train.attribute_steps,
                       self.attribute_step, labelled_only=True),
            base.Phase("vae", train.attribute_steps, train.num_steps,
                       self.vae_step)]

  def check_training_data(self, source) -> None:
    if self.structured:
      check_attribute_labels(self.config, source)

  def sampling_variables(self, state):
    return {"vae": state.params["vae"]}

  def check_anchor_times(self, times) -> None:
    times = [int(t) for t in times]
    if times and times != [0]:
      raise ValueError(
          f"The videovae family conditions on the first frame only "
          f"(section 4.2); got anchor times {times}. Give no anchors "
          "(attributes only) or one anchor at time 0.")

  # ----------------------------------------------------- attribute phase --
  def attribute_step(self, state, batch, rng):
    grads, metrics = self.grad(
        lambda p: classifier_losses(self.classifier, p, batch, rng,
                                    self.attributes),
        state.params["attributes"])
    new_state = base.apply_updates(state, {"attributes": grads},
                                   self.optimizers, ("attributes",))
    return new_state, metrics

  def inferred_attributes(self, params, batch) -> dict[str, jnp.ndarray]:
    """Visible labels, else the frozen classifier's argmax on the clip."""
    logits = self.classifier.apply(
        jax.lax.stop_gradient(params["attributes"]), batch["video"])
    return {name: jnp.where(batch[name] >= 0, batch[name],
                            jnp.argmax(logits[name], -1))
            for name, _ in self.attributes}

  # ----------------------------------------------------------- VAE phase --
  def _attribute_frames(self, values, batch, num_frames):
    """{name: int [B]} or {name: int [B, N]} -> one-hot [B, N, A]."""
    if not self.structured:
      return jnp.zeros((batch, num_frames, 0))
    per_frame = {name: (v[:, None] * jnp.ones((1, num_frames), v.dtype)
                        if v.ndim == 1 else v) for name, v in values.items()}
    return networks.one_hot_attributes(per_frame, self.attributes)

  def elbo_terms(self, vae_params, videos, attributes, rng, train=True):
    """Per-clip (weighted) L1 sums and per-frame KLs of eq. 9, and frames.

    attributes: one-hot [B, N, A]. Returns (l1 [B], kl [B, N], frames).
    With train=False: no dropout, and z_t is the posterior mean.
    """
    batch, num_frames = videos.shape[:2]
    # In the frames' dtype: float32 one-hots would lift a bfloat16 pass.
    attributes = attributes.astype(videos.dtype)
    rng_dropout, rng_noise = jax.random.split(rng)
    vae = self.vae
    psi_q = vae.apply(vae_params, videos.reshape((-1,) + videos.shape[2:]),
                      train, method=vae.residual,
                      rngs={"dropout": rng_dropout})
    psi_q = psi_q.reshape((batch, num_frames, -1))
    noise = jax.random.normal(
        rng_noise, (num_frames, batch, self.config.model.latent_dim)).astype(
            videos.dtype)
    if not train:
      noise = jnp.zeros_like(noise)

    reads_decoded = self.lstm_reads_decoded_frames

    def step(carry, inputs):
      psi_t, attributes_t, noise_t = inputs
      prior = vae.apply(vae_params, carry, attributes_t,
                        method=vae.prior_params)
      mean, log_var = vae.apply(vae_params, carry, psi_t, attributes_t,
                                method=vae.posterior_params)
      z = mean + jnp.exp(0.5 * log_var) * noise_t
      kl = networks.gaussian_kl(mean, log_var, *prior)
      fed = psi_t
      if reads_decoded:
        # No gradient reaches the decoder through the fed-back frame, so
        # this decode is forward-only; the frames the loss reads are
        # decoded again below, in one call with gradients.
        fed = self._decoded_frame_encoding(
            vae_params, vae.apply(vae_params, z, attributes_t,
                                  method=vae.decode))
      carry = vae.apply(vae_params, carry, fed, z, method=vae.advance)
      return carry, (z, kl)

    carry = vae.apply(vae_params, batch, videos.dtype,
                      method=vae.initial_carry)
    # Unrolled, the decoder and encoder calls of decoded_frames run 1.7x
    # faster on CPU (docs/benchmarks.md); the LSTM alone gains nothing.
    _, (z, kl) = jax.lax.scan(
        step, carry, (jnp.swapaxes(psi_q, 0, 1),
                      jnp.swapaxes(attributes, 0, 1), noise),
        unroll=bool(reads_decoded))
    frames = vae.apply(vae_params, jnp.swapaxes(z, 0, 1).reshape(
        (batch * num_frames, -1)), attributes.reshape(
            (batch * num_frames, -1)), method=vae.decode)
    frames = frames.reshape(videos.shape)
    l1 = jnp.sum(self.reconstruction_weights(videos)
                 * jnp.abs(frames - videos), axis=(1, 2, 3, 4))
    return l1, jnp.swapaxes(kl, 0, 1), frames

  def _decoded_frame_encoding(self, vae_params, frame):
    """psi_q of a decoded frame as the sampler feeds it back: clipped to
    the frames' range, no dropout, and no gradient into the frame (the
    LSTM reads it as data, as it reads a generated frame; the encoder
    still learns from it)."""
    frame = jnp.clip(jax.lax.stop_gradient(frame), -1, 1)
    return self.vae.apply(vae_params, frame, method=self.vae.residual)

  def kl_weight(self, step):
    """`loss.kl_weight`, ramped up linearly over the first N =
    `loss.kl_warmup_steps` steps of the VAE phase (kl_weight / N at its
    first step; no ramp by default)."""
    loss = self.config.loss
    if not loss.kl_warmup_steps:
      return jnp.float32(loss.kl_weight)
    start = next(phase.start_step for phase in self.phases()
                 if phase.name == "vae")
    ramp = (step - start + 1) / loss.kl_warmup_steps
    return loss.kl_weight * jnp.clip(ramp, 0.0, 1.0)

  def vae_losses(self, vae_params, params, batch, rng, step):
    videos = batch["video"]
    values = (self.inferred_attributes(params, batch) if self.structured
              else {})
    attributes = self._attribute_frames(values, *videos.shape[:2])
    l1, kl, frames = self.elbo_terms(vae_params, videos, attributes, rng)
    pixels = np.prod(videos.shape[1:])
    kl_sum = jnp.sum(kl, axis=1)
    kl_weight = self.kl_weight(step)
    loss = jnp.mean(l1 + kl_weight * kl_sum) / pixels
    metrics = {"loss": loss, "l1_per_pixel": jnp.mean(l1) / pixels,
               "kl_weight": kl_weight,
               "kl_per_frame": jnp.mean(kl),
               "recon_mse": jnp.mean((frames - videos)**2)}
    if self.structured:
      for name, _ in self.attributes:
        metrics[f"{name}_inferred_rows"] = jnp.mean(batch[name] < 0)
    return loss, metrics

  def reconstruct(self, variables, clips, rng):
    """Posterior reconstruction (teacher-forced, z_t = posterior mean)."""
    videos = jnp.asarray(clips["video"])
    values = ({name: jnp.asarray(clips[name]) for name, _ in self.attributes}
              if self.structured else {})
    attributes = self._attribute_frames(values, *videos.shape[:2])
    return self._reconstruct(variables["vae"], videos, attributes, rng)

  @functools.partial(jax.jit, static_argnums=0)
  def _reconstruct(self, vae_params, videos, attributes, rng):
    return jnp.clip(self.elbo_terms(vae_params, videos, attributes, rng,
                                    train=False)[2], -1, 1)

  def vae_step(self, state, batch, rng):
    grads, metrics = self.grad(
        self.vae_losses, state.params["vae"], state.params, batch, rng,
        state.step)
    new_state = base.apply_updates(state, {"vae": grads}, self.optimizers,
                                   ("vae",))
    return new_state, metrics

  # ----------------------------------------------------------- synthesis --
  def _conditioning_values(self, conditioning, batch, num_frames, rng):
    """Per-frame class indices; -1 or absent -> one uniform draw per video."""
    conditioning = conditioning or {}
    values = {}
    for index, (name, num_classes) in enumerate(self.attributes):
      drawn = jax.random.randint(jax.random.fold_in(rng, index), (batch, 1),
                                 0, num_classes)
      given = conditioning.get(name)
      if given is None:
        values[name] = jnp.broadcast_to(drawn, (batch, num_frames))
      else:
        given = jnp.asarray(given, jnp.int32).reshape((batch, -1))
        given = jnp.broadcast_to(given, (batch, num_frames))
        values[name] = jnp.where(given >= 0, given, drawn)
    return values

  def generate(self, variables, anchor_video, anchor_mask, rng, num_frames,
               deterministic=False, conditioning=None):
    mask = np.asarray(anchor_mask)
    self.check_anchor_times(np.flatnonzero(mask.any(axis=0)))
    classes = self.conditioning_classes
    for name, values in (conditioning or {}).items():
      values = np.asarray(values)
      if name not in classes or np.any(values >= classes[name]):
        raise ValueError(
            f"conditioning {name!r}: this model takes {classes} (class "
            f"indices, -1 unspecified); got values up to {values.max()}.")
    return self._generate(variables, anchor_video, jnp.asarray(mask), rng,
                          num_frames, deterministic, conditioning,
                          self.sampling_temperature())

  def sampling_temperature(self) -> float:
    """`model.sampling.temperature`; 1 for runs saved before it existed."""
    settings = config_lib.sampling_settings(self.config)
    temperature = float(settings.get("temperature", 1.0))
    if not temperature >= 0:
      raise ValueError(f"model.sampling.temperature={temperature}: expected "
                       "a scale >= 0 of the prior's standard deviation.")
    return temperature

  @functools.partial(jax.jit, static_argnums=(0, 5, 6))
  def _generate(self, variables, anchor_video, anchor_mask, rng, num_frames,
                deterministic, conditioning, temperature):
    vae, vae_params = self.vae, variables["vae"]
    batch = anchor_video.shape[0]
    rng_attributes, rng_noise = jax.random.split(rng)
    values = self._conditioning_values(conditioning, batch, num_frames,
                                       rng_attributes)
    attributes = self._attribute_frames(values, batch, num_frames)
    first_given = anchor_mask[:, 0]
    psi_first = vae.apply(vae_params, anchor_video[:, 0], method=vae.residual)
    noise = jax.random.normal(rng_noise, (num_frames, batch,
                                          self.config.model.latent_dim))
    scale = 0.0 if deterministic else temperature

    def step(carry, inputs):
      time, attributes_t, noise_t = inputs
      prior_mean, prior_log_var, prior_lower = vae.apply(
          vae_params, carry, attributes_t, method=vae.prior_params)
      post_mean, post_log_var = vae.apply(vae_params, carry, psi_first,
                                          attributes_t,
                                          method=vae.posterior_params)
      observed = (first_given & (time == 0))[:, None]
      z = jnp.where(
          observed, post_mean + scale * jnp.exp(0.5 * post_log_var) * noise_t,
          prior_mean + scale * networks.prior_noise(prior_log_var,
                                                    prior_lower, noise_t))
      frame = jnp.clip(vae.apply(vae_params, z, attributes_t,
                                 method=vae.decode), -1, 1)
      psi = self._decoded_frame_encoding(vae_params, frame)
      if not self.lstm_reads_decoded_frames:
        psi = jnp.where(observed, psi_first, psi)
      carry = vae.apply(vae_params, carry, psi, z, method=vae.advance)
      return carry, frame

    carry = vae.apply(vae_params, batch, method=vae.initial_carry)
    _, frames = jax.lax.scan(
        step, carry, (jnp.arange(num_frames), jnp.swapaxes(attributes, 0, 1),
                      noise))
    return jnp.swapaxes(frames, 0, 1)
