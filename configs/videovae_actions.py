r"""videovae on MoCoGAN's Weizmann subset (the folder
`data/actions/` of https://github.com/sergeytulyakov/mocogan).

Run:
  python -m video_inference.prepare --dataset=mocogan_actions \
      --manual_dir=path/to/mocogan/data/actions   # once, ~2 s
  python -m video_inference.main --config=configs/classifier_actions.py \
      --workdir=runs/classifier_actions
  python -m video_inference.main --config=configs/videovae_actions.py \
      --workdir=runs/videovae_actions
Attributes person (9) and action (4) of the 72 strips (4 actions x 9
people, each also mirrored). The set has one split, so training,
the classifier and the evaluation all use `train` (the bound is on the
training strips). 20% of the labels; 32x32, 10 frames; 200 attribute
steps then 1200 VAE steps at batch 16 with Adam 1e-3, sized for a CPU:
12 min wall on the 2-core Xeon VM with another training sharing it.
Expected at step 1400 (docs/results.md): I-score 7.1 [6.1, 8.2] (real
strips 30.2), Inter-E 2.49, posterior reconstruction 25.3 dB.
Variant `:tiny` is the 3-step test size (on procedural data).
"""

from video_inference.models.videovae import config as videovae


def get_config(variant: str = ""):
  config = videovae.base_config()
  config.lock()
  videovae.use_attribute_dataset(config, "actions")
  videovae.cpu_sized(config, "runs/classifier_actions")
  config.evals.update(num_test_clips=72, num_samples=4)
  videovae.apply_variant(config, variant)
  return config
