"""video_inference: stochastic video inference from anchor frames (JAX/Flax).

Importing the package or any of its modules changes no global state of JAX,
matplotlib, TensorFlow or logging (see threefry.py for the one JAX setting
the library's own calls use).
"""
