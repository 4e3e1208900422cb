"""R2Plus1D / R2D3D: shapes, serialisation, backbone transfer and freezing; the 2-D form of `Conv3D`; Grad-CAM; the
warm-up cosine schedule."""

import os

import keras
import numpy as np
import pytest
from conftest import value_and_grad

from keras_motion.evaluation import GradCamImages, grad_cam, grad_cam_strip, motion_mass_ratio
from keras_motion.models import R2D3D, Conv3D, R2Plus1D
from keras_motion.schedules import WarmupCosine

TINY = (4, 4, 8, 8, 8)


@pytest.mark.backend_agnostic
@pytest.mark.parametrize("cls, depth", [(R2Plus1D, 10), (R2D3D, 18)])
def test_any_clip_length_and_size(cls, depth):
    net = cls(depth=depth, num_classes=5, filters=TINY)
    for shape in ((2, 2, 16, 16, 3), (1, 3, 16, 24, 3)):
        assert tuple(net(np.zeros(shape, "float32")).shape) == (shape[0], 5)
    features = cls(depth=depth, filters=TINY)
    assert tuple(features(np.zeros((2, 2, 16, 16, 3), "float32")).shape) == (2, 8)


def test_architecture_follows_the_paper():  # paper-size models: TensorFlow only (slow to build on JAX CPU)
    r21d = R2Plus1D(depth=10, num_classes=9)
    kernels = {layer.name: layer.kernel_size for layer in r21d.layers if isinstance(layer, keras.layers.Conv3D)}
    assert kernels["conv1_spatial"] == (1, 7, 7) and kernels["conv1_temporal"] == (3, 1, 1)
    assert kernels["conv5_block0_conv1_spatial"] == (1, 3, 3) and kernels["conv5_block0_conv2_temporal"] == (3, 1, 1)
    assert [r21d.get_layer(f"conv{k}_out").output.shape[-1] for k in range(2, 6)] == [64, 128, 256, 512]
    r2d3d = R2D3D(depth=18, num_classes=9)
    kernels = {layer.name: layer.kernel_size for layer in r2d3d.layers if isinstance(layer, keras.layers.Conv3D)}
    assert kernels["conv1"] == (1, 7, 7) and kernels["conv3_block1_conv1"] == (1, 3, 3)
    assert kernels["conv4_block0_conv1"] == (3, 3, 3) and kernels["conv5_block1_conv2"] == (3, 3, 3)
    assert [r2d3d.get_layer(f"conv{k}_out").output.shape[-1] for k in range(2, 6)] == [64, 128, 256, 256]
    assert r2d3d.get_layer("dropout").rate == 0.5
    assert r2d3d.get_layer("predictions").activation.__name__ == "linear"


@pytest.mark.backend_agnostic
@pytest.mark.parametrize(
    "kernel, strides",
    [
        ((1, 3, 3), (1, 2, 2)),
        ((1, 3, 3), (2, 1, 1)),
        ((3, 1, 1), (2, 1, 1)),
        ((3, 1, 1), (1, 2, 2)),
        ((3, 3, 3), (1, 1, 1)),
        ((3, 3, 3), (2, 2, 2)),
        ((1, 1, 1), (2, 2, 2)),
        ((2, 2, 2), (1, 1, 1)),
        ((3, 7, 7), (1, 2, 2)),
    ],
)
def test_factorized_conv3d_is_conv3d_forward_and_gradients(kernel, strides):
    rng = np.random.default_rng(0)
    # Odd and even sizes: "same" pads the odd element after, and a stride 2 drops the last frame of an even size.
    for shape, padding in (((2, 5, 9, 8, 3), "same"), ((1, 4, 8, 11, 3), "same"), ((1, 5, 9, 8, 3), "valid")):
        x = rng.normal(size=shape).astype("float32")
        factorized = Conv3D(4, kernel, strides=strides, padding=padding, implementation="factorized")
        reference = keras.layers.Conv3D(4, kernel, strides=strides, padding=padding)
        y = keras.ops.convert_to_numpy(factorized(x))
        reference(x)
        reference.set_weights(factorized.get_weights())
        np.testing.assert_allclose(y, keras.ops.convert_to_numpy(reference(x)), atol=1e-5)
        if padding == "same":
            weights = rng.normal(size=y.shape).astype("float32")  # a loss that weighs every output differently
            kernel_value = keras.ops.convert_to_numpy(factorized.kernel)
            value, dx, dk = _loss_and_gradients(factorized.convolution_op, x, kernel_value, weights)
            expected, dx_ref, dk_ref = _loss_and_gradients(reference.convolution_op, x, kernel_value, weights)
            np.testing.assert_allclose(value, expected, rtol=1e-4, atol=1e-3)
            np.testing.assert_allclose(dx, dx_ref, atol=1e-4)
            np.testing.assert_allclose(dk, dk_ref, atol=1e-3)


