"""video_inference: stochastic video inference from anchor frames (JAX/Flax)."""

import jax as _jax

# With jax 0.10 on CPU, XLA compiles each partitionable threefry draw in ~3 s
# (0.4 s without), which dominated start-up and the test suite. Our states
# are replicated and batches are small, so the partitionable layout buys
# nothing; the values of a key's stream are the same on any number of devices
# either way.
_jax.config.update("jax_threefry_partitionable", False)
