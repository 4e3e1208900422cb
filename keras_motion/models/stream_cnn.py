"""A small plain ConvNet for one stream of a two-stream classifier (image, or flow image), for few labels on a CPU."""

import keras

from keras_motion.models.base import ConfigFromArguments, PolicyLayers
from keras_motion.models.image_scaling import ImageScaling


@keras.saving.register_keras_serializable(package="keras_motion")
class StreamCNN(ConfigFromArguments, keras.Model):
    """Four 3×3 conv + ReLU stages (width, 2·width, 4·width, 4·width; 2×2 max-pool after the first three), global
    average pooling, dropout and a linear layer: logits.

    No batch normalisation, on purpose: with a few hundred labeled images its moving statistics lag the weights and
    validation accuracy swings (or collapses to chance) from epoch to epoch. Inputs are uint8 images (or floats in
    0–255), scaled to [-1, 1] inside (`ImageScaling`); `rescale=False` takes them as they are (e.g. flow images
    already in [-1, 1]).

    >>> net = StreamCNN(num_classes=6, width=8)
    >>> tuple(net(np.zeros((2, 64, 64, 3), "uint8")).shape)
    (2, 6)
    """

    def __init__(self, num_classes, width=16, input_channels=3, dropout=0.3, rescale=True, name="stream_cnn", **kwargs):
        layers = PolicyLayers(kwargs.get("dtype"))
        inputs = keras.Input((None, None, input_channels), name="inputs")
        x = layers(ImageScaling, name="rescale")(inputs) if rescale else inputs
        for i, filters in enumerate((width, 2 * width, 4 * width, 4 * width)):
            x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"conv{i}")(x)
            if i < 3:
                x = layers.MaxPooling2D(name=f"pool{i}")(x)
        x = layers.GlobalAveragePooling2D(name="global_pool")(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        outputs = layers.Dense(num_classes, dtype="float32", name="predictions")(x)  # logits
        super().__init__(inputs, outputs, name=name, **kwargs)
