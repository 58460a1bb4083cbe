r"""The evaluation classifier of Weizmann (person x action, 90 classes).

Run (after `python -m video_inference.prepare --dataset=weizmann/videovae`):
  python -m video_inference.main --config=configs/classifier_weizmann.py \
      --workdir=runs/classifier_weizmann
10-frame clips at 64x64 as videovae_weizmann generates them; accuracy on
the test parts (the last third of each video).
Variant `:tiny` is the 2-step test size (on procedural data).
"""

from video_inference.models.classifier import config as classifier
from video_inference.models.videovae import config as videovae


def get_config(variant: str = ""):
  config = classifier.base_config()
  config.lock()
  videovae.use_attribute_dataset(config, "weizmann")
  config.train.update(num_steps=10_000, eval_every=1000)
  classifier.apply_variant(config, variant)
  return config
