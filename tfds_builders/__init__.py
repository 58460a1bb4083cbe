"""TFDS builders of the project's datasets, by the names configs use.

`BUILDERS` is what video_inference looks names up in (`dataset.name` is
'name' or 'name/config'). Defining a builder class also registers it with
TFDS, so `tfds.builder("kth")` works after `import tfds_builders`, except for
`ucf101`, whose name TFDS's own builder holds (see its module).
"""

from tfds_builders.bair import Bair
from tfds_builders.chairs import Chairs
from tfds_builders.golf import Golf
from tfds_builders.kth import Kth
from tfds_builders.mocogan_actions import MocoganActions
from tfds_builders.mocogan_shapes import MocoganShapes
from tfds_builders.mug import Mug
from tfds_builders.shape_motion import ShapeMotion
from tfds_builders.ucf101 import Ucf101
from tfds_builders.weizmann import Weizmann

BUILDERS = {
  "shape_motion": ShapeMotion,
  "mocogan_shapes": MocoganShapes,
  "kth": Kth,
  "ucf101": Ucf101,
  "bair": Bair,
  "golf": Golf,
  "mug": Mug,
  "chairs": Chairs,
  "weizmann": Weizmann,
  "mocogan_actions": MocoganActions,
}
