"""Flow encodings: Im2Flow's (sin θ, cos θ, magnitude) image and the ±bound uint8 storage format.

Each function takes NumPy arrays (→ NumPy, for data pipelines) or backend tensors (→ `keras.ops`, inside models and
losses on TensorFlow, JAX or PyTorch): one formula serves both, because NumPy and `keras.ops` share these names.
Inputs are (..., H, W, C): single maps and batches alike. NumPy flow with NaN / inf is refused (`check_flow`);
backend tensors inside a model are not checked (that would need a device sync per batch).
"""

import numpy as np

from keras_motion.errors import FlowError
from keras_motion.flow.compute import check_flow
from keras_motion.utils.checks import check_number

# Below this magnitude (px) a vector has no defined direction: Im2Flow encodes it as sin = cos = 0.
EPSILON = 1e-6


def array_namespace(x):
    """NumPy for NumPy / Python inputs, `keras.ops` for backend tensors (TF, JAX, torch) and symbolic tensors."""
    if isinstance(x, (np.ndarray, np.generic, list, tuple, int, float)):
        return np
    from keras import ops

    return ops


def _float32(x, xp):
    return np.asarray(x, np.float32) if xp is np else xp.cast(x, "float32")


# Pixels per chunk when encoding large NumPy arrays: every temporary stays under glibc's 128 KiB mmap threshold and in
# cache. Whole-map temporaries are fresh mmap'd pages each time, and the page faults made encoding cost more than DIS.
_CHUNK = 8192


def _in_chunks(fn, x, channels):
    """Applies the per-pixel `fn` to a large NumPy array chunk by chunk of pixels (see `_CHUNK`)."""
    pixels = x.reshape(-1, x.shape[-1])
    out = np.empty((len(pixels), channels), np.float32)
    for start in range(0, len(pixels), _CHUNK):
        out[start : start + _CHUNK] = fn(pixels[start : start + _CHUNK])
    return out.reshape(x.shape[:-1] + (channels,))


def encode_im2flow(flow, max_magnitude=30.0):
    """(..., H, W, 2) flow in px → (..., H, W, 3) in [-1, 1]: sin θ = v/M, cos θ = u/M, 2·min(M/max, 1) − 1.

    Im2Flow eq. 1 with the official code's normalisation (magnitude divided by `max_magnitude` and clipped),
    mapped to [-1, 1] for a tanh output. Zero-magnitude pixels get sin = cos = 0. NaN / inf raise `FlowError`;
    `max_magnitude` must be a number > 0.

    >>> encode_im2flow(np.array([[[3.0, 4.0]]]))[0, 0].astype(float).round(3).tolist()
    [0.8, 0.6, -0.667]
    """
    max_magnitude = _positive(max_magnitude, "encode_im2flow max_magnitude")
    xp = array_namespace(flow)
    if xp is np:
        flow = check_flow(flow, "flow (encode_im2flow)")
        if flow.size > 2 * _CHUNK:
            return _in_chunks(lambda m: _encode_im2flow(m, max_magnitude, np), flow, 3)
    return _encode_im2flow(_float32(flow, xp), max_magnitude, xp)


def _encode_im2flow(flow, max_magnitude, xp):
    u, v = flow[..., 0], flow[..., 1]
    magnitude = xp.sqrt(u * u + v * v)
    moving = magnitude > EPSILON
    safe = xp.where(moving, magnitude, xp.ones_like(magnitude))
    sin = xp.where(moving, v / safe, xp.zeros_like(v))
    cos = xp.where(moving, u / safe, xp.zeros_like(u))
    mag = xp.clip(magnitude / max_magnitude, 0.0, 1.0) * 2.0 - 1.0
    return xp.stack([sin, cos, mag], axis=-1)


def decode_im2flow(encoded, max_magnitude=30.0, renormalize=False):
    """Inverse of `encode_im2flow` → (..., H, W, 2) in px: u = M cos θ, v = M sin θ. Exact (float32) where
    |flow| ≤ max_magnitude.

    On a network's prediction, (sin, cos) shorter than a unit vector means the direction is uncertain; keeping that
    length shrinks the vector towards the expected flow (lower end-point error). `renormalize=True` instead rescales
    (sin, cos) to unit length, so every pixel gets the predicted magnitude (a (0, 0) direction still decodes to 0).
    """
    max_magnitude = _positive(max_magnitude, "decode_im2flow max_magnitude")
    xp = array_namespace(encoded)
    encoded = _float32(encoded, xp)
    if xp is np and encoded.size > 3 * _CHUNK:
        return _in_chunks(lambda m: decode_im2flow(m, max_magnitude, renormalize), encoded, 2)
    sin, cos = encoded[..., 0], encoded[..., 1]
    scale = (xp.clip(encoded[..., 2], -1.0, 1.0) + 1.0) * 0.5 * max_magnitude
    if renormalize:
        norm = xp.sqrt(sin * sin + cos * cos)
        valid = norm > EPSILON
        scale = xp.where(valid, scale / xp.where(valid, norm, xp.ones_like(norm)), xp.zeros_like(norm))
    return xp.stack([cos * scale, sin * scale], axis=-1)


def quantize(flow, bound=20.0):
    """Flow in px → uint8 by `round(255 (clip(f, ±bound) + bound) / (2 bound))` (the mmaction2 / I3D convention).

    Store the x and y channels as two grayscale images. Error after `dequantize` ≤ bound/255 px inside the bound.
    NaN / inf raise `FlowError` (NaN would otherwise be stored as −bound); `bound` must be a number > 0.
    """
    bound = _positive(bound, "quantize bound")
    xp = array_namespace(flow)
    flow = check_flow(flow, "flow (quantize)", field=False) if xp is np else _float32(flow, xp)
    q = xp.round(255.0 * (xp.clip(flow, -bound, bound) + bound) / (2.0 * bound))
    return q.astype(np.uint8) if xp is np else xp.cast(q, "uint8")


def dequantize(quantized, bound=20.0):
    """uint8 from `quantize` → float32 flow in px, within ±`bound` (a number > 0).

    NumPy input must be the codes `quantize` makes, whole numbers in 0..255 (any dtype): anything else, e.g. a flow in
    px given by mistake, would decode beyond ±bound and raises `FlowError`.
    """
    bound = _positive(bound, "dequantize bound")
    xp = array_namespace(quantized)
    if xp is np:
        codes = np.asarray(quantized)
        if codes.dtype != np.uint8 and codes.size:
            if (
                codes.dtype.kind not in "uif"
                or not np.isfinite(codes).all()
                or codes.min() < 0
                or codes.max() > 255
                or not np.array_equal(codes, np.round(codes))
            ):
                low, high = (codes.min(), codes.max()) if codes.dtype.kind in "uif" else ("?", "?")
                raise FlowError(
                    f"dequantize takes the uint8 codes of quantize (whole numbers 0..255), got "
                    f"{codes.dtype} values {low}..{high}, which would decode beyond ±bound={bound:g}; pass "
                    "quantize's output (a flow in px needs no dequantize)"
                )
    return _float32(quantized, xp) * (2.0 * bound / 255.0) - bound


def _positive(value, name):
    """A bound or magnitude: a number > 0 (0 divides by zero, a negative one flips or blanks every vector)."""
    if isinstance(value, (int, float, np.number)):
        return check_number(value, name, low=0, low_open=True)
    return value  # a backend tensor inside a model: not checked (its value is unknown while traced)
