"""Stateless image and clip transforms shared by every method: the images' input contract (`to_uint8`,
`check_images`), crops and resizing. (The uint8 → [-1, 1] scaling is inside the models:
`keras_motion.models.ImageScaling`.)"""

import numpy as np

from keras_motion.errors import ImageInputError
from keras_motion.utils.checks import check_int
from keras_motion.video.decode import resize_frame
from keras_motion.video.lazy import LazyArray

_FIX = "convert with keras_motion.transforms.to_uint8(x, value_range=(low, high))"


def to_uint8(images, value_range=None, name="images", fix=_FIX):
    """The pixels of `images` as uint8 0–255: the one input contract of every image and video entry point.

    uint8 passes as is (no copy). Integer arrays whose values all lie in 0..255 are cast. Anything else needs its
    `value_range` declared, e.g. `(0, 1)` for scikit-image's float images or `(0, 65535)` for 16-bit ones, and is
    mapped linearly onto 0..255 and rounded: a float image is never guessed to be 0–1 or 0–255, since either guess
    is silently wrong for the other (near-black or saturated inputs). Booleans, non-numeric arrays, NaN / inf and
    values outside the declared range raise `ImageInputError` naming `name` and the fix.

    Args:
        images: an array (any shape) or a nested sequence of equal-shaped arrays.
        value_range: `(low, high)` of the values, mapped to 0 and 255; `None`: the values are pixels already.
        name: how error messages call the input (an argument name).
        fix: how error messages say to declare the range (an entry point with its own `value_range` names it).

    Example:

    >>> to_uint8(np.array([0.0, 0.5, 1.0]), value_range=(0, 1))
    array([  0, 128, 255], dtype=uint8)
    >>> try:
    ...     to_uint8(np.array([0.0, 0.5, 1.0]), name="images")
    ... except ImageInputError as e:
    ...     print(str(e)[:54])
    images: float64 pixels need their value range declared
    """
    if isinstance(images, (str, bytes)) or hasattr(images, "__fspath__"):
        raise ImageInputError(
            f"{name}: expected pixels, got the path {images!r}; read it first "
            "(keras_motion.video.read_image / read_video)"
        )
    if isinstance(images, LazyArray) and images.dtype == np.uint8 and value_range is None:
        return images  # decoded video, uint8 by construction: read per access, never here
    try:
        images = np.asarray(images)
    except ValueError as e:  # ragged nested lists
        raise ImageInputError(
            f"{name}: the images differ in shape ({e}); resize or crop them to one size first "
            "(keras_motion.video.resize_frame, keras_motion.transforms.center_crop)"
        ) from None
    kind = images.dtype.kind
    if images.dtype == np.uint8 and value_range is None:
        return images
    if kind == "b":
        raise ImageInputError(
            f"{name}: got a boolean array (a mask?), not pixels; pass uint8 images, or "
            "mask.astype('uint8') * 255 if a black-and-white image is meant"
        )
    if kind not in "uif":
        raise ImageInputError(f"{name}: expected numeric pixels, got dtype {images.dtype} (shape {images.shape})")
    if images.size == 0:
        return images.astype(np.uint8)
    if kind == "f" and not np.isfinite(images).all():
        raise ImageInputError(
            f"{name}: {images.size - int(np.isfinite(images).sum())} NaN/inf pixel value(s); "
            "replace them (e.g. np.nan_to_num) first"
        )
    lowest, highest = images.min(), images.max()
    if value_range is None:
        if kind in "ui" and lowest >= 0 and highest <= 255:
            return images.astype(np.uint8)
        what = (
            f"{images.dtype} pixels need their value range declared"
            if kind == "f"
            else f"{images.dtype} values {lowest}..{highest} do not fit 0..255"
        )
        raise ImageInputError(
            f"{name}: {what} (uint8 0-255 is the input contract; a float image may be 0-1 or "
            f"0-255, which cannot be told apart safely); {fix}, e.g. value_range=(0, 1) for "
            "scikit-image's float images or (0, 65535) for 16-bit ones"
        )
    low, high = (float(v) for v in value_range)
    if not high > low:
        raise ImageInputError(f"{name}: value_range must be (low, high) with high > low, got {value_range}")
    if lowest < low or highest > high:
        raise ImageInputError(
            f"{name}: values {lowest}..{highest} lie outside the declared value_range "
            f"{tuple(value_range)}; declare the range the data really has"
        )
    scaled = (images.astype(np.float64) - low) * (255.0 / (high - low))
    return np.rint(scaled).astype(np.uint8)


