"""Training, latent dictionary and generation of the navsynth family.

Paper: "Non-Adversarial Video Synthesis with Learned Priors", Aich et al.,
CVPR 2020: sections 3.1-3.3, 4.2, 4.3, supp. A-B and Table 6. Networks and
pure losses are in `networks.py`. The published code (abhishekaich27/Navsynth)
differs from the paper in places; each choice below says which we follow.

The learned latents are two tables in the train state (`params["latents"]`):
`static` [S, D_s] and `transient` [T, L, D_t]. Which row a training clip
uses is a config choice, `model.static_key` / `model.transient_key`:
"index" (one row per training video, the paper's Chair-CAD and Golf
transient latents), "shared" (one row for the whole set: the paper's "one
static latent vector for the training set" of Chair-CAD and Golf, and the
published code's single z_c), or a label the batches carry
(`dataset.labels`): Weizmann's "nine static latent vectors (for nine
identities) and ten transient (for ten actions)". The tables are sharded
over the device mesh by rows when their row count divides by the number of
devices (replicated otherwise), and checkpointed with everything else.

Objective (eq. 6): per video, l_rec (Laplacian L1 averaged over its frames)
+ lambda_s l_static (the same loss on one random frame) + lambda_t l_triplet.
Updates (section 3.3, supp. B): the generator by Adam (tau_G) on l_rec +
l_static; the GRU by Adam (tau_R) and the latents by SGD with momentum 0.9
(tau_Z) on the whole objective; each latent vector then projected into the
unit ball, and with `model.rank` > 0 each updated video's z_t matrix
projected to rank rho (section 3.3.1).

The schedule, mu_gamma and mu_{Z,theta} of Table 6:
- Paper: "the number of epochs" of stage 1 (generator) and stage 2
  (latents and GRU). Published code: mu_gamma passes over the videos, and
  for each video mu_{Z,theta} = 300 consecutive updates of its latents and
  of the networks together before the next. Ours: the published schedule.
  `train.updates_per_batch` consecutive steps train on the same batch (the
  input pipeline repeats it; a lax.scan of the update inside one step ran
  30x slower on XLA CPU), and a config's num_steps is passes x batches x
  updates_per_batch. The generator trains throughout unless
  `train.generator_steps` ends phase "joint" earlier (phase "latents" then
  trains the latents and the GRU only).
- One forward and backward pass per step serves the generator, the GRU and
  the latents (the published code also steps them together).

The triplet term (section 3.2):
- Paper: on the transient latents, squared distances, margin alpha,
  positives "within" and negatives "outside" the margin range, and it
  updates the GRU's parameters. Published code: on the GRU's outputs,
  Euclidean (unsquared) distances, margin 2, positives within 2 frames,
  negatives beyond 5. Ours: on the GRU's output path r (the paper's
  "updates the GRU" holds only there; raw z_t in the unit ball cannot keep
  frames alpha = 2 apart in squared distance, so the hinge never switched
  off), squared as the paper writes, positives within `triplet_window`
  (2), negatives beyond `triplet_negative_window` (5, the code's).

The latent step:
- Paper: SGD with momentum 0.9 at tau_Z = 12.5 per video. Published code:
  plain SGD, one video a batch. Ours: momentum 0.9 as the paper; a row
  follows the mean of the per-video gradients of the clips that use it in
  the batch (the batch mean's gradient x B / uses), so a row takes one
  video's step whatever the batch size and however many clips share it
  (a shared static row used to move 16x as far at batch 16). Momentum is
  kept per row and only rows in the batch move.
- Initial latents: N(0, 1/D) per coordinate (norm ~1), then projected.
  (The published code divides by the largest element instead of
  projecting; we keep the paper's projection.)

Clips: the published code takes the first 16 frames of every video; the
paper's supplement uses random 16-frame windows for Weizmann.
`dataset.train_clip_start` ("first" or "random") picks; with one transient
path per class and random windows, the path is fitted to every phase at
once and its optimum is a still, phase-averaged pose.

Generation: `generate` (the common sampling API) has no anchors: it draws a
random static row and a random transient row from the dictionary ("random
static x random transient"). Replay, action exchange and interpolation are
`generate_from_rows` and `interpolate`, exposed as
`dictionary.sample_dictionary` and `dictionary.interpolate_transient`;
`reconstruct` is the replay of a training clip (the evaluation's
`reconstruction` figures).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import optax

from video_inference.models import base
from video_inference.models import dcgan
from video_inference.models.navsynth import dictionary
from video_inference.models.navsynth import networks

KEYS_WITHOUT_LABEL = ("index", "shared")


class NavsynthModel(base.VideoModel):
  """Non-adversarial synthesis: see this module's and networks.py's docs."""

  name = "navsynth"
  supports_anchors = False
  supports_prior = True
  extra_modes = {"dictionary": dictionary.write_dictionary_grids}
  can_reconstruct = True  # The replay of a training clip from its rows.

  def __init__(self, config):
    super().__init__(config)
    model, train = config.model, config.train
    for key_name in ("static_key", "transient_key"):
      key = model[key_name]
      if key not in KEYS_WITHOUT_LABEL and key not in config.dataset.labels:
        raise ValueError(
            f"model.{key_name}={key!r} must be one of {KEYS_WITHOUT_LABEL} or "
            f"a label in dataset.labels={tuple(config.dataset.labels)}.")
      if key in config.dataset.labels and config.dataset.labelled_fraction < 1:
        raise ValueError(
            f"model.{key_name}={key!r} needs every training label; set "
            "dataset.labelled_fraction=1 (hidden labels arrive as -1).")
    if model.static_key == "shared" and model.num_static != 1:
      raise ValueError("model.static_key='shared' needs model.num_static=1, "
                       f"got {model.num_static}.")
    if not 0 < train.generator_steps <= train.num_steps:
      raise ValueError(f"train.generator_steps={train.generator_steps} must "
                       f"be in 1..train.num_steps={train.num_steps}.")
    self.generator = dcgan.FrameDecoder(self.resolution, self.channels,
                                        model.base_channels)
    self.rnn = networks.TransientRNN(model.gru_hidden_size,
                                     model.transient_dim)
    self.optimizers = {
        "generator": optax.adam(train.generator_learning_rate,
                                b1=train.adam_b1, b2=train.adam_b2,
                                eps=train.adam_eps),
        "rnn": optax.adam(train.rnn_learning_rate, b1=train.adam_b1,
                          b2=train.adam_b2, eps=train.adam_eps),
    }

  # ---------------------------------------------------------------- state --
  def create_state(self, rng):
    model = self.config.model
    rng_gen, rng_rnn, rng_s, rng_t = jax.random.split(rng, 4)
    length = self.num_frames
    static = jax.random.normal(rng_s, (model.num_static, model.static_dim))
    transient = jax.random.normal(
        rng_t, (model.num_transient, length, model.transient_dim))
    latents = {
        "static": networks.project_to_unit_ball(
            static / jnp.sqrt(model.static_dim)),
        "transient": networks.project_to_unit_ball(
            transient / jnp.sqrt(model.transient_dim)),
    }
    params = {
        "generator": self.generator.init(
            rng_gen, jnp.zeros((1, model.static_dim + model.transient_dim))),
        "rnn": self.rnn.init(rng_rnn,
                             jnp.zeros((1, length, model.transient_dim))),
        "latents": latents,
    }
    state = base.initial_state(params, self.optimizers)
    return state.replace(opt_state=dict(
        state.opt_state,
        latents=jax.tree.map(jnp.zeros_like, latents)))  # Momentum.

  def state_partition_specs(self, state_shape, num_devices: int):
    """Latent tables (and their momentum) by rows over 'data' when even."""
    replicated = jax.sharding.PartitionSpec()

    def spec(path, leaf):
      names = [getattr(p, "key", None) for p in path]
      if ("latents" in names and leaf.ndim >= 1
          and leaf.shape[0] % num_devices == 0):
        return jax.sharding.PartitionSpec("data")
      return replicated

    return jax.tree_util.tree_map_with_path(spec, state_shape)

  def phases(self):
    train = self.config.train
    phases = [base.Phase("joint", 0, train.generator_steps, self.joint_step)]
    if train.generator_steps < train.num_steps:
      phases.append(base.Phase("latents", train.generator_steps,
                               train.num_steps, self.latent_step))
    return phases

  def check_training_data(self, source) -> None:
    """Every row a training clip can ask for exists in the tables."""
    model = self.config.model
    for key, rows, name in ((model.static_key, model.num_static, "static"),
                            (model.transient_key, model.num_transient,
                             "transient")):
      if key == "shared":
        continue
      needed = (len(source) if key == "index" else
                source.dataset_info.features[key].num_classes)
      if needed > rows:
        what = ("training examples" if key == "index"
                else f"classes of label {key!r}")
        raise ValueError(
            f"The {name} latent table has model.num_{name}={rows} rows but "
            f"the training split has {needed} {what}; set "
            f"--config.model.num_{name}={needed}.")

  # --------------------------------------------------------------- losses --
  def rows(self, batch, key: str) -> jnp.ndarray:
    if key == "shared":
      return jnp.zeros_like(batch["index"])
    return batch[key]

  def decode_with_path(self, generator_params, rnn_params, static,
                       transient):
    """z_s [B, D_s], z_t [B, N, D_t] -> (frames [B, N, H, W, C], r path)."""
    recurrent = self.rnn.apply(rnn_params, transient)
    latents = jnp.concatenate(
        [jnp.broadcast_to(static[:, None], recurrent.shape[:2]
                          + static.shape[-1:]), recurrent], axis=-1)
    frames = self.generator.apply(generator_params,
                                  latents.reshape(-1, latents.shape[-1]))
    return frames.reshape(latents.shape[:2] + frames.shape[1:]), recurrent

  def decode(self, generator_params, rnn_params, static, transient):
    """z_s [B, D_s], z_t [B, N, D_t] -> frames [B, N, H, W, C]."""
    return self.decode_with_path(generator_params, rnn_params, static,
                                 transient)[0]

  def losses(self, params, batch, rng):
    model, loss = self.config.model, self.config.loss
    videos = batch["video"]
    batch_size, num_frames = videos.shape[:2]
    static = params["latents"]["static"][self.rows(batch, model.static_key)]
    transient = params["latents"]["transient"][
        self.rows(batch, model.transient_key)][:, :num_frames]
    generated, recurrent = self.decode_with_path(
        params["generator"], params["rnn"], static, transient)
    per_frame = networks.laplacian_l1(generated, videos, loss.pyramid_levels,
                                      self.reconstruction_weights(videos))
    rng_frame, rng_triplet = jax.random.split(rng)
    rec = jnp.mean(per_frame, axis=1)
    picked = jax.random.randint(rng_frame, (batch_size,), 0, num_frames)
    static_term = jnp.take_along_axis(per_frame, picked[:, None], axis=1)[:, 0]
    # On the GRU's output path, as the published code does: the paper has
    # the triplet term update the GRU's parameters (section 3.2), and raw
    # z_t inside the unit ball cannot keep frames alpha = 2 apart.
    triplet = networks.triplet_loss(recurrent, rng_triplet,
                                    loss.triplet_margin, loss.triplet_window,
                                    loss.triplet_negative_window)
    total = jnp.mean(rec + loss.static_weight * static_term
                     + loss.triplet_weight * triplet)
    metrics = {
        "loss": total,
        "rec_laplacian": jnp.mean(rec),
        "static_laplacian": jnp.mean(static_term),
        "triplet": jnp.mean(triplet),
        "recon_mse": jnp.mean((generated - videos)**2),
    }
    return total, metrics

  def update_latents(self, latents, momentum, grads, batch):
    """Row-sparse SGD with momentum, unit-ball (and rank) projection."""
    model, train = self.config.model, self.config.train
    batch_size = batch["video"].shape[0]
    new_latents, new_momentum = {}, {}
    for table, key in (("static", model.static_key),
                       ("transient", model.transient_key)):
      rows = self.rows(batch, key)
      uses = jnp.zeros(latents[table].shape[0]).at[rows].add(1.0)
      uses = uses.reshape((-1,) + (1,) * (latents[table].ndim - 1))
      touched = uses > 0
      # The batch mean's gradient is sum_clips(grad) / B; times B over the
      # clips that use the row, each row takes the mean of its clips'
      # per-video gradients: one video's step however many share it.
      grad = grads[table] * batch_size / jnp.maximum(uses, 1.0)
      velocity = jnp.where(touched,
                           train.latent_momentum * momentum[table] + grad,
                           momentum[table])
      values = jnp.where(
          touched,
          networks.project_to_unit_ball(
              latents[table] - train.latent_learning_rate * velocity),
          latents[table])
      if table == "transient" and model.rank:
        values = values.at[rows].set(networks.project_to_unit_ball(
            networks.project_rank(values[rows], model.rank)))
      new_latents[table], new_momentum[table] = values, velocity
    return new_latents, new_momentum

  def _step(self, state, batch, rng, train_generator: bool):
    trained = ("generator", "rnn") if train_generator else ("rnn",)
    grads, metrics = self.grad(self.losses, state.params, batch, rng)
    new_state = base.apply_updates(state, grads, self.optimizers, trained)
    latents, momentum = self.update_latents(
        state.params["latents"], state.opt_state["latents"],
        grads["latents"], batch)
    params = dict(new_state.params, latents=latents)
    opt_state = dict(new_state.opt_state, latents=momentum)
    return new_state.replace(params=params, opt_state=opt_state), metrics

  def joint_step(self, state, batch, rng):
    return self._step(state, batch, rng, train_generator=True)

  def latent_step(self, state, batch, rng):
    return self._step(state, batch, rng, train_generator=False)

  # ----------------------------------------------------------- generation --
  def generate_from_latents(self, variables, static, transient):
    return self.decode(variables["generator"], variables["rnn"], static,
                       transient)

  def _from_rows(self, variables, static_rows, transient_rows, num_frames):
    latents = variables["latents"]
    return self.generate_from_latents(
        variables, latents["static"][static_rows],
        latents["transient"][transient_rows][:, :num_frames])

  @functools.partial(jax.jit, static_argnums=(0, 4))
  def generate_from_rows(self, variables, static_rows, transient_rows,
                         num_frames):
    """Dictionary entries -> videos: replay (rows of one video), exchange."""
    return self._from_rows(variables, static_rows, transient_rows, num_frames)

  def reconstruct(self, variables, clips, rng):
    """Replay: each training clip from its own static and transient rows."""
    del rng
    model = self.config.model
    return self.generate_from_rows(
        variables, jnp.asarray(self.rows(clips, model.static_key)),
        jnp.asarray(self.rows(clips, model.transient_key)),
        clips["video"].shape[1])

  @functools.partial(jax.jit, static_argnums=(0, 4, 5))
  def interpolate(self, variables, static_rows, transient_rows, first: int,
                  last: int):
    """Section 4.3.3: frames first+1..last-1 from z_t interpolated linearly.

    Frame first + n uses z_t^first + n/k (z_t^last - z_t^first), k = last -
    first; every other frame keeps its learned z_t.
    """
    latents = variables["latents"]
    transient = latents["transient"][transient_rows]
    steps = last - first
    weights = jnp.arange(1, steps) / steps
    start, end = transient[:, first], transient[:, last]
    between = start[:, None] + weights[None, :, None] * (end - start)[:, None]
    transient = transient.at[:, first + 1:last].set(between)
    return self.generate_from_latents(variables,
                                      latents["static"][static_rows],
                                      transient)

  @functools.partial(jax.jit, static_argnums=(0, 5, 6))
  def generate(self, variables, anchor_video, anchor_mask, rng, num_frames,
               deterministic=False, conditioning=None):
    del conditioning  # No labels to condition on.
    del anchor_mask, deterministic  # No anchors; nothing is sampled but rows.
    latents = variables["latents"]
    rng_static, rng_transient = jax.random.split(rng)
    batch = anchor_video.shape[0]
    static_rows = jax.random.randint(rng_static, (batch,), 0,
                                     latents["static"].shape[0])
    transient_rows = jax.random.randint(rng_transient, (batch,), 0,
                                        latents["transient"].shape[0])
    return self._from_rows(variables, static_rows, transient_rows,
                           num_frames)
