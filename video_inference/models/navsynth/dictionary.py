"""navsynth's learned dictionary: replay, exchange and interpolation.

The paper's section 4.3: a training video is replayed from its own static
and transient rows; a static row with another video's transient row
exchanges content and motion (Table 3, Fig. 6); z_t interpolated between
two frames fills the frames between them (4.3.3). `--mode=dictionary`
(`write_dictionary_grids`, the family's own mode) writes all three for a
checkpoint.
"""

from __future__ import annotations

from typing import Sequence

from etils import epath
import jax.numpy as jnp
import numpy as np

from video_inference import input_pipeline
from video_inference import sampling
from video_inference import threefry
from video_inference import visualization


def _check_dictionary(model, variables, static_rows, transient_rows):
  if "latents" not in variables:
    raise ValueError(f"The {model.name} family has no learned latent "
                     "dictionary; use `sampling.sample` (anchors or the "
                     "prior).")
  latents = variables["latents"]
  rows = {"static": np.asarray(static_rows, np.int32).reshape(-1),
          "transient": np.asarray(transient_rows, np.int32).reshape(-1)}
  for table, values in rows.items():
    size = latents[table].shape[0]
    bad = values[(values < 0) | (values >= size)]
    if bad.size:
      raise ValueError(f"{table} rows {sorted(set(bad.tolist()))} are out of "
                       f"range: the {table} table has rows 0..{size - 1}.")
  if len(rows["static"]) != len(rows["transient"]):
    raise ValueError(f"Got {len(rows['static'])} static rows but "
                     f"{len(rows['transient'])} transient rows.")
  return rows["static"], rows["transient"]


@threefry.scoped
def sample_dictionary(model, variables, static_rows: Sequence[int],
                      transient_rows: Sequence[int],
                      num_frames: int | None = None) -> np.ndarray:
  """uint8 videos from learned latent rows (navsynth, section 4.3).

  Row i of the output uses static row static_rows[i] and transient row
  transient_rows[i]: the rows of one training video replay it; the static
  row of one video with the transient row of another exchanges their
  content and motion (Table 3).
  """
  static, transient = _check_dictionary(model, variables, static_rows,
                                        transient_rows)
  num_frames = model.num_frames if num_frames is None else num_frames
  sampling.check_request(model, 0, num_frames)
  videos = model.generate_from_rows(variables, jnp.asarray(static),
                                    jnp.asarray(transient), num_frames)
  return visualization.to_uint8(np.asarray(videos))


@threefry.scoped
def interpolate_transient(model, variables, static_row: int,
                          transient_row: int, first: int,
                          last: int) -> np.ndarray:
  """uint8 video [1, N, ...] whose frames first+1..last-1 come from the
  linear interpolation of z_t^first and z_t^last (navsynth 4.3.3)."""
  static, transient = _check_dictionary(model, variables, [static_row],
                                        [transient_row])
  if not 0 <= first < last < model.num_frames or last - first < 2:
    raise ValueError(f"Need 0 <= first < last < {model.num_frames} with at "
                     f"least one frame between; got first={first}, "
                     f"last={last}.")
  videos = model.interpolate(variables, jnp.asarray(static),
                             jnp.asarray(transient), first, last)
  return visualization.to_uint8(np.asarray(videos))


def _exchange_rows(variables, settings) -> tuple[list, list]:
  """Static x transient rows of the exchange grid (navsynth Table 3)."""
  latents = variables["latents"]

  def rows(key, table):
    if key == "shared":
      return [0]
    if key == "index":  # The first videos' own rows.
      return list(range(min(4, latents[table].shape[0])))
    return list(range(latents[table].shape[0]))  # Every class of the label.

  return (rows(settings.static_key, "static"),
          rows(settings.transient_key, "transient"))


def write_dictionary_grids(model, variables, config, workdir,
                           step: int) -> list[str]:
  """Replay, exchange and interpolation from a learned latent dictionary.

  Writes to <workdir>/samples/dictionary_step_<step>/:
  - `replay`: the first `sample.num_anchor_sets` training clips (odd rows)
    above their replay from their own latent rows (even rows);
  - `exchange`: every static row (content) with every transient row
    (motion), static-major: rows s * T + t (navsynth Table 3, Fig. 6), and
    `exchange_table.png`: their middle frames, static rows x transient
    columns;
  - `interpolation`: each replayed clip with frames 2..4 generated from z_t
    interpolated between frames 1 and 5 (section 4.3.3).
  """
  clips = input_pipeline.eval_clips(config, config.sample.num_anchor_sets,
                                    anchor_times=(),
                                    split=config.dataset.train_split)
  directory = epath.Path(workdir) / "samples" / f"dictionary_step_{step}"
  settings = config.model
  static = np.asarray(model.rows(clips, settings.static_key))
  transient = np.asarray(model.rows(clips, settings.transient_key))
  replay = sample_dictionary(model, variables, static, transient)
  real = visualization.to_uint8(clips["video"])
  paired = np.stack([real, replay], axis=1).reshape((-1,) + real.shape[1:])
  written = visualization.save_samples(directory, paired, None, "replay",
                                       overwrite=True)
  static_rows, transient_rows = _exchange_rows(variables, settings)
  grid_static = np.repeat(static_rows, len(transient_rows))
  grid_transient = np.tile(transient_rows, len(static_rows))
  exchange = sample_dictionary(model, variables, grid_static,
                                        grid_transient)
  written += visualization.save_samples(directory, exchange, None,
                                        "exchange", overwrite=True)
  # One picture of the exchange: the middle frame of each video, a row per
  # static row (content) and a column per transient row (motion).
  middle = exchange[:, model.num_frames // 2].reshape(
      (len(static_rows), len(transient_rows)) + exchange.shape[2:])
  written.append(visualization.write_png(
      directory / "exchange_table.png",
      visualization.video_grid(middle, None), overwrite=True))
  last = min(5, model.num_frames - 1)
  interpolated = np.concatenate([
      interpolate_transient(model, variables, int(s), int(t), 1, last)
      for s, t in zip(static, transient)])
  written += visualization.save_samples(directory, interpolated, None,
                                        "interpolation", overwrite=True)
  print(f"Wrote {len(written)} files to {directory}: replay (real above "
        f"replayed), exchange ({len(static_rows)} static x "
        f"{len(transient_rows)} transient rows), interpolation.")
  return written
