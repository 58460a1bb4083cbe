r"""The evaluation classifier of Chair-CAD (rotation direction x tilt).

Run (after `python -m video_inference.prepare --dataset=chairs/videovae`):
  python -m video_inference.main --config=configs/classifier_chairs.py \
      --workdir=runs/classifier_chairs
16-frame sweeps at 64x64; accuracy on the test sweeps.
Variant `:tiny` is the 2-step test size (on procedural data).
"""

from video_inference import config_lib


def get_config(variant: str = ""):
  config = config_lib.classifier_config()
  config.lock()
  config_lib.use_attribute_dataset(config, "chairs")
  config.train.update(num_steps=5_000, eval_every=1000)
  config_lib.apply_variant(config, variant)
  return config
