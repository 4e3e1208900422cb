import keras
import numpy as np
import pytest
from conftest import value_and_grad
from keras import ops

from keras_motion.flow import encode_im2flow
from keras_motion.im2flow import Im2FlowLoss, magnitude_weighted
from keras_motion.models.resnet import ResNet2D

pytestmark = pytest.mark.backend_agnostic


def encoded_pair(seed=0, shape=(2, 8, 8, 2)):
    rng = np.random.default_rng(seed)
    y_true = encode_im2flow(rng.normal(0, 8, shape).astype(np.float32))
    y_pred = np.tanh(rng.normal(0, 1, shape[:-1] + (3,))).astype(np.float32)
    return y_true, y_pred


def test_magnitude_weighting_scales_sin_cos_gradients_only():
    y_true, y_pred = encoded_pair()
    plain = Im2FlowLoss(magnitude_weighting=False)
    weighted = Im2FlowLoss(magnitude_weighting=True)
    v_plain, g_plain = value_and_grad(lambda p: plain(y_true, p), y_pred)
    v_weighted, g_weighted = value_and_grad(lambda p: weighted(y_true, p), y_pred)
    assert v_weighted == pytest.approx(v_plain, rel=1e-6)  # the forward value is unchanged
    w = (y_true[..., 2:3] + 1) / 2
    np.testing.assert_allclose(g_weighted[..., :2], g_plain[..., :2] * w, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(g_weighted[..., 2], g_plain[..., 2], rtol=1e-5, atol=1e-8)
    assert not np.allclose(g_weighted, g_plain)


def test_magnitude_weighted_value_is_identity():
    y_true, y_pred = encoded_pair(1)
    out = ops.convert_to_numpy(magnitude_weighted(ops.convert_to_tensor(y_true), ops.convert_to_tensor(y_pred)))
    np.testing.assert_allclose(out, y_pred, atol=1e-6)


def test_pixel_loss_is_mean_squared_error_and_content_adds_lambda_term():
    y_true, y_pred = encoded_pair(2)
    pixel_only = float(Im2FlowLoss(content_network=None)(y_true, y_pred))
    assert pixel_only == pytest.approx(np.mean((y_pred - y_true) ** 2), rel=1e-5)

    phi = ResNet2D(depth=10, num_classes=3, base_filters=4, stem="small", rescale=False).stage_features(2)
    lam = 0.5
    with_content = float(Im2FlowLoss(content_network=phi, content_weight=lam)(y_true, y_pred))
    f_true = ops.convert_to_numpy(phi(y_true, training=False))
    f_pred = ops.convert_to_numpy(phi(y_pred, training=False))
    assert with_content == pytest.approx(pixel_only + lam * np.mean((f_pred - f_true) ** 2), rel=1e-4)
    switched_off = float(Im2FlowLoss(content_network=phi, content_weight=0.0)(y_true, y_pred))
    assert switched_off == pytest.approx(pixel_only, rel=1e-6)
    assert not phi.trainable  # the loss never trains φ


def test_loss_config_round_trip():
    phi = ResNet2D(depth=10, num_classes=3, base_filters=4, stem="small", rescale=False).stage_features(2)
    loss = Im2FlowLoss(content_network=phi, content_weight=0.02, magnitude_weighting=False)
    restored = Im2FlowLoss.from_config(loss.get_config())
    assert restored.content_weight == 0.02 and restored.magnitude_weighting is False
    assert restored.content_network.output.shape == phi.output.shape
    assert keras.losses.deserialize(keras.losses.serialize(Im2FlowLoss())).content_network is None
