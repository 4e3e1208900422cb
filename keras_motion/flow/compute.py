"""Dense optical flow between frames with OpenCV: DIS (fast default), Farneback, and TV-L1 (opencv-contrib).

Flow is float32 (H, W, 2) in pixels, u (x) pointing right and v (y) pointing down:
frame_b(x + u, y + v) ≈ frame_a(x, y).
"""

import os

import cv2
import numpy as np

from keras_motion.errors import FlowError, MissingDependencyError

METHODS = ("dis", "farneback", "tvl1")
_DIS_PRESETS = {"ultrafast": 0, "fast": 1, "medium": 2}
# Farneback parameters quoted by the SPEC: pyr_scale, levels, winsize, iterations, poly_n, poly_sigma, flags.
FARNEBACK_DEFAULTS = dict(pyr_scale=0.5, levels=3, winsize=15, iterations=3, poly_n=5, poly_sigma=1.2, flags=0)


def to_gray(frame, name="frame"):
    """uint8 grayscale (H, W) from an RGB / grayscale frame, uint8 or float in [0, 1] or [0, 255].

    A float frame with NaN / inf raises `FlowError` naming `name`: cast to uint8 they would become arbitrary pixels
    and the flow a silent wrong result.
    """
    frame = np.asarray(frame)
    if frame.ndim == 3 and frame.shape[-1] == 1:
        frame = frame[..., 0]
    if frame.dtype != np.uint8:
        if not (np.issubdtype(frame.dtype, np.number) or frame.dtype == bool):
            raise FlowError(f"{name}: expected an image array (uint8 or float), got dtype {frame.dtype}")
        frame = np.asarray(frame, np.float32)
        if not np.isfinite(frame).all():
            raise FlowError(f"{name}: {int((~np.isfinite(frame)).sum())} NaN/inf pixel value(s); fix or replace "
                            "them (e.g. np.nan_to_num) before computing flow")
        if frame.size and frame.max() <= 1.0:
            frame = frame * 255.0
        frame = np.clip(np.rint(frame), 0, 255).astype(np.uint8)
    if frame.ndim == 3:
        if frame.shape[-1] != 3:
            raise FlowError(f"expected an RGB (H, W, 3) or grayscale (H, W) frame, got shape {frame.shape}")
        frame = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    if frame.ndim != 2:
        raise FlowError(f"expected an RGB (H, W, 3) or grayscale (H, W) frame, got shape {frame.shape}")
    return np.ascontiguousarray(frame)


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

    def __call__(self, a, b, out=None):
        """Flow from `a` to `b`; written into `out` (a C-contiguous float32 (H, W, 2) array) when given."""
        a, b = to_gray(a, "frame a"), to_gray(b, "frame b")
        if a.shape != b.shape:
            raise FlowError(f"frames differ in size: {a.shape} vs {b.shape}")
        if self.method == "farneback":
            p = self._farneback
            flow = cv2.calcOpticalFlowFarneback(
                a, b, None, p["pyr_scale"], p["levels"], p["winsize"], p["iterations"], p["poly_n"],
                p["poly_sigma"], p["flags"])
        else:
            flow = self._engine.calc(a, b, None)
        if out is None:
            return np.asarray(flow, np.float32)
        out[...] = flow
        return out


def _estimator(method, estimator, **params):
    if estimator is not None:
        return estimator
    return FlowEstimator(method, **params)


def compute_flow(a, b, method="dis", estimator=None, **params):
    """Flow from frame `a` to frame `b` → float32 (H, W, 2); batches (B, H, W[, C]) → (B, H, W, 2).

    Args:
        a, b: frames, RGB or grayscale, uint8 or float.
        method: "dis" (default, fast), "farneback", or "tvl1" (needs the `contrib` extra).
        estimator: a `FlowEstimator` to reuse across calls (faster in loops); overrides `method`.
        **params: passed to `FlowEstimator` (e.g. `preset="medium"` for DIS, Farneback / TV-L1 parameters).
    """
    est = _estimator(method, estimator, **params)
    a, b = np.asarray(a), np.asarray(b)
    batched = a.ndim == 4 or (a.ndim == 3 and a.shape[-1] not in (1, 3))
    if not batched:
        return est(a, b)
    if len(a) != len(b):
        raise FlowError(f"batches differ in length: {len(a)} vs {len(b)}")
    return np.stack([est(x, y) for x, y in zip(a, b)])


