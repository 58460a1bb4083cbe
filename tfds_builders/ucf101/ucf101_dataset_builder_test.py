"""Tests of ucf101 on dummy_data/ (no network) and on synthetic lists."""

import collections
import logging
import pathlib

import av
import numpy as np
import pytest
import tensorflow_datasets as tfds

from tfds_builders import testing
from tfds_builders import video_io
from tfds_builders.ucf101 import make_dummy_data
from tfds_builders.ucf101 import ucf101_dataset_builder as ucf

DUMMY = pathlib.Path(__file__).parent / "dummy_data"
DUMMY_VIDEOS = DUMMY / "videos" / ucf.VIDEOS_FOLDER
DUMMY_LISTS = DUMMY / "splits" / ucf.LISTS_FOLDER


class Ucf101Test(tfds.testing.DatasetBuilderTestCase):
  """TFDS's standard checks, with the two archives mocked by dummy_data/."""

  DATASET_CLASS = ucf.Ucf101
  # 30 trainlist entries -> 2 validation (5%, rounded half up), 28 train.
  SPLITS = {"train": 28, "validation": 2, "test": 6}
  DL_EXTRACT_RESULT = {"videos": "videos", "splits": "splits"}


def _extracted(source: pathlib.Path):
  """download_and_extract's stand-in: source/{videos,splits}, the archives."""
  extracted = {"videos": source / "videos", "splits": source / "splits"}

  def fake_download_and_extract(urls):
    assert urls == {"videos": ucf.VIDEOS_URL, "splits": ucf.SPLITS_URL}
    return {key: tfds.core.Path(path) for key, path in extracted.items()}

  return fake_download_and_extract


def test_project_name_is_ours_and_tfds_own_builder_is_untouched():
  import tfds_builders  # pylint: disable=g-import-not-at-top

  assert tfds_builders.DATASETS["ucf101"].builder is ucf.Ucf101
  assert tfds_builders.BUILDERS["ucf101"] is ucf.Ucf101
  assert tfds.builder_cls("ucf101") is not ucf.Ucf101


def test_readme_way_to_get_the_builder(tmp_path):
  # README.md tells users to get it this way, not by tfds.builder("ucf101").
  # pylint: disable-next=g-import-not-at-top
  from video_inference import input_pipeline

  builder = input_pipeline.get_builder("ucf101", data_dir=str(tmp_path))
  assert isinstance(builder, ucf.Ucf101)
  assert builder.data_dir.startswith(str(tmp_path / "ucf101" / "1.0.0"))
  assert not isinstance(tfds.builder("ucf101", data_dir=tmp_path), ucf.Ucf101)


def test_dummy_data_is_in_the_real_format():
  files = sorted(DUMMY_VIDEOS.iterdir())
  assert len(files) == 36
  assert sum(f.stat().st_size for f in DUMMY.rglob("*") if f.is_file()) < (
    1 << 20
  )
  for path in files:
    # The entry pattern with any class folder checks the file name.
    assert ucf._ENTRY.fullmatch(f"YoYo/{path.name}"), path.name
    with av.open(str(path)) as container:
      stream = container.streams.video[0]
      assert container.format.name == "avi"
      assert stream.codec_context.name == "mpeg4"  # MPEG-4 Part 2, as Xvid.
      assert (stream.width, stream.height) == (320, 240)
      assert stream.average_rate == 25
      assert stream.frames == make_dummy_data.NUM_FRAMES
  class_index = (DUMMY_LISTS / "classInd.txt").read_text()
  assert tuple(ucf.parse_class_index(class_index)) == ucf.ACTIONS
  train = (DUMMY_LISTS / "trainlist01.txt").read_text().splitlines()
  assert train[0] == "ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1"
  assert "HandstandPushups/v_HandStandPushups_g08_c01.avi 37" in train
  test = (DUMMY_LISTS / "testlist01.txt").read_text().splitlines()
  assert test[-1] == "YoYo/v_YoYo_g07_c02.avi"


