r"""navsynth on procedural Shape Motion (no download), sized for a CPU.

Run:
  python -m video_inference.main --config=configs/navsynth_shapes.py \
      --workdir=runs/navsynth_shapes
The first 640 training videos (`train[:640]`), one static latent shared by
all (the published code's single z_c) and one transient path per video, 16
frames (every 2nd of 32) at 32x32, D_s 56, D_t 50, a 32-channel generator,
Table 6's Chair-CAD loss weights (lambda_s 0.01, lambda_t 0.01, alpha 2;
tau_G = tau_R = 1e-3, Table 6's 6.25e-5 is too slow at this budget), 4
band-pass levels plus the residual, foreground pixels weighted x11 (a
shape covers < 5% of a frame). 3200 steps = 400 batches of 16, each
fitted by 8 consecutive steps (the published code's mu_{Z,theta}: 80
updates per video); 53 min wall on the 2-core Xeon VM while another
training shared it (alone a step takes ~0.36 s: ~20 min).
Expected at step 3200 (docs/results.md): a shape in every generated frame,
motion 2.74 a pixel per step (real 2.51), replay PSNR 29.0 dB (+6.7 over
black frames), ACD 19 (real 0.37), FCS 0.66 (real 0.72). Evaluation: MCS/
FCS, ACD, motion and replay of 2 x 64 generations from the dictionary
against 64 training clips.
Variant `:tiny` is the 2-step test size.
"""

from video_inference.models.navsynth import config as navsynth

TRAIN_VIDEOS = 640


def get_config(variant: str = ""):
  config = navsynth.base_config()
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
  navsynth.apply_variant(config, variant)
  return config
