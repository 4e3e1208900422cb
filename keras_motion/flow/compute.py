"""Dense optical flow between frames with OpenCV: DIS (fast default), Farneback, and TV-L1 (opencv-contrib).

Flow is float32 (H, W, 2) in pixels, u (x) pointing right and v (y) pointing down:
frame_b(x + u, y + v) ≈ frame_a(x, y).
"""

import math
import os

import cv2
import numpy as np

from keras_motion.errors import FlowError, FrameInputError, ImageInputError, MissingDependencyError
from keras_motion.utils.checks import check_int
from keras_motion.video.lazy import LazyArray

METHODS = ("dis", "farneback", "tvl1")
_DIS_PRESETS = {"ultrafast": 0, "fast": 1, "medium": 2}
# Farneback parameters quoted by the SPEC: pyr_scale, levels, winsize, iterations, poly_n, poly_sigma, flags.
FARNEBACK_DEFAULTS = dict(pyr_scale=0.5, levels=3, winsize=15, iterations=3, poly_n=5, poly_sigma=1.2, flags=0)


_FRAME_FIX = (
    "pass value_range=(low, high) to the flow function, or convert with "
    "keras_motion.transforms.to_uint8(x, value_range=(low, high))"
)


def to_gray(frame, name="frame", value_range=None):
    """uint8 grayscale (H, W) from one RGB (H, W, 3) or grayscale (H, W[, 1]) frame: the flow core's input contract.

    Pixels follow the images' contract (`keras_motion.transforms.to_uint8`): uint8, or integers in 0..255, pass;
    anything else (float, uint16 beyond 255) needs its `value_range` declared, e.g. `(0, 1)` or `(0, 65535)`. A frame
    is never read by its maximum (a dark float frame would have been taken as 0-1, a 16-bit one clipped at 255).
    Booleans, NaN / inf, values outside `value_range`, empty frames and shapes that are no frame (RGBA, 2 channels)
    raise `FrameInputError` (a `FlowError` and an `ImageInputError`) naming `name` and the fix.
    """
    from keras_motion.transforms import to_uint8

    try:
        frame = to_uint8(frame, value_range, name, fix=_FRAME_FIX)
    except ImageInputError as e:
        raise FrameInputError(str(e)) from None
    if frame.ndim == 3 and frame.shape[-1] == 1:
        frame = frame[..., 0]
    if frame.ndim == 3 and frame.shape[-1] in (2, 4):
        fix = "drop the alpha channel: frame[..., :3]" if frame.shape[-1] == 4 else "pass RGB or grayscale frames"
        raise FrameInputError(
            f"{name}: a frame has 1 or 3 channels, got {frame.shape[-1]} (shape {frame.shape}); {fix}"
        )
    if frame.ndim not in (2, 3) or frame.ndim == 3 and frame.shape[-1] != 3:
        raise FrameInputError(f"{name}: expected an RGB (H, W, 3) or grayscale (H, W) frame, got shape {frame.shape}")
    if frame.size == 0:
        raise FrameInputError(f"{name}: the frame has no pixels (shape {frame.shape})")
    if frame.ndim == 3:
        frame = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    return np.ascontiguousarray(frame)