def check_images(images, name="images", batched=True, channels=3, value_range=None):
    """`images` as uint8 under the input contract (`to_uint8`) and in the shape an entry point needs; else
    `ImageInputError` naming `name` and the fix.

    A batch is (N, H, W, C) (`batched=True`; one item: `images[None]`), one image (H, W, C) otherwise, with N ≥ 1.
    With `channels=3`, a single-channel image (..., 1) is repeated to RGB; a batch of grayscale images without a
    channel axis (N, H, W) is refused, since (H, W, 3) would read the same.

    Example:

    >>> check_images(np.zeros((2, 8, 8, 1), "uint8")).shape
    (2, 8, 8, 3)
    >>> try:
    ...     check_images(np.zeros((2, 8, 8), "uint8"))
    ... except ImageInputError as e:
    ...     print(str(e)[:73])
    images: expected a batch of images (N, H, W, 3), got shape (2, 8, 8); add
    """
    images = to_uint8(images, value_range, name)
    if isinstance(images, LazyArray) and images.ndim == (4 if batched else 3) and images.shape[-1] == channels:
        return images  # its rows are read per batch, with the shape checked here
    rank = 4 if batched else 3
    form = f"{'a batch of images (N, H, W, ' if batched else 'one image (H, W, '}{channels})"
    if images.ndim != rank:
        fix = (
            "add a channel axis to grayscale images: images[..., None]; a single image: images[None]"
            if batched and images.ndim == 3
            else "pass the right shape"
        )
        raise ImageInputError(f"{name}: expected {form}, got shape {images.shape}; {fix}")
    if images.size == 0:
        raise ImageInputError(f"{name}: got no pixels (shape {images.shape}); pass at least one image of ≥ 1 × 1 px")
    if images.shape[-1] == 1 and channels == 3:
        return np.repeat(images, 3, axis=-1)
    if images.shape[-1] != channels:
        fix = "; drop an alpha channel with images[..., :3]" if images.shape[-1] == 4 else ""
        raise ImageInputError(f"{name}: expected {form}, got {images.shape[-1]} channels (shape {images.shape}){fix}")
    return images


def center_crop(array, crop_size):
    """Central `crop_size` × `crop_size` window of (..., H, W, C) arrays; `crop_size` an integer in 1..min(H, W).

    >>> center_crop(np.zeros((2, 8, 10, 3)), 4).shape
    (2, 4, 4, 3)
    """
    h, w = array.shape[-3:-1]
    check_int(crop_size, "center_crop crop_size", 1, min(h, w))  # a larger one would slice a smaller window silently
    top, left = (h - crop_size) // 2, (w - crop_size) // 2
    return array[..., top : top + crop_size, left : left + crop_size, :]


def crop_clip(clip, crop_size, rng=None):
    """A `crop_size` square of every frame of a (T, H, W, C) clip: random with a NumPy Generator `rng`, central
    with `rng=None`."""
    h, w = clip.shape[1:3]
    check_int(crop_size, "crop_clip crop_size", 1, min(h, w))
    top = (h - crop_size) // 2 if rng is None else int(rng.integers(0, h - crop_size + 1))
    left = (w - crop_size) // 2 if rng is None else int(rng.integers(0, w - crop_size + 1))
    return clip[:, top : top + crop_size, left : left + crop_size]


def resize_clip(clip, size):
    """Every frame of a (T, H, W, C) clip resized to short side `size` (`None`, or already that size: unchanged)."""
    if size is None or min(clip.shape[1:3]) == size:
        return clip
    return np.stack([resize_frame(f, size) for f in clip])
