"""Input pipeline: determinism, resumption, sharding, anchors, errors."""

import numpy as np
import pytest

import tfds_builders
from video_inference import anchors
from video_inference import input_pipeline


def _batches(config, start_step=0, count=2, process_index=0, process_count=1):
  ds = input_pipeline.train_dataset(config, start_step, process_index,
                                    process_count)
  iterator = input_pipeline.as_numpy(ds)
  return [next(iterator) for _ in range(count)]


def test_batch_format(tiny_config):
  batch = _batches(tiny_config, count=1)[0]
  data = tiny_config.dataset
  assert batch["video"].shape == (2, data.num_frames, 32, 32, 3)
  assert batch["video"].dtype == np.float32
  assert -1.0 <= batch["video"].min() and batch["video"].max() <= 1.0
  assert batch["video"].max() > 0.0  # A shape is visible.
  assert batch["anchor_mask"].shape == (2, data.num_frames)
  counts = batch["anchor_mask"].sum(axis=1)
  assert np.all((counts >= 1) & (counts <= 2))


def test_same_seed_same_batches_other_seed_differs(tiny_config):
  first = _batches(tiny_config)
  again = _batches(tiny_config)
  for a, b in zip(first, again):
    np.testing.assert_array_equal(a["video"], b["video"])
    np.testing.assert_array_equal(a["anchor_mask"], b["anchor_mask"])
  tiny_config.seed = 1
  other = _batches(tiny_config)
  assert not np.array_equal(first[0]["video"], other[0]["video"])


def test_resuming_at_a_step_reads_the_same_batches(tiny_config):
  tiny_config.train.num_steps = 60
  uninterrupted = _batches(tiny_config, count=30)  # Crosses an epoch (40).
  resumed = _batches(tiny_config, start_step=25, count=5)
  for a, b in zip(uninterrupted[25:], resumed):
    np.testing.assert_array_equal(a["video"], b["video"])
    np.testing.assert_array_equal(a["anchor_mask"], b["anchor_mask"])


def test_processes_read_disjoint_halves_of_the_global_batch(tiny_config):
  tiny_config.train.batch_size = 4
  whole = _batches(tiny_config, count=1)[0]
  halves = [_batches(tiny_config, count=1, process_index=i,
                     process_count=2)[0] for i in range(2)]
  np.testing.assert_array_equal(
      np.concatenate([h["video"] for h in halves]), whole["video"])


def test_an_epoch_visits_every_clip_once(tiny_config):
  tiny_config.train.num_steps = 20
  tiny_config.dataset.num_frames = 16  # The whole tiny video: no cropping.
  tiny_config.anchors.update(min_anchors=1, max_anchors=2)
  batches = _batches(tiny_config, count=20)  # 40 train clips, batch 2.
  clips = np.concatenate([b["video"] for b in batches])
  unique = {c.tobytes() for c in clips}
  assert len(unique) == 40


@pytest.mark.parametrize("start", ["first", "random"])
def test_a_fixed_window_yields_the_same_frames_for_the_same_index(
    tiny_config, start):
  tiny_config.train.num_steps = 40
  tiny_config.dataset.train_clip_start = start
  batches = _batches(tiny_config, count=40)  # Two epochs of 40 clips.
  by_index = {}
  for batch in batches:
    for index, clip in zip(batch["index"], batch["video"]):
      by_index.setdefault(int(index), []).append(clip)
  same = [np.array_equal(*clips) for clips in by_index.values()]
  if start == "first":
    assert all(same)
    source = input_pipeline.load_source(tiny_config.dataset, "train")
    first = input_pipeline.to_model_frames(
        source[0]["video"][:tiny_config.dataset.num_frames], 32, 3)
    np.testing.assert_allclose(by_index[0][0], first)
  else:
    assert sum(same) < len(same) / 2  # Random offsets mostly differ.


def test_updates_per_batch_repeats_each_batch_and_resumes_mid_repeat(
    tiny_config):
  tiny_config.train.update(num_steps=12, updates_per_batch=3)
  batches = _batches(tiny_config, count=12)
  for step, batch in enumerate(batches):
    np.testing.assert_array_equal(batch["video"],
                                  batches[step - step % 3]["video"])
  assert not np.array_equal(batches[2]["index"], batches[3]["index"])
  tiny_config.train.updates_per_batch = 1
  plain = _batches(tiny_config, count=4)
  for step in range(4):  # Batch b of the repeated run is plain batch b.
    np.testing.assert_array_equal(batches[3 * step]["video"],
                                  plain[step]["video"])
  tiny_config.train.updates_per_batch = 3
  resumed = _batches(tiny_config, start_step=4, count=4)
  for a, b in zip(batches[4:8], resumed):
    np.testing.assert_array_equal(a["video"], b["video"])
  # One batch per step to the end, however the steps split into repeats.
  tiny_config.train.num_steps = 11
  ds = input_pipeline.train_dataset(tiny_config, 4)
  assert sum(1 for _ in input_pipeline.as_numpy(ds)) == 7


