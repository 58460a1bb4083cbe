"""TFDS builders of the project's datasets; importing this registers them all."""

# Imported for their side effect: defining a builder class registers it with
# TFDS, so `tfds.builder("shape_motion")` works after `import tfds_builders`.
from tfds_builders import mocogan_shapes  # noqa: F401
from tfds_builders import shape_motion  # noqa: F401
