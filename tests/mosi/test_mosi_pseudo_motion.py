"""PseudoMotion: labels match the measured motion (flips included), static masks, tf.data vs on device, bad input."""

import os

import keras
import numpy as np
import pytest

from keras_motion.mosi import PseudoMotion, label_pool

pytestmark = pytest.mark.backend_agnostic


@pytest.fixture(scope="module")
def photos():
    data = pytest.importorskip("skimage.data")
    from keras_motion.mosi import source_square

    return np.stack([source_square(p, 64) for p in (data.astronaut(), data.coffee(), data.chelsea(), data.rocket())])


def numpy_of(x):
    if type(x).__module__.startswith("tensorflow"):  # tf.data output under any backend
        return x.numpy()
    return np.asarray(keras.ops.convert_to_numpy(x))


def measured_shift(a, b, radius=9):
    """Integer displacement (u, v) of the content from patch a to patch b, by exhaustive block matching:
    b(i, j) ≈ a(i − v, j − u) over their overlap (a feature at column j in a is at column j + u in b)."""
    best, arg = np.inf, None
    h, w = a.shape[:2]
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            ys, xs = slice(max(0, -dy), min(h, h - dy)), slice(max(0, -dx), min(w, w - dx))
            if (ys.stop - ys.start) < 6 or (xs.stop - xs.start) < 6:
                continue
            ya, xa = slice(ys.start + dy, ys.stop + dy), slice(xs.start + dx, xs.stop + dx)
            err = np.mean((b[ys, xs] - a[ya, xa]) ** 2)
            if err < best:
                best, arg = err, (-dx, -dy)
    return arg


def test_label_pool():
    assert label_pool(2, "xy") == [(-2, 0), (-1, 0), (0, 0), (1, 0), (2, 0), (0, -2), (0, -1), (0, 1), (0, 2)]
    assert len(label_pool(2, "x")) == 5 and all(y == 0 for _, y in label_pool(2, "x"))
    assert len(label_pool(3, "y")) == 7 and all(x == 0 for x, _ in label_pool(3, "y"))
    gen = PseudoMotion(speeds=3)
    assert gen.num_classes == 13 and gen.label_pool == label_pool(3, "xy")


def test_every_label_moves_as_labelled_with_flips(photos):
    """Measured displacement of the content inside the moving square, per consecutive frame pair: the label's
    direction (window right = content left) and speed; outside the square every frame is the background frame; and
    every clip equals a NumPy reconstruction from the source *flipped before generation*."""
    n, crop, ls = 6, 32, 64
    gen = PseudoMotion(
        num_frames=n, crop_size=crop, source_size=ls, mask_size=0.6, color_jitter=None, grayscale=0.0, seed=3
    )
    batch = np.concatenate([photos, photos])  # 8 images: both flip outcomes occur
    clips, labels, params = gen.generate(batch, training=True, return_params=True)
    clips, labels = numpy_of(clips), numpy_of(labels)
    p = {k: numpy_of(v) for k, v in params.items() if k not in ("height", "width")}
    assert clips.shape == (8 * 9, n, crop, crop, 3) and labels.tolist() == list(range(9)) * 8
    assert 0 < p["flipped"].sum() < 8
    side = int(round(0.6 * crop))
    per_label = {k: [] for k in range(9)}
    for b in range(8):
        source = batch[b][:, ::-1] if p["flipped"][b] else batch[b]
        for c in range(9):
            clip = clips[b * 9 + c]
            top, left, q = p["mask_top"][b, c], p["mask_left"][b, c], p["background_frame"][b, c]
            assert p["mask_side"][b, c] == side
            inside = np.zeros((crop, crop), bool)
            inside[top : top + side, left : left + side] = True
            rows, cols = p["rows"][b, c], p["cols"][b, c]
            for t in range(n):  # exact reconstruction: moving square from frame t, the rest from frame q
                window = source[rows[t] : rows[t] + crop, cols[t] : cols[t] + crop]
                background = source[rows[q] : rows[q] + crop, cols[q] : cols[q] + crop]
                np.testing.assert_array_equal(clip[t], np.where(inside[..., None], window, background))
                np.testing.assert_array_equal(clip[t][~inside], clip[q][~inside])
            patches = clip[:, top : top + side, left : left + side].astype(np.float64)
            per_label[c] += [measured_shift(patches[t], patches[t + 1]) for t in range(n - 1)]
    step = (ls - crop) / gen.speeds / (n - 1)  # px per frame at speed 1
    for c, (x, y) in enumerate(gen.label_pool):
        dx, dy = np.mean(per_label[c], axis=0)
        # The window moves by (x, y)·step per frame, so the content moves the other way.
        assert dx == pytest.approx(-x * step, abs=0.25) and dy == pytest.approx(-y * step, abs=0.25), (x, y, dx, dy)
    fast, slow = np.mean(per_label[4], axis=0)[0], np.mean(per_label[3], axis=0)[0]
    assert fast / slow == pytest.approx(2.0, abs=0.15)


def test_unmasked_inference_is_centred_and_static_label_is_static(photos):
    gen = PseudoMotion(num_frames=4, crop_size=32, source_size=64, mask_size=None, seed=0)
    clips, _, params = gen.generate(photos[:1], training=False, return_params=True)
    clips = numpy_of(clips)
    static = gen.label_pool.index((0, 0))
    assert np.all(clips[static] == clips[static][0])
    np.testing.assert_array_equal(clips[static][0], photos[0][16:48, 16:48])  # centred start, no flip, no jitter
    assert not numpy_of(params["flipped"]).any()
    assert np.all(numpy_of(params["cols"])[0, 0] == [32, 21, 11, 0])  # (−2, 0): the whole span, right to left


