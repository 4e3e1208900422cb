"""Issue 22, items 6, 7, 8, 11, 12: one argument checker (`keras_motion.utils.checks`), the flow core's input contract
(`to_gray`: the images' `to_uint8` contract and the frame shapes OpenCV can take), and the inputs of `flow_metrics`,
`SummaryWriter` and `PseudoMotion` that gave silent wrong results or raw tracebacks. Backend-agnostic (NumPy)."""

import argparse
import os

import cv2
import numpy as np
import pytest

import keras_motion as km
from keras_motion.errors import (
    FlowError,
    FrameInputError,
    ImageInputError,
    InvalidArgumentError,
    KerasMotionError,
    OutputPathError,
)
from keras_motion.flow import (
    FlowEstimator,
    compute_flow,
    decode_im2flow,
    dequantize,
    encode_im2flow,
    flow_metrics,
    quantize,
    video_flow,
)
from keras_motion.flow.compute import dis_size_problem
from keras_motion.utils.checks import check_int, check_number, int_arg, number_arg

pytestmark = pytest.mark.backend_agnostic


def _pair(astronaut, dx=2):
    a = cv2.resize(astronaut, (64, 64))
    return a, np.roll(a, dx, axis=1)


# --- item 7: one checker ---------------------------------------------------------------------------------------------


def test_the_checker_names_argument_value_and_range():
    assert check_int(3, "step", low=1) == 3 and check_int(4.0, "step", low=1) == 4  # a whole float is unambiguous
    for value, message in [
        (0, "step=0 is out of range: an integer ≥ 1"),
        (-1, "step=-1 is out of range"),
        (2.5, "step=2.5 is not an integer ≥ 1"),
        (True, "step=True is not an integer"),
    ]:
        with pytest.raises(InvalidArgumentError, match=message):
            check_int(value, "step", low=1)
    with pytest.raises(InvalidArgumentError, match=r"split=5 is out of range: an integer in 1\.\.3"):
        check_int(5, "split", 1, 3)
    with pytest.raises(InvalidArgumentError, match="bound=nan is out of range: a number > 0"):
        check_number(float("nan"), "bound", low=0, low_open=True)
    assert issubclass(InvalidArgumentError, (KerasMotionError, ValueError))


def test_the_checker_as_an_argparse_type(capsys):
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int_arg(low=1))
    parser.add_argument("--bound", type=number_arg(low=0, low_open=True))
    assert parser.parse_args(["--epochs", "3", "--bound", "2.5"]).epochs == 3
    for argv, message in [
        (["--epochs", "0"], "argument --epochs: 0 is out of range: an integer ≥ 1"),
        (["--epochs", "x"], "argument --epochs: invalid int value: 'x'"),
        (["--bound", "0"], "argument --bound: 0.0 is out of range: a number > 0"),
    ]:
        with pytest.raises(SystemExit) as info:
            parser.parse_args(argv)
        assert info.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: video_flow(np.zeros((4, 32, 32, 3), np.uint8), step=0), "video_flow step=0 is out of range"),
        (lambda: video_flow(np.zeros((4, 32, 32, 3), np.uint8), step=-1), "video_flow step=-1 is out of range"),
        (lambda: encode_im2flow(np.zeros((4, 4, 2)), max_magnitude=0), "encode_im2flow max_magnitude=0 is out of"),
        (
            lambda: encode_im2flow(np.zeros((4, 4, 2)), max_magnitude=-5),
            "max_magnitude=-5 is out of range: a number > 0",
        ),
        (lambda: decode_im2flow(np.zeros((4, 4, 3)), max_magnitude=0), "decode_im2flow max_magnitude=0"),
        (lambda: quantize(np.zeros((4, 4, 2)), bound=0), "quantize bound=0 is out of range: a number > 0"),
        (lambda: quantize(np.zeros((4, 4, 2)), bound=-20), "quantize bound=-20 is out of range"),
        (lambda: dequantize(np.zeros(4, np.uint8), bound=0), "dequantize bound=0 is out of range"),
        (lambda: km.transforms.center_crop(np.zeros((32, 32, 3)), 40), r"center_crop crop_size=40 .* in 1\.\.32"),
        (lambda: km.transforms.crop_clip(np.zeros((2, 32, 32, 3)), 0), r"crop_clip crop_size=0 .* in 1\.\.32"),
        (
            lambda: km.im2flow.Im2FlowPairs(np.zeros((4, 16, 16, 3), np.uint8), np.zeros((4, 16, 16, 2)), batch_size=0),
            "Im2FlowPairs batch_size=0 is out of range: an integer ≥ 1",
        ),
        (
            lambda: km.im2flow.Im2FlowPairs(
                np.zeros((4, 16, 16, 3), np.uint8), np.zeros((4, 16, 16, 2)), max_magnitude=0
            ),
            "Im2FlowPairs max_magnitude=0 is out of range",
        ),
        (
            lambda: km.im2flow.Im2FlowPairs(
                np.zeros((4, 16, 16, 3), np.uint8), np.zeros((4, 16, 16, 2)), max_magnitude=-5
            ),
            "Im2FlowPairs max_magnitude=-5",
        ),
        (
            lambda: km.im2flow.Im2FlowPairs(np.zeros((4, 16, 16, 3), np.uint8), np.zeros((4, 16, 16, 2)), crop_size=20),
            r"Im2FlowPairs crop_size=20 is out of range: an integer in 1\.\.16",
        ),
        (lambda: km.video.read_video("unused.mp4", step=0), "step=0 is out of range"),
        (lambda: km.video.subclip_starts(8, 0), "length=0 is out of range"),
    ],
)
def test_public_functions_refuse_out_of_range_arguments(call, message):
    with pytest.raises(InvalidArgumentError, match=message):
        call()


