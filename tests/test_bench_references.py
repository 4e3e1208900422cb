"""The per-sample references `tools/bench.py mosi` times PseudoMotion against compute what they claim to."""

import importlib.util
import os

import cv2
import numpy as np
import pytest


@pytest.fixture(scope="module")
def bench():
    path = os.path.join(os.path.dirname(__file__), "..", "tools", "bench.py")
    spec = importlib.util.spec_from_file_location("bench_tool", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_hsv_helpers_match_opencv_and_invert(bench):
    rgb = np.random.default_rng(0).random((3, 2, 9, 11)).astype(np.float32)  # (C, T, H, W) in [0, 1]
    hsv = bench._rgb_to_hsv(rgb)
    for t in range(2):
        ours = hsv[:, t].transpose(1, 2, 0)
        cv = cv2.cvtColor(np.ascontiguousarray(rgb[:, t].transpose(1, 2, 0)), cv2.COLOR_RGB2HSV)
        np.testing.assert_allclose(ours[..., 0] * 360.0, cv[..., 0], atol=1e-2)
        np.testing.assert_allclose(ours[..., 1:], cv[..., 1:], atol=1e-5)
    np.testing.assert_allclose(bench._hsv_to_rgb(hsv), rgb, atol=1e-5)


def test_public_code_reference_is_the_masked_crop_without_jitter(bench, astronaut):
    square = cv2.resize(np.asarray(astronaut), (96, 96), interpolation=cv2.INTER_AREA)
    args = (square, (1, 0), 6, 40, 2, (0.3, 0.5))
    clip = bench.public_code_pseudo_motion(*args, (0.0, 0.0, 0.0, 0.0), 0.0, np.random.default_rng(3))
    frames, top, left, side, q = bench._reference_geometry(*args, np.random.default_rng(3))
    expected = np.repeat(frames[q][None].astype(np.float32), 6, axis=0)
    for t in range(6):
        expected[t, top : top + side, left : left + side] = frames[t][top : top + side, left : left + side]
    assert clip.shape == (6, 40, 40, 3) and clip.dtype == np.float32
    np.testing.assert_allclose(clip, expected, atol=1e-3)
    assert not np.array_equal(frames[0], frames[-1])  # the window moved

    jittered = bench.public_code_pseudo_motion(*args, (0.4, 0.4, 0.4, 0.1), 0.0, np.random.default_rng(3))
    assert 0.0 <= jittered.min() and jittered.max() <= 255.0 + 1e-3
    assert np.abs(jittered - expected).mean() > 1.0  # the colour changed


@pytest.mark.parametrize("case", ["mosi", "im2flow", "pose_from_action", "vre_mra", "r2d3d-factorized"])
def test_backends_training_steps_run_at_tiny_sizes(bench, case):
    step, batch = bench._train_step(case, tiny=True)
    step()
    assert batch


@pytest.mark.slow
def test_backends_compares_settings_in_subprocesses(bench, capsys):
    assert (
        bench.main(
            [
                "backends",
                "--tiny",
                "--steps",
                "1",
                "--methods",
                "mosi",
                "--conv-forms",
                "r2plus1d",
                "--backends",
                "tf-onednn-off",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "failed" not in out and "r2plus1d-factorized" in out
    assert "r2plus1d: factorized / conv3d step time" in out and "tf-onednn-off" in out
