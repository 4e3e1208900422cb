"""Im2Flow's training loss: pixel L2 on the encoded flow + λ · motion content, with magnitude-weighted gradients."""

import keras
from keras import ops

from keras_motion.flow.encoding import decode_im2flow
from keras_motion.models.base import ConfigFromArguments


def magnitude_weighted(y_true, y_pred):
    """`y_pred` with the same value but the gradients of its sin θ and cos θ channels scaled by the true magnitude.

    Directions of nearly static pixels are noise (often camera motion), so Im2Flow weights their gradient by the
    normalised true magnitude w = (m + 1) / 2 of the [-1, 1] magnitude channel: ŷ' = ŷ·w + stop_gradient(ŷ·(1 − w)).
    The magnitude channel keeps weight 1.
    """
    w = (y_true[..., 2:3] + 1.0) * 0.5
    ones = ops.ones_like(w)
    weights = ops.concatenate([w, w, ones], axis=-1)
    weights = ops.stop_gradient(weights)
    return y_pred * weights + ops.stop_gradient(y_pred * (1.0 - weights))


@keras.saving.register_keras_serializable(package="keras_motion")
class Im2FlowLoss(ConfigFromArguments, keras.losses.Loss):
    """L = pixel_weight · mean‖ŷ − y‖² + content_weight · mean‖φ(ŷ) − φ(y)‖² on Im2Flow-encoded flow images.

    Args:
        content_network: φ, a Keras model from flow images to feature maps (e.g. `ResNet2D(...).stage_features(2)`
            of a flow-image action classifier); None switches the content term off. It is not trained by this loss.
        content_weight: λ (0.02 in the paper).
        magnitude_weighting: scale the sin/cos gradients by the true magnitude (see `magnitude_weighted`).

    `get_config` stores φ's architecture, not its weights: a loss rebuilt from config needs φ's trained weights loaded
    again (save φ itself as `.keras`).

    >>> loss = Im2FlowLoss(content_network=None)
    >>> float(loss(np.zeros((1, 4, 4, 3)), np.full((1, 4, 4, 3), 0.5)))
    0.25
    """

    def __init__(
        self,
        content_network=None,
        content_weight=0.02,
        pixel_weight=1.0,
        magnitude_weighting=True,
        name="im2flow_loss",
        reduction="sum_over_batch_size",
        **kwargs,
    ):
        super().__init__(name=name, reduction=reduction, **kwargs)
        if content_network is not None:
            content_network.trainable = False
        self.content_network = content_network
        self.content_weight = content_weight
        self.pixel_weight = pixel_weight
        self.magnitude_weighting = magnitude_weighting

    def pixel_and_content(self, y_true, y_pred):
        """Per-sample (pixel, content) terms, unweighted; content is zeros without a content network."""
        y_true = ops.cast(y_true, "float32")
        y_pred = ops.cast(y_pred, "float32")
        if self.magnitude_weighting:
            y_pred = magnitude_weighted(y_true, y_pred)
        pixel = ops.mean(ops.square(y_pred - y_true), axis=(1, 2, 3))
        if self.content_network is None or not self.content_weight:
            return pixel, ops.zeros_like(pixel)
        features = self.content_network(ops.concatenate([y_true, y_pred], axis=0), training=False)
        f_true, f_pred = ops.split(ops.cast(features, "float32"), 2, axis=0)
        f_true = ops.stop_gradient(f_true)
        content = ops.mean(ops.square(f_pred - f_true), axis=tuple(range(1, len(f_pred.shape))))
        return pixel, content

    def call(self, y_true, y_pred):
        pixel, content = self.pixel_and_content(y_true, y_pred)
        return self.pixel_weight * pixel + self.content_weight * content


@keras.saving.register_keras_serializable(package="keras_motion")
class EndPointError(keras.metrics.MeanMetricWrapper):
    """The mean end-point error in px between two Im2Flow-encoded flow images (decoded with `max_magnitude`): the
    flow benchmark's EPE, as a Keras metric, so that `fit` reports it on the validation pairs (`val_epe`) and a search
    can select on it whatever its loss weights are.

    >>> from keras_motion.flow import encode_im2flow
    >>> metric = EndPointError(max_magnitude=30.0)
    >>> true = encode_im2flow(np.array([[[[3.0, 4.0]]]])); still = encode_im2flow(np.zeros((1, 1, 1, 2)))
    >>> round(float(metric(true, still)), 4)
    5.0
    """

    def __init__(self, max_magnitude=30.0, name="epe", dtype=None):
        self.max_magnitude = float(max_magnitude)
        super().__init__(self._epe, name=name, dtype=dtype)

    def _epe(self, y_true, y_pred):
        error = decode_im2flow(y_pred, self.max_magnitude) - decode_im2flow(y_true, self.max_magnitude)
        return ops.mean(ops.sqrt(ops.sum(ops.square(error), axis=-1)), axis=(1, 2))

    def get_config(self):
        return {"max_magnitude": self.max_magnitude, "name": self.name, "dtype": self.dtype}
