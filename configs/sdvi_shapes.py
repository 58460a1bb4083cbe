r"""sdvi on procedural Shape Motion: the quick start (no download).

Run:
  python -m video_inference.main --config=configs/sdvi_shapes.py \
      --workdir=runs/sdvi_shapes
Runtime: 8 min 33 s wall on a 2-core Intel Xeon VM for 3000 steps (1200
image + 1800 video) and the final evaluation, with the dataset already
generated; generating it (8000 videos) adds ~10 s on first use.
Expected (measured at step 3000, eval_3000.json, 32 test anchor sets x 10
samples; docs/results.md): best-of-10 PSNR 24.49 dB [23.74, 25.26] on the
inferred frames, 0.27 dB [0.22, 0.32] above the deterministic z = mu and
1.15 dB [0.75, 1.57] above cross-fading the anchors, SSIM 0.67; the
papers' shape ACD (evaluation/acd.py) of the inferred samples 71 [57, 86]
with 4% of their frames shapeless, of prior samples 151 with 6.6%
shapeless, of the real clips 0.41 (Table II at 64x64: 1.05 for the
paper's trained model). The samples show a soft blob of about the shape's
colour that climbs with it through the anchors
(docs/images/sdvi_shapes_contact_sheet.png).
At 5x the steps (--config.train.num_steps=15000
--config.train.image_phase_steps=4000; 51 min wall on the same VM, about
half of it sharing the cores) inference from the anchors is learnt:
best-of-10 PSNR 28.27 dB, 4.9 dB above crossfading the anchors, ACD 21.6
with no shapeless frame, the blob in the anchors' colour on their path;
but 39% of prior samples' frames are shapeless (docs/results.md).
Recipe beyond the paper's eq. 12: eq. 8 on prior samples
(loss.prior_gan_weight) and foreground pixels weighted x11
(loss.foreground_weight), both in
video_inference/models/sdvi/model.py's docstring.

Sized for the CPU budget: 32x32 frames (a step costs a fifth of a 64x64 one),
16 base channels, 256-unit GRUs, a 10x higher frame-VAE learning rate for the
image phase then 1e-4 to fine-tune, and 1e-3 for E_T/G_T. FVD is not run
while training (I3D is slow on CPU): run `--mode=evaluate` afterwards.
`configs/sdvi_ucf.py` has the paper's sizes. Variant `:tiny` is the 2-step
test size.
"""

from video_inference.models.sdvi import config as sdvi


def get_config(variant: str = ""):
  config = sdvi.base_config()
  config.lock()
  # 16 frames (the paper's clip length, and enough for I3D's FVD), every
  # 2nd of the source's 32 so that the shape crosses most of the frame; at
  # 32x32 a step costs a fifth of a 64x64 one, which buys the ~1k image steps
  # the frame VAE needs to place the shape and the ~2k video steps E_T/G_T
  # need to follow the anchors.
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
  # 32 anchor sets (Fig. 10: 100) x 10 samples (Fig. 10: 200): FVD is one
  # figure per generation and needs n >= 10 for an interval.
  config.evals.update(num_test_clips=32, num_samples=10)
  # FVD embeds every clip with I3D at 224x224 (~1 clip/s on 2 cores): it runs
  # in `--mode=evaluate`, not inside the 15-minute quick start.
  config.evals.fvd.during_training = False
  # So training keeps its best checkpoint by a figure it does compute.
  config.evals.update(best_metric="best_of_10_psnr", best_mode="max")
  config.sample.anchor_times = (0, 7, 15)
  # A shape covers < 5% of a frame: weigh its pixels (base.foreground_weights)
  # so the frame VAE does not settle on the black background.
  config.loss.foreground_weight = 10.0
  sdvi.apply_variant(config, variant)
  return config
