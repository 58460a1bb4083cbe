"""Intra-E / Inter-E / I-score (videovae section 5.2) and their evaluator."""

import json
import math
import re
import types

import ml_collections
import numpy as np
import pytest

from video_inference.evaluation import attribute_scores
from video_inference.evaluation import intervals

NUM_PERSONS, NUM_ACTIONS = 3, 2
VIDEO_SHAPE = (4, 8, 8, 3)  # frames, height, width, channels.


# ------------------------------------------------------------- analytic ---
@pytest.mark.parametrize("num_classes", [2, 5, 90])
def test_one_hot_spread_evenly_over_classes(num_classes):
  p = np.tile(np.eye(num_classes), (3, 1))
  assert attribute_scores.intra_entropy(p) == 0.0
  assert attribute_scores.inter_entropy(p) == pytest.approx(
      math.log(num_classes))
  assert attribute_scores.inception_score(p) == pytest.approx(num_classes)


def test_all_mass_on_one_class():
  p = np.zeros((7, 4))
  p[:, 2] = 1.0
  assert attribute_scores.intra_entropy(p) == 0.0
  assert attribute_scores.inter_entropy(p) == 0.0
  assert attribute_scores.inception_score(p) == pytest.approx(1.0)


def test_uniform_predictions():
  n, num_classes = 6, 5
  p = np.full((n, num_classes), 1.0 / num_classes)
  np.testing.assert_allclose(attribute_scores.entropies(p),
                             math.log(num_classes))
  assert attribute_scores.intra_entropy(p) == pytest.approx(
      n * math.log(num_classes))
  assert attribute_scores.inception_score(p) == pytest.approx(1.0)


def test_hand_computed_case():
  p = np.array([[0.5, 0.5], [1.0, 0.0]])
  # H = ln 2 and 0; marginal (3/4, 1/4); KL = 1/2 ln(4/3) and ln(4/3).
  np.testing.assert_allclose(attribute_scores.entropies(p),
                             [math.log(2), 0.0])
  assert attribute_scores.intra_entropy(p) == pytest.approx(math.log(2))
  assert attribute_scores.inception_score(p) == pytest.approx(
      (4 / 3)**0.75)
  # Argmax labels 0, 0, 1 (the tie goes to class 0): H(2/3, 1/3).
  q = np.array([[0.5, 0.5], [0.9, 0.1], [0.2, 0.8]])
  assert attribute_scores.inter_entropy(q) == pytest.approx(
      math.log(3) - 2 / 3 * math.log(2))


def test_rejects_what_is_not_a_distribution():
  with pytest.raises(ValueError, match="sum to 1"):
    attribute_scores.entropies([[0.5, 0.4]])
  with pytest.raises(ValueError, match="non-negative"):
    attribute_scores.entropies([[1.5, -0.5]])
  with pytest.raises(ValueError, match=r"\[n, C\]"):
    attribute_scores.entropies([0.5, 0.5])


def test_joint_probabilities_is_the_row_major_outer_product():
  rng = np.random.default_rng(0)
  persons = rng.dirichlet(np.ones(3), size=5)
  actions = rng.dirichlet(np.ones(4), size=5)
  joint = attribute_scores.joint_probabilities([persons, actions])
  assert joint.shape == (5, 12)
  np.testing.assert_allclose(joint.sum(1), 1.0)
  index = np.ravel_multi_index((2, 1), (3, 4))
  np.testing.assert_allclose(joint[:, index], persons[:, 2] * actions[:, 1])
  # Independent attributes: joint entropy = sum of the entropies.
  np.testing.assert_allclose(
      attribute_scores.entropies(joint),
      attribute_scores.entropies(persons)
      + attribute_scores.entropies(actions))
  np.testing.assert_allclose(
      attribute_scores.joint_probabilities([persons]), persons)
  with pytest.raises(ValueError, match="one row per video"):
    attribute_scores.joint_probabilities([persons, actions[:3]])


# ------------------------------------------------------------ intervals ---
def test_summarize_statistic_contains_the_statistic_and_is_deterministic():
  values = np.random.default_rng(1).normal(size=50)
  for statistic in (np.mean, np.median, np.std):
    first = intervals.summarize_statistic(statistic, values)
    again = intervals.summarize_statistic(statistic, values)
    assert first == again
    assert first["mean"] == pytest.approx(statistic(values))
    assert first["ci95_low"] < first["mean"] < first["ci95_high"]
    assert first["n"] == 50


def test_summarize_statistic_of_a_mean_agrees_with_intervals():
  values = np.random.default_rng(2).exponential(size=40)
  plain = intervals.summarize_statistic(np.mean, values, centre=False)
  reference = intervals.summarize(values)
  assert plain["n"] == reference["n"]
  for key in ("mean", "ci95_low", "ci95_high"):
    assert plain[key] == pytest.approx(reference[key], rel=1e-12)
  # Centring moves it by resampling noise only.
  centred = intervals.summarize_statistic(np.mean, values)
  width = reference["ci95_high"] - reference["ci95_low"]
  assert abs(centred["ci95_low"] - reference["ci95_low"]) < 0.02 * width


