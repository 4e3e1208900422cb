"""Flow-prediction metrics of Walker et al. (2015), used by Im2Flow: EPE, direction and orientation similarity.

Each is reported over all pixels, over Canny edges of the input image and over a foreground mask.
"""

import cv2
import numpy as np

from keras_motion.errors import FlowError
from keras_motion.flow.compute import check_flow, to_gray

# A vector shorter than this (px) has no meaningful direction: such a pixel (in either map) scores 0 in DS and OS.
MIN_MAGNITUDE = 1e-2


def _region_means(values, masks):
    """Per-image mean of `values` (B, H, W) over `masks` (B, H, W); NaN where a mask is empty."""
    count = masks.sum(axis=(-2, -1))
    total = np.where(masks, values, 0).sum(axis=(-2, -1))
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _check_region(shape, epe_shape, name, flow_ndim, single, expected):
    """A clear error when an image or mask (spatial `shape`, batch axes first) does not cover the flow."""
    batch, (height, width) = epe_shape[0], epe_shape[1:]
    spatial = tuple(shape[-2:])
    count = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    if len(shape) < 2 or spatial != (height, width) or count not in ((1, batch) if not single else (1,)):
        raise FlowError(
            f"flow_metrics: {name} of shape {tuple(shape)} does not match the flow ({batch} map(s) of {height} x "
            f"{width}); pass {expected}, resized (or cropped) like the flow."
        )


def canny_edges(images, thresholds=(100, 200)):
    """Boolean Canny edge maps (B, H, W) of (B, H, W[, C]) images."""
    return np.stack([cv2.Canny(to_gray(im), *thresholds) > 0 for im in images])


def flow_metrics(pred, true, image=None, foreground=None, min_magnitude=MIN_MAGNITUDE, canny=(100, 200), reduce=True):
    """EPE, DS and OS of predicted against true flow, both (H, W, 2) or (B, H, W, 2) in pixels.

    - epe: mean end-point error ‖pred − true‖₂.
    - ds (direction similarity): mean cos of the angle between the vectors, in [-1, 1].
    - os (orientation similarity): mean |cos|, in [0, 1].
    Pixels where either vector is shorter than `min_magnitude` px count as 0 in DS and OS.

    Keys: "epe", "ds", "os" over all pixels; with `image`, "epe_edges", … over its Canny edges; with `foreground`
    (bool (H, W) or (B, H, W)), "epe_fg", … over it. Metrics are averaged per image, then over images (an image with
    an empty region is left out of that region's mean). `reduce=False` returns the per-image arrays.

    >>> f = np.random.default_rng(0).normal(size=(8, 8, 2))
    >>> {k: round(float(v), 6) for k, v in flow_metrics(f, f).items()}
    {'epe': 0.0, 'ds': 1.0, 'os': 1.0}
    """
    pred, true = check_flow(pred, "predicted flow"), check_flow(true, "true flow")
    if pred.shape != true.shape:
        raise ValueError(f"predicted flow {pred.shape} and true flow {true.shape} differ in shape")
    single = pred.ndim == 3
    flow_ndim = pred.ndim
    pred, true = pred.reshape((-1,) + pred.shape[-3:]), true.reshape((-1,) + true.shape[-3:])

    epe = np.linalg.norm(pred - true, axis=-1)
    norm_p, norm_t = np.linalg.norm(pred, axis=-1), np.linalg.norm(true, axis=-1)
    valid = (norm_p >= min_magnitude) & (norm_t >= min_magnitude)
    cos = np.where(valid, (pred * true).sum(-1) / np.where(valid, norm_p * norm_t, 1.0), 0.0)

    regions = {"": np.ones(epe.shape, bool)}
    if image is not None:
        image = np.asarray(image)
        has_channels = image.ndim == flow_ndim  # (…, H, W, C) beside (…, H, W, 2); else grayscale (…, H, W)
        _check_region(
            image.shape[:-1] if has_channels else image.shape,
            epe.shape,
            "image",
            flow_ndim,
            single,
            "the image(s) the flow was predicted from, (B, H, W[, C]) beside (B, H, W, 2) flow",
        )
        image = image.reshape((-1,) + image.shape[-3 if has_channels else -2 :])
        regions["_edges"] = canny_edges(image, canny)
    if foreground is not None:
        foreground = np.asarray(foreground, bool)
        _check_region(
            foreground.shape,
            epe.shape,
            "foreground",
            flow_ndim,
            single,
            "a bool mask (H, W) or (B, H, W) of the flow's size",
        )
        regions["_fg"] = foreground.reshape((-1,) + foreground.shape[-2:])
    out = {}
    for suffix, mask in regions.items():
        mask = np.broadcast_to(mask, epe.shape)
        for name, values in (("epe", epe), ("ds", cos), ("os", np.abs(cos))):
            per_image = _region_means(values, mask)
            out[name + suffix] = per_image[0] if single and not reduce else per_image
    if reduce:
        out = {k: float(np.nanmean(v)) if np.isfinite(v).any() else float("nan") for k, v in out.items()}
    return out
