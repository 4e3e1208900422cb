"""Issue 14, class 10: `PseudoMotion(training=False)` is a fixed rule — the same clips on every call and on every
backend (this module runs under TensorFlow, JAX and PyTorch) — while training stays random and its stream is as it
was (an inference call still advances it by one draw)."""

import math

import keras
import numpy as np
import pytest

from keras_motion.mosi import PseudoMotion

pytestmark = pytest.mark.backend_agnostic


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


@pytest.fixture(scope="module")
def images():
    # At the source size already (short side 32), so no resize: the clips are pure gathers, exact on every backend.
    return np.random.default_rng(3).integers(0, 256, (2, 32, 40, 3), dtype=np.uint8)


def test_inference_is_the_documented_fixed_rule(images):
    n, crop, ls = 6, 16, 32
    gen = PseudoMotion(num_frames=n, crop_size=crop, source_size=ls, mask_size=(0.3, 0.5), seed=7)
    clips, labels, params = gen.generate(images, training=False, return_params=True)
    clips, p = _np(clips), {k: _np(v) for k, v in params.items()}
    side = round(0.4 * crop)  # the middle of the mask_size range
    assert (p["mask_side"] == side).all() and (p["background_frame"] == n // 2).all()
    assert (p["mask_top"] == (crop - side + 1) // 2).all() and (p["mask_left"] == (crop - side + 1) // 2).all()
    assert not p["flipped"].any() and (p["top"] == 0).all() and (p["left"] == math.floor(0.5 * (40 - ls + 1))).all()
    pool = np.array(gen.label_pool, np.float32)
    distance = (ls - crop) * pool / gen.speeds
    start = 0.5 * ((ls - crop) - np.abs(distance)) + np.maximum(0.0, -distance)  # each window path centred
    pos = np.clip(np.round(start[:, None] + distance[:, None] * np.linspace(0, 1, n)[None, :, None]), 0, ls - crop)
    assert (p["cols"] == pos[None, ..., 0]).all() and (p["rows"] == pos[None, ..., 1]).all()
    # Every clip rebuilt in NumPy from the rule: window at (row, col) of frame t inside the mask, frame n // 2 outside.
    inside = np.zeros((crop, crop), bool)
    m = (crop - side + 1) // 2
    inside[m : m + side, m : m + side] = True
    for b in range(len(images)):
        source = images[b, :, p["left"][b] : p["left"][b] + ls].astype(np.float32)
        for c in range(gen.num_classes):
            windows = [source[r : r + crop, k : k + crop] for r, k in zip(p["rows"][b, c], p["cols"][b, c])]
            for t in range(n):
                expected = np.where(inside[..., None], windows[t], windows[n // 2])
                np.testing.assert_array_equal(clips[b * gen.num_classes + c, t], expected)
    assert _np(labels).tolist() == list(range(gen.num_classes)) * 2


def test_inference_calls_repeat_and_training_stream_is_kept(images):
    gen = PseudoMotion(num_frames=4, crop_size=16, source_size=32, seed=1)
    first, second = (_np(gen(images, training=False)[0]) for _ in range(2))
    np.testing.assert_array_equal(first, second)
    other_seed = PseudoMotion(num_frames=4, crop_size=16, source_size=32, seed=2)
    np.testing.assert_array_equal(first, _np(other_seed(images, training=False)[0]))
    # An inference call takes one draw of the stream, as before: train, infer, train == train, train, train (3rd).
    a = PseudoMotion(num_frames=4, crop_size=16, source_size=32, seed=3)
    b = PseudoMotion(num_frames=4, crop_size=16, source_size=32, seed=3)
    a(images), b(images), a(images)
    b(images, training=False)
    third = _np(a(images)[0])
    np.testing.assert_array_equal(third, _np(b(images)[0]))
    assert not np.array_equal(third, _np(a(images)[0]))  # training stays random
