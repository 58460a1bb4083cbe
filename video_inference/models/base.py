"""What every family provides to the shared loop, sampler and evaluators.

A family is a `VideoModel` subclass: it builds its train state, lists its
training phases (each a pure step `(state, batch, rng) -> (state, metrics)`)
and implements `generate`, the pure function behind the common sampling API.
The loop, the checkpoints, the input pipeline and the evaluators know nothing
else about it.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping

import flax
import jax
import jax.numpy as jnp
import ml_collections
import optax

from video_inference import config_lib

# train.dtype -> the dtype of the forward and backward passes. Parameters,
# gradients, optimiser states and BatchNorm statistics stay float32 whatever
# it is (mixed precision).
COMPUTE_DTYPES = {name: jnp.dtype(name) for name in config_lib.TRAIN_DTYPES}

Batch = Mapping[str, jnp.ndarray]
StepFn = Callable[[Any, Batch, jax.Array], tuple[Any, dict[str, jnp.ndarray]]]


@flax.struct.dataclass
class TrainState:
  """Parameters and optimiser states of every network of a family.

  `params` and `opt_state` are dicts keyed by network name, so a family with
  several optimisers (a GAN's generator and discriminator, say) keeps one
  flat, checkpointable pytree.
  """
  step: jnp.ndarray
  params: dict[str, Any]
  opt_state: dict[str, Any]
  # Non-trained variables (BatchNorm statistics), keyed by network name.
  model_state: dict[str, Any] = flax.struct.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Phase:
  """Training runs `step_fn` for steps in [start_step, end_step).

  labelled_only: the phase learns from labels alone (a classifier on the
  labelled subset of semi-supervised data), so its batches hold only
  examples whose labels are visible rather than mostly hidden rows its
  loss would skip. Only leading phases may say so (`labelled_only_steps`).
  """
  name: str
  start_step: int
  end_step: int
  step_fn: StepFn
  labelled_only: bool = False


def initial_state(params: dict[str, Any],
                  optimizers: Mapping[str, optax.GradientTransformation],
                  model_state: dict[str, Any] | None = None) -> TrainState:
  """Step 0: `params` with a fresh optimiser state for each optimiser."""
  return TrainState(
      step=jnp.zeros((), jnp.int32), params=params,
      opt_state={name: tx.init(params[name])
                 for name, tx in optimizers.items()},
      model_state=model_state or {})


def apply_updates(state: TrainState, grads: dict[str, Any],
                  optimizers: Mapping[str, optax.GradientTransformation],
                  trained: tuple[str, ...]) -> TrainState:
  """One optimiser step for the networks named in `trained`; others stay."""
  params, opt_state = dict(state.params), dict(state.opt_state)
  for name in trained:
    updates, opt_state[name] = optimizers[name].update(
        grads[name], state.opt_state[name], state.params[name])
    params[name] = optax.apply_updates(state.params[name], updates)
  return state.replace(step=state.step + 1, params=params, opt_state=opt_state)


def cast_floating(tree: Any, dtype) -> Any:
  """Every floating leaf of `tree` as `dtype`; other leaves (ints, keys,
  masks) unchanged."""
  def cast(leaf):
    if (hasattr(leaf, "dtype") and jnp.issubdtype(leaf.dtype, jnp.floating)
        and leaf.dtype != dtype):
      return leaf.astype(dtype)
    return leaf
  return jax.tree.map(cast, tree)


def gaussian_kl(mean: jnp.ndarray, log_var: jnp.ndarray) -> jnp.ndarray:
  """KL(N(mean, exp(log_var)) || N(0, I)), summed over the last axis."""
  return 0.5 * jnp.sum(jnp.exp(log_var) + mean**2 - 1.0 - log_var, axis=-1)


def reparameterize(rng: jax.Array, mean: jnp.ndarray,
                   log_var: jnp.ndarray) -> jnp.ndarray:
  noise = jax.random.normal(rng, mean.shape).astype(mean.dtype)
  return mean + jnp.exp(0.5 * log_var) * noise


def foreground_weights(videos: jnp.ndarray, weight: float,
                       tolerance: float,
                       background: str = "temporal_median") -> jnp.ndarray:
  """Per-pixel reconstruction weights [B, N, H, W, 1] of clips [B, N, H, W, C].

  1 + `weight` where a pixel differs from the clip's background by more than
  `tolerance` in some channel (frames in [-1, 1]), 1 elsewhere.
  Why at all: where the background is most of the frame, a per-pixel L1/L2
  is minimised by the background alone until the latent locates the object
  (a Shape Motion shape covers under 5% of a frame), and training stalls on
  empty frames.

  `background` (config_lib.FOREGROUND_BACKGROUNDS): "temporal_median"
  needs no dataset knowledge and is exact for a static background that the
  object covers at a pixel for fewer than half the frames; where it moves
  slowly, the middle of its path is its own background there: those shape
  pixels get no extra weight, and the frames where the path is empty get it
  instead (as on Shape Motion's 10-frame windows at frame stride 1:
  docs/results.md, videovae's eighth round). "black" is exact for data
  drawn on black. A moving camera makes either meaningless, which is why
  the weight is off (0) by default.
  """
  config_lib.check_foreground_background(background)
  if background == "black":
    reference = -jnp.ones((), videos.dtype)
  else:
    reference = median_over_frames(videos)
  differs = jnp.max(jnp.abs(videos - reference), axis=-1, keepdims=True)
  return 1.0 + weight * (differs > tolerance).astype(videos.dtype)


def paste_anchors(videos: jnp.ndarray, anchor_video: jnp.ndarray,
                  anchor_mask: jnp.ndarray) -> jnp.ndarray:
  """`videos` [B, N, H, W, C] with the frames anchor_mask [B, N] marks taken
  from `anchor_video`: a generator's output holds the given anchors."""
  return jnp.where(anchor_mask[:, :, None, None, None], anchor_video, videos)


def median_over_frames(videos: jnp.ndarray) -> jnp.ndarray:
  """[B, 1, H, W, C]: each pixel's median over the N frames of [B, N, H, W,
  C], the same values as `jnp.median(videos, 1, keepdims=True)`.

  By an odd-even transposition sorting network (N rounds of elementwise
  min/max, which XLA fuses into one loop) instead of jnp.median's sort, the
  slowest op of the sdvi video step on CPU (docs/benchmarks.md). N^2/2
  compare-exchanges: meant for clip lengths, not long axes.
  """
  values = [videos[:, t] for t in range(videos.shape[1])]
  count = len(values)
  for parity in range(count):
    for i in range(parity % 2, count - 1, 2):
      values[i], values[i + 1] = (jnp.minimum(values[i], values[i + 1]),
                                  jnp.maximum(values[i], values[i + 1]))
  # jnp.median's "midpoint": (low + high) * 0.5, exact for odd N too.
  low, high = values[(count - 1) // 2], values[count // 2]
  return ((low + high) * 0.5)[:, None]


def sigmoid_cross_entropy(logits: jnp.ndarray, is_real: bool) -> jnp.ndarray:
  """Mean binary cross-entropy of pre-sigmoid logits against one label."""
  labels = jnp.ones_like(logits) if is_real else jnp.zeros_like(logits)
  return jnp.mean(optax.sigmoid_binary_cross_entropy(logits, labels))


class VideoModel:
  """Base class of the families; see the module docstring."""

  name: str = ""
  # Whether `generate` honours anchor frames; the sampler refuses otherwise.
  supports_anchors: bool = True
  # Whether `generate` accepts rows without anchors (sampling from a prior).
  supports_prior: bool = True
  # Whether `generate(deterministic=True)` means something (a z = mu mode);
  # the evaluation reports the deterministic baseline only then.
  has_deterministic_mode: bool = False
  # --mode values of the family's own: name -> writer(model, variables,
  # config, workdir, step), run on the loaded checkpoint by `modes.run`.
  extra_modes: Mapping[str, Callable[..., Any]] = {}
  # False for a family that scores videos instead (the evaluation
  # classifier): the loop then writes no samples.
  generates_videos: bool = True
  # Whether the family maps videos to label probabilities
  # (`predict_probabilities`), as `evals.attribute_scores` needs.
  predicts_labels: bool = False
  # True for a generator whose output does not depend on its rng (the
  # evaluation baselines but one): the evaluation generates once and
  # reuses that generation for every sample.
  ignores_rng: bool = False
  # Whether `reconstruct` maps a clip to the model's own rendering of it
  # (a VAE's posterior, a latent dictionary's replay); the evaluation's
  # `reconstruction` figures need it.
  can_reconstruct: bool = False
  # Fields of `config.model` added after runs were saved, each with the
  # value that reproduces those runs: a saved config.json without one
  # reads as that value (`checkpoints.load_run_config`), so older runs
  # still resume, evaluate and sample.
  added_model_fields: Mapping[str, Any] = {}

  def __init__(self, config: ml_collections.ConfigDict):
    self.config = config
    self.num_frames = config.dataset.num_frames
    self.resolution = config.dataset.resolution
    self.channels = config.dataset.channels

  def create_state(self, rng: jax.Array) -> TrainState:
    raise NotImplementedError

  @property
  def compute_dtype(self):
    """The dtype of the training passes (`train.dtype`)."""
    return COMPUTE_DTYPES[self.config.train.get("dtype", "float32")]

  def grad(self, loss_fn, params, *args):
    """jax.grad(loss_fn, has_aux=True)(params, *args) in `compute_dtype`.

    Mixed precision: the float32 parameters are cast on use, so their
    gradients come back float32 for a float32 optimiser; the loss is
    returned to float32 before differentiation. The batch arrives already
    cast by the train loop; `args` are passed as they are.
    """
    dtype = self.compute_dtype
    if dtype == jnp.float32:
      return jax.grad(loss_fn, has_aux=True)(params, *args)

    def cast_then_loss(float32_params, *rest):
      loss, aux = loss_fn(cast_floating(float32_params, dtype), *rest)
      return loss.astype(jnp.float32), cast_floating(aux, jnp.float32)

    return jax.grad(cast_then_loss, has_aux=True)(params, *args)

  def phases(self) -> list[Phase]:
    raise NotImplementedError

  def state_partition_specs(self, state_shape, num_devices: int):
    """PartitionSpecs over the 'data' mesh axis; default: all replicated."""
    del num_devices
    return jax.tree.map(lambda _: jax.sharding.PartitionSpec(), state_shape)

  def check_training_data(self, source) -> None:
    """Raises if the training split does not fit the model; default: fits."""
    del source

  @property
  def conditioning_classes(self) -> dict[str, int]:
    """{label: classes} `generate` accepts as `conditioning` (videovae)."""
    return {}

  def sampling_variables(self, state: TrainState) -> Any:
    """The part of the state `generate` needs (no optimiser states)."""
    return state.params

  def generate(self, variables: Any, anchor_video: jnp.ndarray,
               anchor_mask: jnp.ndarray, rng: jax.Array, num_frames: int,
               deterministic: bool = False,
               conditioning: Mapping[str, jnp.ndarray] | None = None
               ) -> jnp.ndarray:
    """Pure, jittable: float videos [B, num_frames, H, W, C] in [-1, 1].

    anchor_video [B, num_frames, H, W, C] holds the anchors at their times
    (any values elsewhere); anchor_mask [B, num_frames] marks them. A row
    without anchors is generated from the prior. `deterministic` replaces
    every latent sample by its mean (the papers' z = mu baseline).
    `conditioning`: {label: int [B, num_frames]}, one class per frame (-1:
    unspecified), for the labels in `conditioning_classes`; others ignore it.
    """
    raise NotImplementedError

  def reconstruct(self, variables: Any, clips: Mapping[str, Any],
                  rng: jax.Array) -> jnp.ndarray:
    """Clips {'video' [B, N, H, W, C], 'index', labels} -> their rendering.

    Only where `can_reconstruct`: the model's reconstruction of each clip
    from its own latent (no sampling beyond what the model must do).
    """
    raise NotImplementedError(f"{self.name} has no reconstruction.")

  def reconstruction_weights(self, videos: jnp.ndarray) -> jnp.ndarray:
    """[B, N, H, W, 1] per-pixel weights of a family's reconstruction terms.

    `foreground_weights` under config.loss (foreground_weight,
    foreground_tolerance, foreground_background), or ones where
    foreground_weight is 0.
    """
    loss = self.config.loss
    if not loss.foreground_weight:
      return jnp.ones(videos.shape[:-1] + (1,), videos.dtype)
    return foreground_weights(videos, loss.foreground_weight,
                              loss.foreground_tolerance,
                              loss.foreground_background)

  def labelled_only_steps(self) -> int:
    """The steps, from 0, whose batches hold labelled examples only: the
    end of the leading `Phase.labelled_only` phases (0: none)."""
    end, phases = 0, self.phases()
    while phases and phases[0].labelled_only and phases[0].start_step == end:
      end = phases.pop(0).end_step
    late = [p.name for p in phases if p.labelled_only]
    if late:
      raise ValueError(
          f"{self.name}'s phases {late} learn from labelled examples only "
          "but do not start the training: the input pipeline restricts a "
          "leading span of steps only.")
    return end

  def phase_at(self, step: int) -> Phase:
    for phase in self.phases():
      if phase.start_step <= step < phase.end_step:
        return phase
    spans = [(p.name, p.start_step, p.end_step) for p in self.phases()]
    raise ValueError(f"step {step} is outside every training phase of "
                     f"{self.name}: {spans}")
