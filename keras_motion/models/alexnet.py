"""An AlexNet-style CNN encoder (Krizhevsky et al.) without its last two FC layers: VRE + MRA's f(·)."""

import keras


@keras.saving.register_keras_serializable(package="keras_motion")
class AlexNetEncoder(keras.Model):
    """conv1–conv5 with max-pooling, then fc6: images (B, S, S, 3) in [-1, 1] → features (B, feature_dim).

    AlexNet minus fc7 and fc8 (those two are VRE + MRA's visual classifier p_c), 4096-d as in the paper. `width`
    scales every layer's filters (0.125 → 12, 32, 48, 48, 32) for CPU runs; `stem="small"` replaces the 11×11/4
    conv and 3×3/2 pools with a 3×3/1 conv and 2×2/2 pools for 32–64 px images. No normalisation layers: the
    original's local response normalisation is left out, and without BatchNorm a frozen encoder is truly frozen
    (no moving statistics change while another step of the five-step procedure trains).

    >>> enc = AlexNetEncoder(image_size=32, width=0.125, feature_dim=64, stem="small")
    >>> tuple(enc(np.zeros((2, 32, 32, 3), "float32")).shape)
    (2, 64)
    """

    def __init__(self, image_size=224, width=1.0, feature_dim=4096, stem="imagenet", dropout=0.5, name="alexnet",
                 **kwargs):
        if stem not in ("imagenet", "small"):
            raise ValueError(f"stem must be 'imagenet' or 'small', got {stem!r}")
        filters = [max(1, int(round(f * width))) for f in (96, 256, 384, 384, 256)]
        big = stem == "imagenet"
        inputs = keras.Input((image_size, image_size, 3), name="images")
        x = keras.layers.Conv2D(filters[0], 11 if big else 3, strides=4 if big else 1, padding="same",
                                activation="relu", name="conv1")(inputs)
        x = keras.layers.MaxPooling2D(3 if big else 2, strides=2, padding="same", name="pool1")(x)
        x = keras.layers.Conv2D(filters[1], 5 if big else 3, padding="same", activation="relu", name="conv2")(x)
        x = keras.layers.MaxPooling2D(3 if big else 2, strides=2, padding="same", name="pool2")(x)
        for i, f in enumerate(filters[2:], start=3):
            x = keras.layers.Conv2D(f, 3, padding="same", activation="relu", name=f"conv{i}")(x)
        x = keras.layers.MaxPooling2D(3 if big else 2, strides=2, padding="same", name="pool5")(x)
        x = keras.layers.Flatten(name="flatten")(x)
        x = keras.layers.Dropout(dropout, name="dropout6")(x)
        x = keras.layers.Dense(feature_dim, activation="relu", name="fc6")(x)
        super().__init__(inputs, x, name=name, **kwargs)
        self._config = dict(image_size=image_size, width=width, feature_dim=feature_dim, stem=stem, dropout=dropout)

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, **self._config}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