def test_dequantize_refuses_values_that_are_no_codes():
    flow = np.array([[[3.5, -30.0]]])
    with pytest.raises(FlowError, match=r"dequantize takes the uint8 codes of quantize .*-30\.0\.\.3\.5.*±bound=20"):
        dequantize(flow)  # a flow in px by mistake: it decoded to -24.7..-19.4 px before
    with pytest.raises(FlowError, match="0..255"):
        dequantize(np.array([300]))
    codes = quantize(np.array([-25.0, 0.0, 7.0]))
    np.testing.assert_allclose(dequantize(codes), dequantize(codes.astype(np.int64)))  # whole numbers: any dtype
    assert np.abs(dequantize(codes)).max() <= 20.0


# --- item 6: the flow core's input contract --------------------------------------------------------------------------


def test_flow_frames_follow_the_image_contract(astronaut):
    a, b = _pair(astronaut)
    reference = compute_flow(a, b)
    ramp16 = a.astype(np.uint16) * 257  # a 16-bit image: clipped at 255 (98 % white) before
    with pytest.raises(FrameInputError, match=r"frame a: uint16 values .* do not fit 0\.\.255.*value_range="):
        compute_flow(ramp16, b.astype(np.uint16) * 257)
    np.testing.assert_allclose(compute_flow(ramp16, b.astype(np.uint16) * 257, value_range=(0, 65535)), reference)
    np.testing.assert_allclose(compute_flow(a.astype(np.uint16), b.astype(np.uint16)), reference)  # 0..255: cast
    for scale, offset in [(1e6, 0.0), (1 / 255, 0.0), (1.0, -300.0)]:  # ×1e6 saturated, −300..−45 gave zero flow
        x, y = a * scale + offset, b * scale + offset
        with pytest.raises(FrameInputError, match="float64 pixels need their value range declared"):
            compute_flow(x, y)
        flow = compute_flow(x, y, value_range=(offset, 255 * scale + offset))
        assert np.abs(flow - reference).mean() < 0.05
    with pytest.raises(FrameInputError, match=r"frames\[1\]: uint16 values"):  # checked frame by frame, named
        video_flow(np.stack([a, ramp16, a]))
    assert issubclass(FrameInputError, FlowError) and issubclass(FrameInputError, ImageInputError)


def test_frames_the_flow_core_cannot_take_are_refused(astronaut):
    a, _ = _pair(astronaut)
    cases = [
        (np.zeros((0, 0, 3), np.uint8), r"frame a: the frame has no pixels \(shape \(0, 0, 3\)\)"),
        (np.zeros((1, 1, 3), np.uint8), r"frames of 1 x 1 px are too small .* at least 8 px on each side"),
        (np.dstack([a, a[..., :1]]), r"got 4 .*drop the alpha channel: frame\[\.\.\., :3\]"),
        (a[..., :2], "a frame has 1 or 3 channels, got 2"),
    ]
    for frame, message in cases:
        with pytest.raises(FrameInputError, match=message):
            compute_flow(frame, frame)
    with pytest.raises(FrameInputError, match="no pixels"):
        video_flow(np.zeros((3, 0, 0, 3), np.uint8))
    with pytest.raises(FrameInputError, match="one frame is no clip"):
        video_flow(a)
    assert compute_flow(a[..., :1], a[..., :1]).shape == (64, 64, 2)  # (H, W, 1) is grayscale, not a batch


