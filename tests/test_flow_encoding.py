import numpy as np
import pytest

from keras_motion.flow import (
    decode_im2flow,
    dequantize,
    encode_im2flow,
    hflip_flow,
    hflip_im2flow,
    quantize,
    reverse_flow_stack,
)


def random_flow(shape, scale, seed=0):
    return np.random.default_rng(seed).uniform(-scale, scale, size=shape).astype(np.float32)


def test_im2flow_round_trip_within_max_magnitude():
    flow = random_flow((4, 32, 32, 2), 21.0)  # |f| ≤ 21·√2 < 30
    flow[0, :4, :4] = 0.0  # zero-magnitude pixels
    encoded = encode_im2flow(flow, max_magnitude=30.0)
    assert encoded.shape == (4, 32, 32, 3) and encoded.dtype == np.float32
    assert encoded.min() >= -1.0 and encoded.max() <= 1.0
    assert np.abs(decode_im2flow(encoded, 30.0) - flow).max() <= 1e-4
    np.testing.assert_array_equal(encoded[0, :4, :4, :2], 0.0)
    np.testing.assert_array_equal(encoded[0, :4, :4, 2], -1.0)


def test_im2flow_channels_are_sin_cos_magnitude():
    encoded = encode_im2flow(np.array([[[3.0, 4.0]]]), max_magnitude=10.0)[0, 0]
    np.testing.assert_allclose(encoded, [0.8, 0.6, 2 * 0.5 - 1], atol=1e-6)  # sin = v/M, cos = u/M


def test_im2flow_clips_beyond_max_magnitude_and_keeps_direction():
    flow = np.array([[[60.0, 0.0], [0.0, -45.0]]], np.float32)
    decoded = decode_im2flow(encode_im2flow(flow, 30.0), 30.0)
    np.testing.assert_allclose(decoded, [[[30.0, 0.0], [0.0, -30.0]]], atol=1e-5)


def test_quantize_round_trip_error_bound():
    bound = 20.0
    flow = random_flow((3, 40, 40, 2), bound, seed=1)
    q = quantize(flow, bound)
    assert q.dtype == np.uint8
    assert np.abs(dequantize(q, bound) - flow).max() <= bound / 255 + 1e-6
    assert quantize(np.array([-100.0, 100.0, 0.0]), bound).tolist() == [0, 255, 128]


def test_hflip_negates_u_and_mirrors():
    flow = random_flow((5, 7, 2), 3.0)
    flipped = hflip_flow(flow)
    np.testing.assert_array_equal(flipped[:, ::-1, 0], -flow[..., 0])
    np.testing.assert_array_equal(flipped[:, ::-1, 1], flow[..., 1])
    np.testing.assert_allclose(hflip_im2flow(encode_im2flow(flow)), encode_im2flow(flipped), atol=1e-6)


def test_reverse_flow_stack_reverses_pairs_and_negates():
    stack = random_flow((4, 4, 6), 2.0)
    reversed_ = reverse_flow_stack(stack)
    np.testing.assert_array_equal(reversed_[..., 0:2], -stack[..., 4:6])
    np.testing.assert_array_equal(reversed_[..., 4:6], -stack[..., 0:2])
    np.testing.assert_array_equal(reverse_flow_stack(reversed_), stack)


@pytest.mark.backend_agnostic
def test_encodings_on_backend_tensors_match_numpy():
    from keras import ops

    flow = random_flow((2, 16, 16, 2), 21.0, seed=3)  # |f| < 30: no clipping
    tensor = ops.convert_to_tensor(flow)
    encoded = encode_im2flow(tensor)
    np.testing.assert_allclose(ops.convert_to_numpy(encoded), encode_im2flow(flow), atol=1e-6)
    np.testing.assert_allclose(ops.convert_to_numpy(decode_im2flow(encoded)), flow, atol=1e-4)
    np.testing.assert_array_equal(ops.convert_to_numpy(quantize(tensor)), quantize(flow))
    np.testing.assert_allclose(ops.convert_to_numpy(dequantize(quantize(tensor))), dequantize(quantize(flow)))
    np.testing.assert_allclose(ops.convert_to_numpy(hflip_flow(tensor)), hflip_flow(flow))
    np.testing.assert_allclose(
        ops.convert_to_numpy(hflip_im2flow(encoded)), hflip_im2flow(encode_im2flow(flow)), atol=1e-6
    )
    stack = ops.concatenate([tensor, 2 * tensor], axis=-1)
    np.testing.assert_allclose(
        ops.convert_to_numpy(reverse_flow_stack(stack)), reverse_flow_stack(np.concatenate([flow, 2 * flow], -1))
    )


@pytest.mark.backend_agnostic
def test_encoding_inside_a_keras_model_serialises(tmp_path):
    """The formulas trace symbolically: a Lambda-free layer using them round-trips through .keras."""
    import keras

    from keras_motion.flow.encoding import encode_im2flow as encode

    @keras.saving.register_keras_serializable(package="keras_motion_tests")
    class Encode(keras.layers.Layer):
        def call(self, x):
            return encode(x)

    inputs = keras.Input((8, 8, 2))
    model = keras.Model(inputs, Encode()(inputs))
    flow = random_flow((1, 8, 8, 2), 10.0, seed=4)
    path = tmp_path / "m.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path)
    np.testing.assert_allclose(reloaded.predict(flow, verbose=0), encode_im2flow(flow), atol=1e-6)


def test_decode_keeps_or_renormalises_an_uncertain_direction():
    uncertain = np.array([[[0.0, 0.5, 0.0]]], np.float32)  # cos θ = 0.5: a rightward guess at half confidence
    np.testing.assert_allclose(decode_im2flow(uncertain, 10.0), [[[2.5, 0.0]]], atol=1e-6)
    np.testing.assert_allclose(decode_im2flow(uncertain, 10.0, renormalize=True), [[[5.0, 0.0]]], atol=1e-6)
    assert np.all(decode_im2flow(np.array([[[0.0, 0.0, 1.0]]]), renormalize=True) == 0.0)
