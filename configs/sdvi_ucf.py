r"""sdvi on UCF101 at the paper's setup: 64x64, 16 frames (the headline config).

Run:
  python -m video_inference.prepare --dataset=ucf101   # once
  python -m video_inference.main --config=configs/sdvi_ucf.py \
      --workdir=runs/sdvi_ucf
Runtime: the paper reports ~72 h on a GTX 1080Ti for 6 anchors x 16 frames;
budget days on one accelerator. Expected: inferred clips through random
anchors; FVD comes with the evaluation suite.
Variant `:tiny` is the 2-step test size (on procedural data).
"""

from video_inference.models.sdvi import config as sdvi


def get_config(variant: str = ""):
  config = sdvi.base_config()
  config.lock()
  config.dataset.update(name="ucf101", num_frames=16, resolution=64)
  sdvi.apply_variant(config, variant)
  return config
