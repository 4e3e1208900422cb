import keras
import numpy as np
import pytest

from keras_motion.vre_mra import VLADEncoder

pytestmark = pytest.mark.backend_agnostic


def reference_vlad(x, mask, codebook):
    """Direct NumPy: for every descriptor, its nearest centre, and the residual added to that centre's sum."""
    out = np.zeros((len(x),) + codebook.shape, np.float64)
    for b in range(len(x)):
        for n in range(x.shape[1]):
            if mask[b, n]:
                k = np.argmin(((codebook - x[b, n]) ** 2).sum(-1))
                out[b, k] += x[b, n] - codebook[k]
    return out.reshape(len(x), -1)


def test_equals_numpy_residual_sums_on_random_data():
    rng = np.random.default_rng(0)
    codebook = rng.normal(size=(7, 2)).astype("float32") * 3
    x = rng.normal(size=(3, 50, 2)).astype("float32") * 3
    mask = rng.random((3, 50)) < 0.7
    got = keras.ops.convert_to_numpy(VLADEncoder(codebook)(x, mask=mask))
    np.testing.assert_allclose(got, reference_vlad(x, mask, codebook), atol=1e-4)
    # No mask = every descriptor counts; a (B, H, W, 2) flow map is the same set as (B, H·W, 2).
    flow = x.reshape(3, 5, 10, 2)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(VLADEncoder(codebook)(flow)),
        reference_vlad(x, np.ones((3, 50), bool), codebook),
        atol=1e-4,
    )


def test_normalisations():
    rng = np.random.default_rng(1)
    codebook = rng.normal(size=(4, 2)).astype("float32")
    x = rng.normal(size=(2, 30, 2)).astype("float32") * 2
    raw = reference_vlad(x, np.ones((2, 30), bool), codebook)
    power = np.sign(raw) * np.sqrt(np.abs(raw))
    got = keras.ops.convert_to_numpy(VLADEncoder(codebook, normalization="power+l2")(x))
    np.testing.assert_allclose(got, power / np.linalg.norm(power, axis=1, keepdims=True), atol=1e-5)
    intra = keras.ops.convert_to_numpy(VLADEncoder(codebook, normalization=("intra",))(x)).reshape(2, 4, 2)
    norms = np.linalg.norm(intra, axis=-1)
    assert np.allclose(norms[norms > 0], 1.0, atol=1e-5)
    with pytest.raises(ValueError, match="normalisation"):
        VLADEncoder(codebook, normalization="l3")


def test_masked_out_set_gives_zeros_and_codebook_is_frozen():
    codebook = np.array([[0.0, 0.0], [4.0, 0.0]], "float32")
    layer = VLADEncoder(codebook)
    out = layer(np.ones((2, 6, 2), "float32"), mask=np.zeros((2, 6)))
    assert np.all(keras.ops.convert_to_numpy(out) == 0)
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 1


def test_keras_round_trip_in_a_model(tmp_path):
    rng = np.random.default_rng(2)
    codebook = rng.normal(size=(5, 2)).astype("float32")
    inputs = keras.Input((8, 8, 2))
    model = keras.Model(inputs, VLADEncoder(codebook, normalization="intra+l2")(inputs))
    x = rng.normal(size=(2, 8, 8, 2)).astype("float32")
    model.save(tmp_path / "vlad.keras")
    restored = keras.saving.load_model(tmp_path / "vlad.keras")
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    assert restored.layers[-1].get_config()["normalization"] == "intra+l2"


def test_gradient_with_respect_to_descriptors():
    """The assignment is piecewise constant, so d(r · VLAD)/dx_n = r[k(n)] for a kept descriptor and 0 for a
    masked one (TensorFlow's fast path supplies this gradient itself)."""
    from conftest import value_and_grad

    rng = np.random.default_rng(3)
    codebook = rng.normal(size=(6, 2)).astype("float32") * 2
    x = rng.normal(size=(2, 40, 2)).astype("float32") * 2
    mask = rng.random((2, 40)) < 0.6
    weights = rng.normal(size=(2, 6 * 2)).astype("float32")
    layer = VLADEncoder(codebook)
    layer(x, mask=mask)  # build outside the differentiated function
    _, grad = value_and_grad(lambda v: keras.ops.sum(keras.ops.multiply(layer(v, mask=mask), weights)), x)
    nearest = ((x[:, :, None] - codebook) ** 2).sum(-1).argmin(-1)
    expected = weights.reshape(2, 6, 2)[np.arange(2)[:, None], nearest] * mask[..., None]
    np.testing.assert_allclose(grad, expected, atol=1e-5)


def test_traced_call_equals_eager_call():
    """A model's traced call equals the eager one (on TensorFlow both search only the valid descriptors; under XLA,
    tested below, and JAX all are searched and the invalid ones masked after)."""
    rng = np.random.default_rng(4)
    codebook = rng.normal(size=(9, 2)).astype("float32")
    x = rng.normal(size=(3, 64, 2)).astype("float32")
    mask = rng.random((3, 64)) < 0.3
    layer = VLADEncoder(codebook, normalization="power+l2")
    descriptors, valid = keras.Input((64, 2)), keras.Input((64,), dtype="bool")
    model = keras.Model([descriptors, valid], layer(descriptors, mask=valid))
    np.testing.assert_allclose(
        model.predict_on_batch([x, mask]), keras.ops.convert_to_numpy(layer(x, mask=mask)), atol=1e-5
    )


def test_compiles_with_xla_on_tensorflow():
    """Keras compiles models with XLA on a TensorFlow GPU by default: the traced path must hold XLA-able ops only."""
    if keras.backend.backend() != "tensorflow":
        pytest.skip("XLA through tf.function is the TensorFlow backend's")
    import tensorflow as tf

    rng = np.random.default_rng(5)
    layer = VLADEncoder(rng.normal(size=(8, 2)).astype("float32"))
    x, mask = rng.normal(size=(2, 50, 2)).astype("float32"), rng.random((2, 50)) < 0.5
    compiled = tf.function(lambda a, b: layer(a, mask=b), jit_compile=True)
    np.testing.assert_allclose(compiled(x, mask).numpy(), layer(x, mask=mask).numpy(), atol=1e-5)
