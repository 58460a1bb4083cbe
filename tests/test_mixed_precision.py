"""train.dtype="bfloat16": every phase's first training step runs its
convolutions and matrix products in bfloat16, keeps float32 parameters and
optimiser states, and agrees with the float32 step to bfloat16 rounding."""

import jax
from jax.extend import core as jax_core
import jax.numpy as jnp
import numpy as np
import pytest

from conftest import load_config
from video_inference import checkpoints
from video_inference import input_pipeline
from video_inference import models
from video_inference import train
from video_inference.models import base

# videovae's first phase trains the classifier family's network.
FAMILY_CONFIGS = ("sdvi_shapes", "inbetween3d_shapes", "navsynth_shapes",
                  "videovae_shapes")
HEAVY_PRIMITIVES = ("conv_general_dilated", "dot_general")


def _first_steps(config, batch):
  """Each training phase's step from the initial state: the initial
  params, the jaxprs, the last phase's new state and every phase's
  figures."""
  model = models.build_model(config)
  state = jax.jit(model.create_state)(checkpoints.init_rng(config))
  batch = base.cast_floating(batch, model.compute_dtype)
  rng = jax.random.key(0)
  jaxprs, metrics = [], {}
  for phase in model.phases():
    jaxprs.append(jax.make_jaxpr(phase.step_fn)(state, batch, rng))
    new_state, phase_metrics = jax.jit(phase.step_fn)(state, batch, rng)
    metrics.update({f"{phase.name}/{k}": v
                    for k, v in jax.device_get(phase_metrics).items()})
  return state.params, jaxprs, new_state, metrics


def _heavy_operand_dtypes(jaxpr):
  """Input dtypes of every convolution / matmul, sub-jaxprs included."""
  found = []

  def visit(closed_or_open):
    inner = getattr(closed_or_open, "jaxpr", closed_or_open)
    for equation in inner.eqns:
      if equation.primitive.name in HEAVY_PRIMITIVES:
        found.append(tuple(str(v.aval.dtype) for v in equation.invars))
      for sub in jax_core.jaxprs_in_params(equation.params):
        visit(sub)

  visit(jaxpr)
  return found


@pytest.mark.parametrize("name", FAMILY_CONFIGS)
def test_bfloat16_step_is_bfloat16_inside_float32_outside(name, tfds_dir):
  configs = {}
  for dtype in ("float32", "bfloat16"):
    configs[dtype] = load_config(name)
    configs[dtype].dataset.data_dir = tfds_dir
    configs[dtype].train.dtype = dtype
  batch = next(input_pipeline.as_numpy(
      input_pipeline.train_dataset(configs["float32"])))
  initial, _, reference_state, reference = _first_steps(
      configs["float32"], batch)
  _, jaxprs, state, metrics = _first_steps(configs["bfloat16"], batch)

  operands = [dtypes for jaxpr in jaxprs
              for dtypes in _heavy_operand_dtypes(jaxpr)]
  in_bfloat16 = [dtypes for dtypes in operands
                 if all(d == "bfloat16" for d in dtypes)]
  # A float32 input anywhere (a carry, a noise draw) silently lifts the
  # rest of a pass to float32; only a few small products may stay there.
  assert len(in_bfloat16) >= 0.75 * len(operands), operands

  for tree in (state.params, state.opt_state, state.model_state):
    for leaf in jax.tree.leaves(tree):
      if jnp.issubdtype(leaf.dtype, jnp.floating):
        assert leaf.dtype == jnp.float32
  assert set(metrics) == set(reference)
  for key, value in metrics.items():
    assert np.isfinite(value), key
    np.testing.assert_allclose(value, reference[key], rtol=0.05, atol=0.02,
                               err_msg=key)
  # The update itself agrees: Adam moves each weight by ~lr, whose sign a
  # bfloat16 gradient keeps for most weights.
  moved = [np.mean(np.sign(np.asarray(a) - np.asarray(c))
                   == np.sign(np.asarray(b) - np.asarray(c)))
           for a, b, c in zip(jax.tree.leaves(reference_state.params),
                              jax.tree.leaves(state.params),
                              jax.tree.leaves(initial))
           if np.size(a) > 16]
  assert np.mean(moved) > 0.8, moved


def test_unknown_dtype_is_refused(tiny_config, tmp_path):
  tiny_config.train.dtype = "float16"
  with pytest.raises(ValueError, match="train.dtype"):
    train.train_and_evaluate(tiny_config, str(tmp_path / "w"),
                             devices=jax.devices()[:1])
