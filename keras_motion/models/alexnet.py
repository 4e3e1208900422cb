"""An AlexNet-style CNN encoder (Krizhevsky et al.) without its last two FC layers: VRE + MRA's f(·)."""

import keras

from keras_motion.models.base import ConfigFromArguments, PolicyLayers
from keras_motion.models.image_scaling import ImageScaling
from keras_motion.models.normalization import BatchNormalization


@keras.saving.register_keras_serializable(package="keras_motion")
class AlexNetEncoder(ConfigFromArguments, keras.Model):
    """conv1–conv5 with max-pooling, then fc6: uint8 images (B, S, S, 3), 0–255 → features (B, feature_dim).

    AlexNet minus fc7 and fc8 (those two are VRE + MRA's visual classifier p_c), 4096-d as in the paper. `width`
    scales every layer's filters (0.125 → 12, 32, 48, 48, 32) for CPU runs; `stem="small"` replaces the 11×11/4
    conv and 3×3/2 pools with a 3×3/1 conv and 2×2/2 pools for 32–64 px images. By default no normalisation layers
    (the original's local response normalisation is left out). `norm="batch"` puts BatchNormalization (momentum
    `norm_momentum`) after each conv: it trains much faster from scratch (on the synthetic benchmark, 38 % instead
    of 27 % held-out accuracy after 800 supervised iterations), and a frozen encoder stays frozen, since Keras runs
    a non-trainable BatchNormalization in inference mode (its moving statistics do not change).

    Images are uint8 (or floats in 0–255), scaled to [-1, 1] inside (`ImageScaling`); `rescale=False` takes inputs
    as they are.

    >>> import numpy as np
    >>> enc = AlexNetEncoder(image_size=32, width=0.125, feature_dim=64, stem="small")
    >>> tuple(enc(np.zeros((2, 32, 32, 3), "uint8")).shape)
    (2, 64)
    """

    def __init__(
        self,
        image_size=224,
        width=1.0,
        feature_dim=4096,
        stem="imagenet",
        dropout=0.5,
        norm=None,
        norm_momentum=0.9,
        rescale=True,
        name="alexnet",
        **kwargs,
    ):
        if stem not in ("imagenet", "small"):
            raise ValueError(f"stem must be 'imagenet' or 'small', got {stem!r}")
        if norm not in (None, "batch"):
            raise ValueError(f"norm must be None (the paper's AlexNet, LRN left out) or 'batch', got {norm!r}")
        filters = [max(1, int(round(f * width))) for f in (96, 256, 384, 384, 256)]
        big = stem == "imagenet"
        layers = PolicyLayers(kwargs.get("dtype"))
        inputs = keras.Input((image_size, image_size, 3), name="images")

        def conv(x, filters, kernel, i, strides=1):
            x = layers.Conv2D(
                filters,
                kernel,
                strides=strides,
                padding="same",
                use_bias=norm is None,
                activation="relu" if norm is None else None,
                name=f"conv{i}",
            )(x)
            if norm is None:
                return x
            x = layers(BatchNormalization, momentum=norm_momentum, name=f"bn{i}")(x)
            return layers.ReLU(name=f"relu{i}")(x)

        x = layers(ImageScaling, name="rescale")(inputs) if rescale else inputs
        x = conv(x, filters[0], 11 if big else 3, 1, strides=4 if big else 1)
        x = layers.MaxPooling2D(3 if big else 2, strides=2, padding="same", name="pool1")(x)
        x = conv(x, filters[1], 5 if big else 3, 2)
        x = layers.MaxPooling2D(3 if big else 2, strides=2, padding="same", name="pool2")(x)
        for i, f in enumerate(filters[2:], start=3):
            x = conv(x, f, 3, i)
        x = layers.MaxPooling2D(3 if big else 2, strides=2, padding="same", name="pool5")(x)
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dropout(dropout, name="dropout6")(x)
        x = layers.Dense(feature_dim, activation="relu", name="fc6")(x)
        super().__init__(inputs, x, name=name, **kwargs)