def _loss_and_gradients(convolution, x, kernel, weights):
    """sum(weights · convolution(x, kernel)) and its gradients with respect to x and to the kernel."""
    value, dx = value_and_grad(lambda v: keras.ops.sum(keras.ops.multiply(convolution(v, kernel), weights)), x)
    _, dk = value_and_grad(lambda k: keras.ops.sum(keras.ops.multiply(convolution(x, k), weights)), kernel)
    return value, dx, dk


def test_factorized_conv3d_of_unknown_length():  # TensorFlow traces with unknown sizes (SavedModel signatures)
    import tensorflow as tf

    for strides in ((1, 1, 1), (2, 2, 2)):
        factorized = Conv3D(4, (3, 3, 3), strides=strides, padding="same", implementation="factorized")
        reference = Conv3D(4, (3, 3, 3), strides=strides, padding="same", implementation="conv3d")
        traced = tf.function(factorized, input_signature=[tf.TensorSpec((None, None, None, None, 3))])
        for shape in ((2, 5, 9, 8, 3), (1, 4, 6, 7, 3)):
            x = np.random.default_rng(1).normal(size=shape).astype("float32")
            factorized(x), reference(x)
            reference.set_weights(factorized.get_weights())
            np.testing.assert_allclose(traced(x).numpy(), reference(x).numpy(), atol=1e-5)


@pytest.mark.backend_agnostic
def test_conv3d_implementation_is_chosen_and_checked():
    layer = Conv3D(2, 3, implementation="auto")
    assert Conv3D.from_config(layer.get_config()).implementation == "auto"
    assert (
        keras.layers.deserialize(keras.layers.serialize(Conv3D(2, 3, implementation="conv3d"))).implementation
        == "conv3d"
    )
    with pytest.raises(ValueError, match="implementation"):
        Conv3D(2, 3, implementation="fast")
    with pytest.raises(ValueError, match="conv must be one of"):
        R2Plus1D(filters=TINY, conv="fast")


@pytest.mark.backend_agnostic
@pytest.mark.parametrize("cls", [R2Plus1D, R2D3D])
def test_conv_forms_share_weights_and_outputs(tmp_path, cls):
    x = np.random.default_rng(2).uniform(0, 255, (2, 5, 18, 17, 3)).astype("float32")
    nets = {conv: cls(num_classes=3, filters=TINY, conv=conv) for conv in ("conv3d", "factorized")}
    path = os.path.join(tmp_path, "net.weights.h5")
    nets["conv3d"].save_weights(path)
    nets["factorized"].load_weights(path)
    outputs = {conv: keras.ops.convert_to_numpy(net(x, training=False)) for conv, net in nets.items()}
    np.testing.assert_allclose(outputs["factorized"], outputs["conv3d"], atol=1e-4)
    assert nets["factorized"].get_config()["conv"] == "factorized"


