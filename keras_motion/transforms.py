"""Stateless image and clip transforms shared by every method: crops and resizing. (The uint8 → [-1, 1] scaling is
inside the models: `keras_motion.models.ImageScaling`.)"""

import numpy as np

from keras_motion.video.decode import resize_frame


def center_crop(array, crop_size):
    """Central `crop_size` × `crop_size` window of (..., H, W, C) arrays.

    >>> center_crop(np.zeros((2, 8, 10, 3)), 4).shape
    (2, 4, 4, 3)
    """
    h, w = array.shape[-3:-1]
    top, left = (h - crop_size) // 2, (w - crop_size) // 2
    return array[..., top:top + crop_size, left:left + crop_size, :]


def crop_clip(clip, crop_size, rng=None):
    """A `crop_size` square of every frame of a (T, H, W, C) clip: random with a NumPy Generator `rng`, central
    with `rng=None`."""
    h, w = clip.shape[1:3]
    top = (h - crop_size) // 2 if rng is None else int(rng.integers(0, h - crop_size + 1))
    left = (w - crop_size) // 2 if rng is None else int(rng.integers(0, w - crop_size + 1))
    return clip[:, top:top + crop_size, left:left + crop_size]


def resize_clip(clip, size):
    """Every frame of a (T, H, W, C) clip resized to short side `size` (`None`, or already that size: unchanged)."""
    if size is None or min(clip.shape[1:3]) == size:
        return clip
    return np.stack([resize_frame(f, size) for f in clip])
