"""The CPU-fast 3D convolutions equal flax's, in values and gradients."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from video_inference.models import conv3d

CONVS = [
    dict(kernel_size=(3, 3, 3)),                          # Fusion block, G_V.
    dict(kernel_size=(4, 4, 4), strides=(1, 2, 2),
         padding=((0, 0), (1, 1), (1, 1))),               # D_V.
    dict(kernel_size=(4, 3, 3), strides=(2, 2, 2)),
]
TRANSPOSED = [
    dict(kernel_size=(3, 4, 4), strides=(1, 2, 2)),       # G_V up-sampling.
    dict(kernel_size=(4, 4, 4), strides=(2, 2, 2)),       # Naive baseline.
    dict(kernel_size=(3, 3, 3)),
]


def _check(reference, ours, x):
  variables = reference.init(jax.random.key(0), x)
  # The same parameter tree: checkpoints and counts are interchangeable.
  structure = jax.tree_util.tree_structure
  assert structure(variables) == structure(ours.init(jax.random.key(0), x))
  expected, got = reference.apply(variables, x), ours.apply(variables, x)
  assert got.shape == expected.shape
  np.testing.assert_allclose(got, expected, atol=2e-5)
  loss = lambda module: lambda v, x: jnp.sum(jnp.sin(module.apply(v, x)))
  grads_expected = jax.grad(loss(reference), argnums=(0, 1))(variables, x)
  grads_got = jax.grad(loss(ours), argnums=(0, 1))(variables, x)
  for a, b in zip(jax.tree_util.tree_leaves(grads_got),
                  jax.tree_util.tree_leaves(grads_expected)):
    np.testing.assert_allclose(a, b, atol=2e-4, rtol=1e-4)


@pytest.mark.parametrize("implementation", ["time_unfold", "native"])
@pytest.mark.parametrize("kwargs", CONVS)
def test_conv3d_equals_flax_conv(implementation, kwargs):
  x = jax.random.normal(jax.random.key(1), (2, 9, 8, 8, 3))
  _check(nn.Conv(5, **kwargs),
         conv3d.Conv3D(5, implementation=implementation, **kwargs), x)


@pytest.mark.parametrize("implementation", ["time_unfold", "native"])
@pytest.mark.parametrize("kwargs", TRANSPOSED)
def test_conv_transpose3d_equals_flax_conv_transpose(implementation, kwargs):
  x = jax.random.normal(jax.random.key(1), (2, 5, 4, 4, 3))
  _check(nn.ConvTranspose(5, padding="SAME", **kwargs),
         conv3d.ConvTranspose3D(5, implementation=implementation, **kwargs), x)


def test_unknown_implementation_is_named():
  with pytest.raises(ValueError, match="valid: .*time_unfold"):
    conv3d.Conv3D(2, (3, 3, 3), implementation="fast").init(
        jax.random.key(0), jnp.zeros((1, 4, 4, 4, 1)))
