"""Writes dummy_data/: BAIR's TFRecord layout with 12 drawn sequences.

Run from the repo root:
  python -m tfds_builders.bair.make_dummy_data

The layout and record format are the real ones: files
`softmotion30_44k/{train,test}/traj_<A>_to_<B>.tfrecords`, each record a
`tf.train.Example` of 30 frames with the keys `<t>/image_aux1/encoded` and
`<t>/image_main/encoded` (64x64x3 raw uint8 bytes), `<t>/action` (4 floats)
and `<t>/endeffector_pos` (3 floats). To keep the folder small, files hold
1 or 2 records instead of ~256, named by what they hold (`traj_0_to_1`
holds 2), and are GZIP-compressed (the builder reads both; 30 raw frames
are 369 kB uncompressed). The frames are drawn here (a grey arm pushing a
block over a table), so the repository redistributes none of the BAIR data.

The train file numbers have gaps and start off any grid, as the real ones
do. With VALIDATION_SIZE (6) standing in for the paper's 2304 (the tests
patch the builder's constant), the split rule gives: test 0, 1;
validation 256, 257, 258, 300, 301, 1024; train 1025 (traj_1024_to_1025 is
divided), 5983, 5984, 6239.
"""

from __future__ import annotations

from etils import epath
import numpy as np
import tensorflow as tf

NUM_FRAMES = 30
SIZE = 64
# The dummy data's stand-in for the builder's VALIDATION_SIZE (2304).
VALIDATION_SIZE = 6
# File name -> the sequence numbers its records hold.
FILES = {
  "test/traj_0_to_1.tfrecords": [0, 1],
  "train/traj_256_to_257.tfrecords": [256, 257],
  "train/traj_258_to_258.tfrecords": [258],
  "train/traj_300_to_301.tfrecords": [300, 301],
  "train/traj_1024_to_1025.tfrecords": [1024, 1025],
  "train/traj_5983_to_5984.tfrecords": [5983, 5984],
  "train/traj_6239_to_6239.tfrecords": [6239],
}


def draw_sequence(sequence: int) -> dict[str, np.ndarray]:
  """Frames of both cameras, actions and states of one dummy sequence."""
  rng = np.random.default_rng(sequence)
  yy, xx = np.mgrid[:SIZE, :SIZE]
  table = np.stack(
    [
      170 + 20 * ((xx // 8 + yy // 8) % 2),
      150 + 10 * ((xx // 16) % 2),
      np.full_like(xx, 120),
    ],
    axis=-1,
  ).astype(np.uint8)
  start, end = rng.uniform(12, 52, size=(2, 2))
  block_colour = rng.integers(0, 256, size=3, dtype=np.uint8)
  aux1, main, states = [], [], []
  for t in range(NUM_FRAMES):
    gripper = start + (end - start) * t / (NUM_FRAMES - 1)
    frame = table.copy()
    # The block sits ahead of the gripper, as if pushed.
    by, bx = np.round(gripper + 6).astype(int)
    frame[max(by - 3, 0) : by + 3, max(bx - 3, 0) : bx + 3] = block_colour
    gy, gx = np.round(gripper).astype(int)
    frame[: gy + 2, max(gx - 2, 0) : gx + 2] = 60  # The arm, from the top.
    aux1.append(frame)
    # The second camera: mirrored, with a blue cast.
    main.append(np.clip(frame[:, ::-1] * [0.6, 0.8, 1.2], 0, 255))
    states.append([gripper[1], gripper[0], 0.1 * t])
  return {
    "image_aux1": np.stack(aux1).astype(np.uint8),
    "image_main": np.stack(main).astype(np.uint8),
    "action": rng.normal(size=(NUM_FRAMES, 4)).astype(np.float32),
    "endeffector_pos": np.asarray(states, np.float32),
  }


def to_example(drawn: dict[str, np.ndarray]) -> bytes:
  """Serializes a drawn sequence with BAIR's per-frame feature keys."""
  feature = {}
  for t in range(NUM_FRAMES):
    for camera in ("image_aux1", "image_main"):
      feature[f"{t}/{camera}/encoded"] = tf.train.Feature(
        bytes_list=tf.train.BytesList(value=[drawn[camera][t].tobytes()])
      )
    for key in ("action", "endeffector_pos"):
      feature[f"{t}/{key}"] = tf.train.Feature(
        float_list=tf.train.FloatList(value=drawn[key][t])
      )
  example = tf.train.Example(features=tf.train.Features(feature=feature))
  # Deterministic: map order would otherwise change the bytes each run.
  return example.SerializeToString(deterministic=True)


def write(out: epath.PathLike, compression: str = "GZIP") -> None:
  """Writes the dummy files under out/softmotion30_44k/ (replacing any)."""
  root = epath.Path(out) / "softmotion30_44k"
  if root.exists():
    root.rmtree()  # Files of an older layout would stay otherwise.
  for name, sequences in FILES.items():
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    with tf.io.TFRecordWriter(str(root / name), options=compression) as f:
      for sequence in sequences:
        f.write(to_example(draw_sequence(sequence)))
    print(root / name)


def main() -> None:
  write(epath.Path(__file__).parent / "dummy_data")


if __name__ == "__main__":
  main()
