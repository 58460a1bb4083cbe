"""Networks of the videovae family (VideoVAE with holistic attribute control).

Paper: "Probabilistic Video Generation using Holistic Attribute
Control", He, Lehrmann, Marino, Mori and Sigal, ECCV 2018, section 3 and
App. A.4. A frame x_t is encoded (phi_enc) into psi_q, the parameters of the
residual posterior; the structured latent space (eq. 4) refines it with the
holistic attributes a into psi_a, and with the LSTM state h_{t-1} into the
dynamic posterior psi_dy, from which z_t is drawn and decoded. The learned
prior (eq. 5) is phi(phi(h_{t-1}), a). The LSTM reads psi_q_t, and with
conditional sampling also z_t (eq. 8).

Here:
- `ConvEncoder` / `ConvDecoder`: App. A.4's conv stack, given as a list of
  (kernel, channels, stride) with VALID padding (the paper's 64x64 input
  gives 4x4x80 = 1280 features, as printed), dropout 0.5 before the FCs.
  The decoder mirrors the encoder layer by layer: transposed convolutions
  with the encoder's kernels and strides, each mapping a layer's output
  channels back to its input channels (80 -> 40 -> 20 -> 10 -> the frame's
  3), padded so each returns exactly the size the matching encoder layer
  took in (64 -> 56 -> 17 -> 13 -> 4 and back); ReLU between layers by
  default (the paper names no activation). `model.activation="leaky_relu"`
  (slope 0.2, everywhere but the attribute classifier, the phi_tau MLPs
  included, where the paper says ReLU) is there because ReLU units die in
  training on Shape Motion: about half of the encoder's hidden units never
  fire on test frames after 1400 steps (docs/results.md, videovae's ninth
  round, has the measurement and what leaky units did; they did not bring
  the shape's colour into the latent). The frame layer
  is linear by default (`output="linear"`: the mean of the paper's Laplace
  likelihood, clipped to [-1, 1] where a frame is shown or fed back): with
  tanh there (`output="tanh"`) the L1 gradient is sign(error) x
  (1 - tanh^2), which vanishes once the decoder saturates at the black
  background, so pixels the shape should light up got no gradient, and the
  32x32 decoder stayed black even when overfitting 16 clips. The paper's
  list, conv(3, 80, 3) ... conv(9, 10, 1), ends on 10 channels and has no
  layer to RGB; its widths one layer later are also 4.6x the FLOPs.
- `Mlp`: the paper's small networks phi_tau, "two fully-connected layers
  with a central ReLU unit"; a Gaussian's output is [mean, log variance]
  (log variance clipped to [-10, 10] for stability), and psi passed on to
  the next network is that concatenated vector.
- `VideoVae`: the encoder, decoder, LSTM (one layer, 512) and the phi_tau
  instances, with one method per piece so the steps can run the time loop
  with `jax.lax.scan` both in training (posterior samples) and in
  generation (prior samples, decoded and re-encoded). `structured=False`
  (-S) drops psi_a and the attributes from the prior: psi_dy =
  phi(psi_q, phi(h)), prior phi(phi(h)), the VAE + LSTM of [26].
  `conditional=False` (-C) feeds only psi_q to the LSTM.
  `decoder_reads_attributes=True` (not the paper) decodes [z_t, a].
  `prior_covariance="full"` (not the paper) adds U's below-diagonal
  entries to psi_p's output (`gaussian_kl`, `prior_noise`).
- `AttributeClassifier`: the attribute networks of section 3.2 and its
  footnote 2: per attribute, FC -> ReLU -> LSTM over time -> FC, on
  features of its own copy of the encoder architecture (the paper trains
  phi_enc and phi_att independently), logits read at the last frame.
  The same network is the evaluation classifier of section 5.2 (the
  `classifier` family).
"""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import jax.scipy.linalg
import numpy as np

LOG_VAR_LIMIT = 10.0

# The nonlinearity between layers, by `model.activation` (the paper names
# none; see the module docstring).
ACTIVATIONS = {
    "relu": nn.relu,
    "leaky_relu": lambda x: nn.leaky_relu(x, negative_slope=0.2),
}

