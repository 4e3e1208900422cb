import cv2
import numpy as np
import pytest

from keras_motion.errors import FlowError, MissingDependencyError
from keras_motion.flow import (
    FlowEstimator,
    average_future_flow,
    compute_flow,
    flow_stack,
    hflip_flow,
    reverse_flow_stack,
    video_flow,
)


def shifted_pair(astronaut, dx, dy, size=96):
    """Two crops of a real photo, the second taken (dx, dy) px up-left, so content moves by (+dx, +dy)."""
    y0, x0 = 150, 150
    a = astronaut[y0 : y0 + size, x0 : x0 + size]
    b = astronaut[y0 - dy : y0 - dy + size, x0 - dx : x0 - dx + size]
    return a, b


@pytest.mark.parametrize("method", ["dis", "farneback"])
def test_sign_convention_u_right_v_down(astronaut, method):
    a, b = shifted_pair(astronaut, dx=3, dy=-2)
    flow = compute_flow(a, b, method=method)
    assert flow.shape == (96, 96, 2) and flow.dtype == np.float32
    centre = np.median(flow[16:-16, 16:-16].reshape(-1, 2), axis=0)
    np.testing.assert_allclose(centre, [3.0, -2.0], atol=0.25)


def test_batches_grayscale_and_float_frames(astronaut):
    a, b = shifted_pair(astronaut, 2, 1)
    batch = compute_flow(np.stack([a, a]), np.stack([b, a]))
    assert batch.shape == (2, 96, 96, 2)
    np.testing.assert_allclose(batch[0], compute_flow(a, b))
    gray = compute_flow(cv2.cvtColor(a, cv2.COLOR_RGB2GRAY), cv2.cvtColor(b, cv2.COLOR_RGB2GRAY))
    np.testing.assert_allclose(gray, batch[0])
    as_float = compute_flow(a / 255.0, b / 255.0, value_range=(0, 1))  # float frames declare their range
    assert np.abs(as_float - batch[0]).mean() < 0.05
    assert np.abs(batch[1]).max() < 1e-3  # identical frames: no motion


def test_tvl1_needs_the_contrib_extra():
    if hasattr(cv2, "optflow"):
        est = FlowEstimator("tvl1")
        assert est(np.zeros((16, 16), np.uint8), np.zeros((16, 16), np.uint8)).shape == (16, 16, 2)
    else:
        with pytest.raises(MissingDependencyError, match=r"keras_motion\[contrib\]"):
            compute_flow(np.zeros((16, 16), np.uint8), np.zeros((16, 16), np.uint8), method="tvl1")


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown flow method"):
        FlowEstimator("lucas-kanade")
    with pytest.raises(FlowError, match="differ in size"):
        compute_flow(np.zeros((8, 8), np.uint8), np.zeros((8, 9), np.uint8))
    with pytest.raises(FlowError, match="needs more than"):
        video_flow(np.zeros((1, 8, 8, 3), np.uint8))


def test_video_flow_and_targets_on_a_real_clip(bikes_frames):
    frames = bikes_frames[:14]
    flows = video_flow(frames)
    assert flows.shape == (13,) + frames.shape[1:3] + (2,)
    est = FlowEstimator("dis")
    np.testing.assert_allclose(flows[3], compute_flow(frames[3], frames[4], estimator=est))
    np.testing.assert_allclose(average_future_flow(frames, 2, n=5), flows[2:7].mean(0), atol=1e-5)
    stack = flow_stack(frames, 1, length=12)
    assert stack.shape == frames.shape[1:3] + (24,)
    np.testing.assert_allclose(stack[..., 2:4], flows[2])  # u1, v1 = flow from frame 2 to 3
    with pytest.raises(FlowError, match="needs frames up to"):
        flow_stack(frames, 2, length=12)


def test_flip_and_reversal_are_physically_consistent(bikes_frames):
    """Flow of mirrored frames == mirrored flow with u negated; flow of reversed frames ≈ reversed, negated stack."""
    frames = bikes_frames[:4]
    flow = compute_flow(frames[0], frames[1])
    flipped = compute_flow(frames[0][:, ::-1], frames[1][:, ::-1])
    moving = np.linalg.norm(flow, axis=-1) > 1.0
    assert moving.mean() > 0.05
    err_consistent = np.linalg.norm(flipped - hflip_flow(flow), axis=-1)[:, ::-1][moving].mean()
    err_unnegated = np.linalg.norm(flipped - flow[:, ::-1], axis=-1)[:, ::-1][moving].mean()
    assert err_consistent < 0.5 * err_unnegated

    stack = flow_stack(frames, 0, length=3)
    backward = flow_stack(frames[::-1], 0, length=3)
    assert np.abs(backward - reverse_flow_stack(stack))[moving].mean() < 0.5 * np.abs(backward - stack)[moving].mean()
