r"""videovae on Weizmann Human Action at the paper's setup (section 5.1).

Run:
  python -m video_inference.prepare --dataset=weizmann/videovae
  python -m video_inference.main --config=configs/classifier_weizmann.py \
      --workdir=runs/classifier_weizmann
  python -m video_inference.main --config=configs/videovae_weizmann.py \
      --workdir=runs/videovae_weizmann
Person-centred 64x64 frames; the first 2/3 of each video trains, the last
1/3 tests; clips of 10 frames (the paper's mini-clips; the shortest test
part has 10). Attributes person (9) and action (10): the joint label has
90 classes (the bound Inter-E of Table 2 is ln 90 = 4.50). Paper's layers,
latents and Adam 1e-4; steps and batch are not given.
Generation from attributes (Table 2's setting i); for prediction from the
first frame (iv): --config.anchors.strategy=first_k.
Variant `:tiny` is the 3-step test size (on procedural data).
"""

from video_inference.models.videovae import config as videovae


def get_config(variant: str = ""):
  config = videovae.base_config()
  config.lock()
  videovae.use_attribute_dataset(config, "weizmann")
  config.train.update(num_steps=100_000, attribute_steps=5_000)
  config.evals.update(num_test_clips=90, num_samples=4)
  config.evals.update(best_metric="i_score", best_mode="max")
  config.evals.attribute_scores.update(
      enabled=True, during_training=True,
      classifier_workdir="runs/classifier_weizmann")
  videovae.apply_variant(config, variant)
  return config
