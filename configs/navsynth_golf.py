r"""navsynth on VGAN's golf scenes (section 4.1, Table 6): 500 videos, 64x64.

Run:
  python -m video_inference.prepare --dataset=golf/golf_500   # once
  python -m video_inference.main --config=configs/navsynth_golf.py \
      --workdir=runs/navsynth_golf
Table 6: D_s 56, D_t 200, lambda_s 0.01, lambda_t 0.01, alpha 2, tau_G = tau_R
= 0.1, tau_Z 12.5, mu_gamma 10, mu_{Z,theta} 1000, l = 4 band-pass levels
(pyramid_levels 5 with the residual); one static latent for the set, a
transient path per video. As the published code runs it: 10 passes over
500 videos at batch 16 = 312 batches, each fitted by 1000 consecutive
steps (312,000). (tau_G = 0.1 for Adam is as printed in Table 6.)
Expected (the paper's Table 2c): MCS 2.71, FCS 0.84 (real videos 0.97).
Variant `:tiny` is the 2-step test size (on procedural data).
"""

from video_inference.models.navsynth import config as navsynth

TRAIN_VIDEOS = 500  # golf/golf_500's train split.


def get_config(variant: str = ""):
  config = navsynth.base_config()
  config.lock()
  config.dataset.update(name="golf/golf_500", num_frames=16, resolution=64)
  config.model.update(static_dim=56, transient_dim=200, static_key="shared",
                      transient_key="index", num_static=1,
                      num_transient=TRAIN_VIDEOS)
  config.loss.update(pyramid_levels=5, static_weight=0.01,
                     triplet_weight=0.01, triplet_margin=2.0)
  steps = 10 * TRAIN_VIDEOS // config.train.batch_size * 1000
  config.train.update(num_steps=steps, generator_steps=steps,
                      updates_per_batch=1000,
                      generator_learning_rate=0.1, rnn_learning_rate=0.1,
                      latent_learning_rate=12.5, checkpoint_every=5000,
                      sample_every=30000)
  navsynth.apply_variant(config, variant)
  return config
