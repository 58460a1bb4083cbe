r"""Masked conditional video diffusion on UCF101 (64x64), 16 frames.

Run (prepare the dataset first: python -m video_inference.prepare
--dataset=ucf101):
  python -m video_inference.main --config=configs/diffusion_ucf.py \
      --workdir=runs/diffusion_ucf
The 64x64 setting of models/diffusion/config.py (U-Net widths
64/128/256/256, batch 32, 200k steps, 50 DDIM steps): an accelerator's
budget, not measured on one here. Variant `:tiny` is the 2-step test size
(on procedural data).
"""

from video_inference.models.diffusion import config as diffusion


def get_config(variant: str = ""):
  config = diffusion.base_config()
  config.lock()
  config.dataset.update(name="ucf101", channels=3)
  diffusion.apply_variant(config, variant)
  return config
