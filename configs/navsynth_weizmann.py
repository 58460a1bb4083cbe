r"""navsynth on Weizmann actions (section 4.1, Table 6): 9 x 10 videos, 64x64.

Run:
  python -m video_inference.prepare --dataset=weizmann   # once
  python -m video_inference.main --config=configs/navsynth_weizmann.py \
      --workdir=runs/navsynth_weizmann
Table 6: D_s 56, D_t 200, lambda_s 0.01, lambda_t 0.1, alpha 2, tau_G 6.25e-5,
tau_R 6.25e-3, tau_Z 12.5, mu_gamma 5, mu_{Z,theta} 700, l = 3 band-pass
levels (pyramid_levels 4 with the residual). Nine static latents (one per
person) and ten transient paths (one per action), each training clip a
random 16-frame window of its video (supp. A; the published code takes
the first 16 frames: --config.dataset.train_clip_start=first). 5 passes
over 90 videos at batch 16 = 28 batches, each fitted by 700 consecutive
steps (19,600). The action-exchange experiment
(Table 3) trains on `weizmann/navsynth_exchange` instead:
--config.dataset.name=weizmann/navsynth_exchange.
Expected (the paper's Table 2b): MCS 2.63, FCS 0.90 (real videos 0.95).
Variant `:tiny` is the 2-step test size (on procedural data).
"""

from video_inference.models.navsynth import config as navsynth

TRAIN_VIDEOS = 90


def get_config(variant: str = ""):
  config = navsynth.base_config()
  config.lock()
  config.dataset.update(name="weizmann/navsynth", num_frames=16,
                        resolution=64, labels=("person", "action"))
  config.model.update(static_dim=56, transient_dim=200, static_key="person",
                      transient_key="action", num_static=9, num_transient=10)
  config.loss.update(pyramid_levels=4, static_weight=0.01,
                     triplet_weight=0.1, triplet_margin=2.0)
  steps = 5 * TRAIN_VIDEOS // config.train.batch_size * 700
  config.train.update(num_steps=steps, generator_steps=steps,
                      updates_per_batch=700,
                      generator_learning_rate=6.25e-5,
                      rnn_learning_rate=6.25e-3, latent_learning_rate=12.5,
                      checkpoint_every=1000, sample_every=5000)
  config.evals.num_test_clips = TRAIN_VIDEOS
  navsynth.apply_variant(config, variant)
  return config
