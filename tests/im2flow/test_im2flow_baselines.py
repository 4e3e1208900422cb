import numpy as np
import pytest

from keras_motion.flow import flow_metrics
from keras_motion.im2flow import MeanFlow, NearestNeighborFlow, motion_potential, resize_flow, tiny_features, zero_flow


def pool(n=12, size=24, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, size, size, 3), dtype=np.uint8)
    flows = rng.normal(0, 3, size=(n, size, size, 2)).astype(np.float32)
    return images, flows


def test_zero_flow_scores_like_zeros():
    images, flows = pool(4)
    pred = zero_flow(images)
    assert pred.shape == (4, 24, 24, 2) and pred.dtype == np.float32 and not pred.any()
    assert zero_flow(images[0]).shape == (24, 24, 2)
    assert flow_metrics(pred, flows) == flow_metrics(np.zeros_like(flows), flows)
    assert flow_metrics(pred, flows)["ds"] == 0.0


def test_mean_flow_equals_numpy_mean_and_streams_batches():
    images, flows = pool(6)
    pred = MeanFlow().fit(flows).predict(images[:2])
    np.testing.assert_allclose(pred, np.broadcast_to(flows.mean(axis=0), pred.shape), rtol=1e-6, atol=1e-6)
    streamed = MeanFlow().fit(iter([flows[:4], flows[4:]])).mean_  # batch by batch gives the same mean
    np.testing.assert_allclose(streamed, flows.mean(axis=0), rtol=1e-6, atol=1e-6)


def test_mean_flow_resizes_and_scales_vectors():
    flows = np.tile(np.array([2.0, 1.0], np.float32), (3, 8, 8, 1))
    pred = MeanFlow().fit(flows).predict(np.zeros((1, 16, 4, 3), np.uint8))
    assert pred.shape == (1, 16, 4, 2)
    np.testing.assert_allclose(pred[0, 5, 2], [1.0, 2.0], rtol=1e-6)  # x halves with the width, y doubles
    with pytest.raises(RuntimeError):
        MeanFlow().predict(np.zeros((1, 8, 8, 3)))


def test_resize_flow_identity_and_batch():
    flow = np.random.default_rng(1).normal(size=(2, 6, 6, 2)).astype(np.float32)
    np.testing.assert_array_equal(resize_flow(flow, (6, 6)), flow)
    assert resize_flow(flow, (12, 3)).shape == (2, 12, 3, 2)


def test_nearest_neighbour_returns_own_flow():
    images, flows = pool(12)
    nn = NearestNeighborFlow().fit(images, flows)
    pred = nn.predict(images[[3, 7, 0]])
    np.testing.assert_array_equal(pred, flows[[3, 7, 0]])
    dist, idx = nn.kneighbors(images[[3, 7]])
    assert idx[:, 0].tolist() == [3, 7] and np.all(dist[:, 0] < 0.05)  # float32 rounding of the self-distance
    # Brightness and contrast changes leave the tiny features unchanged, so the match survives them.
    brighter = np.clip(images[5].astype(np.float32) * 0.5 + 40, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(nn.predict(brighter[None]), flows[5:6])
    np.testing.assert_array_equal(nn.predict(images[5]), flows[5])  # one image in, one map out


def test_nearest_neighbour_k_average():
    images, flows = pool(10)
    nn = NearestNeighborFlow(k=3).fit(images, flows)
    dist, idx = nn.kneighbors(images[:4])
    assert idx.shape == (4, 3) and idx[:, 0].tolist() == [0, 1, 2, 3]
    assert np.all(np.diff(dist, axis=1) >= 0)  # nearest first
    pred = nn.predict(images[:4])
    np.testing.assert_allclose(pred, flows[idx].mean(axis=1), rtol=1e-5, atol=1e-5)
    # The neighbours agree with a brute-force distance matrix.
    feats = tiny_features(images)
    brute = np.linalg.norm(feats[:4, None] - feats[None], axis=-1)
    assert idx.tolist() == np.argsort(brute, axis=1, kind="stable")[:, :3].tolist()


def test_nearest_neighbour_custom_features_and_resized_flow():
    images, flows = pool(6)
    calls = []

    def mean_colour(x):  # a frozen "network": one feature per channel
        calls.append(len(x))
        return x.reshape(len(x), -1, 3).mean(axis=1)

    nn = NearestNeighborFlow(features=mean_colour).fit(images, flows, batch_size=4)
    assert calls == [4, 2]  # features extracted in batches
    # A flat 12×12 image of training image 2's mean colour retrieves it; its 24×24 flow is resized to 12×12.
    query = np.full((1, 12, 12, 3), images[2].reshape(-1, 3).mean(axis=0), np.float32)
    assert nn.kneighbors(query)[1][0, 0] == 2
    pred = nn.predict(query)
    assert pred.shape == (1, 12, 12, 2)
    np.testing.assert_allclose(pred, resize_flow(flows[2:3], (12, 12)), rtol=1e-6)


def test_nearest_neighbour_chunking_matches_one_chunk():
    images, flows = pool(23, size=16, seed=3)
    queries = pool(9, size=16, seed=4)[0]
    one = NearestNeighborFlow(k=2, chunk_size=10_000).fit(images, flows)
    many = NearestNeighborFlow(k=2, chunk_size=3).fit(images, flows)
    d1, i1 = one.kneighbors(queries, batch_size=100)
    d2, i2 = many.kneighbors(queries, batch_size=4)
    assert i1.tolist() == i2.tolist()
    np.testing.assert_allclose(d1, d2, rtol=1e-4)
    np.testing.assert_array_equal(one.predict(queries), many.predict(queries, batch_size=2))


def test_nearest_neighbour_errors():
    images, flows = pool(3)
    with pytest.raises(ValueError, match="features"):
        NearestNeighborFlow(features="alexnet")
    with pytest.raises(ValueError, match="k ="):
        NearestNeighborFlow(k=5).fit(images, flows)
    with pytest.raises(ValueError, match="training flows"):
        NearestNeighborFlow().fit(images, flows[:2])
    with pytest.raises(RuntimeError):
        NearestNeighborFlow().predict(images)


def test_motion_potential_hand_computed():
    flow = np.zeros((4, 4, 2), np.float32)
    flow[0, :2] = (3.0, 4.0)  # two pixels of magnitude 5 → mean 10/16
    assert motion_potential(flow) == pytest.approx(0.625)
    fg = np.zeros((4, 4), bool)
    fg[:1] = True  # a quarter of the image
    assert motion_potential(flow, fg) == pytest.approx(2.5)
    batch = np.stack([flow, 2 * flow])
    scores = motion_potential(batch, np.stack([fg, np.ones((4, 4), bool)]))
    np.testing.assert_allclose(scores, [2.5, 1.25])
    np.testing.assert_allclose(motion_potential(batch, fg), [2.5, 5.0])  # one mask for the batch
    assert np.isnan(motion_potential(flow, np.zeros((4, 4), bool)))
    with pytest.raises(ValueError, match="foreground"):
        motion_potential(flow, np.ones((3, 3), bool))