def test_labelled_only_steps_draw_the_labelled_subset_then_the_usual_batches(
    tiny_config):
  tiny_config.dataset.update(labels=("shape", "direction"),
                             labelled_fraction=0.2)
  # 10 batches of 4: one epoch of the 40 training examples.
  tiny_config.train.update(batch_size=4, num_steps=10)

  def batches(start_step=0, labelled_only_steps=0):
    return list(input_pipeline.as_numpy(input_pipeline.train_dataset(
        tiny_config, start_step, labelled_only_steps=labelled_only_steps)))

  plain, restricted = batches(), batches(labelled_only_steps=3)
  labelled = {int(i) for b in plain for i, s in zip(b["index"], b["shape"])
              if s >= 0}
  assert all(np.all(b["shape"] >= 0) for b in restricted[:3])
  assert {int(i) for b in restricted[:3] for i in b["index"]} <= labelled
  assert any(np.any(b["shape"] < 0) for b in plain[:3])
  for a, b in zip(plain[3:], restricted[3:]):
    np.testing.assert_array_equal(a["index"], b["index"])
  for a, b in zip(restricted[2:], batches(2, labelled_only_steps=3)):
    np.testing.assert_array_equal(a["video"], b["video"])
  # Every example labelled: nothing to restrict, the batches as always.
  tiny_config.dataset.labelled_fraction = 1.0
  for a, b in zip(batches(), batches(labelled_only_steps=3)):
    np.testing.assert_array_equal(a["index"], b["index"])
  tiny_config.dataset.labelled_fraction = 0.0
  with pytest.raises(ValueError, match="leaves none of the"):
    batches(labelled_only_steps=3)


def test_unknown_train_clip_start_is_named(tiny_config):
  tiny_config.dataset.train_clip_start = "centre"
  with pytest.raises(ValueError, match="train_clip_start='centre'"):
    _batches(tiny_config, count=1)


def test_eval_clips_are_fixed_and_centred(tiny_config):
  first = input_pipeline.eval_clips(tiny_config, 3)
  second = input_pipeline.eval_clips(tiny_config, 3)
  np.testing.assert_array_equal(first["video"], second["video"])
  np.testing.assert_array_equal(first["anchor_mask"], second["anchor_mask"])
  source = input_pipeline.load_source(tiny_config.dataset, "test")
  full = source[0]["video"]
  start = (len(full) - tiny_config.dataset.num_frames) // 2
  expected = input_pipeline.to_model_frames(
      full[start:start + tiny_config.dataset.num_frames], 32, 3)
  np.testing.assert_array_equal(first["video"][0], expected)
  fixed = input_pipeline.eval_clips(tiny_config, 2, anchor_times=(0, 3))
  assert fixed["anchor_mask"].tolist() == [[True, False, False, True]] * 2


def test_resolution_and_channel_conversion():
  video = np.full((2, 8, 8, 3), 255, np.uint8)
  out = input_pipeline.to_model_frames(video, 4, 1)
  assert out.shape == (2, 4, 4, 1)
  np.testing.assert_allclose(out, 1.0, atol=1e-3)


@pytest.mark.parametrize("strategy,expected", [
    ("first_last", [0, 7]),
    ("first_k", [0, 1, 2]),
])
def test_fixed_anchor_strategies(strategy, expected):
  mask = anchors.sample_anchor_mask(np.random.default_rng(0), 8, strategy,
                                    first_k=3)
  assert anchors.times_from_mask(mask) == expected


def test_random_anchor_strategy_counts_and_spread():
  rng = np.random.default_rng(0)
  masks = np.stack([anchors.sample_anchor_mask(rng, 16, "random", 2, 6)
                    for _ in range(500)])
  counts = masks.sum(axis=1)
  assert counts.min() == 2 and counts.max() == 6
  assert masks.any(axis=0).all()  # Every time gets an anchor sometimes.


def test_unknown_anchor_strategy_lists_valid_ones():
  with pytest.raises(ValueError, match="first_last"):
    anchors.sample_anchor_mask(np.random.default_rng(0), 8, "middle")


@pytest.mark.parametrize("times,message", [
    ((0, 8), r"\[8\] are out of range"),
    ((-1, 3), r"\[-1\] are out of range"),
    ((3, 1), r"strictly increasing.*\(3, 1\)"),
    ((2, 2), r"strictly increasing.*\(2, 2\)"),
    ((0.5,), "integers"),
])
def test_bad_anchor_times_are_named(times, message):
  with pytest.raises(ValueError, match=message):
    anchors.validate_times(times, 8)


def test_unknown_dataset_lists_valid_names(tiny_config):
  tiny_config.dataset.name = "imagenet"
  with pytest.raises(ValueError, match="Unknown dataset 'imagenet'") as error:
    input_pipeline.load_source(tiny_config.dataset, "train")
  for name in input_pipeline.DATASETS:
    assert repr(name) in str(error.value)