# App. A.4's encoder at 64x64: (kernel, channels, stride).
PAPER_ENCODER_LAYERS = ((9, 10, 1), (7, 20, 3), (5, 40, 1), (3, 80, 3))


def conv_sizes(resolution: int,
               layers: Sequence[Sequence[int]]) -> list[int]:
  """Spatial size before each VALID conv layer and after the last."""
  sizes = [resolution]
  for kernel, _, stride in layers:
    size = (sizes[-1] - kernel) // stride + 1
    if size < 1:
      raise ValueError(
          f"The encoder layers {tuple(map(tuple, layers))} do not fit "
          f"{resolution}x{resolution} frames (sizes {sizes} then {size}); "
          "set model.encoder_layers to a stack that keeps at least 1 pixel.")
    sizes.append(size)
  return sizes


def split_gaussian(params: jnp.ndarray) -> tuple[jnp.ndarray, jnp.ndarray]:
  mean, log_var = jnp.split(params, 2, axis=-1)
  return mean, jnp.clip(log_var, -LOG_VAR_LIMIT, LOG_VAR_LIMIT)


# The prior's covariance (`model.prior_covariance`); see the module
# docstring.
PRIOR_COVARIANCES = {
    "diagonal": "diag(var): the paper's factorised Gaussian",
    "full": "U diag(var) U^T with U unit lower-triangular, per step",
}


def unit_lower_triangular(entries: jnp.ndarray, size: int) -> jnp.ndarray:
  """[..., size (size - 1) / 2] below-diagonal entries -> [..., size, size]
  unit lower-triangular matrices."""
  rows, cols = np.tril_indices(size, -1)
  matrix = jnp.zeros(entries.shape[:-1] + (size, size), entries.dtype)
  return matrix.at[..., rows, cols].set(entries) + jnp.eye(size,
                                                          dtype=entries.dtype)


def gaussian_kl(mean_q, log_var_q, mean_p, log_var_p,
                lower_p=None) -> jnp.ndarray:
  """KL(N(mean_q, diag var_q) || N(mean_p, cov_p)) over the last axis.

  cov_p is diag(var_p), or with `lower_p` (unit lower-triangular U,
  [..., D, D]) U diag(var_p) U^T, whose log-determinant is sum(log_var_p).
  """
  if lower_p is None:
    return 0.5 * jnp.sum(
        log_var_p - log_var_q
        + (jnp.exp(log_var_q) + (mean_q - mean_p)**2) / jnp.exp(log_var_p)
        - 1.0, axis=-1)
  # cov_p^-1 = U^-T diag(1 / var_p) U^-1: whiten the mean difference and
  # the posterior's standard deviations through U^-1; the squared whitened
  # columns sum to the Mahalanobis term plus tr(cov_p^-1 cov_q).
  std_q = jnp.exp(0.5 * log_var_q)
  columns = jnp.concatenate([(mean_q - mean_p)[..., None],
                             std_q[..., None, :] * jnp.eye(
                                 std_q.shape[-1], dtype=std_q.dtype)],
                            axis=-1)
  solved = jax.scipy.linalg.solve_triangular(lower_p, columns, lower=True,
                                             unit_diagonal=True)
  whitened = jnp.sum(solved**2 * jnp.exp(-log_var_p)[..., :, None],
                     axis=(-2, -1))
  return 0.5 * (whitened + jnp.sum(log_var_p - log_var_q, axis=-1)
                - log_var_q.shape[-1])


def prior_noise(log_var, lower, noise):
  """A draw's deviation from the prior mean: sqrt(var) * noise, then
  through U where the covariance is full."""
  deviation = jnp.exp(0.5 * log_var) * noise
  if lower is None:
    return deviation
  return jnp.einsum("...ij,...j->...i", lower, deviation)


class ConvEncoder(nn.Module):
  """Frames [B, H, W, C] -> features [B, features] (App. A.4)."""
  layers: Sequence[Sequence[int]] = PAPER_ENCODER_LAYERS
  hidden: int = 1024
  features: int = 512
  dropout: float = 0.5
  activation: str = "relu"

  @nn.compact
  def __call__(self, frames, train: bool = False):
    act = ACTIVATIONS[self.activation]
    x = frames
    for kernel, channels, stride in self.layers:
      x = act(nn.Conv(channels, (kernel, kernel), (stride, stride),
                      padding="VALID")(x))
    x = nn.Dropout(self.dropout, deterministic=not train)(x)
    x = x.reshape(x.shape[0], -1)
    x = act(nn.Dense(self.hidden)(x))
    return nn.Dense(self.features)(x)


