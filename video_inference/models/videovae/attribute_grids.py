"""videovae's attribute control grids (section 4.2, Figs. 3-4).

`--mode=attributes` (`write_attribute_grids`, the family's own mode) draws
videos through the common sampler with some attributes fixed (partial
control) or switched mid-clip (transient control).
"""

from __future__ import annotations

from etils import epath
import jax
import numpy as np

from video_inference import sampling
from video_inference import visualization


def write_attribute_grids(model, variables, config, workdir,
                          step: int) -> list[str]:
  """Attribute control grids of a checkpoint (`--mode=attributes`).

  Writes to <workdir>/samples/attributes_step_<step>/, for each attribute:
  - `partial_<name>`: `sample.num_samples` videos per class of that
    attribute, the others unspecified (partial control, Fig. 3a / 4a);
  - `transient_<name>`: videos whose attribute switches from class c to
    class c + 1 at the middle frame, every other attribute held at class 0
    (transient control, Fig. 4b), one row per class pair.
  """
  classes = model.conditioning_classes
  if not classes:
    raise ValueError(f"--mode=attributes needs attribute controls; this "
                     f"{model.name} model has none (model.attributes is "
                     "empty or model.structured is False).")
  directory = epath.Path(workdir) / "samples" / f"attributes_step_{step}"
  rng = jax.random.fold_in(jax.random.key(config.seed), 2**28 + step)
  count, frames = config.sample.num_samples, model.num_frames
  switch = frames // 2
  written = []
  for index, (name, num_classes) in enumerate(classes.items()):
    rows = [sampling.sample(model, variables, [], [], frames, count,
                            jax.random.fold_in(rng, 1000 * index + value),
                            attributes={name: value})
            for value in range(num_classes)]
    written += visualization.save_samples(
        directory, np.concatenate(rows), None, f"partial_{name}",
        overwrite=True)
    if num_classes < 2 or switch < 1:
      continue  # Nothing to switch to, or no frame to switch at.
    others = {other: 0 for other in classes if other != name}
    transient = [sampling.sample(
        model, variables, [], [], frames, 1,
        jax.random.fold_in(rng, 10**6 + 1000 * index + value),
        attributes={name: [(0, value), (switch, value + 1)], **others})
                 for value in range(num_classes - 1)]
    written += visualization.save_samples(
        directory, np.concatenate(transient), None, f"transient_{name}",
        overwrite=True)
  print(f"Wrote {len(written)} files to {directory}: partial_<attribute> "
        f"({count} samples per class, other attributes free) and "
        f"transient_<attribute> (class c -> c + 1 at frame {switch}).")
  return written
