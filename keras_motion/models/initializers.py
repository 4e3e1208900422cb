"""Keras' random weight initialisers with the same values, drawn on JAX without one compilation per weight shape.

On JAX, `keras.random.uniform(shape)` (what `GlorotUniform` and the other variance-scaling initialisers call) is a
JAX program compiled for each new shape, and the counter-based random bits of JAX's default generator make each
such compilation slow on a CPU (0.3–5 s for a 4-D kernel on the 2-core machine): building the networks of one Im2Flow
run compiled it for 23 shapes. JAX's bits depend only on the key and on each element's flat index, so a kernel's
values are the first elements of a longer flat draw with the same key: these initialisers draw a flat vector of a
few sizes (powers of 2, at least `MIN_DRAW`) and keep its first elements, which are exactly Keras' values, for one
compilation per size. Other backends draw as Keras does.
"""

import math

import keras
import numpy as np

MIN_DRAW = 2**16  # elements of the smallest flat draw: every kernel of the CPU presets' networks fits one size


def draw_size(count):
    """The flat draw that holds `count` elements: the next power of 2, at least `MIN_DRAW`.

    >>> draw_size(27), draw_size(70000)
    (65536, 131072)
    """
    return max(MIN_DRAW, 1 << max(int(count) - 1, 0).bit_length())


def fans(shape):
    """(fan in, fan out) of a weight `shape`, as Keras counts them: a kernel's receptive field (all axes but the
    last two) times its input and output channels.

    >>> fans((3, 3, 8, 16)), fans((4, 10)), fans((5,))
    ((72, 144), (4, 10), (5, 5))
    """
    shape = tuple(int(d) for d in shape)
    if not shape:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class FlatDraws:
    """Mixin of a subclass of `keras.initializers.VarianceScaling`: its `__call__` gives the values Keras' gives,
    drawn on JAX as the first elements of a flat draw of `draw_size` elements."""

    def __call__(self, shape, dtype=None):
        if keras.backend.backend() != "jax" or self.input_axes is not None or self.output_axes is not None:
            return super().__call__(shape, dtype)
        fan_in, fan_out = fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out}.get(self.mode, (fan_in + fan_out) / 2.0)
        scale = self.scale / max(1.0, fan)
        count, flat = math.prod(shape), (draw_size(math.prod(shape)),)
        if self.distribution == "truncated_normal":
            values = keras.random.truncated_normal(
                flat, mean=0.0, stddev=math.sqrt(scale) / 0.87962566103423978, dtype=dtype, seed=self.seed
            )
        elif self.distribution == "untruncated_normal":
            values = keras.random.normal(flat, mean=0.0, stddev=math.sqrt(scale), dtype=dtype, seed=self.seed)
        else:
            limit = math.sqrt(3.0 * scale)
            values = keras.random.uniform(flat, minval=-limit, maxval=limit, dtype=dtype, seed=self.seed)
        # Cut and shaped in NumPy: a slice or reshape on the device would compile again for each shape.
        return keras.ops.convert_to_tensor(np.asarray(values)[:count].reshape(shape))


@keras.saving.register_keras_serializable(package="keras_motion")
class GlorotUniform(FlatDraws, keras.initializers.GlorotUniform):
    """`keras.initializers.GlorotUniform` (the default kernel initialiser of Keras' convolutions and dense layers):
    the same values, drawn on JAX with one compilation per `draw_size` instead of one per weight shape.

    Example:

    >>> kernel = GlorotUniform(seed=1)((3, 3, 4, 8))
    >>> tuple(kernel.shape), bool(np.allclose(kernel, keras.initializers.GlorotUniform(seed=1)((3, 3, 4, 8))))
    ((3, 3, 4, 8), True)
    """


@keras.saving.register_keras_serializable(package="keras_motion")
class HeNormal(FlatDraws, keras.initializers.HeNormal):
    """`keras.initializers.HeNormal`: the same values, drawn on JAX with one compilation per `draw_size`."""


# The string names of Keras' initialisers these replace, for `PolicyLayers`.
REPLACEMENTS = {"glorot_uniform": GlorotUniform, "he_normal": HeNormal}
KERNEL_ARGUMENTS = ("kernel_initializer", "depthwise_initializer", "pointwise_initializer")
