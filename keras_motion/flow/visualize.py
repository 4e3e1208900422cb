"""Flow as colour: the Middlebury colour wheel (hue = direction, saturation = magnitude), as uint8 RGB."""

import numpy as np

from keras_motion.flow.compute import check_flow

# Hue segments of the Middlebury wheel (Baker et al., 2011): red→yellow→green→cyan→blue→magenta→red,
# with more steps where the eye tells hues apart better.
_SEGMENTS = (
    (15, (255, 0, 0), (255, 255, 0)),
    (6, (255, 255, 0), (0, 255, 0)),
    (4, (0, 255, 0), (0, 255, 255)),
    (11, (0, 255, 255), (0, 0, 255)),
    (13, (0, 0, 255), (255, 0, 255)),
    (6, (255, 0, 255), (255, 0, 0)),
)


def color_wheel():
    """The (55, 3) float wheel of Middlebury hues in [0, 1]."""
    rows = []
    for steps, start, end in _SEGMENTS:
        t = np.arange(steps)[:, None] / steps
        rows.append((1 - t) * np.array(start) + t * np.array(end))
    return np.concatenate(rows) / 255.0


_WHEEL = color_wheel()


def flow_to_color(flow, max_magnitude=None):
    """(..., H, W, 2) flow → (..., H, W, 3) uint8 RGB.

    Args:
        max_magnitude: the magnitude shown at full saturation; defaults to the largest magnitude of the input
            (per call, so pass a fixed value to compare images). Vectors beyond it are darkened.

    NaN / inf raise `FlowError`: one inf would set the default `max_magnitude` and blank every other pixel.

    >>> int(flow_to_color(np.zeros((4, 4, 2))).max())  # no motion is white
    255
    """
    flow = check_flow(flow, "flow (flow_to_color)")
    u, v = flow[..., 0], flow[..., 1]
    radius = np.sqrt(u * u + v * v)
    if max_magnitude is None:
        max_magnitude = float(radius.max()) if radius.size else 1.0
    radius = radius / max(max_magnitude, 1e-8)
    n = len(_WHEEL)
    position = (np.arctan2(-v, -u) / np.pi + 1) / 2 * (n - 1)  # angle → fractional wheel index
    k0 = np.floor(position).astype(np.int64)
    k1 = (k0 + 1) % n
    frac = (position - k0)[..., None]
    color = (1 - frac) * _WHEEL[k0] + frac * _WHEEL[k1]
    inside = (radius <= 1)[..., None]
    color = np.where(inside, 1 - radius[..., None] * (1 - color), color * 0.75)
    return np.clip(np.round(color * 255), 0, 255).astype(np.uint8)
