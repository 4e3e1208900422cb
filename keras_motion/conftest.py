"""Doctest set-up (pytest collects the examples of every module): the names every example may use without
importing, and the `backend_agnostic` mark on the examples of the Keras modules, which CI runs on every backend."""

import os

import keras
import numpy as np
import pytest

# Modules whose examples run Keras layers or models: their doctests run on TensorFlow, JAX and PyTorch.
KERAS_MODULES = (
    "models/",
    "schedules.py",
    "mosi/pseudo_motion.py",
    "mosi/model.py",
    "im2flow/unet.py",
    "im2flow/loss.py",
    "vre_mra/vlad.py",
    "vre_mra/motion_gru.py",
    "vre_mra/model.py",
    "vre_mra/losses.py",
    "pose_from_action/verifier.py",
    "im2flow/inference.py",
    "mosi/inference.py",
    "vre_mra/inference.py",
    "pose_from_action/inference.py",
)


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace):
    doctest_namespace.update(np=np, keras=keras)


def pytest_collection_modifyitems(items):
    root = os.path.dirname(os.path.abspath(__file__)) + os.sep
    for item in items:
        path = str(getattr(item, "path", ""))
        if type(item).__name__ == "DoctestItem" and path.startswith(root):
            if path[len(root) :].replace(os.sep, "/").startswith(KERAS_MODULES):
                item.add_marker(pytest.mark.backend_agnostic)
