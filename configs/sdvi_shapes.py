r"""sdvi on procedural Shape Motion: the quick start (no download).

Run:
  python -m video_inference.main --config=configs/sdvi_shapes.py \
      --workdir=runs/sdvi_shapes
Runtime: 9 min 51 s on 2 CPU cores (docs/benchmarks.md), including
generating the dataset (8000 videos, ~10 s) on first use and the final
evaluation.
Expected (measured at step 1200): eval_1200.json with best-of-8 PSNR 23.0 dB
on the inferred frames (deterministic z = mu: 22.9), SSIM 0.59, ACD of prior
samples 0.68 (the paper's Table II: 1.05 for its fully trained model, 0 for
real videos). At this budget the samples in runs/sdvi_shapes/samples/ are
blurred grey blobs that follow the anchors' positions; the shapes' colour
and outline need a longer schedule.

The network is slimmed (16 base channels, 256-unit GRUs), the schedule short
and the learning rates 3x the paper's so that it fits the CPU budget; `configs/sdvi_ucf.py` has the paper's
sizes. Variant `:tiny` is the 2-step test size.
"""

from video_inference import config_lib


def get_config(variant: str = ""):
  config = config_lib.sdvi_config()
  config.lock()
  # 8 frames, every 3rd of the source's 32: the shape crosses most of the
  # frame in a clip, and a video step costs half a 16-frame one.
  config.dataset.update(name="shape_motion", num_frames=8, frame_stride=3,
                        resolution=64)
  config.model.update(latent_dim=64, video_latent_dim=64, base_channels=16,
                      discriminator_channels=16, gru_hidden_size=256)
  config.anchors.update(strategy="random", min_anchors=2, max_anchors=4)
  config.train.update(batch_size=8, num_steps=1200, image_phase_steps=600,
                      log_every=50, checkpoint_every=250, sample_every=600,
                      image_frames_per_clip=4, image_learning_rate=3e-4,
                      temporal_learning_rate=3e-4)
  config.eval.update(num_anchor_sets=32, num_samples=8, num_prior_videos=256)
  config.sample.anchor_times = (0, 3, 7)
  config_lib.apply_variant(config, variant)
  return config
