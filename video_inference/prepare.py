r"""Prepares a dataset's TFDS records (array_record) for training.

  python -m video_inference.prepare --dataset=shape_motion
  python -m video_inference.prepare --dataset=mocogan_shapes \
      --manual_dir=../shared/data/mocogan/shapes

This is the command the "dataset not prepared" errors print.
"""

from absl import app
from absl import flags
import tensorflow_datasets as tfds

from video_inference import input_pipeline

_DATASET = flags.DEFINE_string(
    "dataset", None, f"'name' or 'name/config'; one of "
    f"{sorted(input_pipeline.DATASETS)}.")
_DATA_DIR = flags.DEFINE_string(
    "data_dir", None, "TFDS data dir (default: $TFDS_DATA_DIR or "
    "~/tensorflow_datasets).")
_MANUAL_DIR = flags.DEFINE_string(
    "manual_dir", None, "Where the hand-downloaded files are, for datasets "
    "whose licence needs it.")
flags.mark_flag_as_required("dataset")


def prepare(name: str, data_dir: str | None = None,
            manual_dir: str | None = None) -> str:
  """Prepares `name` in array_record format; returns its data directory."""
  builder = input_pipeline.get_builder(name, data_dir)
  if input_pipeline.is_prepared(builder):
    print(f"{name} is already prepared in {builder.data_dir}.")
    return builder.data_dir
  download_config = tfds.download.DownloadConfig(manual_dir=manual_dir)
  builder.download_and_prepare(file_format="array_record",
                               download_config=download_config)
  print(f"Prepared {name} in {builder.data_dir}.")
  return builder.data_dir


def main(argv):
  del argv
  prepare(_DATASET.value, _DATA_DIR.value, _MANUAL_DIR.value)


if __name__ == "__main__":
  app.run(main)
