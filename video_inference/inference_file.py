"""One small file per trained model: export a run, load it back.

The file holds what sampling needs and nothing else: the model's sampling
variables (no optimiser state, no discriminators where the family's
`sampling_variables` leaves them out), the config it was trained with (so
the family and the frame size come with it), the step, the figures of that
step's evaluation when the workdir has them, and the package version.
`runs.load_run(FILE)` and `python -m video_inference.sample
--workdir=FILE` take it directly, from a local path, a gs:// path or an
http(s) URL; loading needs neither TensorFlow nor a restore of the train
state. The command is `python -m video_inference.export`.

Format: flax's msgpack serialisation of one dict (see `export_run`), arrays
as stored; a reader refuses another format name or a newer format version.
"""

from __future__ import annotations

import importlib.metadata
import json
from typing import Any
import urllib.request

from etils import epath
import flax.serialization
import jax
import ml_collections
import numpy as np

from video_inference import checkpoints
from video_inference import models
from video_inference import paths
from video_inference import threefry

FORMAT = "video_inference.inference"
FORMAT_VERSION = 1


def _package_version() -> str:
  try:
    return importlib.metadata.version("video_inference")
  except importlib.metadata.PackageNotFoundError:
    return "unknown"


def _evaluation_metrics(workdir, step: int) -> dict[str, float]:
  """{figure: mean} of the workdir's eval_<step>.json, or {}."""
  path = epath.Path(workdir) / f"eval_{step}.json"
  if not path.exists():
    return {}
  metrics = json.loads(path.read_text()).get("metrics", {})
  return {name: float(entry["mean"]) for name, entry in metrics.items()
          if isinstance(entry, dict) and entry.get("mean") is not None}


def export_run(workdir, out, step: int | str = "latest",
               overwrite: bool = False) -> epath.Path:
  """Writes the inference file of `workdir`'s checkpoint `step` to `out`."""
  out = epath.Path(out)
  if out.exists() and not overwrite:
    raise FileExistsError(f"{out} exists; pass overwrite=True (--overwrite) "
                          "to replace it.")
  config = checkpoints.load_run_config(workdir)
  model, variables, step = checkpoints.load_for_inference(config, workdir,
                                                          step)
  contents = {
      "format": FORMAT,
      "format_version": FORMAT_VERSION,
      "package_version": _package_version(),
      "config": config.to_json_best_effort(),
      "step": int(step),
      "frames": {"num_frames": model.num_frames,
                 "resolution": model.resolution,
                 "channels": model.channels},
      "metrics": _evaluation_metrics(workdir, step),
      "variables": jax.tree.map(np.asarray, jax.device_get(variables)),
  }
  paths.write_atomically(out, flax.serialization.msgpack_serialize(contents))
  return out


def is_url(source) -> bool:
  """Whether `source` is an http(s) URL (read with urllib, not epath)."""
  return str(source).startswith(("http://", "https://"))


def _read_bytes(source: str) -> bytes:
  if is_url(source):
    with urllib.request.urlopen(source, timeout=60) as response:
      return response.read()
  return epath.Path(source).read_bytes()


def is_exported(source) -> bool:
  """Whether `source` names an exported file (a URL or a file, not a
  workdir)."""
  return is_url(source) or epath.Path(source).is_file()


@threefry.scoped
def load_exported(source) -> tuple[ml_collections.ConfigDict, Any, Any, int,
                                   dict[str, Any]]:
  """(config, model, variables, step, info) of an exported file or URL.

  `info`: the package version, frame size and evaluation figures it
  carries.
  """
  source = str(source)
  try:
    contents = flax.serialization.msgpack_restore(_read_bytes(source))
  except (ValueError, TypeError) as e:
    raise ValueError(f"{source} is not an exported video_inference file "
                     f"(python -m video_inference.export): {e}") from e
  if not isinstance(contents, dict) or contents.get("format") != FORMAT:
    raise ValueError(f"{source} is not an exported video_inference file "
                     "(python -m video_inference.export).")
  if contents["format_version"] > FORMAT_VERSION:
    raise ValueError(
        f"{source} has format version {contents['format_version']}; this "
        f"video_inference ({_package_version()}) reads up to "
        f"{FORMAT_VERSION}. Upgrade the package.")
  config = checkpoints.saved_config(json.loads(contents["config"]))
  model = models.build_model(config)
  variables = jax.tree.map(jax.numpy.asarray, contents["variables"])
  info = {key: contents[key] for key in ("package_version", "frames",
                                          "metrics")}
  return config, model, variables, int(contents["step"]), info
