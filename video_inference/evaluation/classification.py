"""Accuracy per label of a label-predicting family (the evaluation
classifier, `VideoModel.predicts_labels`) on the real evaluation clips;
nothing is generated for it. Evaluator `classification`."""

from __future__ import annotations

from typing import Any

import numpy as np

from video_inference.evaluation import attribute_scores
from video_inference.evaluation import intervals


class Classification:
  """Accuracy per label of a classifier family on the evaluation clips."""

  def __init__(self, context, settings):
    del settings
    self.context = context

  def observe(self, samples: np.ndarray) -> None:
    del samples  # Scores the real clips only.

  def finish(self) -> dict[str, Any]:
    context = self.context
    classifier = attribute_scores.AttributeClassifier(
        context.model, context.variables, context.config, context.step,
        context.config.evals.batch_size, context.workdir)
    probabilities = classifier.predict(context.clips["video"])
    correct = {name: np.argmax(probabilities[name], -1) == context.clips[name]
               for name in classifier.labels}
    metrics = {f"accuracy_{name}": intervals.summarize(hits, "clips")
               for name, hits in correct.items()}
    metrics["accuracy"] = intervals.summarize(
        np.mean(list(correct.values()), axis=0), "clips")
    return {"metrics": metrics}