def test_tf_data_matches_on_device(photos):
    """The TensorFlow path inside tf.data equals the keras.ops path exactly where nothing is random, and has the
    same statistics (per-label motion energy, colour moments) where everything is."""
    tf = pytest.importorskip("tensorflow")
    exact = PseudoMotion(num_frames=4, crop_size=32, source_size=64, mask_size=None, color_jitter=None, seed=0)
    device, _ = exact(photos, training=False)
    ds = tf.data.Dataset.from_tensor_slices(photos).batch(4).map(lambda x: exact(x, training=False))
    ((graph, labels),) = list(ds)
    np.testing.assert_array_equal(numpy_of(device), graph.numpy())
    assert labels.numpy().tolist() == list(range(9)) * 4

    gen = PseudoMotion(num_frames=4, crop_size=24, source_size=48, seed=1)
    images = np.concatenate([photos[:, ::2, ::2]] * 4)  # 16 images, 144 clips per path
    on_device, dev_labels = gen(images)
    in_data = list(tf.data.Dataset.from_tensor_slices(images).batch(16).map(gen))[0]
    stats = []
    for clips, labels in ((numpy_of(on_device), numpy_of(dev_labels)), (in_data[0].numpy(), in_data[1].numpy())):
        energy = np.abs(np.diff(clips, axis=1)).mean(axis=(1, 2, 3, 4))
        stats.append(
            dict(mean=clips.mean(), std=clips.std(), energy=np.array([energy[labels == k].mean() for k in range(9)]))
        )
    assert stats[0]["mean"] == pytest.approx(stats[1]["mean"], rel=0.1)
    assert stats[0]["std"] == pytest.approx(stats[1]["std"], rel=0.1)
    np.testing.assert_allclose(stats[0]["energy"], stats[1]["energy"], rtol=0.4)


def test_tf_data_is_deterministic_with_a_seed(photos):
    tf = pytest.importorskip("tensorflow")
    gen = PseudoMotion(num_frames=4, crop_size=16, source_size=32, seed=5)
    ds = tf.data.Dataset.from_tensor_slices(photos).batch(2).map(gen)
    first, second = [c.numpy() for c, _ in ds], [c.numpy() for c, _ in ds]
    np.testing.assert_array_equal(first[0], second[0])
    a, _ = PseudoMotion(num_frames=4, crop_size=16, source_size=32, seed=5)(photos)
    b, _ = PseudoMotion(num_frames=4, crop_size=16, source_size=32, seed=5)(photos)
    np.testing.assert_array_equal(numpy_of(a), numpy_of(b))


def test_any_size_and_grayscale(photos):
    gen = PseudoMotion(num_frames=3, crop_size=16, source_size=32, seed=0)
    for images in (
        np.zeros((2, 50, 90, 3), np.uint8),
        np.zeros((2, 90, 50, 1), np.uint8),
        np.zeros((2, 10, 12, 3), np.float32),
        np.zeros((20, 40), np.uint8),
        photos[0],
    ):
        clips, labels = gen(images)
        batch = 1 if images.ndim < 4 else len(images)
        assert tuple(clips.shape) == (9 * batch, 3, 16, 16, 3) and tuple(labels.shape) == (9 * batch,)
    gray = numpy_of(gen(photos[:1, ..., :1], training=False)[0])
    assert np.all(gray[..., 0] == gray[..., 1]) and np.all(gray[..., 1] == gray[..., 2])


def test_bad_input_is_explained():
    gen = PseudoMotion(num_frames=3, crop_size=16, source_size=32)
    with pytest.raises(ValueError, match="channels"):
        gen(np.zeros((2, 40, 40, 4), np.uint8))
    with pytest.raises(ValueError, match="rank"):
        gen(np.zeros((2, 3, 40, 40, 3), np.uint8))
    with pytest.raises(ValueError, match="empty"):
        gen(np.zeros((0, 40, 40, 3), np.uint8))
    with pytest.raises(ValueError, match="channel axis"):
        gen(np.zeros((5, 40, 40), np.uint8))
    with pytest.raises(ValueError, match="source_size"):
        PseudoMotion(crop_size=64, source_size=32)
    with pytest.raises(ValueError, match="mask_size"):
        PseudoMotion(mask_size=(0.5, 0.3))


def test_serialises_in_a_saved_model(tmp_path, photos):
    from keras_motion.models import R2Plus1D
    from keras_motion.mosi import pseudo_motion_classifier

    gen = PseudoMotion(num_frames=4, crop_size=16, source_size=32, mask_size=None, axes="x", speeds=1, seed=2)
    config = gen.get_config()
    assert PseudoMotion.from_config(config).get_config() == config
    model = pseudo_motion_classifier(gen, R2Plus1D(num_classes=gen.num_classes, filters=(4, 4, 4, 4, 4)))
    path = os.path.join(tmp_path, "pretext.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    x = photos[:2]
    np.testing.assert_allclose(numpy_of(loaded(x, training=False)), numpy_of(model(x, training=False)), atol=1e-5)
