"""Model families, chosen by name through `FAMILIES`.

A family is one package under `video_inference/models/<name>/`:
`networks.py` (its Flax modules), `model.py` (its `base.VideoModel`
subclass: state, training phases, generation, and any modes of its own) and
`config.py` (its base config and what its `:tiny` variant shrinks). Adding
one is that folder and one line below; nothing else in the library names a
family. A family kept elsewhere (a user's project, a test) joins with
`register`.

Families are imported when first built, so loading a config or listing the
names imports none of them (reading a saved run's config.json imports its
family, for the fields it may predate: `VideoModel.added_model_fields`).
"""

from __future__ import annotations

import importlib

import ml_collections

# Family name -> "module:Class" of its VideoModel (or the class itself).
FAMILIES: dict[str, str | type] = {
    "sdvi": "video_inference.models.sdvi.model:SdviModel",
    "inbetween3d": "video_inference.models.inbetween3d.model:Inbetween3dModel",
    "navsynth": "video_inference.models.navsynth.model:NavsynthModel",
    "videovae": "video_inference.models.videovae.model:VideoVaeModel",
    "diffusion": "video_inference.models.diffusion.model:DiffusionModel",
    # Not a generative family: the evaluation classifier videovae's
    # Intra-E / Inter-E / I-score need (evaluation/attribute_scores.py).
    "classifier": "video_inference.models.classifier.model:"
                  "VideoClassifierModel",
}


def register(name: str, target: str | type) -> None:
  """Adds family `name`: its VideoModel class, or "module:Class" to import
  when first built."""
  if isinstance(target, str) and not all(target.partition(":")[::2]):
    raise ValueError(f"Family {name!r}: expected 'module:Class', got "
                     f"{target!r}.")
  if FAMILIES.get(name, target) != target:
    raise ValueError(f"Family {name!r} is already {FAMILIES[name]!r}.")
  FAMILIES[name] = target


def model_class(name: str) -> type:
  """The VideoModel subclass of family `name`."""
  if name not in FAMILIES:
    raise ValueError(f"Unknown family {name!r}; valid families: "
                     f"{sorted(FAMILIES)}.")
  target = FAMILIES[name]
  if not isinstance(target, str):
    return target
  module, _, attribute = target.partition(":")
  return getattr(importlib.import_module(module), attribute)


def build_model(config: ml_collections.ConfigDict):
  """The family named by `config.family`, built from `config`."""
  return model_class(config.family)(config)