class ConvDecoder(nn.Module):
  """Latents [B, D] -> frames [B, r, r, channels] in [-1, 1]."""
  resolution: int
  channels: int
  layers: Sequence[Sequence[int]] = PAPER_ENCODER_LAYERS
  hidden: int = 1024
  output: str = "linear"  # Or "tanh"; see the module docstring.
  activation: str = "relu"

  @nn.compact
  def __call__(self, z):
    act = ACTIVATIONS[self.activation]
    sizes = conv_sizes(self.resolution, self.layers)
    x = act(nn.Dense(self.hidden)(z))
    x = nn.Dense(sizes[-1]**2 * self.layers[-1][1])(x)
    x = x.reshape((-1, sizes[-1], sizes[-1], self.layers[-1][1]))
    for index in reversed(range(len(self.layers))):
      kernel, _, stride = self.layers[index]
      channels = self.layers[index - 1][1] if index else self.channels
      # Explicit padding (k-1, k-1+extra) of the dilated input gives
      # (n-1)*stride + k + extra: exactly the encoder's input size here.
      extra = sizes[index] - ((sizes[index + 1] - 1) * stride + kernel)
      x = nn.ConvTranspose(channels, (kernel, kernel), (stride, stride),
                           padding=((kernel - 1, kernel - 1 + extra),) * 2)(x)
      if index:
        x = act(x)
      elif self.output == "tanh":
        x = jnp.tanh(x)
    return x


class Mlp(nn.Module):
  """phi_tau: two fully-connected layers with a central ReLU (or
  `activation`)."""
  hidden: int
  features: int
  activation: str = "relu"

  @nn.compact
  def __call__(self, x):
    return nn.Dense(self.features)(
        ACTIVATIONS[self.activation](nn.Dense(self.hidden)(x)))


