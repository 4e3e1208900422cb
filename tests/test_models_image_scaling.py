"""ImageScaling and the image models' `rescale=True`: uint8 images in, the same first activations (bit for bit) as
NumPy's `x / 127.5 - 1` outside the model, eager and compiled, on every backend."""

import keras
import numpy as np
import pytest

import keras_motion as km

pytestmark = pytest.mark.backend_agnostic

PIXELS = np.arange(256, dtype=np.uint8).reshape(1, 16, 16, 1).repeat(3, axis=-1)  # every uint8 value


def _numpy_scaling(x):
    return np.asarray(x, np.float32) / 127.5 - 1.0


def _compiled():
    # XLA on TensorFlow and JAX (where a constant or broadcast divisor becomes a multiplication by its reciprocal).
    return "auto" if keras.backend.backend() == "torch" else True


@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_scaling_is_bit_identical_to_numpy_eager_and_compiled(dtype):
    x = PIXELS.astype(dtype)
    if dtype == "float32":
        x = x + np.float32(0.25) * (PIXELS < 255)  # not only integers: floats in 0–255 are taken as they are
    expected = _numpy_scaling(x)
    inputs = keras.Input((16, 16, 3), dtype=dtype)
    model = keras.Model(inputs, km.models.ImageScaling()(inputs))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(model(x)), expected)
    model.compile(loss="mse", jit_compile=_compiled())
    np.testing.assert_array_equal(model.predict(x, verbose=0), expected)


def test_the_layer_computes_in_float32_then_casts_to_its_compute_dtype():
    layer = km.models.ImageScaling(dtype="mixed_bfloat16")
    out = layer(PIXELS.astype("float32"))
    assert keras.backend.standardize_dtype(out.dtype) == "bfloat16"
    expected = keras.ops.cast(keras.ops.cast(_numpy_scaling(PIXELS), "bfloat16"), "float32")
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(keras.ops.cast(out, "float32")), keras.ops.convert_to_numpy(expected)
    )
    layer = km.models.ImageScaling()
    layer(PIXELS)
    assert not layer.weights


TINY = {
    "ResNet2D": lambda **kw: km.models.ResNet2D(depth=10, num_classes=3, base_filters=4, stem="small", **kw),
    "StreamCNN": lambda **kw: km.models.StreamCNN(num_classes=3, width=4, **kw),
    "AlexNetEncoder": lambda **kw: km.models.AlexNetEncoder(
        image_size=16, width=0.05, feature_dim=8, stem="small", dropout=0.0, **kw
    ),
    "VGGMFeatures": lambda **kw: km.models.VGGMFeatures(
        image_size=16, width=0.05, feature_dim=8, stem_stride=1, dropout=0.0, **kw
    ),
    "Im2FlowUNet": lambda **kw: km.im2flow.Im2FlowUNet(image_size=16, base_filters=4, dropout=0.0, **kw),
}


@pytest.mark.parametrize("name", sorted(TINY))
def test_uint8_in_gives_what_scaled_floats_gave_before(name):
    inside, outside = TINY[name](), TINY[name](rescale=False)
    assert isinstance(inside.get_layer("rescale"), km.models.ImageScaling)
    assert not any(isinstance(layer, km.models.ImageScaling) for layer in outside.layers)
    for layer in outside.layers:
        inside.get_layer(layer.name).set_weights(layer.get_weights())
    first = keras.Model(inside.input, inside.get_layer("rescale").output)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(first(PIXELS)), _numpy_scaling(PIXELS))
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(inside(PIXELS, training=False)),
        keras.ops.convert_to_numpy(outside(_numpy_scaling(PIXELS), training=False)),
    )


def test_composite_models_scale_their_images_and_leave_flow_alone():
    verifier = km.pose_from_action.TripletVerifier(
        image_size=16, delta=2, width=0.05, feature_dim=8, hidden=8, stem_stride=1
    )
    assert isinstance(verifier.appearance.get_layer("rescale"), km.models.ImageScaling)
    assert "rescale" not in [layer.name for layer in verifier.motion.layers]  # flow in pixels
    classifier = verifier.classifier(3, hidden=8)
    assert isinstance(classifier.appearance.get_layer("rescale"), km.models.ImageScaling)
    net = km.vre_mra.VisualMotionNet(
        3,
        4,
        image_size=16,
        width=0.05,
        feature_dim=8,
        stem="small",
        motion_units=4,
        motion_hidden=4,
        classifier_hidden=4,
    )
    assert isinstance(net.encoder.get_layer("rescale"), km.models.ImageScaling)
    plain = km.vre_mra.VisualMotionNet(
        3,
        4,
        image_size=16,
        width=0.05,
        feature_dim=8,
        stem="small",
        motion_units=4,
        motion_hidden=4,
        classifier_hidden=4,
        rescale=False,
    )
    assert "rescale" not in [layer.name for layer in plain.encoder.layers]
