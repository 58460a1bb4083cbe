"""Writes dummy_data/: BAIR's TFRecord layout with 14 drawn sequences.

Run from the repo root:
  python -m tfds_builders.bair.make_dummy_data

The layout and record format are the real ones: files
`softmotion30_44k/{train,test}/traj_<A>_to_<B>.tfrecords`, each record a
`tf.train.Example` of 30 frames with the keys `<t>/image_aux1/encoded` and
`<t>/image_main/encoded` (64x64x3 raw uint8 bytes), `<t>/action` (4 floats)
and `<t>/endeffector_pos` (3 floats). Two things differ, to keep the folder
small: each file holds 1 or 2 records instead of the 256 its name promises,
and the files are GZIP-compressed (the builder reads both; 30 raw frames are
369 kB uncompressed). The frames are drawn here (a grey arm pushing a block
over a table), so the repository redistributes none of the BAIR data.

Sequences: test 0, 1 (test/traj_0_to_255); validation 256, 512, ..., 2304
(the nine files train/traj_256_to_511 .. traj_2304_to_2559, one record
each); train 2560, 2561 and 2816.
"""

from __future__ import annotations

from etils import epath
import numpy as np
import tensorflow as tf

NUM_FRAMES = 30
SIZE = 64
# File name -> the sequence numbers its records hold.
FILES = {
  "test/traj_0_to_255.tfrecords": [0, 1],
  **{
    f"train/traj_{a}_to_{a + 255}.tfrecords": [a] for a in range(256, 2560, 256)
  },
  "train/traj_2560_to_2815.tfrecords": [2560, 2561],
  "train/traj_2816_to_3071.tfrecords": [2816],
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
  """Writes the dummy files under out/softmotion30_44k/."""
  root = epath.Path(out) / "softmotion30_44k"
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
