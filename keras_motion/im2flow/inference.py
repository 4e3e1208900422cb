"""Im2Flow's inference model: a uint8 image of any size → its hallucinated flow in pixels."""

import keras
from keras import ops

from keras_motion.flow.encoding import decode_im2flow
from keras_motion.models.base import ConfigFromArguments, PolicyLayers
from keras_motion.models.inference import Uint8Inputs


def _pad(size, multiple):
    """(before, total) padding that brings `size` to a multiple of `multiple`, split evenly. Written as the next
    multiple minus `size` (not `(-size) % multiple`) so that JAX's symbolic shapes (a SavedModel exported with free H
    and W) can prove the U-Net's skip connections line up."""
    total = -(-size // multiple) * multiple - size
    return total // 2, total


def _reflected(length, size, before):
    """Indices of a reflect padding of an axis of `size` entries by `before` (then up to `length`) entries, mirrored
    as many times as needed (also where the padding exceeds the axis), on every backend and shape."""
    period = ops.maximum(2 * (size - 1), 1)
    i = ops.mod(ops.arange(length) - before, period)
    return ops.where(i >= size, period - i, i)


@keras.saving.register_keras_serializable(package="keras_motion")
class ReflectPad(ConfigFromArguments, keras.layers.Layer):
    """(B, H, W, C) → H and W reflect-padded (centred) to the next multiples of `multiple`, the sizes a U-Net with
    `log2(multiple)` stride-2 levels takes; (`inputs`, `like`) → `inputs` (B, H', W', C') cropped back to the H, W
    of `like`. Any size (a small image is mirrored repeatedly); a multiple already passes unchanged.

    Example:

    >>> pad = ReflectPad(8)
    >>> x = np.arange(5 * 6, dtype="float32").reshape(1, 5, 6, 1)
    >>> padded = pad(x)
    >>> tuple(padded.shape), np.array_equal(keras.ops.convert_to_numpy(pad([padded, x])), x)
    ((1, 8, 8, 1), True)
    """

    def __init__(self, multiple, **kwargs):
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.multiple = int(multiple)

    def call(self, inputs):
        if isinstance(inputs, (list, tuple)):  # crop back
            x, like = inputs
            (h, w), (hp, wp) = ops.shape(like)[1:3], ops.shape(x)[1:3]
            top, left = (hp - h) // 2, (wp - w) // 2
            return x[:, top : top + h, left : left + w]
        x = inputs
        for axis in (1, 2):
            size = ops.shape(x)[axis]
            before, total = _pad(size, self.multiple)
            x = ops.take(x, _reflected(size + total, size, before), axis=axis)
        return x

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, (list, tuple)) and isinstance(input_shape[0], (list, tuple)):
            return tuple(input_shape[1][:3]) + (input_shape[0][-1],)
        padded = [None if s is None else s + _pad(s, self.multiple)[1] for s in input_shape[1:3]]
        return (input_shape[0], *padded, input_shape[-1])


def _multiple(unet):
    """2^(the U-Net's stride-2 levels): the sizes its skip connections line up at."""
    return 2 ** sum(isinstance(layer, keras.layers.Conv2D) and tuple(layer.strides) == (2, 2) for layer in unet.layers)


@keras.saving.register_keras_serializable(package="keras_motion")
class Im2FlowInference(ConfigFromArguments, Uint8Inputs, keras.Model):
    """uint8 images (B, H, W, 3) of any size → flow (B, H, W, 2) in pixels of that image (u right, v down): the
    trained Im2Flow U-Net and its decoding (`decode_im2flow` with the training's `max_magnitude`) in one model.

    Size rule: the U-Net is fully convolutional, but its skip connections need H and W divisible by 2^levels (its
    stride-2 encoder levels: 32 for a 32-px U-Net). The image is reflect-padded (centred) to the next multiples,
    the U-Net runs at the image's own resolution — the pixel scale it was trained at, on crops of video frames —
    and the flow is cropped back. An image of a multiple (e.g. the trained `image_size`) is not padded: there the
    model gives exactly `Im2Flow.predict_flow`. The other rule, resizing to `image_size` and back (the flow vectors
    scaled by the size ratio), changes the scale of the content the U-Net learnt motion from (docs/im2flow.md
    compares the two). Floats are refused (`Uint8Inputs`).

    Args:
        unet: the trained `Im2FlowUNet` (e.g. `Im2Flow.unet`).
        max_magnitude: px at which the training's encoding saturated (`Im2Flow.max_magnitude`).
        renormalize: of `decode_im2flow` (default: uncertain directions shrink the vector).

    Example:

    >>> from keras_motion.im2flow.unet import Im2FlowUNet
    >>> model = Im2FlowInference(Im2FlowUNet(image_size=32, base_filters=4), max_magnitude=3.75)
    >>> tuple(model(np.zeros((1, 45, 70, 3), "uint8")).shape)
    (1, 45, 70, 2)

    Reference: Gao, Xiong & Grauman, Im2Flow (CVPR 2018), §3.1 (the flow encoding, the U-Net).
    """

    def __init__(self, unet, max_magnitude, renormalize=False, name="im2flow_inference", **kwargs):
        layers = PolicyLayers(kwargs.get("dtype"))
        images = keras.Input((None, None, 3), dtype="uint8", name="images")
        pad = layers(ReflectPad, _multiple(unet), name="reflect_pad")
        encoded = unet(pad(ops.cast(images, "float32")))
        flow = decode_im2flow(encoded, float(max_magnitude), renormalize=renormalize)
        super().__init__(images, pad([flow, images]), name=name, **kwargs)
