"""TFDS builders of the project's datasets (one folder each) and the video
and strip helpers they share.

`tfds_builders.DATASETS` and `tfds_builders.BUILDERS` (datasets.py) import
every builder, and with them TensorFlow Datasets, on first use rather than
with the package: writing a video through `tfds_builders.video_io` needs
neither.
"""

import importlib

_TABLES = ("DATASETS", "BUILDERS", "Dataset")


def __getattr__(name):
  if name in _TABLES:
    return getattr(importlib.import_module("tfds_builders.datasets"), name)
  raise AttributeError(f"module 'tfds_builders' has no attribute {name!r}")
