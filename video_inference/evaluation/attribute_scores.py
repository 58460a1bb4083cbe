"""Intra-E, Inter-E and I-score with a classifier trained on the dataset.

The videovae paper, section 5.2 (eqs. 10-12), Tables 1 and 2: a classifier
pre-trained on each dataset gives the label distribution p(a|x) of every
generated video x, and
- Intra-E (eq. 11, lower is better) = sum_i H[p(a|x_i)], the summed
  per-video label entropy: how confidently each video is recognised;
- Inter-E (eq. 12, higher is better) = H[p(a)], the entropy of the
  histogram of the videos' predicted (argmax) labels: how evenly the set
  covers the labels;
- I-score (eq. 10, higher is better) = exp(E_x KL[p(a|x) || p(a)]) with p(a)
  = E_x p(a|x), both terms at once.
The "Bound" columns are the same figures of the real test clips.

Choices where the paper is silent (or only its tables say):
- Labels are joint labels over the chosen attributes (`labels` setting, all
  of the classifier's by default): Table 2's Inter-E bounds are ln 90 on
  Weizmann (9 persons x 10 actions), ln 4 on Chair-CAD (tilt 2 x rotation
  direction 2) and ln 2 on YFCC. The classifier predicts each attribute on
  its own head, so the joint distribution is the product of the
  per-attribute distributions (independent given the video), flattened in
  row-major attribute order. Its argmax is the tuple of per-attribute
  argmaxes; ties go to the lowest class index.
- Intra-E is a sum, not a mean: Weizmann's bound I-score 89.12 of at most 90
  leaves a mean per-video entropy of about 0, so Intra-E values such as 40.33
  must be sums. A sum grows with the set, so compare Intra-E only between
  sets of equal size. The generated set here is evals.num_test_clips x
  evals.num_samples videos, the real set evals.num_test_clips clips, so the
  real bound `intra_e_real` is the real clips' mean entropy times the
  number of generated videos: the sum a set of the generated set's size would
  have if its videos were recognised as the real clips are. `intra_e_per_video`
  and `intra_e_per_video_real` are the size-free means.
- Entropies in nats (Table 2's ln 90 = 4.49); 0 log 0 = 0.
- Intervals: the K samples of one anchor set are not independent, so
  generated-set intervals resample anchor sets (each with its K samples),
  real-set ones resample clips; "n" counts what was resampled. Inter-E and
  the I-score are statistics of a whole set, not means over videos: their
  interval is the percentile bootstrap of the statistic (intervals.py's
  2000 resamples and fixed seed) moved so that the resamples' mean sits on
  the full-set value. Without that move a resample's duplicated videos lower
  a plug-in entropy, and a near-uniform set's interval would lie wholly
  below its own value. For a mean the move is only resampling noise, so it
  agrees with intervals.summarize.
- The classifier sees the evaluated videos as they are: its training
  resolution, frame count and channels must match theirs (checked, never
  resized). Its accuracy on the real clips, where those carry the
  attribute's labels, is reported as `classifier_accuracy_<name>`: a
  classifier near chance makes the other figures meaningless.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from absl import logging
from etils import epath
import numpy as np

from video_inference import checkpoints
from video_inference import models
from video_inference.evaluation import intervals

_ROW_SUM_TOLERANCE = 1e-3  # float32 softmax rows sum to 1 within ~1e-6.


# ------------------------------------------------------------ entropies ---
def _check_probabilities(p: Any, name: str = "p") -> np.ndarray:
  """float64 [n, C], rows renormalised after checking they sum to 1."""
  p = np.asarray(p, np.float64)
  if p.ndim != 2 or p.shape[0] < 1 or p.shape[1] < 1:
    raise ValueError(f"{name} must be class probabilities [n, C] with n, C "
                     f">= 1; got shape {p.shape}.")
  if not np.all(np.isfinite(p)) or np.any(p < 0):
    raise ValueError(f"{name} must be finite and non-negative; its minimum "
                     f"is {np.nanmin(p)}.")
  sums = p.sum(axis=1)
  worst = int(np.argmax(np.abs(sums - 1.0)))
  if abs(sums[worst] - 1.0) > _ROW_SUM_TOLERANCE:
    raise ValueError(f"Rows of {name} must sum to 1; row {worst} sums to "
                     f"{sums[worst]}.")
  return p / sums[:, None]


def _entropies(p: np.ndarray) -> np.ndarray:
  logs = np.log(np.where(p > 0, p, 1.0))  # 0 log 0 = 0.
  # + 0.0 turns the -0.0 of a certain distribution into 0.0 in reports.
  return -np.sum(p * logs, axis=1) + 0.0


def _label_entropy(labels: np.ndarray, num_classes: int) -> float:
  counts = np.bincount(labels.reshape(-1), minlength=num_classes)
  return float(_entropies((counts / counts.sum())[None])[0])


def _inception_score(p: np.ndarray) -> float:
  marginal = p.mean(axis=0)
  # Where p > 0 the marginal is > 0 too; elsewhere the term is 0.
  ratio = np.where(p > 0, p / np.where(marginal > 0, marginal, 1.0), 1.0)
  divergences = np.sum(p * np.log(ratio), axis=1)
  return float(np.exp(divergences.mean()))


def joint_probabilities(per_attribute: Sequence[Any]) -> np.ndarray:
  """[n, C_1 * ... * C_k]: product of per-attribute distributions [n, C_a].

  Joint class index = np.ravel_multi_index((a_1, ..., a_k), (C_1, .., C_k)),
  the first attribute varying slowest.
  """
  if not per_attribute:
    raise ValueError("joint_probabilities needs at least one attribute.")
  parts = [_check_probabilities(p, f"attribute {i}")
           for i, p in enumerate(per_attribute)]
  counts = {p.shape[0] for p in parts}
  if len(counts) != 1:
    raise ValueError("Every attribute needs one row per video; got "
                     f"{[p.shape[0] for p in parts]} rows.")
  joint = parts[0]
  for part in parts[1:]:
    joint = (joint[:, :, None] * part[:, None, :]).reshape(len(joint), -1)
  return joint


def entropies(p: Any) -> np.ndarray:
  """[n]: the entropy (nats) of each video's label distribution p [n, C]."""
  return _entropies(_check_probabilities(p))


