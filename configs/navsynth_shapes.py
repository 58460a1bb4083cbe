r"""navsynth on procedural Shape Motion (no download), sized for a CPU.

Run:
  python -m video_inference.main --config=configs/navsynth_shapes.py \
      --workdir=runs/navsynth_shapes
One static latent and one transient path per training video (6400), 16
frames (every 2nd of 32) at 32x32, D_s 56, D_t 50, a 32-channel generator,
Table 6's Chair-CAD loss weights and rates (lambda_s 0.01, lambda_t 0.01,
alpha 2, tau_G = tau_R = 6.25e-5 is too slow at this budget: 1e-3 here),
l = 3 levels; 1000 steps at batch 16 (2.5 epochs). Evaluation: FVD and
MCS/FCS, ACD and motion of 2 x 64 generations from the dictionary against
64 training clips.
Variant `:tiny` is the 2-step test size.
"""

from video_inference import config_lib

TRAIN_VIDEOS = 640


def get_config(variant: str = ""):
  config = config_lib.navsynth_config()
  config.lock()
  config.dataset.update(name="shape_motion", num_frames=16, frame_stride=2,
                        resolution=32, train_split=f"train[:{TRAIN_VIDEOS}]")
  config.model.update(static_dim=56, transient_dim=50, base_channels=32,
                      gru_hidden_size=256, static_key="shared",
                      transient_key="index", num_static=1,
                      num_transient=TRAIN_VIDEOS)
  config.loss.update(pyramid_levels=5, static_weight=0.01,
                     triplet_weight=0.01, triplet_margin=2.0,
                     foreground_weight=10.0)
  config.train.update(num_steps=3200, generator_steps=3200,
                      updates_per_batch=8, generator_learning_rate=1e-3,
                      rnn_learning_rate=1e-3, latent_learning_rate=12.5,
                      log_every=100, checkpoint_every=800, sample_every=1600)
  config.evals.update(num_test_clips=64, num_samples=2)
  # Shape Motion has a known background: MoCoGAN's ACD of the generations.
  config.evals.acd.update(enabled=True, during_training=True)
  config_lib.apply_variant(config, variant)
  return config