def test_actions_are_the_101_of_class_ind_in_order():
  assert len(ucf.ACTIONS) == 101 == len(set(ucf.ACTIONS))
  assert ucf.ACTIONS.index("Hammering") == 34  # classInd line 35.
  assert ucf.ACTIONS.index("HammerThrow") == 35  # Not Python's sort order.
  assert ucf.ACTIONS.index("HandstandPushups") == 36
  assert ucf.ACTIONS[-1] == "YoYo"


def test_parsers():
  assert ucf.parse_class_index("1 ApplyEyeMakeup\r\n2 ApplyLipstick\r\n") == [
    "ApplyEyeMakeup",
    "ApplyLipstick",
  ]
  with pytest.raises(ValueError, match="should have index 2"):
    ucf.parse_class_index("1 ApplyEyeMakeup\n3 Archery\n")
  text = "A/v_A_g08_c01.avi 1\r\n\r\nA/v_A_g08_c02.avi 1\n"
  assert ucf.parse_list(text) == ["A/v_A_g08_c01.avi", "A/v_A_g08_c02.avi"]
  assert ucf.parse_entry("HandstandPushups/v_HandStandPushups_g25_c04.avi") == {
    "action": "HandstandPushups",
    "group": "g25",
    "id": "v_HandStandPushups_g25_c04",
  }


@pytest.mark.parametrize(
  "entry, expected",
  [
    ("YoYo/v_YoYo_g26_c01.avi", "group outside 1..25"),
    ("Yo/v_Yo_g01_c01.avi", "unknown action 'Yo'"),
    ("YoYo/v_YoYo_g01_c01.mp4", "expected '<Action>/v_<Action>_gXX_cYY.avi'"),
  ],
)
def test_a_bad_list_entry_fails_before_any_video_is_read(
  tmp_path, entry, expected
):
  with pytest.raises(ValueError, match=expected):
    ucf.parse_entry(entry)
  source = testing.copy_dummy_data(DUMMY, tmp_path, "source")
  train_list = source / "splits" / ucf.LISTS_FOLDER / "trainlist01.txt"
  train_list.write_text(train_list.read_text() + entry + " 101\n")
  with pytest.raises(ValueError) as error:
    testing.prepare_with_fake_downloads(
      ucf.Ucf101(data_dir=tmp_path / "data"), _extracted(source)
    )
  assert str(train_list) in str(error.value)
  assert entry in str(error.value)


def test_checksums_name_the_files_a_manual_dir_may_hold():
  infos = ucf.Ucf101.url_infos
  assert infos[ucf.VIDEOS_URL].filename == "UCF101_videos.zip"
  assert infos[ucf.VIDEOS_URL].size == 6_960_400_115
  assert infos[ucf.SPLITS_URL].filename == (
    "UCF101TrainTestSplits-RecognitionTask.zip"
  )


def _synthetic_lists(num_train=9537, num_test=3783):
  """Names shaped like split 1: test groups 1-7, train groups 8-25."""
  train = [
    f"{ucf.ACTIONS[i % 101]}/v_{ucf.ACTIONS[i % 101]}_g{8 + i % 18:02d}"
    f"_c{i // 1818 + 1:02d}_{i}.avi"
    for i in range(num_train)
  ]
  test = [f"YoYo/v_YoYo_g{1 + i % 7:02d}_c01_{i}.avi" for i in range(num_test)]
  return train, test


def test_split_rule_sizes_and_membership():
  train_list, test_list = _synthetic_lists()
  splits = ucf.split_entries(train_list, test_list)
  sizes = {name: len(entries) for name, entries in splits.items()}
  assert sizes == {"train": 9060, "validation": 477, "test": 3783}
  assert splits["test"] == sorted(test_list)
  assert not set(splits["train"]) & set(splits["validation"])
  assert set(splits["train"]) | set(splits["validation"]) == set(train_list)
  assert not (set(splits["train"]) | set(splits["validation"])) & set(test_list)
  # The rule: first round(5% n) of the seeded permutation of the sorted list.
  ordered = sorted(train_list)
  permutation = np.random.default_rng(0).permutation(len(ordered))
  assert set(splits["validation"]) == {ordered[i] for i in permutation[:477]}


