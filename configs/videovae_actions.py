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
steps (on the labelled strips) then 1200 VAE steps at batch 16 with Adam
1e-3, latents 32, KL weight 1, sized for a CPU: 9 min wall alone on the
2-core AMD EPYC VM, 15 on the Xeon VM beside another training. Expected
at step 1400 (docs/results.md): I-score 11.0 [9.5, 12.4] (real strips
30.2), Inter-E 2.9-3.1, posterior reconstruction 25.1 dB: the right
person on the right wall, the arms mostly still.
Variant `:tiny` is the 3-step test size (on procedural data).
"""

from video_inference.models.videovae import config as videovae


def get_config(variant: str = ""):
  config = videovae.base_config()
  config.lock()
  videovae.use_attribute_dataset(config, "actions")
  videovae.cpu_sized(config, "runs/classifier_actions")
  config.evals.update(num_test_clips=72, num_samples=4)
  # The ELBO's own KL weight, as videovae_shapes.py, and 32 latents here
  # (issue 18 probes, docs/results.md): I-score 7.1 with 128 latents at
  # weight 1/127.5, 8.1 with 16 latents at weight 1, 11.0 with 32.
  config.model.latent_dim = 32
  config.loss.kl_weight = 1.0
  videovae.apply_variant(config, variant)
  return config