class VideoVae(nn.Module):
  """Section 3's spatial and temporal model; see the module docstring."""
  resolution: int
  channels: int
  encoder_layers: Sequence[Sequence[int]] = PAPER_ENCODER_LAYERS
  encoder_hidden: int = 1024
  latent_dim: int = 512
  mlp_hidden: int = 512
  lstm_size: int = 512
  structured: bool = True
  conditional: bool = True
  dropout: float = 0.5
  output: str = "linear"  # The decoder's frame layer: "linear" or "tanh".
  activation: str = "relu"  # A name in ACTIVATIONS.
  decoder_reads_attributes: bool = False  # Not the paper: model.py says.
  prior_covariance: str = "diagonal"  # A name in PRIOR_COVARIANCES.

  def setup(self):
    size, act = 2 * self.latent_dim, self.activation
    self.encoder = ConvEncoder(self.encoder_layers, self.encoder_hidden,
                               self.latent_dim, self.dropout, act)
    self.decoder = ConvDecoder(self.resolution, self.channels,
                               self.encoder_layers, self.encoder_hidden,
                               self.output, act)
    self.residual_posterior = Mlp(self.mlp_hidden, size, act)     # psi_q.
    if self.structured:
      self.attribute_posterior = Mlp(self.mlp_hidden, size, act)  # psi_a.
    self.dynamic_state = Mlp(self.mlp_hidden, size, act)  # phi(h), eq. 4.
    self.dynamic_posterior = Mlp(self.mlp_hidden, size, act)      # psi_dy.
    self.prior_state = Mlp(self.mlp_hidden, size, act)    # phi(h), eq. 5.
    full = self.prior_covariance == "full"
    below_diagonal = self.latent_dim * (self.latent_dim - 1) // 2
    self.prior = Mlp(self.mlp_hidden, size + full * below_diagonal,
                     act)                                         # psi_p.
    self.lstm = nn.OptimizedLSTMCell(self.lstm_size)

  def residual(self, frames, train: bool = False):
    """Frames [B, H, W, C] -> psi_q [B, 2D]."""
    return self.residual_posterior(self.encoder(frames, train))

  def decode(self, z, attributes):
    """z [B, D] (and the attributes' one-hot [B, A], read where
    `decoder_reads_attributes`) -> frames [B, H, W, C]."""
    if self.decoder_reads_attributes:
      z = jnp.concatenate([z, attributes.astype(z.dtype)], axis=-1)
    return self.decoder(z)

  def initial_carry(self, batch_size: int, dtype=jnp.float32):
    zeros = jnp.zeros((batch_size, self.lstm_size), dtype)
    return (zeros, zeros)

  def prior_params(self, carry, attributes):
    """psi_p (eq. 5) from h_{t-1} and the attributes' one-hot vector:
    (mean, log_var, U), U None for the paper's diagonal covariance."""
    state = self.prior_state(carry[1])
    if self.structured:
      state = jnp.concatenate([state, attributes], axis=-1)
    params = self.prior(state)
    size = 2 * self.latent_dim
    mean, log_var = split_gaussian(params[..., :size])
    if self.prior_covariance != "full":
      return mean, log_var, None
    return mean, log_var, unit_lower_triangular(params[..., size:],
                                                self.latent_dim)

  def posterior_params(self, carry, psi_q, attributes):
    """psi_dy (eq. 4) from psi_q, the attributes and h_{t-1}."""
    psi = psi_q
    if self.structured:
      psi = self.attribute_posterior(
          jnp.concatenate([psi_q, attributes], axis=-1))
    state = self.dynamic_state(carry[1])
    return split_gaussian(self.dynamic_posterior(
        jnp.concatenate([psi, state], axis=-1)))

  def advance(self, carry, psi_q, z):
    """h_t = f_h(psi_q, [z,] h_{t-1}) (eq. 8 with conditional sampling)."""
    inputs = jnp.concatenate([psi_q, z], axis=-1) if self.conditional else psi_q
    carry, _ = self.lstm(carry, inputs)
    return carry

  def lstm_input_size(self) -> int:
    return 2 * self.latent_dim + (self.latent_dim if self.conditional else 0)

  def __call__(self, frames, attributes):
    """Initialises every parameter: frames [B, H, W, C], attributes [B, A]."""
    psi_q = self.residual(frames)
    carry = self.initial_carry(frames.shape[0], frames.dtype)
    mean, _ = self.posterior_params(carry, psi_q, attributes)
    self.prior_params(carry, attributes)
    carry = self.advance(carry, psi_q, mean)
    return self.decode(mean, attributes)


class AttributeClassifier(nn.Module):
  """Videos [B, T, H, W, C] -> logits per attribute (section 3.2)."""
  attributes: Sequence[tuple[str, int]]
  encoder_layers: Sequence[Sequence[int]] = PAPER_ENCODER_LAYERS
  encoder_hidden: int = 1024
  features: int = 512
  hidden: int = 512
  dropout: float = 0.5

  @nn.compact
  def __call__(self, videos, train: bool = False) -> dict[str, jnp.ndarray]:
    batch, length = videos.shape[:2]
    features = ConvEncoder(self.encoder_layers, self.encoder_hidden,
                           self.features, self.dropout, name="encoder")(
                               videos.reshape((-1,) + videos.shape[2:]),
                               train)
    features = features.reshape((batch, length, -1))
    logits = {}
    for name, num_classes in self.attributes:
      x = nn.relu(nn.Dense(self.hidden, name=f"{name}_fc_in")(features))
      # The carry in x's dtype: a float32 one would lift a bfloat16 pass
      # (train.dtype) back to float32.
      zeros = jnp.zeros((batch, self.hidden), x.dtype)
      x = nn.RNN(nn.OptimizedLSTMCell(self.hidden), name=f"{name}_lstm")(
          x, initial_carry=(zeros, zeros))
      logits[name] = nn.Dense(num_classes, name=f"{name}_fc_out")(x[:, -1])
    return logits


def one_hot_attributes(values: dict[str, jnp.ndarray],
                       attributes: Sequence[tuple[str, int]]) -> jnp.ndarray:
  """{name: int [...]} -> the concatenated one-hot vectors [..., sum C]."""
  return jnp.concatenate(
      [jax.nn.one_hot(values[name], num_classes)
       for name, num_classes in attributes], axis=-1)
