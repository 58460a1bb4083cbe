"""shape_motion: procedural MoCoGAN Shape Motion videos."""

from tfds_builders.shape_motion.shape_motion_dataset_builder import (
  ShapeMotion,
  ShapeMotionConfig,
)

__all__ = ["ShapeMotion", "ShapeMotionConfig"]
