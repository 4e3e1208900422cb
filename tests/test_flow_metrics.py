import numpy as np
import pytest

from keras_motion.errors import FlowError
from keras_motion.flow import flow_metrics, flow_to_color


def rng_flow(shape, seed=0):
    return np.random.default_rng(seed).normal(0, 3, size=shape).astype(np.float32)


def test_perfect_and_negated_predictions():
    true = rng_flow((3, 24, 24, 2))
    perfect = flow_metrics(true, true)
    assert perfect == pytest.approx({"epe": 0.0, "ds": 1.0, "os": 1.0}, abs=1e-6)
    negated = flow_metrics(-true, true)
    assert negated["ds"] == pytest.approx(-1.0, abs=1e-6) and negated["os"] == pytest.approx(1.0, abs=1e-6)
    assert negated["epe"] == pytest.approx(2 * np.linalg.norm(true, axis=-1).mean(), rel=1e-5)


def test_orthogonal_and_zero_vectors():
    true = np.tile(np.array([1.0, 0.0], np.float32), (4, 4, 1))
    ortho = np.tile(np.array([0.0, 2.0], np.float32), (4, 4, 1))
    m = flow_metrics(ortho, true)
    assert m["ds"] == pytest.approx(0.0) and m["os"] == pytest.approx(0.0)
    assert m["epe"] == pytest.approx(np.sqrt(5.0))
    zero = flow_metrics(np.zeros_like(true), true)  # no direction predicted → DS = OS = 0, by definition
    assert zero["ds"] == 0.0 and zero["os"] == 0.0 and zero["epe"] == pytest.approx(1.0)


def test_regions_edges_and_foreground():
    true = np.zeros((32, 32, 2), np.float32)
    pred = true.copy()
    pred[8:24, 8:24] = (3.0, 4.0)  # error only inside the square
    image = np.zeros((32, 32, 3), np.uint8)
    image[8:24, 8:24] = 255  # edges on the square's border, which lies inside the error region
    fg = np.zeros((32, 32), bool)
    fg[8:24, 8:24] = True
    m = flow_metrics(pred, true, image=image, foreground=fg)
    assert m["epe_fg"] == pytest.approx(5.0)
    assert m["epe"] == pytest.approx(5.0 * 256 / 1024)
    assert 0 < m["epe_edges"] <= 5.0
    assert set(m) == {f"{a}{b}" for a in ("epe", "ds", "os") for b in ("", "_edges", "_fg")}


def test_batches_average_per_image_and_unreduced():
    true = rng_flow((2, 8, 8, 2))
    pred = true.copy()
    pred[1] += 1.0
    per_image = flow_metrics(pred, true, reduce=False)["epe"]
    np.testing.assert_allclose(per_image, [0.0, np.sqrt(2)], atol=1e-6)
    assert flow_metrics(pred, true)["epe"] == pytest.approx(np.sqrt(2) / 2)


def test_nan_flow_is_a_clear_error():
    bad = rng_flow((8, 8, 2))
    bad[0, 0, 0] = np.nan
    with pytest.raises(FlowError, match="NaN"):
        flow_metrics(bad, rng_flow((8, 8, 2)))
    with pytest.raises(FlowError, match="shape"):
        flow_metrics(np.zeros((8, 8, 3)), np.zeros((8, 8, 3)))


def test_flow_to_color_wheel():
    assert flow_to_color(np.zeros((2, 2, 2))).tolist() == [[[255, 255, 255]] * 2] * 2
    right = flow_to_color(np.array([[[1.0, 0.0]]]), max_magnitude=1.0)[0, 0]
    left = flow_to_color(np.array([[[-1.0, 0.0]]]), max_magnitude=1.0)[0, 0]
    assert right[0] == 255 and right[2] == 0  # Middlebury: rightward motion is red...
    assert left[2] > left[0]  # ...leftward motion is cyan-blue
    down = flow_to_color(np.array([[[0.0, 1.0]]]), max_magnitude=1.0)[0, 0]
    assert down[0] == 255 and down[1] > 200 and down[2] == 0  # ...downward motion is yellow-orange
    batch = flow_to_color(rng_flow((3, 5, 5, 2)))
    assert batch.shape == (3, 5, 5, 3) and batch.dtype == np.uint8