def video_flow(frames, method="dis", step=1, estimator=None, **params):
    """Flows between frames t and t + `step` for every t → (T - step, H, W, 2).

    Each frame is converted to grayscale once, not twice.
    """
    if isinstance(frames, (str, bytes, os.PathLike)):
        raise FlowError(f"video_flow takes decoded frames (T, H, W[, 3]), got the path {os.fsdecode(frames)!r}; "
                        f"decode it first: video_flow(keras_motion.video.read_video({os.fsdecode(frames)!r}))")
    est = _estimator(method, estimator, **params)
    if len(frames) <= step:
        raise FlowError(f"video_flow needs more than {step} frame(s), got {len(frames)}")
    gray = [to_gray(f, f"frames[{t}]") for t, f in enumerate(frames)]
    flows = np.empty((len(gray) - step,) + gray[0].shape + (2,), np.float32)  # filled in place: no stacking copy
    for t in range(len(flows)):
        est(gray[t], gray[t + step], out=flows[t])
    return flows


def average_future_flow(frames, t, n=5, method="dis", estimator=None, **params):
    """Im2Flow's training target: the mean of the `n` consecutive flows (t→t+1, …, t+n-1→t+n) → (H, W, 2).

    Averaging future flows smooths the noise of flow estimated on real video (Im2Flow §3.2, after Walker et al.).
    """
    if t < 0 or t + n >= len(frames):
        raise FlowError(f"average_future_flow at t={t} with n={n} needs frames up to {t + n}, "
                        f"but the clip has {len(frames)}")
    return video_flow(frames[t:t + n + 1], method, estimator=estimator, **params).mean(axis=0)


def flow_stack(frames, t, length=12, method="dis", estimator=None, **params):
    """The `length` consecutive flows from frame t as 2·length channels (H, W, 2·length): u0, v0, u1, v1, …

    The Pose-from-Action motion input (Δ = 12 → 24 channels).
    """
    if t < 0 or t + length >= len(frames):
        raise FlowError(f"flow_stack at t={t} with length={length} needs frames up to {t + length}, "
                        f"but the clip has {len(frames)}")
    flows = video_flow(frames[t:t + length + 1], method, estimator=estimator, **params)  # (L, H, W, 2)
    return np.concatenate(list(flows), axis=-1)


def check_flow(flow, name="flow", field=True):
    """The one check of flow entering keras_motion: `flow` as float32, or `FlowError` naming `name` and the fix.

    Refuses NaN / inf (they would pass silently through encodings, quantisation and colour) and, with `field`
    (the default), a shape other than (..., H, W, 2). `field=False` accepts any shape (flow stacks, single vectors).
    """
    if isinstance(flow, (str, bytes, os.PathLike)):
        raise FlowError(f"{name}: expected a flow array, got the path {os.fsdecode(flow)!r}; load it first "
                        "(keras_motion.flow.load_flow for the .npz files of extract_flows)")
    flow = np.asarray(flow)
    if not (np.issubdtype(flow.dtype, np.number) or flow.dtype == bool):
        raise FlowError(f"{name}: expected a numeric flow array, got dtype {flow.dtype}")
    flow = np.asarray(flow, np.float32)
    if field and (flow.ndim < 3 or flow.shape[-1] != 2):
        raise FlowError(f"{name}: expected a flow field of shape (..., H, W, 2), got {flow.shape}")
    finite = np.isfinite(flow)
    if not finite.all():
        bad = flow.size - int(np.count_nonzero(finite))
        raise FlowError(f"{name}: {bad} NaN/inf value(s) in the flow field (of {flow.size}); "
                        "recompute it or replace them (e.g. np.nan_to_num) before use")
    return flow
