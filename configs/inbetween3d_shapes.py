r"""inbetween3d on procedural Shape Motion, sized for a CPU.

Run:
  python -m video_inference.main --config=configs/inbetween3d_shapes.py \
      --workdir=runs/inbetween3d_shapes
  # Baselines of section 4.2 with the same budget:
  ... --config.model.variant=no_fusion   (or naive)
Runtime and results: not measured yet (the results issue fills them in).
Sizes: 32x32, 16 frames, base width 16 (the paper: 64), L = 12 fusion
blocks (the paper: 24), batch 8. Variant `:tiny` is the 2-step test size.
"""

from video_inference import config_lib


def get_config(variant: str = ""):
  config = config_lib.inbetween3d_config()
  config.lock()
  config.dataset.update(name="shape_motion", num_frames=16, frame_stride=2,
                        resolution=32, validation_split="")
  config.model.update(base_channels=16, latent_channels=32,
                      discriminator_channels=16, num_blocks=12)
  config.train.update(batch_size=8, num_steps=1200, eval_every=0,
                      log_every=50,
                      checkpoint_every=300, sample_every=600,
                      learning_rate=2e-4)
  config.evals.update(num_anchor_sets=32, num_samples=8)
  config.evals.fvd.during_training = False
  config.evals.update(best_metric="best_of_8_psnr", best_mode="max")
  config.sample.anchor_times = (0, 15)
  config_lib.apply_variant(config, variant)
  return config
