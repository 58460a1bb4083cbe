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
  # 16 frames (the paper's clip length, and enough for I3D's FVD), every
  # 2nd of the source's 32 so that the shape crosses most of the frame; at
  # 32x32 a step costs a fifth of a 64x64 one, which buys the 2.5k steps the
  # frame VAE needs to learn colour as well as position.
  config.dataset.update(name="shape_motion", num_frames=16, frame_stride=2,
                        resolution=32)
  config.model.update(latent_dim=64, video_latent_dim=64, base_channels=16,
                      discriminator_channels=16, gru_hidden_size=256)
  config.anchors.update(strategy="random", min_anchors=2, max_anchors=6)
  config.train.update(batch_size=8, num_steps=3000, image_phase_steps=1200,
                      log_every=100, checkpoint_every=500, sample_every=1000,
                      image_frames_per_clip=4, image_learning_rate=1e-3,
                      image_finetune_learning_rate=1e-4,
                      temporal_learning_rate=1e-3,
                      video_discriminator_learning_rate=1e-4)
  config.evals.update(num_anchor_sets=32, num_samples=8)
  # FVD embeds every clip with I3D at 224x224 (~1 clip/s on 2 cores): it runs
  # in `--mode=evaluate`, not inside the 15-minute quick start.
  config.evals.fvd.during_training = False
  config.sample.anchor_times = (0, 7, 15)
  config_lib.apply_variant(config, variant)
  return config
