r"""Command line: export a trained run as one small inference file.

  python -m video_inference.export --workdir=runs/sdvi_shapes \
      [--step=best] --out=sdvi_shapes.vi

What the file holds and who reads it: inference_file.py.
"""

import sys

from absl import app
from absl import flags

from video_inference import config_lib
from video_inference import inference_file
from video_inference import threefry

_WORKDIR = flags.DEFINE_string("workdir", None, "The trained run's directory.")
_STEP = flags.DEFINE_string(
    "step", "latest", "The checkpoint: 'latest', 'best' or a step number.")
_OUT = flags.DEFINE_string("out", None, "The file to write.")
_OVERWRITE = flags.DEFINE_bool("overwrite", False, "Replace --out if it "
                               "exists.")


def main(argv):
  threefry.set_for_process()
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  try:
    path = inference_file.export_run(
        _WORKDIR.value, _OUT.value, config_lib.parse_step(_STEP.value),
        _OVERWRITE.value)
  except (FileNotFoundError, FileExistsError, ValueError) as e:
    print(f"error: {e}", file=sys.stderr)
    sys.exit(1)
  size = path.stat().length
  print(f"Wrote {path} ({size / 2**20:.2f} MiB): sample with "
        f"python -m video_inference.sample --workdir={path} "
        "--anchor=first.png@0")


if __name__ == "__main__":
  flags.mark_flags_as_required(["workdir", "out"])
  app.run(main)
