"""What the four methods' inference models share: a uint8-only door (`Uint8Inputs`) and the resize of any frame to a
network's trained size (`SquareResize`), both inside the model, so that its `.keras` file alone is its contract."""

import keras
import numpy as np
from keras import ops

from keras_motion.errors import ImageInputError
from keras_motion.models.base import ConfigFromArguments


def _dtype(x):
    return keras.backend.standardize_dtype(x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype)


def _check_pixels(inputs, name):
    for x in keras.tree.flatten(inputs):
        dtype = _dtype(x)
        if "int" not in dtype:
            raise ImageInputError(
                f"{name}: takes uint8 pixels (0-255), got {dtype}: a float image may be 0-1 or 0-255, which cannot be "
                "told apart safely; convert it with keras_motion.transforms.to_uint8(x, value_range=(0, 1)) (or "
                "(0, 255))"
            )


class Uint8Inputs:
    """Mixin of the functional inference models (before `keras.Model` in the bases): their inputs are uint8 pixels.

    A functional model casts whatever it is given to its inputs' dtype, so float images in [0, 1] would silently
    become black uint8 ones. Here a float or boolean input is refused before anything is computed, with
    `ImageInputError` naming the fix (`km.transforms.to_uint8(x, value_range=(0, 1))`); integer inputs are cast to
    uint8, their values taken to be 0..255 (a traced model cannot check values; `km.transforms.check_images` can,
    before the call). The check reads dtypes only, so it holds in compiled functions and exports alike; `predict`
    checks arrays before it starts (on JAX an error inside `predict` would leave the model's variables purged).
    """

    def call(self, inputs, *args, **kwargs):
        _check_pixels(inputs, self.name)
        return super().call(inputs, *args, **kwargs)

    def predict(self, x, *args, **kwargs):
        if all(hasattr(item, "dtype") or isinstance(item, (list, tuple)) for item in keras.tree.flatten(x)):
            _check_pixels(x, self.name)  # arrays and tensors; a data set or generator is checked by `call`
        return super().predict(x, *args, **kwargs)


def _static(value):
    """`value` as a Python int where it is known while tracing (always on JAX and PyTorch), else None."""
    try:
        return int(value)
    except TypeError:
        return None


@keras.saving.register_keras_serializable(package="keras_motion")
class SquareResize(ConfigFromArguments, keras.layers.Layer):
    """Images (B, H, W, C) or clips (B, T, H, W, C) of any size → every frame's central square (side min(H, W)),
    resized to `size` × `size`; `crop=False` resizes the whole frame instead (its aspect ratio then changes).

    Bilinear with antialiasing (a downscale averages, as OpenCV's area interpolation does); the values keep their
    range (0–255 pixels stay 0–255) in float32, whatever the policy, for the image scaling of the network after it.
    A frame of `size` × `size` passes unchanged, bit for bit.

    Example:

    >>> layer = SquareResize(16)
    >>> tuple(layer(np.zeros((2, 5, 48, 64, 3), "uint8")).shape), tuple(layer(np.zeros((1, 9, 7, 3))).shape)
    ((2, 5, 16, 16, 3), (1, 16, 16, 3))
    """

    def __init__(self, size, crop=True, **kwargs):
        kwargs.setdefault("autocast", False)  # pixels stay float32 (see above)
        super().__init__(**kwargs)
        self.size, self.crop = int(size), bool(crop)

    def call(self, frames):
        x = ops.cast(frames, "float32")
        shape = ops.shape(x)
        h, w = shape[-3], shape[-2]
        if _static(h) == _static(w) == self.size:
            return x
        if self.crop:
            side = min(h, w) if _static(h) is not None and _static(w) is not None else ops.minimum(h, w)
            top, left = (h - side) // 2, (w - side) // 2
            x = x[..., top : top + side, left : left + side, :]
        flat = ops.reshape(x, (-1,) + tuple(ops.shape(x)[-3:]))  # clips: their frames as one batch
        flat = ops.image.resize(flat, (self.size, self.size), interpolation="bilinear", antialias=True)
        return ops.reshape(flat, tuple(shape[:-3]) + (self.size, self.size, shape[-1]))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-3]) + (self.size, self.size, input_shape[-1])