def intra_entropy(p: Any) -> float:
  """Eq. 11: sum over the set of per-video label entropies (nats)."""
  return float(entropies(p).sum())


def inter_entropy(p: Any) -> float:
  """Eq. 12: entropy (nats) of the histogram of argmax labels of p [n, C]."""
  p = _check_probabilities(p)
  return _label_entropy(np.argmax(p, axis=1), p.shape[1])


def inception_score(p: Any) -> float:
  """Eq. 10: exp(mean_x KL(p(a|x) || mean_x p(a|x))) of p [n, C]."""
  return _inception_score(_check_probabilities(p))


# ----------------------------------------------------------- classifier ---
def _training_hint(workdir: str) -> str:
  return ("Train one with `python -m video_inference.main "
          "--config=configs/classifier_<dataset>.py "
          f"--workdir={workdir}`.")


def _pad_rows(array: np.ndarray, rows: int) -> np.ndarray:
  padding = [(0, rows - array.shape[0])] + [(0, 0)] * (array.ndim - 1)
  return np.pad(array, padding)


class AttributeClassifier:
  """A trained classifier-family model: per-attribute label distributions.

  `model` needs `attribute_names` (tuple) and jitted
  `predict_probabilities(variables, videos) -> {name: [B, C]}`; `config` is
  the classifier's run config (config.model.attributes: name -> classes,
  config.dataset: the clips it was trained on).
  """

  def __init__(self, model, variables, config, step: int = 0,
               batch_size: int = 32, workdir: str | None = None):
    if batch_size < 1:
      raise ValueError(f"batch_size must be >= 1; got {batch_size}.")
    attributes = dict(config.model.attributes)
    self.labels = tuple(model.attribute_names)
    if sorted(self.labels) != sorted(attributes):
      raise ValueError(
          f"The classifier model names attributes {self.labels}, its config "
          f"model.attributes {sorted(attributes)}; they must be the same.")
    self.num_classes = {name: int(attributes[name]) for name in self.labels}
    self.model, self.variables, self.config = model, variables, config
    self.step, self.batch_size, self.workdir = step, batch_size, workdir

  @property
  def video_shape(self) -> tuple[int, int, int, int]:
    """(frames, height, width, channels) of the clips it was trained on."""
    data = self.config.dataset
    return (int(data.num_frames), int(data.resolution), int(data.resolution),
            int(data.channels))

  def check_videos(self, shape: Sequence[int], what: str = "videos") -> None:
    """Refuses videos [B, N, H, W, C] unlike the classifier's training clips."""
    shape = tuple(int(d) for d in shape)
    if len(shape) != 5 or shape[1:] != self.video_shape:
      data = self.config.dataset
      raise ValueError(
          f"{what} have shape {shape} ([B, frames, height, width, channels]) "
          f"but the classifier in {self.workdir or '(given)'} was trained on "
          f"{data.name} clips of {self.video_shape} (dataset.num_frames, "
          "resolution x resolution, channels). Evaluate with a classifier "
          "trained on clips of the same shape.")

  def predict(self, videos: Any) -> dict[str, np.ndarray]:
    """{name: float64 [B, C]} of float videos [B, N, H, W, C] in [-1, 1]."""
    videos = np.asarray(videos, np.float32)
    self.check_videos(videos.shape)
    if not len(videos):
      return {name: np.zeros((0, self.num_classes[name]))
              for name in self.labels}
    parts = {name: [] for name in self.labels}
    # Every call gets a full chunk (the last one zero-padded), so the
    # jitted function compiles once.
    for start in range(0, len(videos), self.batch_size):
      chunk = videos[start:start + self.batch_size]
      output = self.model.predict_probabilities(
          self.variables, _pad_rows(chunk, self.batch_size))
      for name in self.labels:
        part = np.asarray(output[name], np.float64)[:len(chunk)]
        expected = (len(chunk), self.num_classes[name])
        if part.shape != expected:
          raise ValueError(f"The classifier's {name!r} probabilities have "
                           f"shape {part.shape}; expected {expected}.")
        parts[name].append(part)
    return {name: np.concatenate(values) for name, values in parts.items()}