def test_the_dataset_table_is_tfds_builders_one(tmp_path):
  assert input_pipeline.DATASETS is tfds_builders.DATASETS
  for name, dataset in input_pipeline.DATASETS.items():
    builder = input_pipeline.get_builder(name, str(tmp_path))
    assert type(builder) is dataset.builder and builder.name == name
  # Derived from the builders' MANUAL_DOWNLOAD_INSTRUCTIONS: pinned so that a
  # builder gaining or losing them is noticed.
  manual = {name for name in input_pipeline.DATASETS
            if input_pipeline.prepare_command(name).endswith(
                " --manual_dir=DIR")}
  assert manual == {"mocogan_actions", "mocogan_shapes", "mug"}
  procedural = {name for name, dataset in input_pipeline.DATASETS.items()
                if dataset.procedural}
  assert procedural == {"shape_motion"}


def test_unprepared_dataset_says_how_to_prepare(tiny_config):
  tiny_config.dataset.name = "mocogan_shapes"
  with pytest.raises(input_pipeline.DatasetNotPreparedError,
                     match="python -m video_inference.prepare "
                     "--dataset=mocogan_shapes --manual_dir=DIR"):
    input_pipeline.load_source(tiny_config.dataset, "train")


def test_unprepared_download_dataset_says_how_to_prepare(tiny_config):
  tiny_config.dataset.name = "kth/handwaving"
  with pytest.raises(input_pipeline.DatasetNotPreparedError,
                     match="--dataset=kth/handwaving --data_dir="):
    input_pipeline.load_source(tiny_config.dataset, "train")


def test_unknown_builder_config_lists_valid_ones(tiny_config):
  tiny_config.dataset.name = "kth/waving"
  with pytest.raises(ValueError, match="kth/inbetween3d, kth/handwaving"):
    input_pipeline.load_source(tiny_config.dataset, "train")


def test_labelled_subset_has_the_exact_count_and_is_seeded():
  subset = input_pipeline.labelled_subset(40, 0.25, seed=0)
  assert subset.shape == (40,) and subset.dtype == bool
  assert subset.sum() == 10
  np.testing.assert_array_equal(
      subset, input_pipeline.labelled_subset(40, 0.25, seed=0))
  assert not np.array_equal(
      subset, input_pipeline.labelled_subset(40, 0.25, seed=1))
  # round(), not floor(): 0.3 of 7 is 2.1 -> 2, 0.4 of 7 is 2.8 -> 3.
  assert input_pipeline.labelled_subset(7, 0.3, seed=0).sum() == 2
  assert input_pipeline.labelled_subset(7, 0.4, seed=0).sum() == 3
  assert not input_pipeline.labelled_subset(40, 0.0, seed=0).any()
  assert input_pipeline.labelled_subset(40, 1.0, seed=0).all()


@pytest.mark.parametrize("fraction", [-0.1, 1.5, float("nan")])
def test_bad_labelled_fraction_is_named(fraction):
  with pytest.raises(ValueError, match="dataset.labelled_fraction"):
    input_pipeline.labelled_subset(40, fraction, seed=0)


def test_training_hides_labels_outside_the_labelled_subset(tiny_config):
  tiny_config.dataset.labels = ("shape",)
  tiny_config.dataset.labelled_fraction = 0.25
  tiny_config.train.update(batch_size=8, num_steps=15)  # 3 epochs of 40.
  batches = _batches(tiny_config, count=15)
  indices = np.concatenate([b["index"] for b in batches])
  shapes = np.concatenate([b["shape"] for b in batches])
  assert len(set(indices.tolist())) == 40
  source = input_pipeline.load_source(tiny_config.dataset, "train")
  labelled = input_pipeline.labelled_subset(
      40, 0.25, tiny_config.seed,
      labels_of=lambda i: [source[i]["shape"]], num_classes=[2])
  for index, shape in zip(indices, shapes):
    if labelled[index]:
      assert shape == source[int(index)]["shape"], index
    else:
      assert shape == input_pipeline.HIDDEN_LABEL, index
  visible = indices[shapes != input_pipeline.HIDDEN_LABEL]
  assert len(set(visible.tolist())) == 10


def test_labelled_subset_keeps_every_class():
  # 72 examples of 9 classes (8 each): a blind 20% misses class 4 here.
  classes = np.repeat(np.arange(9), 8)
  blind = input_pipeline.labelled_subset(72, 0.2, seed=3)
  assert set(classes[blind]) != set(range(9))
  covered = input_pipeline.labelled_subset(
      72, 0.2, seed=3, labels_of=lambda i: [classes[i], i % 2],
      num_classes=[9, 2])
  assert set(classes[covered]) == set(range(9))
  assert np.all(covered[blind])  # The blind subset, plus one per missing.
  assert covered.sum() == blind.sum() + 9 - len(set(classes[blind]))


def test_evaluation_sees_every_true_label(tiny_config):
  tiny_config.dataset.labels = ("shape",)
  tiny_config.dataset.labelled_fraction = 0.0
  clips = input_pipeline.eval_clips(tiny_config, 4)
  source = input_pipeline.load_source(tiny_config.dataset, "test")
  assert clips["shape"].tolist() == [source[i]["shape"] for i in range(4)]
