"""Sample diversity: mean pairwise cosine distance in the I3D space.

inbetween3d section 4.2 (Table 2), following Lee et al.'s SAVP: among the K
samples generated from the same anchors, the average over pairs of
1 - cosine similarity of their FVD embeddings (I3D logits); the figure is
the mean over anchor sets, with a bootstrap interval over sets. The pairs
are the K (K - 1) / 2 unordered pairs of distinct samples.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def pairwise_cosine_distance(embeddings: Any) -> np.ndarray:
  """[S] mean 1 - cos over each set's sample pairs; embeddings [S, K, D]."""
  embeddings = np.asarray(embeddings, np.float64)
  if embeddings.ndim != 3 or embeddings.shape[1] < 2:
    raise ValueError("embeddings must have shape [num_sets, K, D] with K >= 2 "
                     f"samples per set; got {embeddings.shape}.")
  norms = np.linalg.norm(embeddings, axis=-1, keepdims=True)
  if np.any(norms == 0):
    raise ValueError("an embedding is the zero vector; its cosine is "
                     "undefined.")
  unit = embeddings / norms
  cosine = np.einsum("skd,sjd->skj", unit, unit)
  i, j = np.triu_indices(embeddings.shape[1], k=1)
  return (1.0 - cosine[:, i, j]).mean(axis=1)
