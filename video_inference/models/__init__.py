"""Model families, chosen by name through `FAMILIES`."""

from __future__ import annotations

import ml_collections

from video_inference.models import base
from video_inference.models import classifier_steps
from video_inference.models import inbetween3d_steps
from video_inference.models import navsynth_steps
from video_inference.models import sdvi_steps
from video_inference.models import videovae_steps

FAMILIES: dict[str, type[base.VideoModel]] = {
    "sdvi": sdvi_steps.SdviModel,
    "inbetween3d": inbetween3d_steps.Inbetween3dModel,
    "navsynth": navsynth_steps.NavsynthModel,
    "videovae": videovae_steps.VideoVaeModel,
    # Not a generative family: the evaluation classifier videovae's
    # Intra-E / Inter-E / I-score need (evaluation/attribute_scores.py).
    "classifier": classifier_steps.VideoClassifierModel,
}


def build_model(config: ml_collections.ConfigDict) -> base.VideoModel:
  """The family named by `config.family`, built from `config`."""
  if config.family not in FAMILIES:
    raise ValueError(f"Unknown family {config.family!r}; valid families: "
                     f"{sorted(FAMILIES)}.")
  return FAMILIES[config.family](config)