def test_centring_keeps_a_uniform_set_inside_its_inter_e_interval():
  p = np.tile(np.eye(6), (4, 1))
  centred = intervals.summarize_statistic(
      attribute_scores.inter_entropy, p)
  plain = intervals.summarize_statistic(
      attribute_scores.inter_entropy, p, centre=False)
  assert centred["mean"] == pytest.approx(math.log(6))
  assert centred["ci95_low"] < centred["mean"] < centred["ci95_high"]
  # Duplicates in every resample lower the plug-in entropy.
  assert plain["ci95_high"] < plain["mean"]


# ------------------------------------------------------------ evaluator ---
class PixelCodeClassifier:
  """Reads (person, action) from pixel (0, 0, 0) channels 0 and 1 (x10).

  Videos with channel 2 of that pixel > 0 are "unrecognisable": uniform.
  """

  attribute_names = ("person", "action")

  def __init__(self):
    self.batch_shapes = []

  def predict_probabilities(self, variables, videos):
    del variables
    self.batch_shapes.append(videos.shape)
    code = videos[:, 0, 0, 0]
    unsure = code[:, 2] > 0
    out = {}
    for channel, (name, count) in enumerate(
        [("person", NUM_PERSONS), ("action", NUM_ACTIONS)]):
      p = np.eye(count)[np.rint(code[:, channel] * 10).astype(int)]
      p[unsure] = 1.0 / count
      out[name] = p
    return out


def _classifier(batch_size=4, **dataset):
  config = ml_collections.ConfigDict({
      "family": "classifier",
      # Sorted, as config.json holds it; the model's order wins.
      "model": {"attributes": {"action": NUM_ACTIONS, "person": NUM_PERSONS}},
      "dataset": {"name": "fake", "num_frames": VIDEO_SHAPE[0],
                  "resolution": VIDEO_SHAPE[1], "channels": VIDEO_SHAPE[3],
                  **dataset}})
  return attribute_scores.AttributeClassifier(
      PixelCodeClassifier(), {}, config, step=7, batch_size=batch_size)


def _videos(persons, actions, unsure=None):
  videos = np.zeros((len(persons),) + VIDEO_SHAPE, np.float32)
  videos[:, 0, 0, 0, 0] = np.asarray(persons) / 10
  videos[:, 0, 0, 0, 1] = np.asarray(actions) / 10
  if unsure is not None:
    videos[:, 0, 0, 0, 2] = np.asarray(unsure, np.float32)
  return videos


def _balanced_context(repeats=2, unsure=None):
  persons, actions = np.meshgrid(np.arange(NUM_PERSONS),
                                 np.arange(NUM_ACTIONS), indexing="ij")
  persons = np.tile(persons.ravel(), repeats)
  actions = np.tile(actions.ravel(), repeats)
  clips = {"video": _videos(persons, actions, unsure),
           "person": persons.astype(np.int32),
           "action": actions.astype(np.int32)}
  config = ml_collections.ConfigDict({"dataset": {"name": "fake"},
                                      "evals": {"batch_size": 4}})
  return types.SimpleNamespace(clips=clips, config=config)


def _settings(**fields):
  return ml_collections.ConfigDict(
      {"classifier_workdir": "", "labels": (), **fields})


def test_classifier_predicts_in_full_chunks_in_model_order():
  classifier = _classifier(batch_size=4)
  assert classifier.labels == ("person", "action")
  assert classifier.num_classes == {"person": 3, "action": 2}
  probabilities = classifier.predict(_videos(np.arange(10) % 3,
                                             np.arange(10) % 2))
  assert [s[0] for s in classifier.model.batch_shapes] == [4, 4, 4]
  np.testing.assert_array_equal(probabilities["person"].argmax(1),
                                np.arange(10) % 3)
  assert probabilities["action"].shape == (10, 2)


def test_classifier_refuses_videos_of_another_shape():
  classifier = _classifier(resolution=16)
  with pytest.raises(ValueError, match=r"\(1, 4, 8, 8, 3\).*\(4, 16, 16, 3\)"):
    classifier.predict(np.zeros((1,) + VIDEO_SHAPE, np.float32))
  with pytest.raises(ValueError, match="model.attributes"):
    config = _classifier().config
    config.model.attributes = {"person": 3}
    attribute_scores.AttributeClassifier(PixelCodeClassifier(), {}, config)


