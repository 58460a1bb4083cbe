"""The toy family's one network: a learned video, per pixel."""

import flax.linen as nn
import jax.numpy as jnp


class MeanVideo(nn.Module):
  """A learned [N, H, W, C] video in [-1, 1] (tanh of free parameters)."""
  shape: tuple[int, int, int, int]

  @nn.compact
  def __call__(self):
    return jnp.tanh(self.param("logits", nn.initializers.zeros, self.shape))