def check_classifier_workdir(workdir: str) -> None:
  """Raises unless `workdir` holds a trained classifier run's checkpoint."""
  if not workdir:
    raise ValueError("No classifier workdir given. " + _training_hint("DIR"))
  if not epath.Path(workdir).is_dir():
    raise FileNotFoundError(f"Classifier workdir {workdir} does not exist. "
                            + _training_hint(workdir))
  path = epath.Path(workdir) / "config.json"
  if not path.is_file():
    raise FileNotFoundError(
        f"{path} is missing: {workdir} holds no trained run. "
        + _training_hint(workdir))
  if not checkpoints.has_checkpoint(workdir):
    folder = epath.Path(workdir) / "checkpoints"
    raise FileNotFoundError(f"No checkpoint in {folder}. "
                            + _training_hint(workdir))
  family = checkpoints.load_run_config(workdir).get("family")
  if not models.model_class(family).predicts_labels:
    raise ValueError(
        f"{workdir} holds a {family!r} run, which predicts no labels. "
        + _training_hint("<new dir>"))


def load_classifier(workdir: str, step: int | None = None,
                    batch_size: int = 32) -> AttributeClassifier:
  """The classifier trained in `workdir` (latest or given checkpoint)."""
  check_classifier_workdir(workdir)
  config = checkpoints.load_run_config(workdir)
  model, variables, restored = checkpoints.load_for_inference(config, workdir,
                                                              step)
  return AttributeClassifier(model, variables, config, restored, batch_size,
                             workdir)


