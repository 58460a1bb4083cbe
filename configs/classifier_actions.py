r"""The evaluation classifier of MoCoGAN's Weizmann subset (person, action).

Run (after preparing mocogan_actions, see configs/videovae_actions.py):
  python -m video_inference.main --config=configs/classifier_actions.py \
      --workdir=runs/classifier_actions
All 72 strips with every label; random 10-frame windows at 32x32; 1000
steps at batch 16; accuracy on the strips' centre windows (the set has no
test split, so this measures fit, not generalisation).
Variant `:tiny` is the 2-step test size (on procedural data).
"""

from video_inference.models.classifier import config as classifier
from video_inference.models.videovae import config as videovae


def get_config(variant: str = ""):
  config = classifier.base_config()
  config.lock()
  videovae.use_attribute_dataset(config, "actions")
  classifier.cpu_sized(config)
  config.evals.update(num_test_clips=72)
  classifier.apply_variant(config, variant)
  return config
