r"""navsynth on MoCoGAN's Weizmann subset (the folder
`data/actions/` of https://github.com/sergeytulyakov/mocogan).

Run:
  python -m video_inference.prepare --dataset=mocogan_actions \
      --manual_dir=path/to/mocogan/data/actions   # once, ~2 s
  python -m video_inference.main --config=configs/navsynth_actions.py \
      --workdir=runs/navsynth_actions
The Weizmann recipe of Table 6 (D_s 56, D_t 200, lambda_s 0.01, lambda_t 0.1,
alpha 2, tau_R 6.25e-3, tau_Z 12.5, l = 4 band-pass levels; tau_G 1e-3,
not 6.25e-5, for the short budget) on the 72 strips MoCoGAN ships (4
actions x 9 people, each also mirrored), with the published code's
schedule and window: every clip is a strip's first 16 frames, and each
batch of 16 is fitted by 10 consecutive steps (its mu_{Z,theta}; 300 there).
One static latent per person, one transient path per strip: one path per
action would have to walk both ways at once (the mirrored copies share the
action label), and its optimum is a still average.
Sized for a CPU budget: 32x32 frames, 32 base channels, 3000 steps (300
batches, ~67 visits per strip) at batch 16: 52 min wall (3110 s) on the
2-core Xeon VM while two other trainings shared it (~20 min alone at
~2.5 steps/s).
Expected at step 3000 (docs/results.md): FCS 0.82 [0.80, 0.84] against
the strips' 0.78, motion 1.56 a pixel per step (real 2.21), no still
videos, replay PSNR 32.2 dB (black frames: 5.3). Evaluation: MCS/FCS,
motion and replay on 2 x 72 generations from the dictionary against the
72 strips' first 16 frames.
Variant `:tiny` is the 2-step test size (on procedural data).
"""

from video_inference.models.navsynth import config as navsynth


def get_config(variant: str = ""):
  config = navsynth.base_config()
  config.lock()
  config.dataset.update(name="mocogan_actions", num_frames=16,
                        resolution=32, labels=("person", "action"),
                        train_clip_start="first")
  config.model.update(static_dim=56, transient_dim=200, base_channels=32,
                      static_key="person", transient_key="index",
                      num_static=9, num_transient=72)
  config.loss.update(pyramid_levels=5, static_weight=0.01,
                     triplet_weight=0.1, triplet_margin=2.0)
  # tau_G = 6.25e-5 (Table 6) left the generator at the mean person after
  # 1000 steps (FCS 0.997: still frames); 1e-3 fits this budget.
  config.train.update(num_steps=3000, generator_steps=3000,
                      updates_per_batch=10, generator_learning_rate=1e-3,
                      rnn_learning_rate=6.25e-3, latent_learning_rate=12.5,
                      log_every=100, checkpoint_every=500, sample_every=1500)
  config.evals.update(num_test_clips=72, num_samples=2)
  config.evals.fvd.during_training = True
  navsynth.apply_variant(config, variant)
  return config