def dis_size_problem(height, width, patch_size=8, finest_scale=2):
    """Why OpenCV's DIS cannot take frames of `height` x `width` (a sentence), or None when it can.

    DIS picks its pyramid from the frame size (OpenCV's dis_flow.cpp): frames under one patch on the short side, or
    under 1.5 patches on the long side, raise an OpenCV error; when the size allows fewer levels than the preset's
    finest scale, OpenCV re-picks the levels from the width alone and crashes the process (segmentation fault) when
    the height is then under one patch at the coarsest level (a wide, low frame: 12 x 64 px with 8 px patches).
    """
    short, long = min(height, width), max(height, width)
    if short < patch_size:
        return f"DIS needs at least {patch_size} px on each side"
    if int(math.log(long / (4.0 * patch_size)) / math.log(2) + 0.5) < 0:  # C's (int) truncation, as OpenCV
        return f"DIS needs at least {math.ceil(4 * patch_size * 2**-1.5)} px on the long side"
    coarsest = min(int(math.log(long / (4.0 * patch_size)) / math.log(2) + 0.5), int(math.log2(short // patch_size)))
    if coarsest < finest_scale:
        auto = max(0, math.floor(math.log2(2.0 * width / (5.0 * patch_size))))
        if height < patch_size << auto:
            return (
                f"DIS's automatic pyramid for a {width} px wide frame needs at least {patch_size << auto} px of "
                "height (OpenCV crashes below that)"
            )
    return None


class FlowEstimator:
    """A reusable OpenCV flow engine. Build it once per process and call it on many frame pairs.

    Creating OpenCV's estimators costs as much as running them on a small frame, so loops should hold one of these.

    >>> est = FlowEstimator("dis")
    >>> a = np.zeros((32, 32), np.uint8); b = a.copy()
    >>> est(a, b).shape
    (32, 32, 2)
    """

    def __init__(self, method="dis", preset="fast", **params):
        if method not in METHODS:
            raise ValueError(f"unknown flow method {method!r}; choose one of {METHODS}")
        self.method, self.preset, self.params = method, preset, params
        if method == "dis":
            if preset not in _DIS_PRESETS:
                raise ValueError(f"unknown DIS preset {preset!r}; choose one of {tuple(_DIS_PRESETS)}")
            self._engine = cv2.DISOpticalFlow_create(_DIS_PRESETS[preset])
            for name, value in params.items():
                getattr(self._engine, "set" + name[0].upper() + name[1:])(value)
            # OpenCV lowers these on a small frame and keeps them: restored before every call, so that a flow does
            # not depend on the frames the estimator saw before (0.65 px apart on a 160 px frame after a 40 px one).
            self._dis_scales = self._engine.getPatchSize(), self._engine.getFinestScale()
        elif method == "tvl1":
            if not hasattr(cv2, "optflow"):
                raise MissingDependencyError(
                    "TV-L1 flow needs OpenCV's contrib modules (cv2.optflow), which this OpenCV lacks. "
                    "Install the extra: pip install 'keras_motion[contrib]' (opencv-contrib-python-headless), "
                    "or use method='dis' or 'farneback'."
                )
            self._engine = cv2.optflow.DualTVL1OpticalFlow_create(**params)
        else:
            self._farneback = {**FARNEBACK_DEFAULTS, **params}

    def __call__(self, a, b, out=None, value_range=None):
        """Flow from `a` to `b`; written into `out` (a C-contiguous float32 (H, W, 2) array) when given. The frames
        follow `to_gray`'s contract (uint8, or pixels of a declared `value_range`)."""
        a, b = to_gray(a, "frame a", value_range), to_gray(b, "frame b", value_range)
        if a.shape != b.shape:
            raise FlowError(f"frames differ in size: {a.shape} vs {b.shape}")
        self.check_size(*a.shape)
        if self.method == "dis":
            patch_size, finest_scale = self._dis_scales
            self._engine.setPatchSize(patch_size)
            self._engine.setFinestScale(finest_scale)
        if self.method == "farneback":
            p = self._farneback
            flow = cv2.calcOpticalFlowFarneback(
                a,
                b,
                None,
                p["pyr_scale"],
                p["levels"],
                p["winsize"],
                p["iterations"],
                p["poly_n"],
                p["poly_sigma"],
                p["flags"],
            )
        else:
            flow = self._engine.calc(a, b, None)
        if out is None:
            return np.asarray(flow, np.float32)
        out[...] = flow
        return out

    def check_size(self, height, width, name="frames"):
        """`FrameInputError` if this method cannot take frames of `height` x `width` (DIS: `dis_size_problem`)."""
        problem = dis_size_problem(height, width, *self._dis_scales) if self.method == "dis" else None
        if problem:
            raise FrameInputError(
                f"{name} of {height} x {width} px are too small for this flow: {problem}; "
                "resize them (keras_motion.video.resize_frame) or use method='farneback'"
            )


def _estimator(method, estimator, **params):
    if estimator is not None:
        return estimator
    return FlowEstimator(method, **params)


def compute_flow(a, b, method="dis", estimator=None, value_range=None, **params):
    """Flow from frame `a` to frame `b` → float32 (H, W, 2); batches (B, H, W[, C]) → (B, H, W, 2).

    Args:
        a, b: frames, RGB or grayscale (H, W, 3), (H, W[, 1]), uint8 or with their `value_range` declared; a 3-D
            array whose last axis has 1 to 4 entries is one frame (RGBA and 2-channel frames are refused), any other
            3-D array a batch of grayscale frames.
        method: "dis" (default, fast), "farneback", or "tvl1" (needs the `contrib` extra).
        estimator: a `FlowEstimator` to reuse across calls (faster in loops); overrides `method`.
        value_range: `(low, high)` of non-uint8 pixels (e.g. `(0, 1)`, `(0, 65535)`), see `to_gray`.
        **params: passed to `FlowEstimator` (e.g. `preset="medium"` for DIS, Farneback / TV-L1 parameters).
    """
    est = _estimator(method, estimator, **params)
    a, b = np.asarray(a), np.asarray(b)
    batched = a.ndim == 4 or (a.ndim == 3 and a.shape[-1] not in (1, 2, 3, 4))
    if not batched:
        return est(a, b, value_range=value_range)
    if len(a) != len(b):
        raise FlowError(f"batches differ in length: {len(a)} vs {len(b)}")
    if not len(a):
        raise FrameInputError(f"compute_flow: got an empty batch (shape {a.shape}); pass at least one frame pair")
    return np.stack([est(x, y, value_range=value_range) for x, y in zip(a, b)])


def video_flow(frames, method="dis", step=1, estimator=None, value_range=None, **params):
    """Flows between frames t and t + `step` (an integer ≥ 1) for every t → (T - step, H, W, 2).

    `frames` (T, H, W[, C]) follow `to_gray`'s contract (uint8, or pixels of a declared `value_range`). Each frame is
    converted to grayscale once, not twice.
    """
    if isinstance(frames, (str, bytes, os.PathLike)):
        raise FlowError(
            f"video_flow takes decoded frames (T, H, W[, 3]), got the path {os.fsdecode(frames)!r}; "
            f"decode it first: video_flow(keras_motion.video.read_video({os.fsdecode(frames)!r}))"
        )
    step = check_int(step, "video_flow step", low=1)
    est = _estimator(method, estimator, **params)
    one_frame = isinstance(frames, np.ndarray) and frames.ndim == 3 and frames.shape[-1] in (3, 4)
    if isinstance(frames, np.ndarray) and (frames.ndim not in (3, 4) or one_frame):
        raise FrameInputError(
            f"video_flow takes frames (T, H, W[, C]), got shape {frames.shape}"
            + ("; one frame is no clip" if frames.ndim == 3 else "")
        )
    if len(frames) <= step:
        raise FlowError(f"video_flow needs more than {step} frame(s), got {len(frames)}")
    gray = [to_gray(f, f"frames[{t}]", value_range) for t, f in enumerate(frames)]
    flows = np.empty((len(gray) - step,) + gray[0].shape + (2,), np.float32)  # filled in place: no stacking copy
    for t in range(len(flows)):
        est(gray[t], gray[t + step], out=flows[t])
    return flows


def average_future_flow(frames, t, n=5, method="dis", estimator=None, **params):
    """Im2Flow's training target: the mean of the `n` consecutive flows (t→t+1, …, t+n-1→t+n) → (H, W, 2).

    Averaging future flows smooths the noise of flow estimated on real video (Im2Flow §3.2, after Walker et al.).
    """
    if t < 0 or t + n >= len(frames):
        raise FlowError(
            f"average_future_flow at t={t} with n={n} needs frames up to {t + n}, but the clip has {len(frames)}"
        )
    return video_flow(frames[t : t + n + 1], method, estimator=estimator, **params).mean(axis=0)


def flow_stack(frames, t, length=12, method="dis", estimator=None, **params):
    """The `length` consecutive flows from frame t as 2·length channels (H, W, 2·length): u0, v0, u1, v1, …

    The Pose-from-Action motion input (Δ = 12 → 24 channels).
    """
    if t < 0 or t + length >= len(frames):
        raise FlowError(
            f"flow_stack at t={t} with length={length} needs frames up to {t + length}, but the clip has {len(frames)}"
        )
    flows = video_flow(frames[t : t + length + 1], method, estimator=estimator, **params)  # (L, H, W, 2)
    return np.concatenate(list(flows), axis=-1)


def check_flow(flow, name="flow", field=True):
    """The one check of flow entering keras_motion: `flow` as float32, or `FlowError` naming `name` and the fix.

    Refuses NaN / inf (they would pass silently through encodings, quantisation and colour) and, with `field`
    (the default), a shape other than (..., H, W, 2) or an empty field. `field=False` accepts any shape (flow stacks,
    single vectors).
    """
    if isinstance(flow, (str, bytes, os.PathLike)):
        raise FlowError(
            f"{name}: expected a flow array, got the path {os.fsdecode(flow)!r}; load it first "
            "(keras_motion.flow.load_flow for the .npz files of extract_flows)"
        )
    if isinstance(flow, LazyArray) and flow.dtype == np.float32 and (not field or flow.shape[-1] == 2):
        return flow  # read per access from a cache or computed per row: finite by construction
    flow = np.asarray(flow)
    if not (np.issubdtype(flow.dtype, np.number) or flow.dtype == bool):
        raise FlowError(f"{name}: expected a numeric flow array, got dtype {flow.dtype}")
    flow = np.asarray(flow, np.float32)
    if field and (flow.ndim < 3 or flow.shape[-1] != 2):
        raise FlowError(f"{name}: expected a flow field of shape (..., H, W, 2), got {flow.shape}")
    if field and flow.size == 0:  # e.g. a (0, H, W, 2) batch: no map to measure or encode
        raise FlowError(f"{name}: the flow field is empty (shape {flow.shape}); pass at least one map of ≥ 1 x 1 px")
    finite = np.isfinite(flow)
    if not finite.all():
        bad = flow.size - int(np.count_nonzero(finite))
        raise FlowError(
            f"{name}: {bad} NaN/inf value(s) in the flow field (of {flow.size}); "
            "recompute it or replace them (e.g. np.nan_to_num) before use"
        )
    return flow
