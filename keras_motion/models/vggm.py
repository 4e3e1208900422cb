"""VGG-M up to FC6 (Chatfield et al. 2014): the Appearance and Motion ConvNets of Pose from Action."""

import keras

from keras_motion.models.base import ConfigFromArguments, PolicyLayers
from keras_motion.models.image_scaling import ImageScaling
from keras_motion.models.normalization import BatchNormalization

VGG_M = ((96, 7, 2, True), (256, 5, 2, True), (512, 3, 1, False), (512, 3, 1, False), (512, 3, 1, True))


@keras.saving.register_keras_serializable(package="keras_motion")
class VGGMFeatures(ConfigFromArguments, keras.Model):
    """VGG-M up to FC6: five convs (96 7×7/2, 256 5×5/2, 512 3×3, 512 3×3, 512 3×3; 3×3/2 max-pools after conv 1,
    2 and 5), flattened (so that features keep *where* things are), FC `feature_dim` (4096) + ReLU + dropout.

    `width` scales the filter counts and `stem_stride=1` keeps the resolution of the first two convs, for small
    (e.g. 64 px) inputs on a CPU. `input_channels=2Δ` makes the Motion ConvNet. Local response normalisation is
    replaced by BatchNorm (`batch_norm`, momentum `norm_momentum`); the paper notes BN changes little.

    Inputs are uint8 images (or floats in 0–255), scaled to [-1, 1] inside (`ImageScaling`). `rescale=False` takes
    them as they are (the Motion ConvNet's flow stacks), multiplied by `input_scale` if it is not 1.

    >>> net = VGGMFeatures(image_size=56, width=0.125, feature_dim=64, stem_stride=1)
    >>> tuple(net(np.zeros((2, 56, 56, 3), "uint8")).shape)
    (2, 64)
    """

    def __init__(
        self,
        image_size=224,
        input_channels=3,
        width=1.0,
        feature_dim=4096,
        stem_stride=2,
        batch_norm=True,
        norm_momentum=0.9,
        dropout=0.5,
        input_scale=1.0,
        rescale=True,
        name="vgg_m_features",
        **kwargs,
    ):
        layers = PolicyLayers(kwargs.get("dtype"))
        inputs = keras.Input((image_size, image_size, input_channels), name="inputs")
        x = layers(ImageScaling, name="rescale")(inputs) if rescale else inputs
        if input_scale != 1.0:
            x = layers.Rescaling(input_scale, name="input_scale")(x)
        for i, (filters, kernel, stride, pool) in enumerate(VGG_M, start=1):
            stride = stem_stride if stride > 1 else 1
            x = layers.Conv2D(
                max(1, int(round(filters * width))),
                kernel,
                strides=stride,
                padding="same",
                use_bias=not batch_norm,
                name=f"conv{i}",
            )(x)
            if batch_norm:
                x = layers(BatchNormalization, momentum=norm_momentum, name=f"conv{i}_bn")(x)
            x = layers.ReLU(name=f"conv{i}_relu")(x)
            if pool:
                x = layers.MaxPooling2D(3, strides=2, padding="same", name=f"pool{i}")(x)
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(feature_dim, activation="relu", name="fc6")(x)
        if dropout:
            x = layers.Dropout(dropout, name="fc6_dropout")(x)
        super().__init__(inputs, x, name=name, **kwargs)
