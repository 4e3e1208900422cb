"""Issue 14, classes 5 and 8: NaN / inf flow is refused where it enters (one `check_flow`), and misused flow entry
points (a path for frames, images or masks of another size) say what is wrong and how to fix it."""

import numpy as np
import pytest

from keras_motion.errors import FlowError, KerasMotionError
from keras_motion.flow import (
    check_flow,
    dequantize,
    encode_im2flow,
    flow_grid,
    flow_metrics,
    flow_to_color,
    quantize,
    video_flow,
)


def _bad_flow(value, shape=(2, 16, 16, 2)):
    flow = np.random.default_rng(0).normal(0, 3, shape).astype(np.float32)
    flow[0, 3, 5, 1] = value
    return flow


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize(
    "entry", ["encode_im2flow", "quantize", "flow_to_color", "flow_grid", "flow_metrics", "check_flow"]
)
def test_non_finite_flow_is_refused_at_every_entry(entry, value):
    flow = _bad_flow(value)
    good = np.zeros_like(flow)
    calls = {
        "encode_im2flow": lambda: encode_im2flow(flow),
        "quantize": lambda: quantize(flow),
        "flow_to_color": lambda: flow_to_color(flow),
        "flow_grid": lambda: flow_grid(np.zeros((2, 16, 16, 3), np.uint8), good, flow),
        "flow_metrics": lambda: flow_metrics(flow, good),
        "check_flow": lambda: check_flow(flow, "my flow"),
    }
    with pytest.raises(FlowError, match=r"1 NaN/inf value.*np\.nan_to_num"):
        calls[entry]()


def test_large_flow_is_checked_before_chunked_encoding():
    flow = _bad_flow(np.nan, (4, 128, 128, 2))  # > the encoder's chunk size
    with pytest.raises(FlowError, match="encode_im2flow"):
        encode_im2flow(flow)


def test_nan_no_longer_becomes_minus_bound_after_quantize():
    # Before: quantize(NaN) → 0 → dequantize → −20 px, a silent wrong flow in every stored file.
    with pytest.raises(FlowError, match="quantize"):
        dequantize(quantize(np.array([np.nan, 1.0])))
    np.testing.assert_allclose(dequantize(quantize(np.array([-1.0, 1.0]))), [-1.0, 1.0], atol=20 / 255)


def test_one_inf_no_longer_blanks_the_colour_image():
    flow = _bad_flow(np.inf)[0]
    with pytest.raises(FlowError):
        flow_to_color(flow)
    finite = flow.copy()
    finite[3, 5, 1] = 0.0
    assert (flow_to_color(finite) < 250).mean() > 0.5  # finite flow still colours the image


def test_im2flow_pairs_refuse_non_finite_flows():
    from keras_motion.im2flow.pairs import Im2FlowPairs

    images = np.zeros((2, 16, 16, 3), np.uint8)
    with pytest.raises(FlowError, match="Im2FlowPairs"):
        Im2FlowPairs(images, _bad_flow(np.nan), batch_size=2)
    x, y = Im2FlowPairs(images, _bad_flow(0.0), batch_size=2, training=False)[0]
    assert np.isfinite(y).all()


def test_video_flow_refuses_non_finite_frames(bikes_frames):
    frames = bikes_frames[:4].astype(np.float32)
    frames[2, 10, 10, 0] = np.nan
    with pytest.raises(FlowError, match=r"frames\[2\].*NaN/inf"):
        video_flow(frames, value_range=(0, 255))  # float frames declare their range (issue 22)
    assert np.isfinite(video_flow(bikes_frames[:4])).all()


def test_video_flow_given_a_path_says_to_decode_it(bikes_path):
    with pytest.raises(FlowError, match=r"decoded frames.*read_video"):
        video_flow("x.mp4")
    with pytest.raises(FlowError, match="read_video"):
        video_flow(bikes_path)


def test_check_flow_names_the_argument_and_shape():
    with pytest.raises(FlowError, match=r"my flow: expected a flow field of shape \(\.\.\., H, W, 2\)"):
        check_flow(np.zeros((4, 4, 3)), "my flow")
    assert check_flow(np.zeros((4, 4, 2), np.float64)).dtype == np.float32
    assert issubclass(FlowError, KerasMotionError)


def test_flow_metrics_image_or_mask_of_another_size(bikes_frames):
    flow = np.random.default_rng(0).normal(0, 2, (2, 136, 320, 2)).astype(np.float32)
    with pytest.raises(FlowError, match=r"image of shape \(2, 68, 160\).*2 map\(s\) of 136 x 320.*resized"):
        flow_metrics(flow, flow, image=bikes_frames[:2, ::2, ::2])
    with pytest.raises(FlowError, match=r"foreground of shape \(136, 300\)"):
        flow_metrics(flow, flow, foreground=np.ones((136, 300), bool))
    with pytest.raises(FlowError, match="image of shape"):  # 3 images for 2 flows
        flow_metrics(flow, flow, image=bikes_frames[:3])
    out = flow_metrics(flow, flow, image=bikes_frames[:2], foreground=np.ones((136, 320), bool))
    assert out["epe_edges"] == 0.0 and out["epe_fg"] == 0.0
