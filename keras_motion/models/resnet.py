"""A 2-D ResNet (He et al., 2016) for any number of input channels: Im2Flow's motion-content loss network φ
(ResNet-18 on encoded flow images) and the streams of two-stream classifiers."""

import keras

from keras_motion.models.base import ConfigFromArguments, PolicyLayers
from keras_motion.models.image_scaling import ImageScaling
from keras_motion.models.normalization import BatchNormalization

BLOCKS = {10: (1, 1, 1, 1), 18: (2, 2, 2, 2), 34: (3, 4, 6, 3)}


def _basic_block(layers, x, filters, stride, name, momentum):
    shortcut = x
    x = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, name=f"{name}_conv1")(x)
    x = layers(BatchNormalization, momentum=momentum, name=f"{name}_bn1")(x)
    x = layers.ReLU(name=f"{name}_relu1")(x)
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")(x)
    x = layers(BatchNormalization, momentum=momentum, name=f"{name}_bn2")(x)
    if stride != 1 or shortcut.shape[-1] != filters:
        if stride != 1:
            # A 1×1 conv of stride s == subsampling by s, then a 1×1 conv. Written that way because TensorFlow 2.21's
            # oneDNN CPU kernels abort ("double free") training a strided 1×1 conv on a batch of another size.
            shortcut = layers.MaxPooling2D(1, strides=stride, name=f"{name}_subsample")(shortcut)
        shortcut = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_proj")(shortcut)
        shortcut = layers(BatchNormalization, momentum=momentum, name=f"{name}_proj_bn")(shortcut)
    x = layers.Add(name=f"{name}_add")([x, shortcut])
    return layers.ReLU(name=f"{name}_out")(x)


@keras.saving.register_keras_serializable(package="keras_motion")
class ResNet2D(ConfigFromArguments, keras.Model):
    """ResNet-10/18/34 with basic blocks, channels-last, any input size; logits head or pooled features.

    The output of residual stage k is the layer named `stage{k}_out` (see `stage_features`): Im2Flow's content loss
    uses stage 2. `stem="imagenet"` is the 7×7/2 conv + 3×3/2 max-pool stem; `stem="small"` a 3×3/1 conv for
    small images (e.g. 64 px). BatchNorm's moving statistics use `norm_momentum` 0.9 (PyTorch's 0.1), not Keras'
    0.99, which needs thousands of steps to settle: on a few hundred labeled images, validation would see stale
    statistics for the whole run.

    Inputs are uint8 images (or floats in 0–255), scaled to [-1, 1] inside (`ImageScaling`); `rescale=False` takes
    them as they are (e.g. φ's encoded flow images, already in [-1, 1]).

    >>> net = ResNet2D(depth=10, num_classes=6, base_filters=8, input_channels=3, stem="small")
    >>> tuple(net(np.zeros((2, 64, 64, 3), "uint8")).shape)
    (2, 6)
    """

    def __init__(
        self,
        depth=18,
        num_classes=None,
        base_filters=64,
        input_channels=3,
        stem="imagenet",
        dropout=0.0,
        norm_momentum=0.9,
        rescale=True,
        name=None,
        **kwargs,
    ):
        if depth not in BLOCKS:
            raise ValueError(f"depth must be one of {sorted(BLOCKS)}, got {depth}")
        if stem not in ("imagenet", "small"):
            raise ValueError(f"stem must be 'imagenet' or 'small', got {stem!r}")
        layers = PolicyLayers(kwargs.get("dtype"))
        inputs = keras.Input((None, None, input_channels), name="inputs")
        x = layers(ImageScaling, name="rescale")(inputs) if rescale else inputs
        if stem == "imagenet":
            x = layers.Conv2D(base_filters, 7, strides=2, padding="same", use_bias=False, name="stem_conv")(x)
        else:
            x = layers.Conv2D(base_filters, 3, padding="same", use_bias=False, name="stem_conv")(x)
        x = layers(BatchNormalization, momentum=norm_momentum, name="stem_bn")(x)
        x = layers.ReLU(name="stem_relu")(x)
        if stem == "imagenet":
            x = layers.MaxPooling2D(3, strides=2, padding="same", name="stem_pool")(x)
        for stage, blocks in enumerate(BLOCKS[depth], start=1):
            filters = base_filters * 2 ** (stage - 1)
            for b in range(blocks):
                stride = 2 if stage > 1 and b == 0 else 1
                x = _basic_block(layers, x, filters, stride, f"stage{stage}_block{b}", norm_momentum)
                if b == blocks - 1:
                    x = layers.Identity(name=f"stage{stage}_out")(x)
        x = layers.GlobalAveragePooling2D(name="pool")(x)
        if num_classes:
            if dropout:
                x = layers.Dropout(dropout, name="dropout")(x)
            x = layers.Dense(num_classes, dtype="float32", name="predictions")(x)  # logits
        super().__init__(inputs, x, name=name or f"resnet{depth}", **kwargs)

    def stage_features(self, stage=2):
        """A model from the same input to the output of residual stage `stage` (sharing weights)."""
        return keras.Model(self.input, self.get_layer(f"stage{stage}_out").output, name=f"{self.name}_stage{stage}")
