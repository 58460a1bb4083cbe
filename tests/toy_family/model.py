"""The toy family: the mean training video, plus noise, through the anchors.

Training fits the mean video by L2; `generate` adds `model.noise_scale`
Gaussian noise (none with `deterministic`) and pastes the anchors at their
times. Its own mode, `mean_video`, writes the learned video as a GIF.
"""

from etils import epath
import jax
import jax.numpy as jnp
import optax

from toy_family import networks
from video_inference import visualization
from video_inference.models import base


def write_mean_video(model, variables, config, workdir, step):
  del config
  video = model.network.apply(variables["mean"])
  path = epath.Path(workdir) / "samples" / f"mean_video_step_{step}.gif"
  return [visualization.write_gif(path, video, overwrite=True)]


class ToyModel(base.VideoModel):
  """See the module docstring."""

  name = "toy"
  has_deterministic_mode = True
  extra_modes = {"mean_video": write_mean_video}

  def __init__(self, config):
    super().__init__(config)
    self.network = networks.MeanVideo(
        (self.num_frames, self.resolution, self.resolution, self.channels))
    self.optimizers = {"mean": optax.adam(config.train.learning_rate)}

  def create_state(self, rng):
    return base.initial_state({"mean": self.network.init(rng)},
                              self.optimizers)

  def phases(self):
    return [base.Phase("fit", 0, self.config.train.num_steps,
                       self.train_step)]

  def train_step(self, state, batch, rng):
    del rng

    def loss_fn(params):
      error = jnp.mean((self.network.apply(params) - batch["video"]) ** 2)
      return error, {"loss": error}

    grads, metrics = self.grad(loss_fn, state.params["mean"])
    return base.apply_updates(state, {"mean": grads}, self.optimizers,
                              ("mean",)), metrics

  def generate(self, variables, anchor_video, anchor_mask, rng, num_frames,
               deterministic=False, conditioning=None):
    del conditioning
    mean = self.network.apply(variables["mean"])[:num_frames]
    videos = jnp.broadcast_to(mean, anchor_video.shape)
    if not deterministic:
      noise = jax.random.normal(rng, videos.shape)
      videos = videos + self.config.model.noise_scale * noise
    mask = anchor_mask[:, :, None, None, None]
    return jnp.clip(jnp.where(mask, anchor_video, videos), -1.0, 1.0)