# ------------------------------------------------------------ evaluator ---
class AttributeScores:
  """Intra-E, Inter-E, I-score of the samples and of the real clips.

  An evaluator of evaluate.py (config.evals.attribute_scores:
  classifier_workdir, labels, optionally classifier_step). `classifier`
  replaces loading one from classifier_workdir (tests, notebooks).
  """

  @staticmethod
  def check_settings(settings, config) -> None:
    """Before training: the classifier the evaluation needs exists and fits.

    Reads only its config.json: clip shape and labels must match.
    """
    workdir = getattr(settings, "classifier_workdir", "")
    check_classifier_workdir(workdir)
    saved = checkpoints.load_run_config(workdir)
    data, theirs = config.dataset, saved["dataset"]
    ours = (data.num_frames, data.resolution, data.channels)
    trained = (theirs["num_frames"], theirs["resolution"], theirs["channels"])
    if ours != trained:
      raise ValueError(
          f"The classifier in {workdir} was trained on clips of (frames, "
          f"resolution, channels) = {trained}, this run makes {ours}. "
          + _training_hint("<new dir>") + " with matching dataset fields.")
    predicted = sorted(saved["model"]["attributes"])
    unknown = [n for n in getattr(settings, "labels", ()) if n not in predicted]
    if unknown:
      raise ValueError(f"evals.attribute_scores.labels names {unknown}; the "
                       f"classifier in {workdir} predicts {predicted}.")

  def __init__(self, context, settings, classifier=None):
    self.context = context
    if classifier is None:
      workdir = getattr(settings, "classifier_workdir", "") or ""
      if not workdir:
        raise ValueError(
            "evals.attribute_scores needs a classifier trained on this "
            "dataset: set --config.evals.attribute_scores.classifier_workdir"
            " to its workdir (" + _training_hint("DIR") + ") or disable "
            "it with --config.evals.attribute_scores.enabled=False.")
      classifier = load_classifier(
          workdir, getattr(settings, "classifier_step", None),
          int(context.config.evals.batch_size))
    self.classifier = classifier
    self.labels = self._joint_labels(tuple(getattr(settings, "labels", ())))
    self.num_joint_classes = math.prod(
        classifier.num_classes[name] for name in self.labels)
    classifier.check_videos(context.clips["video"].shape,
                            "The evaluated clips")
    classifier_dataset = classifier.config.dataset.name
    if classifier_dataset != context.config.dataset.name:
      logging.warning("attribute_scores: the classifier was trained on %s, "
                      "the evaluated clips are %s.", classifier_dataset,
                      context.config.dataset.name)
    self.generated = []  # One joint [S, J] per generation.

  def _joint_labels(self, requested: tuple[str, ...]) -> tuple[str, ...]:
    available = self.classifier.labels
    if not requested:
      return available
    unknown = [name for name in requested if name not in available]
    if unknown or len(set(requested)) != len(requested):
      raise ValueError(
          f"evals.attribute_scores.labels={requested} must name distinct "
          f"attributes of the classifier; it predicts {available}.")
    return requested

  def _joint(self, probabilities: dict[str, np.ndarray]) -> np.ndarray:
    return joint_probabilities([probabilities[name] for name in self.labels])

  def observe(self, samples: np.ndarray) -> None:
    self.generated.append(self._joint(self.classifier.predict(samples)))

  def _set_figures(self, joint: np.ndarray, suffix: str,
                   intra_scale: float, units: str
                   ) -> dict[str, dict[str, float]]:
    """Figures of joint [rows, videos per row, J], resampling rows."""
    rows, per_row, classes = joint.shape
    entropy = _entropies(joint.reshape(-1, classes)).reshape(rows, per_row)
    labels = np.argmax(joint, axis=2)
    return {
        f"intra_e{suffix}": intervals.summarize_statistic(
            lambda e: e.mean() * intra_scale, entropy.mean(1)),
        f"intra_e_per_video{suffix}": intervals.summarize(entropy.mean(1),
                                                          units),
        f"inter_e{suffix}": intervals.summarize_statistic(
            lambda picked: _label_entropy(picked, classes), labels),
        f"i_score{suffix}": intervals.summarize_statistic(
            lambda picked: _inception_score(picked.reshape(-1, classes)),
            joint),
    }

  def finish(self) -> dict[str, Any]:
    clips = self.context.clips
    real = self.classifier.predict(clips["video"])
    num_real = len(clips["video"])
    num_generated = sum(len(g) for g in self.generated)
    metrics = {}
    if self.generated:
      metrics.update(self._set_figures(np.stack(self.generated, 1), "",
                                       num_generated, "anchor_sets"))
    # Scaled to the generated set's size (module docstring); with no
    # samples, the real clips' own sum.
    metrics.update(self._set_figures(self._joint(real)[:, None], "_real",
                                     num_generated or num_real, "clips"))
    for name in self.classifier.labels:
      if name in clips:
        correct = np.argmax(real[name], axis=1) == np.asarray(clips[name])
        metrics[f"classifier_accuracy_{name}"] = intervals.summarize(
            correct, "clips")
        logging.info("attribute_scores: classifier accuracy on the real %s: "
                     "%.3f (chance %.3f).", name, correct.mean(),
                     1.0 / self.classifier.num_classes[name])
    return {"metrics": metrics, "attribute_scores": {
        "classifier_workdir": self.classifier.workdir,
        "classifier_step": int(self.classifier.step),
        "labels": list(self.labels),
        "num_joint_classes": int(self.num_joint_classes),
        "inter_e_max": float(np.log(self.num_joint_classes)),
        "num_generated_videos": int(num_generated),
        "num_real_clips": int(num_real),
        "notes": ("Intra-E: sum of per-video label entropies (nats) over "
                  "num_generated_videos videos; intra_e_real is the real "
                  "clips' mean times that number. Labels are joint over "
                  "'labels'. Intervals resample anchor sets (generated) or "
                  "clips (real)."),
    }}
