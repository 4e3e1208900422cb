"""Side-by-side pictures of flow predictions: rows of [image | true flow | predicted flow] as one RGB array."""

import cv2
import numpy as np

from keras_motion.flow.compute import check_flow
from keras_motion.flow.visualize import flow_to_color
from keras_motion.utils.files import atomic_path


def to_display_uint8(images):
    """Images as the model takes them → uint8 RGB (..., H, W, 3) for display.

    uint8 passes through; float images are read as [-1, 1] when any value is negative, [0, 1] when all are ≤ 1,
    else [0, 255]. Grayscale (…, H, W, 1) is repeated to 3 channels.
    """
    images = np.asarray(images)
    if images.dtype != np.uint8:
        x = np.nan_to_num(images.astype(np.float32))
        if x.size and x.min() < 0:
            x = (x + 1.0) * 127.5
        elif x.size and x.max() <= 1.0:
            x = x * 255.0
        images = np.clip(np.rint(x), 0, 255).astype(np.uint8)
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    if images.shape[-1] != 3:
        raise ValueError(f"expected RGB (..., H, W, 3) or grayscale (..., H, W, 1) images, got {images.shape}")
    return images


def flow_grid(images, true_flows, pred_flows, max_magnitude=None, separator=2):
    """One uint8 RGB picture with a row per example: image | true flow colour | predicted flow colour.

    Both flows use one colour scale, `max_magnitude` px at full saturation (default: the 99th percentile of the
    true flows' magnitude over the whole grid), so a colour means the same motion in every cell. Cells are
    separated by `separator`-px white lines; images of another size than the flow are resized to it.
    Shape: (N·H + (N−1)·separator, 3·W + 2·separator, 3).

    >>> flow_grid(np.zeros((2, 8, 8, 3), np.uint8), np.ones((2, 8, 8, 2)), np.zeros((2, 8, 8, 2))).shape
    (18, 28, 3)
    """
    true_flows = check_flow(true_flows, "true flows (flow_grid)")
    pred_flows = check_flow(pred_flows, "predicted flows (flow_grid)")
    if true_flows.ndim == 3:  # one example
        images, true_flows, pred_flows = np.asarray(images)[None], true_flows[None], pred_flows[None]
    if true_flows.shape != pred_flows.shape or true_flows.ndim != 4 or true_flows.shape[-1] != 2:
        raise ValueError(
            f"true flows {true_flows.shape} and predicted flows {pred_flows.shape} must both be (N, H, W, 2)"
        )
    images = to_display_uint8(images)
    if len(images) != len(true_flows):
        raise ValueError(f"{len(images)} images but {len(true_flows)} flows")
    n, height, width = true_flows.shape[:3]
    if max_magnitude is None:
        magnitude = np.linalg.norm(true_flows, axis=-1)
        max_magnitude = float(np.percentile(magnitude, 99)) if magnitude.size else 0.0
        if max_magnitude <= 1e-6:  # no true motion: scale by the prediction instead, or anything at all
            max_magnitude = float(np.linalg.norm(pred_flows, axis=-1).max(initial=0.0)) or 1.0
    true_rgb = flow_to_color(true_flows, max_magnitude)
    pred_rgb = flow_to_color(pred_flows, max_magnitude)

    grid = np.full((n * height + (n - 1) * separator, 3 * width + 2 * separator, 3), 255, np.uint8)
    for i in range(n):
        image = images[i]
        if image.shape[:2] != (height, width):
            image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
        top = i * (height + separator)
        for j, cell in enumerate((image, true_rgb[i], pred_rgb[i])):
            left = j * (width + separator)
            grid[top : top + height, left : left + width] = cell
    return grid


def save_png(path, rgb):
    """Write a uint8 RGB (H, W, 3) or grayscale (H, W) array as PNG, atomically (temp file + rename).

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "grid.png")
    >>> save_png(path, np.zeros((4, 4, 3), np.uint8)); os.path.exists(path)
    True
    """
    rgb = np.asarray(rgb)
    if rgb.dtype != np.uint8:
        raise ValueError(f"save_png expects uint8, got {rgb.dtype}")
    bgr = np.ascontiguousarray(rgb[..., ::-1]) if rgb.ndim == 3 else rgb  # OpenCV writes BGR
    with atomic_path(path) as tmp:
        if not cv2.imwrite(tmp, bgr):
            raise OSError(f"could not write PNG {path!r} (is the folder writable and the name .png?)")
