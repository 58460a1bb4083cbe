r"""Masked conditional video diffusion on BAIR robot pushing (64x64), 16 frames.

Run (prepare the dataset first: python -m video_inference.prepare
--dataset=bair):
  python -m video_inference.main --config=configs/diffusion_bair.py \
      --workdir=runs/diffusion_bair
The 64x64 setting of models/diffusion/config.py (U-Net widths
64/128/256/256, batch 32, 200k steps, 50 DDIM steps): an accelerator's
budget, not measured on one here. Variant `:tiny` is the 2-step test size
(on procedural data).
"""

from video_inference.models.diffusion import config as diffusion


def get_config(variant: str = ""):
  config = diffusion.base_config()
  config.lock()
  config.dataset.update(name="bair", channels=3)
  diffusion.apply_variant(config, variant)
  return config
