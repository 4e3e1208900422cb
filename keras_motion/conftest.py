"""Doctest set-up (pytest --doctest-modules keras_motion): the names every example may use without importing."""

import keras
import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace):
    doctest_namespace.update(np=np, keras=keras)
