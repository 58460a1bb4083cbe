r"""The evaluation classifier of Shape Motion (shape, direction, hue).

Run:
  python -m video_inference.main --config=configs/classifier_shapes.py \
      --workdir=runs/classifier_shapes
Every training label (no hiding), 32x32, 10-frame clips as videovae_shapes
generates them; 1000 steps at batch 16; accuracy on 512 test clips.
Variant `:tiny` is the 2-step test size.
"""

from video_inference.models.classifier import config as classifier
from video_inference.models.videovae import config as videovae


def get_config(variant: str = ""):
  config = classifier.base_config()
  config.lock()
  videovae.use_attribute_dataset(config, "shapes")
  classifier.cpu_sized(config)
  config.evals.update(num_test_clips=512)
  classifier.apply_variant(config, variant)
  return config
