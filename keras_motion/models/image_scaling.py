"""The scaling of uint8 images to the [-1, 1] range of the image models, inside the model."""

import keras
from keras import ops

from keras_motion.models.base import ConfigFromArguments


@keras.saving.register_keras_serializable(package="keras_motion")
class ImageScaling(ConfigFromArguments, keras.layers.Layer):
    """uint8-valued images (uint8, or floats in 0–255) → `x / 127.5 - 1` in [-1, 1]: the first layer of every
    keras_motion image model (their `rescale=True`), so that a model alone is its contract, images in, logits out.

    The arithmetic is float32 whatever the input dtype (inputs are not autocast), a division then a subtraction:
    bit-identical to NumPy's `np.asarray(x, np.float32) / 127.5 - 1.0`, eager and compiled, on every backend. The
    result is then cast to the layer's compute dtype (e.g. bfloat16 under "mixed_bfloat16"). Keras' `Rescaling`
    multiplies by the reciprocal, which rounds differently (205 of the 256 uint8 values differ by one ulp); so does
    XLA (TensorFlow's compiled `fit` / `predict`, JAX) wherever the divisor is a constant or a broadcast scalar,
    even a weight. The divisor is therefore an element-wise tensor, `x · 0 + 127.5`, which XLA divides by as written
    (it does not fold a float `x · 0`, which is NaN for an infinite x). The layer has no weights.

    Example:

    >>> layer = ImageScaling()
    >>> keras.ops.convert_to_numpy(layer(np.array([[0, 51, 255]], np.uint8))).tolist()
    [[-1.0, -0.6000000238418579, 1.0]]
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("autocast", False)  # a float input stays float32 until the arithmetic is done
        super().__init__(**kwargs)

    def call(self, images):
        x = ops.cast(images, "float32")
        divisor = ops.add(ops.multiply(x, 0.0), 127.5)  # 127.5 everywhere, but not a constant to XLA (see above)
        return ops.cast(ops.subtract(ops.divide(x, divisor), 1.0), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape
