r"""Masked conditional video diffusion on procedural Shape Motion (no
download): one network for inference from scattered frames, inbetweening,
prediction and generation.

Run:
  python -m video_inference.main --config=configs/diffusion_shapes.py \
      --workdir=runs/diffusion_shapes
Sized for 2 CPU cores, at sdvi_shapes' and inbetween3d_shapes' data (32x32,
16 frames at stride 2) so the three are scored on the same anchors: U-Net
widths 16/32/64 with attention over space and time at 8x8, batch 8, 3000
steps (about 45-75 minutes on 2 cores), Adam 1e-3 with EMA 0.995, 25 DDIM
steps with classifier-free guidance 1.
Step time, runtime and figures: docs/benchmarks.md and docs/results.md
(diffusion sections). FVD is not run while training (I3D is slow on CPU): run
`--mode=evaluate` afterwards. Variant `:tiny` is the 2-step test size.
"""

from video_inference.models.diffusion import config as diffusion


def get_config(variant: str = ""):
  config = diffusion.base_config()
  config.lock()
  config.dataset.update(name="shape_motion", num_frames=16, frame_stride=2,
                        resolution=32)
  config.model.update(widths=(16, 32, 64), ema_decay=0.995)
  # Guidance 1 kept the anchors' colour better than 0 or 3 and 50 DDIM
  # steps gained little over 25 (docs/results.md, the sampler probe).
  config.model.sampling.update(steps=25, guidance=1.0)
  config.train.update(batch_size=8, num_steps=3000, learning_rate=1e-3,
                      log_every=100, checkpoint_every=500, sample_every=1000)
  # As sdvi_shapes: 32 anchor sets x 10 samples, FVD afterwards.
  config.evals.update(num_test_clips=32, num_samples=10,
                      best_metric="best_of_10_psnr", best_mode="max")
  config.evals.fvd.during_training = False
  config.sample.anchor_times = (0, 7, 15)
  # A shape covers < 5% of a frame (base.foreground_weights).
  config.loss.foreground_weight = 10.0
  diffusion.apply_variant(config, variant)
  return config
