"""Single streams and their late fusion (keras_motion.evaluation.recognition): softmax and logits heads alike."""

import keras
import numpy as np
import pytest

from keras_motion.evaluation.recognition import class_probabilities, fit_stream, outputs_logits, recognition_table


def head(activation=None):
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation=activation)])


def separable(n=60, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = (np.eye(4)[y] * 3 + rng.normal(0, 0.3, (n, 4))).astype("float32")
    return x, y


@pytest.mark.parametrize("activation", ["softmax", None])
def test_fit_stream_and_probabilities_for_softmax_and_logits_heads(activation):
    keras.utils.set_random_seed(0)
    model = head(activation)
    assert outputs_logits(model) == (activation is None)
    x, y = separable()
    fit_stream(model, (x, y), separable(30, 1), epochs=10, batch_size=30, learning_rate=0.1, verbose=0)
    probabilities = class_probabilities(model, x)
    np.testing.assert_allclose(probabilities.sum(-1), 1.0, atol=1e-5)
    assert (probabilities.argmax(-1) == y).mean() > 0.9


def test_recognition_table_chooses_the_fusion_weight_on_validation():
    a = np.array([[0.9, 0.1], [0.9, 0.1]])
    b = np.array([[0.4, 0.6], [1.0, 0.0]])
    scores = {"a": (a, a), "b": (b, b)}
    table = recognition_table(scores, [1, 0], [1, 0], [("a+b", "a", "b")])
    assert table["a"]["accuracy"] == 0.5 and table["b"]["accuracy"] == 1.0
    # only a weight above 0.8 on b gets both right; of those, the one closest to an even mix wins
    assert table["a+b"] == {"accuracy": 1.0, "weight": 0.85}
