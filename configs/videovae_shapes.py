r"""videovae on procedural Shape Motion: attributes shape, direction, hue.

Run (the evaluation classifier first; Intra-E / Inter-E / I-score need it):
  python -m video_inference.main --config=configs/classifier_shapes.py \
      --workdir=runs/classifier_shapes
  python -m video_inference.main --config=configs/videovae_shapes.py \
      --workdir=runs/videovae_shapes
The ablation of Table 1: --config.model.structured=False (-S) and/or
--config.model.conditional=False (-C).
Sized for a CPU budget: 32x32 frames (ENCODER_LAYERS_32, 1280 features as
the paper's), 10 frames (the paper's Weizmann clips), latents 128, LSTM
256; 20% of the labels; 200 attribute steps then 800 VAE steps at batch 16
(~0.3 s a VAE step on 2 CPU cores). Generation from the
attributes of 64 test clips x 4 samples.
Variant `:tiny` is the 3-step test size.
"""

from video_inference import config_lib


def get_config(variant: str = ""):
  config = config_lib.videovae_config()
  config.lock()
  config.dataset.update(name="shape_motion", num_frames=10, resolution=32,
                        labels=("shape", "direction", "hue"),
                        labelled_fraction=0.2)
  config.model.attributes = dict(shape=2, direction=2, hue=6)
  config.model.update(encoder_layers=config_lib.ENCODER_LAYERS_32,
                      encoder_hidden=512, latent_dim=128, mlp_hidden=256,
                      lstm_size=256)
  config.train.update(num_steps=1000, attribute_steps=200, log_every=50,
                      checkpoint_every=500, sample_every=500)
  config.evals.update(num_anchor_sets=64, num_samples=4)
  config.evals.update(best_metric="i_score", best_mode="max")
  config.evals.attribute_scores.update(
      enabled=True, during_training=True,
      classifier_workdir="runs/classifier_shapes")
  config_lib.apply_variant(config, variant)
  return config
