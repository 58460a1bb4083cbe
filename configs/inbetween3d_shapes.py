r"""inbetween3d on procedural Shape Motion, sized for a CPU.

Run:
  python -m video_inference.main --config=configs/inbetween3d_shapes.py \
      --workdir=runs/inbetween3d_shapes
  # Baselines of section 4.2 with the same budget:
  ... --config.model.variant=no_fusion   (or naive)
  # Any anchors at any times (prediction, inference from scattered frames):
  ... --config.anchors.strategy=random --config.anchors.min_anchors=1 \
      --config.anchors.max_anchors=4 --config.model.max_anchors=4
Runtime: 1200 steps at ~1 step/s on 2 CPU cores (~20 min), then the
evaluation (32 test clips x 10 samples) with FVD (`--mode=evaluate`, ~10-16
min), or in the run itself with `--config.evals.fvd.during_training=True`
(the same 32 clips).
Result (docs/results.md, 2-core Intel Xeon VM): at 1200 steps FVD 971
(full) and 826 (naive); at 3000 steps (`--config.train.num_steps=3000`,
~75 min sharing the CPU with a second run) 626 and 522; with
--config.seed=1, 385 and 539 at 3000 steps (38 min alone on a 2-core AMD
EPYC) and 412 and 467 at 6000 (~75 min alone); with --config.seed=2, 462
and 478 at 3000, 337 and 269 at 6000; against 362 for copying the
anchors (crossfade). Each 6000-step full run's checkpoint chosen by FVD
on training clips scores below crossfade on the test clips (seed 1: step
5700, 318; seed 2: step 5400, 280), but FVD moves by ~100 between
checkpoints, and samples follow the anchors' path but not their colour
(I3D does not see it). The 10
samples of an anchor pair barely differ (diversity 0.008 at 3000 steps),
but neither do real clips through the same two frames (0.0079,
docs/results.md).
Choosing a checkpoint as the paper does (its best validation FVD; Shape
Motion has no validation split, so on 32 training clips), among the newest
three and every 600th step's (`train.keep_checkpoint_every`):
  ... --mode=evaluate --step=all --config.dataset.eval_split=train \
      --config.evals.best_metric=fvd --config.evals.best_mode=min
  # -> eval_N_splittrain.json for each kept N, and the best N; then
  # --mode=evaluate --step=N on the test clips
The fusion gates stay near their initial value (0.5) through training;
starting them at 0.12 (`--config.model.gate_bias_init=-2.0`) scored 454
and 376 at 3000 steps with seeds 1 and 2 (385 and 462 from 0.5): off here.
An L1 term on the generator's own renderings of the anchor frames (beyond
the paper: --config.loss.anchor_reconstruction_weight=10
--config.loss.foreground_weight=10) scored 362 and 338 at 3000 steps with
seeds 1 and 2. Naive with the same term scored 301 with seed 2. Its latent
holds the anchors' colour, and its samples keep that colour near the
anchors but whiten between them. Off here: the paper's losses.
Sampling from a moving average of the generator's weights
(`--config.model.generator_ema_decay=0.999`) scored 469 against 462 with
seed 2 at 3000 steps, and its samples flicker: off here.
Sizes: 32x32, 16 frames (stride 2), base width 16 (the paper: 64), L = 12
fusion blocks (the paper: 24), batch 8, lr 2e-4 (the paper: 5e-5).
Variant `:tiny` is the 2-step test size.
"""

from video_inference.models.inbetween3d import config as inbetween3d


def get_config(variant: str = ""):
  config = inbetween3d.base_config()
  config.lock()
  config.dataset.update(name="shape_motion", num_frames=16, frame_stride=2,
                        resolution=32, validation_split="")
  config.model.update(base_channels=16, latent_channels=32,
                      discriminator_channels=16, num_blocks=12)
  config.train.update(batch_size=8, num_steps=1200, eval_every=0,
                      log_every=50,
                      checkpoint_every=300, sample_every=600,
                      learning_rate=2e-4)
  # Every 600th step's checkpoint is kept (30 MB each) beside the newest
  # three, to choose one by FVD on training clips after the run.
  config.train.keep_checkpoint_every = 600
  # 32 test clips (not the whole split) x 10 samples: FVD per generation
  # needs n >= 10 for an interval; the latest checkpoint, since training
  # runs no FVD on a CPU (the paper: best validation FVD).
  config.evals.update(num_test_clips=32, num_samples=10, checkpoint="latest",
                      num_validation_clips=-1)  # Training's: the same 32.
  config.evals.fvd.during_training = False
  config.evals.update(best_metric="best_of_10_psnr", best_mode="max")
  config.sample.anchor_times = (0, 15)
  inbetween3d.apply_variant(config, variant)
  return config
