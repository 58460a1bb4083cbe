"""The random batch every step benchmark times: a config's shapes, anchors
as its strategy draws them, example indices and labels in range."""

import jax.numpy as jnp
import numpy as np

from video_inference import anchors
from video_inference.models import base as models_base


def random_batch(config, model) -> dict:
  """One batch of `config`'s shapes, floating inputs in train.dtype."""
  data, size = config.dataset, config.train.batch_size
  rng = np.random.default_rng(0)
  batch = {
      "video": jnp.asarray(rng.uniform(
          -1, 1, (size, data.num_frames, data.resolution, data.resolution,
                  data.channels)), jnp.float32),
      "anchor_mask": jnp.asarray(np.stack([
          anchors.sample_anchor_mask(
              rng, data.num_frames, config.anchors.strategy,
              config.anchors.min_anchors, config.anchors.max_anchors,
              config.anchors.first_k)
          for _ in range(size)])),
      # navsynth's latent-table rows, within every table's range.
      "index": jnp.arange(size, dtype=jnp.int32) % max(
          1, getattr(config.model, "num_transient", 1)),
  }
  for name in data.labels:
    batch[name] = jnp.zeros((size,), jnp.int32)
  # As the train loop feeds it.
  return models_base.cast_floating(batch, model.compute_dtype)
