"""The evaluation classifier of a dataset (videovae section 5.2).

Intra-E, Inter-E and the I-score score generated videos with "classifiers
pre-trained on each dataset"; the project trains its own, one config per
dataset (`configs/classifier_<dataset>.py`), through the shared loop. The
network is videovae's attribute classifier (`videovae.AttributeClassifier`:
the paper's encoder, then per attribute FC -> ReLU -> LSTM -> FC), trained
with cross-entropy on every label of the training split (no hidden labels)
and Adam. It generates nothing: `generates_videos` is False, so the loop
writes no sample previews and the evaluation reports its accuracy per
attribute on the evaluation split (evaluator `classification`).
`evaluation/attribute_scores.py` loads a trained run through
`predict_probabilities`.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import optax

from video_inference.models import base
from video_inference.models.videovae import model as videovae_model
from video_inference.models.videovae import networks as videovae_networks


class VideoClassifierModel(base.VideoModel):
  """Per-attribute video classifier; see the module docstring."""

  name = "classifier"
  supports_anchors = False
  supports_prior = False
  generates_videos = False
  predicts_labels = True

  def __init__(self, config):
    super().__init__(config)
    self.attributes = videovae_model.batch_attributes(
        config, "The classifier family")
    model, train = config.model, config.train
    videovae_networks.conv_sizes(self.resolution, model.encoder_layers)
    self.network = videovae_networks.AttributeClassifier(
        self.attributes, tuple(map(tuple, model.encoder_layers)),
        model.encoder_hidden, model.features, model.hidden, model.dropout)
    self.optimizers = {"classifier": optax.adam(
        train.learning_rate, b1=train.adam_b1, b2=train.adam_b2)}

  @property
  def attribute_names(self) -> tuple[str, ...]:
    return tuple(name for name, _ in self.attributes)

  def create_state(self, rng):
    videos = jnp.zeros((1, 2, self.resolution, self.resolution,
                        self.channels))
    return base.initial_state({"classifier": self.network.init(rng, videos)},
                              self.optimizers)

  def phases(self):
    return [base.Phase("classifier", 0, self.config.train.num_steps,
                       self.train_step)]

  def check_training_data(self, source) -> None:
    videovae_model.check_attribute_labels(self.config, source)

  def train_step(self, state, batch, rng):
    grads, metrics = self.grad(
        lambda p: videovae_model.classifier_losses(
            self.network, p, batch, rng, self.attributes),
        state.params["classifier"])
    metrics.pop("labelled_rows")
    return base.apply_updates(state, {"classifier": grads}, self.optimizers,
                              ("classifier",)), metrics

  @functools.partial(jax.jit, static_argnums=0)
  def predict_probabilities(self, variables, videos) -> dict[str, jax.Array]:
    """Float videos [B, N, H, W, C] in [-1, 1] -> {name: probs [B, C]}."""
    logits = self.network.apply(variables["classifier"], videos)
    return {name: jax.nn.softmax(value, -1) for name, value in logits.items()}

  def generate(self, *args, **kwargs):
    raise ValueError("The classifier family classifies videos; it does not "
                     "generate them.")
