r"""Command line: K videos from a trained run through your own keyframes.

  python -m video_inference.sample --workdir=runs/sdvi_shapes \
      --anchor=first.png@0 --anchor=last.png@15 --num_samples=8 \
      --out=runs/sdvi_shapes/my_keyframes

Each --anchor is an image file (PNG, JPEG, ...; any size) and the frame it
becomes; the conversion to the model's frames is printed per file. Without
--anchor the run's test split gives them (clip --clip at the config's
sample.anchor_times). --step picks the checkpoint: latest (default), best,
or a step number. --sampling=KEY=VALUE replaces one of the run's sampler
settings (a diffusion run's DDIM steps or guidance, a videovae run's
temperature). Writes, per sample, sample_<k>.gif and .mp4; the per-frame
mean of the samples (mean.gif, mean.png); contact_sheet.png
(reference row, samples, mean; anchors outlined); samples.npz and
request.json. Existing files are kept unless --overwrite. Compiled
samplers are kept on disk for the next call (--compilation_cache_dir, as
main's). See `video_inference.runs` for the Python API behind it.
"""

from __future__ import annotations

import sys
from typing import Sequence

from absl import app
from absl import flags
from etils import epath

from video_inference import compilation_cache
from video_inference import threefry
from video_inference.config_lib import parse_step

_WORKDIR = flags.DEFINE_string(
    "workdir", None, "Training run directory (config.json, checkpoints/), "
    "or an exported file (python -m video_inference.export), a path or URL.")
_STEP = flags.DEFINE_string(
    "step", "latest", "Checkpoint: 'latest', 'best' or a step number.")
_ANCHOR = flags.DEFINE_multi_string(
    "anchor", [], "PATH@TIME: image file PATH as frame TIME (0-based). "
    "Repeat for more anchors. None: test-split anchors.")
_NUM_FRAMES = flags.DEFINE_integer(
    "num_frames", None, "Frames per video (default: the model's clip length).")
_NUM_SAMPLES = flags.DEFINE_integer("num_samples", 4, "Videos to draw (K).")
_SEED = flags.DEFINE_integer("seed", 0, "Sampling seed.")
_OUT = flags.DEFINE_string(
    "out", None, "Output directory (default: <workdir>/samples/"
    "sample_step_<step>_seed_<seed>).")
_OVERWRITE = flags.DEFINE_bool(
    "overwrite", False, "Replace existing output files.")
_CLIP = flags.DEFINE_integer(
    "clip", 0, "Test clip giving the anchors when no --anchor is given.")
_ATTRIBUTE = flags.DEFINE_multi_string(
    "attribute", [], "NAME=CLASS: an attribute held for the clip (families "
    "with attribute controls, e.g. videovae: --attribute=action=2).")
_FPS = flags.DEFINE_float("fps", 8, "Frame rate of the GIF and MP4 files.")
_SAMPLING = flags.DEFINE_multi_string(
    "sampling", [], "KEY=VALUE: a sampler setting replacing the run's "
    "(model.sampling; diffusion: --sampling=steps=50 --sampling=guidance=1; "
    "videovae: --sampling=temperature=0.5).")
_MODEL_ANCHORS = flags.DEFINE_bool(
    "model_anchors", False, "Keep the model's own frames at the anchor times "
    "(its reconstruction) instead of the given anchors.")


def parse_anchor(spec: str) -> tuple[str, int]:
  """'PATH@TIME' -> (PATH, TIME); the last '@' separates them."""
  path, sep, time = spec.rpartition("@")
  if not sep or not path:
    raise ValueError(f"--anchor={spec!r}: expected PATH@TIME, e.g. "
                     "first.png@0.")
  try:
    return path, int(time)
  except ValueError:
    raise ValueError(f"--anchor={spec!r}: the time {time!r} after '@' is "
                     "not an integer frame index.") from None


