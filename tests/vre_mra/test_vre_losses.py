import keras
import numpy as np
import pytest
from conftest import value_and_grad

from keras_motion.vre_mra import (
    contrastive,
    first_order_smoothness,
    neighbour_pairs,
    neighbour_triples,
    second_order_smoothness,
    vre_loss,
)

pytestmark = pytest.mark.backend_agnostic


def number(x):
    return float(keras.ops.convert_to_numpy(x))


def test_first_order_by_hand():
    f = np.array([[0, 0], [3, 4], [0, 0.5], [0, 2]], "float32")
    pos = np.array([[0, 1], [0, 2]])  # distances 5 and 0.5 → mean 2.75
    neg = np.array([[0, 3], [1, 2]])  # distances 2 and |(3, 3.5)| = 4.61 → hinge at δ = 3: 1 and 0 → mean 0.5
    assert number(first_order_smoothness(f, pos, neg, margin=3.0)) == pytest.approx(2.75 + 0.5, abs=1e-5)
    assert number(first_order_smoothness(f, pos, neg, margin=1.0)) == pytest.approx(2.75, abs=1e-5)


def test_second_order_by_hand():
    # Clips 0, 1, 2 of one video move at a constant rate: d̂(0,1) = d̂(1,2) → positive distance 0.
    f = np.array([[0, 0], [1, 0], [2, 0], [1, 0.25]], "float32")
    pos = np.array([[0, 1, 2]])
    neg = np.array([[0, 1, 3]])  # d̂(0,1) = (-1, 0), d̂(1,3) = (0, -0.25) → |(-1, 0.25)| = 1.0308 → hinge at δ = 2
    expected = 0.0 + (2.0 - np.hypot(1.0, 0.25))
    assert number(second_order_smoothness(f, pos, neg, margin=2.0)) == pytest.approx(expected, abs=1e-5)


def test_index_sets_from_the_samplers_and_finite_gradient_at_zero_distance():
    videos, times = [0, 0, 0, 1, 1, 1], [0, 1, 2, 0, 1, 2]
    pos, neg = neighbour_pairs(videos, times, delta_t=10)
    tpos, tneg = neighbour_triples(videos, times, delta_t=10, rng=0)
    f = np.zeros((6, 4), "float32")  # identical features: positives at distance 0, negatives inside the margin

    def loss(x):
        x = x * 1.0  # a dense gradient (TensorFlow's gather gives IndexedSlices)
        return first_order_smoothness(x, pos, neg) + second_order_smoothness(x, tpos, tneg)

    value, grad = value_and_grad(loss, f)
    assert value == pytest.approx(2.0, abs=1e-4) and np.isfinite(grad).all()


def test_vre_loss_weights_the_proxy():
    assert vre_loss(1.0, 2.0, 3.0, 4.0, proxy_weight=0.1) == pytest.approx(1.9)


def test_squared_distance_by_hand():
    # Hadsell et al.'s form: mean(d⁺²) + mean(max(δ − d⁻, 0)²).
    f = np.array([[0, 0], [3, 4], [0, 0.5], [0, 2]], "float32")
    pos = np.array([[0, 1], [0, 2]])  # distances 5 and 0.5 → squares 25 and 0.25 → mean 12.625
    neg = np.array([[0, 3], [1, 2]])  # distances 2 and 4.61 → hinge at δ = 3: 1 and 0 → squared, mean 0.5
    assert number(first_order_smoothness(f, pos, neg, margin=3.0, distance="squared")) == pytest.approx(
        12.625 + 0.5, abs=1e-4
    )
    neg = np.array([[0, 2]])  # distance 0.5 → hinge at δ = 3: 2.5 → squared 6.25
    assert number(first_order_smoothness(f, pos, neg, margin=3.0, distance="squared")) == pytest.approx(
        12.625 + 6.25, abs=1e-4
    )
    g = np.array([[0, 0], [1, 0], [2, 0], [1, 0.25], [3, 0.5]], "float32")
    tpos = np.array([[0, 1, 4]])  # d̂(0,1) = (-1, 0), d̂(1,4) = (-2, -0.5) → |(1, 0.5)|² = 1.25
    tneg = np.array([[0, 1, 3]])  # |(-1, 0.25)| = 1.0308 → hinge at δ = 2: 0.9692 → squared 0.9394
    expected = 1.25 + (2.0 - np.hypot(1.0, 0.25)) ** 2
    assert number(second_order_smoothness(g, tpos, tneg, margin=2.0, distance="squared")) == pytest.approx(
        expected, abs=1e-4
    )


def test_squared_distance_gradient_fades_as_positives_meet():
    pos, neg = np.array([[0, 1]]), np.zeros((0, 2), "int64")

    def pull(gap, distance):
        f = np.array([[0, 0], [gap, 0]], "float32")
        _, grad = value_and_grad(lambda x: first_order_smoothness(x * 1.0, pos, neg, distance=distance), f)
        return float(np.abs(grad).max())

    assert pull(0.5, "euclidean") == pytest.approx(pull(0.01, "euclidean"), rel=1e-3)  # constant force: 1
    assert pull(0.01, "squared") == pytest.approx(0.02, rel=1e-3)  # 2·gap, fading
    with pytest.raises(ValueError, match="distance"):
        contrastive(np.zeros(1), np.zeros(1), distance="cosine")


def test_mixed_precision_features_give_a_float32_loss():
    # A mixed-precision GRU hands float16 features over; the loss is computed and returned in float32.
    f = keras.ops.cast(np.array([[0, 0], [3, 4], [0, 0.5], [0, 2]], "float32"), "float16")
    pos, neg = np.array([[0, 1], [0, 2]]), np.array([[0, 3], [1, 2]])
    loss = first_order_smoothness(f, pos, neg, margin=3.0)
    assert keras.backend.standardize_dtype(loss.dtype) == "float32"
    assert number(loss) == pytest.approx(3.25, abs=1e-3)
    triples = second_order_smoothness(f, np.array([[0, 1, 2]]), np.array([[0, 1, 3]]), margin=2.0)
    assert keras.backend.standardize_dtype(triples.dtype) == "float32"


def test_an_empty_set_adds_nothing_inside_a_traced_step():
    # In a traced step (TensorFlow's fit) a batch's pair sets have an unknown size: an empty one must add 0, not NaN.
    tf = pytest.importorskip("tensorflow")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("traced with unknown shapes on TensorFlow")

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32), tf.TensorSpec([None], tf.float32)])
    def loss(pos, neg):
        return contrastive(pos, neg, margin=1.0)

    assert float(loss(tf.constant([0.5]), tf.zeros([0]))) == pytest.approx(0.5)
    assert float(loss(tf.zeros([0]), tf.constant([0.25]))) == pytest.approx(0.75)
    assert float(loss(tf.zeros([0]), tf.zeros([0]))) == 0.0
