r"""videovae on Chair-CAD at the paper's setup (sections 5.1, 5.3, App. A.4).

Run:
  python -m video_inference.prepare --dataset=chairs/videovae
  python -m video_inference.main --config=configs/classifier_chairs.py \
      --workdir=runs/classifier_chairs
  python -m video_inference.main --config=configs/videovae_chairs.py \
      --workdir=runs/videovae_chairs
809 chairs, four 16-frame sweeps each, three train and one test. The
attributes are the rotation direction (2) and the tilt, our `elevation`
(2): the joint label has 4 classes (Table 1's bound Inter-E is ln 4 =
1.39). Chair identity has three training clips per chair, too few to infer
(App. A.4), so it is not an attribute and generation always starts from
the test clip's first frame (anchors first_k = 1), as in the paper.
Variant `:tiny` is the 3-step test size (on procedural data).
"""

from video_inference.models.videovae import config as videovae


def get_config(variant: str = ""):
  config = videovae.base_config()
  config.lock()
  videovae.use_attribute_dataset(config, "chairs")
  config.anchors.update(strategy="first_k", first_k=1)
  config.sample.anchor_times = (0,)
  config.train.update(num_steps=100_000, attribute_steps=5_000)
  config.evals.update(num_test_clips=256, num_samples=4)
  config.evals.attribute_scores.update(
      enabled=True, during_training=True,
      classifier_workdir="runs/classifier_chairs")
  videovae.apply_variant(config, variant)
  return config
