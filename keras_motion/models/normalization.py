"""Batch normalization over the global batch, whatever the number of devices it is split over."""

import keras


@keras.saving.register_keras_serializable(package="keras_motion")
class BatchNormalization(keras.layers.BatchNormalization):
    """Keras' `BatchNormalization`, whose statistics are those of the global batch when it is built under a
    `tf.distribute` strategy of several replicas (Keras' default there: each replica's own); one device and JAX's
    `DataParallel` (one program over the global batch) already give those. The setting is not saved, so a model
    trained on several TensorFlow devices loads on every backend (Keras refuses `synchronized=True` off TensorFlow).

    >>> layer = BatchNormalization(momentum=0.9)
    >>> layer.synchronized, "synchronized" in layer.get_config()
    (False, False)
    """

    def __init__(self, **kwargs):
        kwargs.pop("synchronized", None)
        super().__init__(**kwargs)
        self.synchronized = _replicas() > 1

    def get_config(self):
        config = super().get_config()
        config.pop("synchronized", None)
        return config


def _replicas():
    """Replicas of the `tf.distribute` strategy in scope (1 without one, and off TensorFlow)."""
    if keras.backend.backend() != "tensorflow":
        return 1
    import tensorflow as tf

    return tf.distribute.get_strategy().num_replicas_in_sync if tf.distribute.has_strategy() else 1
