"""Keras' own layer harness (`run_layer_test`: config and `.keras` round trips, symbolic and eager calls, training,
mixed precision, tracked weights and seed generators) on every public keras_motion layer, on every backend."""

import numpy as np
import pytest
from keras.src.testing import TestCase

import keras_motion as km

pytestmark = pytest.mark.backend_agnostic

RNG = np.random.default_rng(0)

# name → (layer class, constructor arguments, run_layer_test's expectations).
LAYERS = {
    "ImageScaling": (
        km.models.ImageScaling,
        {},
        dict(
            input_data=RNG.integers(0, 256, (2, 8, 8, 3)).astype("float32"),
            expected_output_shape=(2, 8, 8, 3),
            expected_num_trainable_weights=0,
        ),
    ),
    "BatchNormalization": (
        km.models.BatchNormalization,
        {"momentum": 0.9},
        dict(
            input_shape=(2, 4, 4, 3),
            expected_output_shape=(2, 4, 4, 3),
            expected_num_trainable_weights=2,
            expected_num_non_trainable_weights=2,
        ),
    ),
    "Conv3D": (
        km.models.Conv3D,
        {
            "filters": 4,
            "kernel_size": (3, 1, 1),
            "strides": (2, 1, 1),
            "padding": "same",
            "implementation": "factorized",
        },
        dict(input_shape=(2, 5, 4, 4, 3), expected_output_shape=(2, 3, 4, 4, 4), expected_num_trainable_weights=2),
    ),
    "MotionGRU": (
        km.vre_mra.MotionGRU,
        {"units": 4},
        dict(input_shape=(2, 3, 5), expected_output_shape=(2, 4), expected_num_trainable_weights=3),
    ),
    "VLADEncoder": (
        km.vre_mra.VLADEncoder,
        {"codebook": RNG.normal(size=(3, 2)).astype("float32"), "normalization": "power+l2"},
        dict(
            input_shape=(2, 6, 2),
            expected_output_shape=(2, 6),
            expected_num_trainable_weights=0,
            expected_num_non_trainable_weights=1,
        ),
    ),
    "PseudoMotion": (
        km.mosi.PseudoMotion,
        {"num_frames": 3, "crop_size": 8, "source_size": 12, "seed": 0},
        dict(
            input_data=RNG.integers(0, 256, (2, 14, 16, 3)).astype("float32"),
            expected_output_shape=((18, 3, 8, 8, 3), (18,)),
            expected_num_trainable_weights=0,
            expected_num_seed_generators=1,
            run_training_check=False,
        ),
    ),
}


class _Harness(TestCase):
    def runTest(self):  # unittest needs one to make an instance; the test below drives the harness itself
        pass


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_keras_layer_harness(name):
    cls, init_kwargs, expected = LAYERS[name]
    harness = _Harness()
    harness.setUp()
    try:
        harness.run_layer_test(cls, init_kwargs=init_kwargs, **expected)
    finally:
        harness.tearDown()


def test_every_public_layer_is_in_the_harness():
    import keras

    public = {
        name
        for name, obj in vars(km.models).items()
        if isinstance(obj, type) and issubclass(obj, keras.layers.Layer) and not issubclass(obj, keras.Model)
    }
    public |= {
        name
        for module in (km.vre_mra, km.mosi, km.im2flow, km.pose_from_action)
        for name, obj in vars(module).items()
        if isinstance(obj, type) and issubclass(obj, keras.layers.Layer) and not issubclass(obj, keras.Model)
    }
    assert public == set(LAYERS)
