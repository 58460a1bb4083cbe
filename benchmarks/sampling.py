r"""Sampling time per video of a config, and of a diffusion config by the
number of sampler steps.

  python benchmarks/sampling.py --config=configs/sdvi_shapes.py
  python benchmarks/sampling.py --config=configs/diffusion_shapes.py \
      --sampler_steps=10,25,50,100

Times the model's `generate` (what `sampling.sample`, the evaluation and the
sample command call) on one batch of `--batch` anchor sets drawn with the
config's anchor strategy, from freshly initialised weights (the time does not
depend on what the weights learned), called as `sampling.sample` calls it,
after a call that compiles it. A config with `model.sampling.steps` is
timed once per value of `--sampler_steps` (each a separate compilation).
Prints ms per video and videos/s.
"""

import sys
import time

from absl import app
from absl import flags
import jax
from ml_collections import config_flags

import batches
from video_inference import models
from video_inference import threefry

_CONFIG = config_flags.DEFINE_config_file(
  "config", None, "Config file.", lock_config=False
)
_BATCH = flags.DEFINE_integer("batch", 8, "Videos generated per call.")
_REPEATS = flags.DEFINE_integer("repeats", 3, "Timed calls per setting.")
_SAMPLER_STEPS = flags.DEFINE_list(
  "sampler_steps", [], "Values of model.sampling.steps to time (configs "
  "that have it); empty: the config's own."
)
flags.mark_flags_as_required(["config"])


def time_generation(config) -> float:
  """Seconds per video of `config`'s generate on `--batch` anchor sets."""
  config.train.batch_size = _BATCH.value
  model = models.build_model(config)
  batch = batches.random_batch(config, model)
  state = jax.jit(model.create_state)(jax.random.key(0))
  variables = model.sampling_variables(state)
  num_frames = config.dataset.num_frames
  # As sampling.sample calls it: a family jits its own generate (some
  # check the anchor mask on the host first).
  def generate(variables, video, mask, rng):
    return model.generate(variables, video, mask, rng, num_frames)

  jax.block_until_ready(generate(variables, batch["video"],
                                 batch["anchor_mask"], jax.random.key(0)))
  start = time.perf_counter()
  for index in range(_REPEATS.value):
    videos = generate(variables, batch["video"], batch["anchor_mask"],
                      jax.random.key(index + 1))
    jax.block_until_ready(videos)
  return (time.perf_counter() - start) / (_REPEATS.value * _BATCH.value)


def main(argv):
  del argv
  threefry.set_for_process()
  config = _CONFIG.value
  data = config.dataset
  print(f"device: {jax.devices()[0].device_kind} x{jax.device_count()}, "
        f"{config.family}, batches of {_BATCH.value} videos of "
        f"{data.num_frames}x{data.resolution}x{data.resolution}x"
        f"{data.channels}, anchors: {config.anchors.strategy}")
  sampling = config.model.get("sampling")
  settings = [int(value) for value in _SAMPLER_STEPS.value]
  if settings and sampling is None:
    raise app.UsageError(f"{config.family} has no model.sampling.steps; "
                         "drop --sampler_steps.")
  for steps in settings or [None]:
    label = "generate"
    if steps is not None:
      sampling.steps = steps
      label = f"{steps:4d} sampler steps"
    seconds = time_generation(config)
    print(f"{label}: {seconds * 1e3:9.1f} ms per video "
          f"({1 / seconds:7.2f} videos/s)")
    sys.stdout.flush()


if __name__ == "__main__":
  app.run(main)