def test_perfect_classifier_on_a_balanced_set():
  context = _balanced_context()
  evaluator = attribute_scores.AttributeScores(context, _settings(),
                                               classifier=_classifier())
  num_generations = 3
  for _ in range(num_generations):
    evaluator.observe(context.clips["video"])
  output = evaluator.finish()
  metrics = output["metrics"]
  joint = NUM_PERSONS * NUM_ACTIONS
  for suffix in ("", "_real"):
    assert metrics[f"intra_e{suffix}"]["mean"] == 0.0
    assert metrics[f"intra_e_per_video{suffix}"]["mean"] == 0.0
    assert metrics[f"inter_e{suffix}"]["mean"] == pytest.approx(
        math.log(joint))
    assert metrics[f"i_score{suffix}"]["mean"] == pytest.approx(joint)
  # Generated intervals resample the 12 anchor sets, real ones the clips.
  assert metrics["inter_e"]["n"] == metrics["inter_e_real"]["n"] == 12
  assert metrics["classifier_accuracy_person"]["mean"] == 1.0
  assert metrics["classifier_accuracy_action"]["mean"] == 1.0
  info = output["attribute_scores"]
  assert info["labels"] == ["person", "action"]
  assert info["num_joint_classes"] == joint
  assert info["num_generated_videos"] == 12 * num_generations
  assert info["inter_e_max"] == pytest.approx(math.log(joint))
  json.dumps(output)


def test_intra_e_is_a_sum_and_the_real_bound_is_scaled_to_it():
  # Half of the real clips are unrecognisable: mean entropy ln(6) / 2.
  context = _balanced_context(unsure=np.arange(12) % 2)
  evaluator = attribute_scores.AttributeScores(context, _settings(),
                                               classifier=_classifier())
  unsure_samples = context.clips["video"].copy()
  unsure_samples[:, 0, 0, 0, 2] = 1.0
  evaluator.observe(unsure_samples)
  evaluator.observe(unsure_samples)
  metrics = evaluator.finish()["metrics"]
  ln6 = math.log(6)
  assert metrics["intra_e"]["mean"] == pytest.approx(24 * ln6)
  assert metrics["intra_e_per_video"]["mean"] == pytest.approx(ln6)
  assert metrics["i_score"]["mean"] == pytest.approx(1.0)
  assert metrics["intra_e_per_video_real"]["mean"] == pytest.approx(ln6 / 2)
  assert metrics["intra_e_real"]["mean"] == pytest.approx(24 * ln6 / 2)
  assert metrics["intra_e_real"]["n"] == 12


def test_without_samples_the_real_sum_is_its_own():
  context = _balanced_context(unsure=np.arange(12) % 2)
  evaluator = attribute_scores.AttributeScores(context, _settings(),
                                               classifier=_classifier())
  metrics = evaluator.finish()["metrics"]
  assert "inter_e" not in metrics
  assert metrics["intra_e_real"]["mean"] == pytest.approx(6 * math.log(6))


def test_labels_choose_the_joint_label():
  context = _balanced_context()
  evaluator = attribute_scores.AttributeScores(
      context, _settings(labels=("action",)), classifier=_classifier())
  evaluator.observe(context.clips["video"])
  metrics = evaluator.finish()["metrics"]
  assert metrics["inter_e"]["mean"] == pytest.approx(math.log(2))
  assert metrics["i_score_real"]["mean"] == pytest.approx(2.0)
  with pytest.raises(ValueError, match="predicts"):
    attribute_scores.AttributeScores(
        context, _settings(labels=("chair",)), classifier=_classifier())


def test_evaluator_errors_explain_themselves():
  context = _balanced_context()
  with pytest.raises(ValueError, match="classifier_workdir.*enabled=False"):
    attribute_scores.AttributeScores(context, _settings())
  with pytest.raises(ValueError, match="evaluated clips.*16, 16"):
    attribute_scores.AttributeScores(
        context, _settings(), classifier=_classifier(resolution=16))


# --------------------------------------------------------------- loader ---
def test_loader_explains_a_missing_workdir(tmp_path):
  missing = str(tmp_path / "nowhere")
  with pytest.raises(FileNotFoundError,
                     match=re.escape(missing) + " does not exist.*classifier_"):
    attribute_scores.load_classifier(missing)


def test_loader_explains_a_workdir_without_config(tmp_path):
  with pytest.raises(FileNotFoundError,
                     match=r"config\.json is missing.*main --config=configs/"
                           r"classifier_<dataset>\.py"):
    attribute_scores.load_classifier(str(tmp_path))


def test_loader_explains_a_workdir_without_checkpoint(tmp_path):
  (tmp_path / "config.json").write_text(json.dumps({"family": "classifier"}))
  with pytest.raises(FileNotFoundError, match="No checkpoint in"):
    attribute_scores.load_classifier(str(tmp_path))


def test_loader_refuses_another_family(tmp_path):
  (tmp_path / "config.json").write_text(json.dumps({"family": "sdvi"}))
  (tmp_path / "checkpoints" / "100").mkdir(parents=True)
  with pytest.raises(ValueError, match="'sdvi' run, which predicts no labels"):
    attribute_scores.load_classifier(str(tmp_path))
