"""VGAN's stabilised Flickr scene clips (Vondrick et al., NIPS 2016).

Source: the project page of "Generating Videos with Scene Dynamics" serves
one archive per scene category, e.g.
http://data.csail.mit.edu/videogan/golf.tar.bz2 (131 GB, per the authors in
github.com/cvondrick/videogan issue 2), and for golf an index,
http://data.csail.mit.edu/videogan/golf.txt. Public VGAN scripts confirm
`golf.txt`, `golf.tar.bz2` and `beach.tar.bz2`; nothing we found confirms a
`beach.txt`, so the index is optional (below). The archive holds
`frames-stable-many/<video>/<NNNN>.jpg`; the index lists those clip paths
relative to `frames-stable-many/`, e.g.
`videos2/3/2/1/4/7/1/6/7/4632147167.mp4/0000.jpg`. Each JPEG is one clip
of a video: its 128x128 frames stacked vertically (128 wide, 128 * T tall),
stabilised with SIFT + RANSAC. The stabilisation script in that repository
(`extra/stabilize_videos_many.py`) writes clips of 16 to 34 frames; the
paper and the papers using the data speak of 32. Golf has 20,268 videos and
583,508 clips (navsynth, section 4.1).

Protocol: navsynth (Aich et al., "Non-Adversarial Video Synthesis with
Learned Priors", section 4.1) trains on 500 random golf videos of 16 frames
resized to 64x64; videovae (He et al., section 5.1) uses the beach and golf
categories. Preprocessing here: the first 16 frames of a clip, each resized
128 -> 64 with `video_io.resize`.

What we chose where the papers are silent:

* Splits. Neither paper has one (navsynth's supplement: models that
  generate from latent priors "have no dataset split"), so: sort the
  distinct videos (a clip's video is its folder), permute them with
  `np.random.default_rng(0)`, first 90% (n * 9 // 10) `train`, the rest
  `test`. Whole videos go to one side, so clips of one video never straddle.
* A cap (config `max_train_videos`, n) takes the first n videos of the
  train part of that permutation for `train` and the first n // 10 of its
  test part for `test`, so a capped split is part of the full one.
  `clips_per_video` keeps a video's first clips in file order. `golf_500`
  keeps one clip of each of 500 train videos, navsynth's "500 videos with
  16 frames each" all for training, and of 50 test videos drawn the same
  seeded way: 550 videos in all.
* The index. When `<scene>.txt` cannot be downloaded (or is absent, or
  lists no `.jpg`), the clips are listed from the archive itself, at the
  cost of one more pass over it, and the log says so. Where the index is
  there, it is used: it spares that pass.
* A clip with fewer than 16 frames (the script's minimum is 16, so a damaged
  one), one that is not 128 wide and a multiple of 128 tall, one that does
  not decode, and one the index lists but the archive lacks are skipped with
  a warning naming it, counted per split by `video_io.SkippedFiles`.
  Damage to the archive itself (bz2/tar) is an error: every clip after it
  would be lost.
* The archive is read as a stream, never extracted (it would take another
  131 GB). A selection of at most `_MAX_BUFFERED_CLIPS` clips is read in one
  pass and kept in memory (~225 kB a clip); larger ones are streamed once
  per split.
* Labels: `scene` ('beach' or 'golf', the category's name: the Places-CNN
  filter that made the categories is noisy, as both papers note);
  `video_id` is the clip's folder, `id` the clip's path.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
import dataclasses
import logging
import tarfile

from etils import epath
import numpy as np
import tensorflow_datasets as tfds

from tfds_builders import video_io
from tfds_builders import video_utils

URL_ROOT = "http://data.csail.mit.edu/videogan/"
ROOT_NAME = "frames-stable-many"
SCENES = ("beach", "golf")
SOURCE_SIZE = 128
FRAME_SIZE = 64
SPLIT_SEED = 0
# ~225 kB a clip (131 GB / 583,508): at most ~1.1 GB held in memory.
_MAX_BUFFERED_CLIPS = 5000


@dataclasses.dataclass(eq=False)
class GolfConfig(tfds.core.BuilderConfig):
  """Which category, how many videos and clips, how many frames a clip."""

  scene: str = "golf"
  # None: all videos. Else this many train videos and a tenth as many test.
  max_train_videos: int | None = None
  clips_per_video: int | None = None  # None: all clips of a video.
  num_frames: int = 16


def archive_url(scene: str) -> str:
  return f"{URL_ROOT}{scene}.tar.bz2"


def index_url(scene: str) -> str:
  return f"{URL_ROOT}{scene}.txt"


def clip_path(name: str) -> str:
  """An index line or archive member -> path relative to frames-stable-many."""
  name = name.strip().split()[0] if name.strip() else ""
  while name.startswith("./"):
    name = name[2:]
  marker = ROOT_NAME + "/"
  if marker in name:
    name = name[name.index(marker) + len(marker) :]
  return name


def parse_index(text: str) -> list[str]:
  """The sorted, distinct clip paths an index file lists (JPEG files only)."""
  clips = {clip_path(line) for line in text.splitlines()}
  return sorted(c for c in clips if c.lower().endswith(".jpg"))


def video_of(clip: str) -> str:
  """'videos2/.../4632147167.mp4/0003.jpg' -> 'videos2/.../4632147167.mp4'."""
  return clip.rsplit("/", 1)[0] if "/" in clip else ""


def split_videos(
  videos: Iterable[str], max_train_videos: int | None = None
) -> dict[str, list[str]]:
  """The split rule: seeded permutation of the sorted videos, 90% train.

  With a cap n: the first n of the train part, the first n // 10 of the
  test part (the same permutation, so capped splits are parts of the full).
  """
  videos = sorted(set(videos))
  order = np.random.default_rng(SPLIT_SEED).permutation(len(videos))
  shuffled = [videos[i] for i in order]
  num_train = len(videos) * 9 // 10
  train, test = shuffled[:num_train], shuffled[num_train:]
  if max_train_videos is not None:
    train = train[:max_train_videos]
    test = test[: max_train_videos // 10]
  return {"train": sorted(train), "test": sorted(test)}


def select_clips(
  clips: Iterable[str], config: GolfConfig
) -> dict[str, list[str]]:
  """The clips of each split: whole videos per split, capped as configured."""
  by_video: dict[str, list[str]] = {}
  for clip in sorted(set(clips)):
    by_video.setdefault(video_of(clip), []).append(clip)
  splits = split_videos(by_video, config.max_train_videos)
  return {
    name: [
      clip
      for video in videos
      for clip in by_video[video][: config.clips_per_video]
    ]
    for name, videos in splits.items()
  }


def decode_clip(data: bytes, name: str, num_frames: int) -> np.ndarray:
  """Stacked-frames JPEG -> uint8 [num_frames, 64, 64, 3], the first frames."""
  image = video_io.read_image(data, name)
  if image.ndim == 2:
    image = np.repeat(image[..., None], 3, axis=-1)
  image = image[..., :3]
  height, width = image.shape[:2]
  if width != SOURCE_SIZE or height % SOURCE_SIZE or not height:
    raise video_io.CorruptVideoError(
      f"{name}: {width}x{height}; expected 128 wide and a multiple of 128 "
      "tall (frames of 128x128 stacked vertically)."
    )
  if height // SOURCE_SIZE < num_frames:
    raise video_io.CorruptVideoError(
      f"{name}: {height // SOURCE_SIZE} frames; {num_frames} needed."
    )
  frames = image[: num_frames * SOURCE_SIZE].reshape(
    num_frames, SOURCE_SIZE, SOURCE_SIZE, 3
  )
  return video_io.resize(frames, FRAME_SIZE)


def _archive_damaged(archive: str, count: int, error: Exception):
  return video_io.CorruptVideoError(
    f"{archive} is damaged after {count} members ({error}). Delete it from "
    "the TFDS downloads folder and prepare again."
  )


def list_archive_clips(
  members: Iterable[tuple[str, object]], archive: str
) -> list[str]:
  """The sorted clip paths (.jpg members) of an archive; damage raises."""
  clips, count = set(), 0
  try:
    for name, _ in members:
      count += 1
      clip = clip_path(name)
      if clip.lower().endswith(".jpg"):
        clips.add(clip)
  except (tarfile.TarError, OSError, EOFError) as e:
    raise _archive_damaged(archive, count, e) from e
  return sorted(clips)


def stream_clips(
  members: Iterable[tuple[str, object]], wanted: Iterable[str], archive: str
) -> Iterator[tuple[str, bytes | None]]:
  """(clip, JPEG bytes) for the wanted clips, in archive order; then
  (clip, None) for each one the archive lacks. Archive damage raises."""
  missing = set(wanted)
  count = 0
  try:
    for name, fileobj in members:
      count += 1
      clip = clip_path(name)
      if clip in missing:
        missing.discard(clip)
        yield clip, fileobj.read()
  except (tarfile.TarError, OSError, EOFError) as e:
    # A cut .bz2 raises EOFError, a bad block OSError, a bad header TarError.
    raise _archive_damaged(archive, count, e) from e
  for clip in sorted(missing):
    yield clip, None


class Golf(
  video_utils.NumpyVideoDataSourceMixin, tfds.core.GeneratorBasedBuilder
):
  """VGAN's golf (default) and beach clips, 16 frames of 64x64."""

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {
    "1.0.0": "Initial release.",
  }
  BUILDER_CONFIGS = [
    GolfConfig(
      name="golf",
      description="All golf videos, all clips (videovae): ~583k clips.",
      scene="golf",
    ),
    GolfConfig(
      name="beach",
      description="All beach videos, all clips (videovae).",
      scene="beach",
    ),
    GolfConfig(
      name="golf_500",
      description=(
        "One clip of each of 500 random golf train videos (navsynth) and "
        "of 50 test videos."
      ),
      scene="golf",
      max_train_videos=500,
      clips_per_video=1,
    ),
  ]
  DEFAULT_BUILDER_CONFIG_NAME = "golf"

  def _info(self) -> tfds.core.DatasetInfo:
    config = self.builder_config
    return self.dataset_info_from_configs(
      features=tfds.features.FeaturesDict(
        {
          "video": tfds.features.Video(
            shape=(config.num_frames, FRAME_SIZE, FRAME_SIZE, 3),
            encoding_format="png",
          ),
          "scene": tfds.features.ClassLabel(names=list(SCENES)),
          "video_id": tfds.features.Text(),
          "id": tfds.features.Text(),
        }
      ),
      supervised_keys=None,
      homepage="http://www.cs.columbia.edu/~vondrick/tinyvideo/",
    )

  def _split_generators(self, dl_manager: tfds.download.DownloadManager):
    config = self.builder_config
    # The index is fetched by a call of its own (`_index_clips`), so that
    # its absence cannot fail the archive's download.
    downloaded = dl_manager.download({"archive": archive_url(config.scene)})
    archive_path = downloaded["archive"]
    archive = tfds.download.Resource(
      path=archive_path,
      extract_method=tfds.download.ExtractMethod.TAR_STREAM,
    )
    archive_name = f"{config.scene}.tar.bz2 ({archive_path})"
    index_name = f"{config.scene}.txt"
    clips = self._index_clips(dl_manager)
    from_index = bool(clips)
    if not from_index:
      clips = list_archive_clips(dl_manager.iter_archive(archive), archive_name)
      logging.info(
        "golf/%s: %s lists %d clips.", config.name, archive_name, len(clips)
      )
      if not clips:
        raise FileNotFoundError(
          f"{archive_name} holds no .jpg under {ROOT_NAME}/; it is not a "
          "VGAN scene archive. Delete it from the TFDS downloads folder and "
          "prepare again."
        )
      index_name = "the archive's listing"
    splits = select_clips(clips, config)
    wanted = [clip for split in splits.values() for clip in split]
    if len(wanted) <= _MAX_BUFFERED_CLIPS:
      files = dict(
        stream_clips(dl_manager.iter_archive(archive), wanted, archive_name)
      )
      if from_index and not any(data is not None for data in files.values()):
        raise FileNotFoundError(
          f"{archive_name} holds none of the {len(wanted)} clips "
          f"{index_name} lists (e.g. {ROOT_NAME}/{wanted[0]}): it is not the "
          f"archive of that index. Delete both from the TFDS downloads "
          f"folder and prepare again."
        )
      sources = {
        name: ((clip, files[clip]) for clip in split)
        for name, split in splits.items()
      }
    else:
      sources = {
        name: stream_clips(
          dl_manager.iter_archive(archive), split, archive_name
        )
        for name, split in splits.items()
      }
    return {
      name: self._generate_examples(sources[name], name, index_name)
      for name in splits
    }

  def _index_clips(
    self, dl_manager: tfds.download.DownloadManager
  ) -> list[str]:
    """The clips the scene's index lists; [] (logged) if it has none."""
    config = self.builder_config
    url = index_url(config.scene)
    try:
      path = epath.Path(dl_manager.download({"index": url})["index"])
      text = path.read_text() if path.exists() else None
    except (tfds.download.DownloadError, OSError) as e:
      # requests' connection errors are OSErrors too.
      path, text, reason = None, None, f"cannot be downloaded ({e})"
    else:
      reason = f"is absent ({path})"
    clips = parse_index(text) if text is not None else []
    if text is not None and not clips:
      reason = (
        f"lists no .jpg clip ({path}; delete it from the TFDS downloads "
        "folder to fetch it again)"
      )
    if not clips:
      logging.warning(
        "golf/%s: the index %s %s, so the clips are listed from %s.tar.bz2 "
        "itself: one more pass over the archive.",
        config.name,
        url,
        reason,
        config.scene,
      )
    return clips

  def _generate_examples(
    self, source: Iterable[tuple[str, bytes | None]], split: str, index: str
  ):
    config = self.builder_config
    skipped = video_io.SkippedFiles(f"golf/{config.name}", split)
    for clip, data in source:
      if data is None:
        skipped.skip(clip, f"listed in {index} but not in the archive")
        continue
      try:
        video = decode_clip(data, clip, config.num_frames)
      except video_io.CorruptVideoError as e:
        skipped.skip(clip, e)
        continue
      skipped.ok()
      yield (
        clip,
        {
          "video": video_utils.encode_png_frames(video),
          "scene": config.scene,
          "video_id": video_of(clip),
          "id": clip,
        },
      )
    skipped.summary()
    if skipped.seen and len(skipped.skipped) == skipped.seen:
      # An archive that is not the index's; the warnings above name them.
      raise FileNotFoundError(
        f"golf/{config.name}/{split}: none of its {skipped.seen} clips "
        f"could be read from {config.scene}.tar.bz2."
      )