def test_weights_saved_from_keras_conv3d_layers_load(tmp_path):  # files saved before the 2-D form existed
    def net(conv):
        inputs = keras.Input((None, None, None, 3))
        return keras.Model(inputs, conv(keras.layers.MaxPooling3D(1)(conv(inputs))))

    old = net(lambda x: keras.layers.Conv3D(2, 3, padding="same")(x))
    new = net(lambda x: Conv3D(2, 3, padding="same", implementation="factorized")(x))
    path = os.path.join(tmp_path, "old.weights.h5")  # weights are stored under the layers' class names
    old.save_weights(path)
    new.load_weights(path)
    x = np.random.default_rng(3).normal(size=(1, 4, 6, 6, 3)).astype("float32")
    np.testing.assert_allclose(new(x).numpy(), old(x).numpy(), atol=1e-5)


@pytest.mark.backend_agnostic
@pytest.mark.parametrize("cls, conv", [(R2Plus1D, "auto"), (R2D3D, "auto"), (R2Plus1D, "factorized")])
def test_keras_round_trip(tmp_path, cls, conv):
    net = cls(num_classes=3, filters=TINY, conv=conv)
    x = np.random.default_rng(0).uniform(0, 255, (2, 2, 16, 16, 3)).astype("float32")
    path = os.path.join(tmp_path, "net.keras")
    net.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is cls and loaded.get_config() == net.get_config()
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(x)), keras.ops.convert_to_numpy(net(x)), atol=1e-5)


@pytest.mark.backend_agnostic
def test_transfer_backbone_and_freeze():
    source = R2Plus1D(num_classes=9, filters=TINY)
    target = R2Plus1D(num_classes=4, filters=TINY)
    assert target.transfer_backbone(source) > 10
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(target.get_layer("conv5_block0_conv1_spatial").kernel),
        keras.ops.convert_to_numpy(source.get_layer("conv5_block0_conv1_spatial").kernel),
    )
    target.freeze_stages(3)
    assert not target.get_layer("conv1_spatial").trainable and not target.get_layer("conv3_block0_bn1").trainable
    assert target.get_layer("conv4_block0_bn1").trainable and target.get_layer("predictions").trainable
    with pytest.raises(ValueError, match="no layer"):
        target.transfer_backbone(R2D3D(num_classes=9, filters=TINY))


@pytest.mark.backend_agnostic
def test_grad_cam_maps_and_strip(tmp_path):
    net = R2Plus1D(num_classes=3, filters=TINY, stem="small")
    clips = np.random.default_rng(1).uniform(0, 255, (3, 4, 12, 12, 3)).astype("float32")
    maps, classes = grad_cam(net, clips)
    assert maps.shape == (3, 4, 12, 12) and classes.shape == (3,)
    assert maps.min() >= 0 and np.all(np.isclose(maps.max(axis=(1, 2, 3)), 1) | (maps.max(axis=(1, 2, 3)) == 0))
    fixed, _ = grad_cam(net, clips, class_index=2)
    assert fixed.shape == maps.shape
    assert grad_cam_strip(clips, maps, frames=4).shape == (2 * 3 * 12 + 5 * 2, 4 * 12 + 3 * 2, 3)
    callback = GradCamImages(clips[:2], str(tmp_path), use_tensorboard=False)
    callback.set_model(net)
    assert os.path.exists(callback.write(0))


@pytest.mark.backend_agnostic
def test_motion_mass_ratio():
    maps = np.zeros((2, 1, 4, 4))
    maps[0, 0, :2, :2] = 1.0  # all heat inside a region covering a quarter of the frame
    maps[1] = 1.0  # heat everywhere
    region = np.zeros((2, 4, 4), bool)
    region[:, :2, :2] = True
    np.testing.assert_allclose(motion_mass_ratio(maps, region), [4.0, 1.0])


@pytest.mark.backend_agnostic
def test_warmup_cosine():
    schedule = WarmupCosine(1e-3, total_steps=100, warmup_steps=10)
    values = [float(schedule(s)) for s in (0, 5, 10, 55, 100)]
    np.testing.assert_allclose(values, [1e-4, 5.5e-4, 1e-3, 5e-4, 0.0], atol=1e-9)
    assert WarmupCosine.from_config(schedule.get_config()).get_config() == schedule.get_config()
    with pytest.raises(ValueError):
        WarmupCosine(1e-3, total_steps=10, warmup_steps=20)
