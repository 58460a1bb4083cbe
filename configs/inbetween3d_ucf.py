r"""inbetween3d on UCF101 at the paper's setup (section 4, App. A and B).

64x64, 16 frames, start and end frames given, L = 24 fusion blocks, batch 32,
Adam(5e-5, 0.5, 0.999, eps 1e-8), 500k steps, a checkpoint every 5000 and
the one with the best validation FVD kept in checkpoints_best/.

Run:
  python -m video_inference.prepare --dataset=ucf101   # once
  python -m video_inference.main --config=configs/inbetween3d_ucf.py \
      --workdir=runs/inbetween3d_ucf
Runtime: the paper reports ~5 days on one V100 (~1.16 steps/s). Expected
(the paper's Table 1, full / w/o fusion / naive): FVD BAIR 152 / 175 / 702,
KTH 153 / 171 / 346, UCF101 424 / 463 / 1101. Baselines:
--config.model.variant=no_fusion or naive.
Variant `:tiny` is the 2-step test size (on procedural data).
"""

from video_inference.models.inbetween3d import config as inbetween3d


def get_config(variant: str = ""):
  config = inbetween3d.base_config()
  config.lock()
  config.dataset.update(name="ucf101", channels=3)
  inbetween3d.apply_variant(config, variant)
  return config