def test_dis_sizes_that_would_crash_opencv_are_refused():
    # OpenCV's DIS segfaults on a wide, low frame (12 x 64 px): it re-picks its pyramid from the width alone.
    assert dis_size_problem(12, 64) and "16 px of height" in dis_size_problem(12, 64)
    assert dis_size_problem(16, 100) and dis_size_problem(8, 40) and dis_size_problem(7, 64)
    assert dis_size_problem(8, 11) and "long side" in dis_size_problem(8, 11)
    for height, width in [(8, 12), (12, 12), (16, 64), (64, 12), (32, 100), (24, 24), (40, 40), (136, 320)]:
        assert dis_size_problem(height, width) is None
        assert FlowEstimator("dis")(np.zeros((height, width), np.uint8), np.zeros((height, width), np.uint8)).shape == (
            height,
            width,
            2,
        )
    with pytest.raises(FrameInputError, match=r"frames of 12 x 64 px .* or use method='farneback'"):
        compute_flow(np.zeros((12, 64), np.uint8), np.zeros((12, 64), np.uint8))
    assert compute_flow(np.zeros((12, 64), np.uint8), np.zeros((12, 64), np.uint8), method="farneback").shape == (
        12,
        64,
        2,
    )


def test_a_reused_dis_estimator_does_not_depend_on_earlier_frames(astronaut):
    # OpenCV lowers DIS's finest scale on a small frame and kept it for every later call of the same estimator.
    a, b = _pair(astronaut, dx=3)
    big_a, big_b = cv2.resize(a, (160, 160)), cv2.resize(b, (160, 160))
    estimator = FlowEstimator("dis")
    first = estimator(a[:40, :40], b[:40, :40])
    np.testing.assert_array_equal(estimator(a[:40, :40], b[:40, :40]), first)
    np.testing.assert_array_equal(estimator(big_a, big_b), FlowEstimator("dis")(big_a, big_b))


# --- item 11: empty flows into flow_metrics --------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(0, 8, 8, 2), (8, 0, 2), (0, 0, 2)])
def test_flow_metrics_refuses_empty_flows(shape):
    with pytest.raises(FlowError, match=r"predicted flow: the flow field is empty \(shape"):
        flow_metrics(np.zeros(shape), np.zeros(shape))


# --- item 12: SummaryWriter ------------------------------------------------------------------------------------------


def test_summary_writer_refuses_what_it_cannot_log(tmp_path):
    pytest.importorskip("tensorboard")
    afile = tmp_path / "notes.txt"
    afile.write_text("keep")
    with pytest.raises(OutputPathError, match=r"log_dir .*notes\.txt is an existing file, not a folder"):
        km.utils.SummaryWriter(afile)
    assert afile.read_text() == "keep"
    with km.utils.SummaryWriter(tmp_path / "logs") as writer:
        with pytest.raises(ImageInputError, match=r"image 'x': expected uint8 RGB .*\(8, 8, 5\).*image\[\.\.\., :3\]"):
            writer.image("x", np.zeros((8, 8, 5), np.uint8), 0)
        for bad in ("abc", None, True, np.zeros(3)):
            with pytest.raises(InvalidArgumentError, match="scalar 'loss': expected a number"):
                writer.scalar("loss", bad, 0)
        writer.scalar("loss", np.float32(0.5), 0)
        writer.scalar("loss", np.array(0.25), 1)
        writer.image("gray", np.zeros((8, 8, 1), np.uint8), 0)
    events = km.utils.read_events(tmp_path / "logs")["."]
    assert events["scalars"]["loss"] == [(0, 0.5), (1, 0.25)] and events["images"]["gray"] == [(0, (8, 8))]
    assert os.listdir(tmp_path / "logs")  # the refused values wrote nothing but the file's header


# --- item 8: PseudoMotion on NaN images ------------------------------------------------------------------------------


def test_pseudo_motion_refuses_nan_images():
    generator = km.mosi.PseudoMotion(num_frames=2, crop_size=8, source_size=16, seed=0, value_range=(0, 1))
    images = np.random.default_rng(0).random((2, 16, 16, 3)).astype(np.float32)
    clips, _ = generator(images)
    assert np.isfinite(np.asarray(clips)).all()
    images[1, 3, 3, 0] = np.nan
    with pytest.raises(ImageInputError, match=r"PseudoMotion: 1 NaN/inf pixel value\(s\).*np\.nan_to_num"):
        generator(images)
