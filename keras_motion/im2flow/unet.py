"""Im2Flow's encoder–decoder (Gao et al., CVPR 2018): a U-Net from one RGB image to its Im2Flow-encoded flow."""

import math

import keras

from keras_motion.models.base import ConfigFromArguments, PolicyLayers
from keras_motion.models.image_scaling import ImageScaling
from keras_motion.models.normalization import BatchNormalization


@keras.saving.register_keras_serializable(package="keras_motion")
class Im2FlowUNet(ConfigFromArguments, keras.Model):
    """uint8 image (H, W, 3) → flow image (H, W, 3) in the Im2Flow encoding (tanh: sin θ, cos θ, magnitude).

    The official model is pix2pix's U-Net-256: `depth` = log2(image_size) encoder convs 4×4 stride 2 (filters
    `base_filters`·(1, 2, 4, 8, 8, …), LeakyReLU 0.2, BatchNorm except the first), mirrored transposed convs with
    skip concatenation, dropout on the first three decoder blocks, ReLU, BatchNorm except the last, tanh output.
    Smaller images get a shallower net (64 → 6 levels); `depth` overrides it. BatchNorm momentum 0.9 is Torch's 0.1,
    as in the official (Lua Torch) model.

    `dilated=True` follows the paper's text instead: the last `dilated_levels` encoder blocks keep the resolution
    with 3×3 convs dilated 2, 4, 8, … (Yu & Koltun's context module) rather than halving it, and their decoder
    blocks are stride-1 convs, so the bottleneck is spatial and its receptive field still grows exponentially.

    Images are uint8 (or floats in 0–255), scaled to [-1, 1] inside (`ImageScaling`); `rescale=False` takes inputs
    as they are.

    >>> net = Im2FlowUNet(image_size=64, base_filters=8)
    >>> tuple(net(np.zeros((1, 64, 64, 3), "uint8")).shape)
    (1, 64, 64, 3)
    """

    def __init__(
        self,
        image_size=256,
        base_filters=64,
        depth=None,
        dilated=False,
        dilated_levels=3,
        dropout=0.5,
        dropout_blocks=3,
        max_filter_multiplier=8,
        input_channels=3,
        norm_momentum=0.9,
        rescale=True,
        name="im2flow_unet",
        **kwargs,
    ):
        if depth is None:
            depth = int(round(math.log2(image_size)))
            if 2**depth != image_size:
                raise ValueError(f"image_size must be a power of 2 (or pass depth=...), got {image_size}")
        if dilated and not 0 < dilated_levels < depth:
            raise ValueError(f"dilated_levels must be in [1, depth - 1] = [1, {depth - 1}], got {dilated_levels}")
        strided = depth - (dilated_levels if dilated else 0)
        filters = [base_filters * min(2**i, max_filter_multiplier) for i in range(depth)]

        layers = PolicyLayers(kwargs.get("dtype"))
        inputs = keras.Input((None, None, input_channels), name="image")
        x, skips = (layers(ImageScaling, name="rescale")(inputs) if rescale else inputs), []
        for i in range(depth):
            if i < strided:
                x = layers.Conv2D(filters[i], 4, strides=2, padding="same", name=f"enc{i}_conv")(x)
            else:
                rate = 2 ** (i - strided + 1)
                x = layers.Conv2D(filters[i], 3, dilation_rate=rate, padding="same", name=f"enc{i}_dilated{rate}")(x)
            if i > 0 and i < depth - 1:  # pix2pix: no norm on the first block nor on the 1×1 bottleneck
                x = layers(BatchNormalization, momentum=norm_momentum, name=f"enc{i}_bn")(x)
            x = layers.LeakyReLU(0.2, name=f"enc{i}_act")(x)
            skips.append(x)

        for i in reversed(range(depth)):  # decoder block i undoes encoder block i
            if i < depth - 1:
                x = layers.Concatenate(name=f"dec{i}_skip")([x, skips[i]])
            out_filters = filters[i - 1] if i > 0 else 3
            if i < strided:
                x = layers.Conv2DTranspose(out_filters, 4, strides=2, padding="same", name=f"dec{i}_deconv")(x)
            else:
                x = layers.Conv2D(out_filters, 3, padding="same", name=f"dec{i}_conv")(x)
            if i == 0:
                break
            x = layers(BatchNormalization, momentum=norm_momentum, name=f"dec{i}_bn")(x)
            if depth - 1 - i < dropout_blocks and dropout > 0:
                x = layers.Dropout(dropout, name=f"dec{i}_dropout")(x)
            x = layers.ReLU(name=f"dec{i}_act")(x)
        outputs = layers.Activation("tanh", dtype="float32", name="flow_image")(x)
        super().__init__(inputs, outputs, name=name, **kwargs)