def parse_attribute(spec: str) -> tuple[str, int]:
  name, sep, value = spec.partition("=")
  try:
    if not sep or not name:
      raise ValueError
    return name, int(value)
  except ValueError:
    raise ValueError(f"--attribute={spec!r}: expected NAME=CLASS with an "
                     "integer class, e.g. action=2.") from None


def parse_setting(spec: str) -> tuple[str, str]:
  """'KEY=VALUE' -> (KEY, VALUE); the run's type is applied on loading."""
  key, sep, value = spec.partition("=")
  if not sep or not key or not value:
    raise ValueError(f"--sampling={spec!r}: expected KEY=VALUE, e.g. "
                     "steps=50.")
  return key, value


def _samples_folder(source: str) -> epath.Path:
  """<workdir>/samples, or <file stem>_samples beside an exported file (in
  the current directory for a URL)."""
  from video_inference import inference_file  # pylint: disable=g-import-not-at-top
  if not inference_file.is_exported(source):
    return epath.Path(source) / "samples"
  if inference_file.is_url(source):
    name = source.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
    return epath.Path(epath.Path(name).stem + "_samples")
  path = epath.Path(source)
  return path.parent / f"{path.stem}_samples"


def run_command(workdir: str, anchors: Sequence[str] = (),
                step: str = "latest", num_frames: int | None = None,
                num_samples: int = 4, seed: int = 0, out: str | None = None,
                overwrite: bool = False, clip: int = 0,
                attributes: Sequence[str] = (), fps: float = 8,
                model_anchors: bool = False,
                sampling_settings: Sequence[str] = ()) -> list[str]:
  """What the command does, with the flags' values; returns the paths."""
  # Deferred so that --help and flag errors answer without loading JAX/TF.
  from video_inference import runs  # pylint: disable=g-import-not-at-top

  pairs = [parse_anchor(spec) for spec in anchors]
  requested = dict(parse_attribute(spec) for spec in attributes)
  settings = dict(parse_setting(spec) for spec in sampling_settings)
  checkpoint = parse_step(step)
  if not fps > 0:
    raise ValueError(f"--fps={fps}: expected a frame rate > 0.")
  if out is not None:  # Refuse existing outputs before any work.
    runs.check_output_dir(out, num_samples, overwrite, workdir)
  run = runs.load_run(workdir, checkpoint, sampling=settings)
  print(f"Loaded {run}.")
  out = out or (_samples_folder(workdir)
                / f"sample_step_{run.step}_seed_{seed}")
  runs.check_output_dir(out, num_samples, overwrite, workdir)
  samples = run.sample(pairs or None, num_samples=num_samples, seed=seed,
                       num_frames=num_frames, attributes=requested or None,
                       clip=clip, model_anchors=model_anchors, fps=fps)
  paths = samples.save(out, overwrite=overwrite)
  print(f"Wrote {len(paths)} files to {out}: {len(samples.videos)} samples "
        f"(sample_<k>.gif/.mp4), mean.gif/png, contact_sheet.png (top: "
        f"{'the real clip' if samples.reference is not None else 'anchors'}"
        f"; then the samples; bottom: their mean), samples.npz, "
        "request.json.")
  return paths


def main(argv):
  threefry.set_for_process()
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  compilation_cache.enable(compilation_cache.FLAG.value)
  try:
    run_command(_WORKDIR.value, _ANCHOR.value, _STEP.value, _NUM_FRAMES.value,
                _NUM_SAMPLES.value, _SEED.value, _OUT.value, _OVERWRITE.value,
                _CLIP.value, _ATTRIBUTE.value, _FPS.value,
                _MODEL_ANCHORS.value, _SAMPLING.value)
  except (ValueError, OSError) as e:
    # The user's input is at fault: the message, without a traceback.
    print(f"sample: error: {e}", file=sys.stderr)
    sys.exit(1)


if __name__ == "__main__":
  flags.mark_flags_as_required(["workdir"])
  app.run(main)
