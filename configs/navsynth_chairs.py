r"""navsynth on Chair-CAD (section 4.1, Table 6): 820 chairs, 16 frames, 64x64.

Run:
  python -m video_inference.prepare --dataset=chairs/navsynth   # once
  python -m video_inference.main --config=configs/navsynth_chairs.py \
      --workdir=runs/navsynth_chairs
Table 6: D_s 206, D_t 50, lambda_s 0.01, lambda_t 0.01, alpha 2, tau_G = tau_R
= 6.25e-5, tau_Z 12.5, mu_gamma 5, mu_{Z,theta} 300, l = 4 band-pass
levels (pyramid_levels 5 with the residual); one static latent for the
whole set, a transient path per video. As the published code runs it: 5
passes over the 3280 training sequences at batch 16 = 1025 batches, each
fitted by 300 consecutive steps (307,500 steps; the paper reports one
to two days on an RTX 2080 Ti).
Expected (the paper's Table 2a): MCS 3.32, FCS 0.89 (real videos 0.91).
Variant `:tiny` is the 2-step test size (on procedural data).
"""

from video_inference.models.navsynth import config as navsynth

TRAIN_SEQUENCES = 3280  # chairs/navsynth: 820 models x 4 sweeps.


def get_config(variant: str = ""):
  config = navsynth.base_config()
  config.lock()
  config.dataset.update(name="chairs/navsynth", num_frames=16, resolution=64)
  config.model.update(static_dim=206, transient_dim=50, static_key="shared",
                      transient_key="index", num_static=1,
                      num_transient=TRAIN_SEQUENCES)
  config.loss.update(pyramid_levels=5, static_weight=0.01,
                     triplet_weight=0.01, triplet_margin=2.0)
  steps = 5 * TRAIN_SEQUENCES // config.train.batch_size * 300
  config.train.update(num_steps=steps, generator_steps=steps,
                      updates_per_batch=300,
                      generator_learning_rate=6.25e-5,
                      rnn_learning_rate=6.25e-5, latent_learning_rate=12.5,
                      checkpoint_every=5000, sample_every=30000)
  navsynth.apply_variant(config, variant)
  return config
