r"""sdvi on KTH hand-waving (section IV-A-2): 64x64 grayscale, 16-frame clips.

Run:
  python -m video_inference.prepare --dataset=kth/handwaving   # once
  python -m video_inference.main --config=configs/sdvi_kth.py \
      --workdir=runs/sdvi_kth
Runtime: the paper reports ~72 h on a GTX 1080Ti for 6 anchors x 16 frames;
budget days on one accelerator. Expected: inferred clips through random
anchors; FVD comes with the evaluation suite.
Variant `:tiny` is the 2-step test size (on procedural data).
"""

from video_inference.models.sdvi import config as sdvi


def get_config(variant: str = ""):
  config = sdvi.base_config()
  config.lock()
  config.dataset.update(name="kth/handwaving", num_frames=16, resolution=64,
                        channels=1)
  sdvi.apply_variant(config, variant)
  return config