def test_split_rule_ignores_the_order_of_the_lists():
  train_list, test_list = _synthetic_lists(300, 40)
  splits = ucf.split_entries(train_list, test_list)
  shuffled = list(np.random.default_rng(7).permutation(train_list))
  assert ucf.split_entries(shuffled, test_list[::-1]) == splits
  # A different list gives a different hold-out: it is not just the first.
  assert splits["validation"] != sorted(train_list)[:15]


@pytest.mark.parametrize(
  "num_entries, expected", [(9537, 477), (30, 2), (29, 1), (10, 1), (9, 0)]
)
def test_validation_size_rounds_half_up(num_entries, expected):
  assert ucf.num_validation(num_entries) == expected


def test_an_entry_in_both_lists_is_an_error():
  with pytest.raises(ValueError, match="1 entries are in both") as error:
    ucf.split_entries(
      ["A/v_A_g08_c01.avi", "A/v_A_g01_c01.avi"], ["A/v_A_g01_c01.avi"]
    )
  assert "A/v_A_g01_c01.avi" in str(error.value)


@pytest.fixture(scope="module", name="prepared")
def _prepared(tmp_path_factory):
  return testing.prepare_with_fake_downloads(
    ucf.Ucf101(data_dir=tmp_path_factory.mktemp("data")),
    _extracted(DUMMY),
    file_format="array_record",
  )


def test_labels_keys_and_frames_read_back_through_data_source(prepared):
  expected_lists = ucf.split_entries(*ucf.read_lists(DUMMY_LISTS))
  files = ucf.index_videos(DUMMY_VIDEOS)
  for split, entries in expected_lists.items():
    source = prepared.as_data_source(split)
    by_id = {ex["id"].decode(): ex for ex in source}
    assert sorted(by_id) == sorted(ucf.parse_entry(e)["id"] for e in entries)
    for entry in entries:
      parsed = ucf.parse_entry(entry)
      ex = by_id[parsed["id"]]
      assert ex["action"] == ucf.ACTIONS.index(entry.split("/")[0])
      assert ex["group"] == int(parsed["id"].split("_g")[1][:2]) - 1
      video = ex["video"]
      assert isinstance(video, np.ndarray) and video.dtype == np.uint8
      assert video.shape == (make_dummy_data.NUM_FRAMES, 64, 64, 3)
      path = files[entry.split("/")[1].lower()]
      np.testing.assert_array_equal(
        video, ucf.preprocess(video_io.read_video(path))
      )
  test_ids = {ex["id"].decode() for ex in prepared.as_data_source("test")}
  assert "v_HandStandPushups_g07_c02" in test_ids  # The lists' spelling.
  actions = collections.Counter(
    ex["action"] for ex in prepared.as_data_source("test")
  )
  assert actions == {0: 2, 36: 2, 100: 2}


def test_keys_are_the_ids_so_reordered_lists_give_the_same_records(
  tmp_path,
):
  builder = ucf.Ucf101(data_dir=tmp_path)
  entries = ucf.parse_list((DUMMY_LISTS / "testlist01.txt").read_text())
  files = ucf.locate_videos(
    ucf.index_videos(DUMMY_VIDEOS), entries, str(DUMMY_VIDEOS)
  )
  keyed = dict(builder._generate_examples("test", entries, files))
  assert sorted(keyed) == sorted(ucf.parse_entry(e)["id"] for e in entries)
  assert all(key == ex["id"] for key, ex in keyed.items())
  reordered = dict(builder._generate_examples("test", entries[::-1], files))
  assert reordered.keys() == keyed.keys()
  assert all(reordered[key]["video"] == keyed[key]["video"] for key in keyed)


