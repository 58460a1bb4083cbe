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


@pytest.mark.parametrize("size,kernel,padding", [
    (16, 4, ((1, 1), (1, 1))), (15, 4, ((1, 1), (1, 1))),
    (9, 3, ((1, 1), (1, 1))), (12, 4, ((1, 2), (0, 1)))])
def test_strided_conv2d_as_matmul_equals_the_convolution(size, kernel,
                                                         padding):
  rng = np.random.default_rng(size)
  x = jnp.asarray(rng.normal(size=(2, size, size + 1, 5)), jnp.float32)
  weights = jnp.asarray(rng.normal(size=(kernel, kernel, 5, 7)), jnp.float32)

  def loss(as_matmul):
    return lambda w, v: jnp.sum(conv3d.conv2d(
        v, w, (2, 2), padding, as_matmul=as_matmul) ** 2)

  reference = conv3d.conv2d(x, weights, (2, 2), padding)
  np.testing.assert_allclose(
      conv3d.conv2d(x, weights, (2, 2), padding, as_matmul=True), reference,
      rtol=1e-5, atol=1e-4)
  for ours, theirs in zip(jax.grad(loss(True), (0, 1))(weights, x),
                          jax.grad(loss(False), (0, 1))(weights, x)):
    np.testing.assert_allclose(ours, theirs,
                               rtol=1e-5, atol=1e-5 * float(
                                   jnp.abs(theirs).max()))


@pytest.mark.parametrize("kernel,padding,fast", [
    ((4, 4), ((2, 2), (2, 2)), True),    # G_V's 4x4 stride-2 transpose.
    ((3, 3), ((2, 1), (2, 1)), True),
    ((4, 3), ((1, 1), (2, 1)), True),
    ((2, 5), ((0, 0), (1, 2)), True),
    ((3, 3), ((2, 2), (2, 2)), False)])  # Odd output sides: XLA's form.
def test_input_dilated_conv2d_as_parity_convs_equals_the_convolution(
    kernel, padding, fast):
  rng = np.random.default_rng(sum(kernel))
  x = jnp.asarray(rng.normal(size=(2, 5, 6, 4)), jnp.float32)
  weights = jnp.asarray(rng.normal(size=kernel + (4, 3)), jnp.float32)
  assert (conv3d._input_dilated_as_parity_convs(x, weights, padding)
          is not None) == fast

  def conv(as_matmul):
    return lambda w, v: conv3d.conv2d(v, w, (1, 1), padding, (2, 2),
                                      as_matmul=as_matmul)

  reference = conv(False)(weights, x)
  np.testing.assert_allclose(conv(True)(weights, x), reference,
                             rtol=1e-5, atol=1e-5)
  cotangent = jnp.asarray(rng.normal(size=reference.shape), jnp.float32)
  grads = [jax.grad(lambda w, v: jnp.sum(conv(m)(w, v) * cotangent),
                    (0, 1))(weights, x) for m in (True, False)]
  for ours, theirs in zip(*grads):
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


def test_transposed_convs_train_without_an_input_dilated_convolution():
  """ConvTranspose3D time-unfolded: no convolution with a dilated input is
  traced (its kernel gradient would take XLA CPU's slowest path)."""
  layer = conv3d.ConvTranspose3D(4, (3, 4, 4), strides=(1, 2, 2),
                                 implementation="time_unfold")
  x = jnp.ones((1, 3, 4, 4, 2))
  variables = layer.init(jax.random.key(0), x)
  text = str(jax.make_jaxpr(jax.grad(
      lambda v: jnp.sum(layer.apply(v, x))))(variables))
  assert "lhs_dilation=(2, 2)" not in text
  assert "lhs_dilation=(1, 1)" in text  # Its parities' convolutions.


def test_strided_flax_convs_run_as_a_matmul_on_cpu():
  """Inside flax_convs_as("auto") on CPU a stride-2 nn.Conv traces no
  convolution (its kernel gradient would take XLA's slow path)."""
  layer = nn.Conv(8, (4, 4), strides=(2, 2), padding=((1, 1), (1, 1)))
  x = jnp.ones((2, 16, 16, 3))
  variables = layer.init(jax.random.key(0), x)

  def apply(v, inputs):
    with conv3d.flax_convs_as("auto"):
      return layer.apply(v, inputs)

  text = str(jax.make_jaxpr(apply)(variables, x))
  assert ("conv_general_dilated" in text) == (jax.default_backend() != "cpu")
  np.testing.assert_allclose(apply(variables, x), layer.apply(variables, x),
                             rtol=1e-5, atol=1e-5)


def test_forward_only_strided_convs_stay_convolutions():
  """With strided_as_matmul=False (the FVD embedder: no gradients), a
  strided 3D nn.Conv is unfolded in time but stays one strided 2D
  convolution: building patches would cost more than it saves."""
  layer = nn.Conv(8, (3, 4, 4), strides=(1, 2, 2))
  x = jnp.ones((1, 5, 16, 16, 3))
  variables = layer.init(jax.random.key(0), x)

  def apply(v, inputs, as_matmul):
    with conv3d.flax_convs_as("time_unfold", strided_as_matmul=as_matmul):
      return layer.apply(v, inputs)

  forward_only = str(jax.make_jaxpr(
      lambda v, i: apply(v, i, False))(variables, x))
  training = str(jax.make_jaxpr(lambda v, i: apply(v, i, True))(variables, x))
  assert "window_strides=(2, 2)" in forward_only
  assert "dot_general" not in forward_only
  assert "conv_general_dilated" not in training
  for as_matmul in (False, True):
    np.testing.assert_allclose(apply(variables, x, as_matmul),
                               layer.apply(variables, x), rtol=1e-5, atol=1e-5)
