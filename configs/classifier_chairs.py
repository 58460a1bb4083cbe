r"""The evaluation classifier of Chair-CAD (rotation direction x tilt).

Run (after `python -m video_inference.prepare --dataset=chairs/videovae`):
  python -m video_inference.main --config=configs/classifier_chairs.py \
      --workdir=runs/classifier_chairs
16-frame sweeps at 64x64; accuracy on the test sweeps.
Variant `:tiny` is the 2-step test size (on procedural data).
"""

from video_inference.models.classifier import config as classifier
from video_inference.models.videovae import config as videovae


def get_config(variant: str = ""):
  config = classifier.base_config()
  config.lock()
  videovae.use_attribute_dataset(config, "chairs")
  config.train.update(num_steps=5_000, eval_every=1000)
  classifier.apply_variant(config, variant)
  return config