def test_bad_files_are_skipped_with_a_warning_and_a_count(tmp_path, caplog):
  source = testing.copy_dummy_data(DUMMY, tmp_path, "source")
  videos = source / "videos" / ucf.VIDEOS_FOLDER
  truncated = videos / "v_YoYo_g09_c01.avi"
  truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
  garbage = videos / "v_ApplyEyeMakeup_g01_c01.avi"
  garbage.write_bytes(b"not a video" * 100)
  short = videos / "v_HandstandPushups_g13_c01.avi"
  video_io.write_video(short, make_dummy_data.draw_video(37, 13, 1)[:10])
  with caplog.at_level(logging.INFO):
    builder = testing.prepare_with_fake_downloads(
      ucf.Ucf101(data_dir=tmp_path / "data"),
      _extracted(source),
      file_format="array_record",
    )
  sizes = {
    name: info.num_examples for name, info in builder.info.splits.items()
  }
  splits = ucf.split_entries(
    *ucf.read_lists(source / "splits" / "ucfTrainTestlist")
  )
  lost = {
    "v_YoYo_g09_c01",
    "v_ApplyEyeMakeup_g01_c01",
    "v_HandStandPushups_g13_c01",
  }
  for split, entries in splits.items():
    ids = {ex["id"].decode() for ex in builder.as_data_source(split)}
    expected = {ucf.parse_entry(e)["id"] for e in entries} - lost
    assert ids == expected, split
    assert sizes[split] == len(expected)
    # Every split logs its count, gaps or none.
    count = f"ucf101/{split}: skipped {len(entries) - len(expected)} of "
    assert count + f"{len(entries)} source files" in caplog.text
  log = caplog.text
  assert f"skipping {truncated}" in log and "truncated" in log
  assert f"skipping {garbage}" in log
  assert f"skipping {short}: 10 frames, fewer than the 16" in log
  assert "ucf101/test: skipped 1 of 6 source files" in log


@pytest.mark.parametrize("where", ["videos", "lists"])
def test_missing_files_are_listed_with_what_to_put_where(tmp_path, where):
  source = testing.copy_dummy_data(DUMMY, tmp_path, "source")
  if where == "videos":
    for name in ("v_YoYo_g25_c01.avi", "v_HandstandPushups_g07_c02.avi"):
      (source / "videos" / ucf.VIDEOS_FOLDER / name).unlink()
    expected = [
      f"2 of the 36 listed videos are not in {source / 'videos' / 'UCF101'}",
      "YoYo/v_YoYo_g25_c01.avi",
      "HandstandPushups/v_HandStandPushups_g07_c02.avi",
    ]
  else:
    (source / "splits" / ucf.LISTS_FOLDER / "testlist01.txt").unlink()
    lists = source / "splits" / ucf.LISTS_FOLDER
    expected = [f"Missing in {lists}:\n  testlist01.txt\n"]
  with pytest.raises(FileNotFoundError) as error:
    testing.prepare_with_fake_downloads(
      ucf.Ucf101(data_dir=tmp_path / "data"), _extracted(source)
    )
  message = str(error.value)
  for text in expected:
    assert text in message
  assert (
    ucf.VIDEOS_URL in message and "UCF101/v_<Action>_gXX_cYY.avi" in message
  )
  assert "manual dir" in message


def test_an_unexpected_class_index_is_an_error(tmp_path):
  source = testing.copy_dummy_data(DUMMY, tmp_path, "source")
  class_index = source / "splits" / ucf.LISTS_FOLDER / "classInd.txt"
  lines = class_index.read_text().splitlines()
  class_index.write_text("\n".join(lines[:-1]) + "\n")
  with pytest.raises(ValueError, match="it lists 100"):
    testing.prepare_with_fake_downloads(
      ucf.Ucf101(data_dir=tmp_path / "data"), _extracted(source)
    )


if __name__ == "__main__":
  tfds.testing.test_main()
