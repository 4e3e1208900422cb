"""The GRU motion head of VRE + MRA: one GRU cell shared over the frames of a clip, started from an all-zero state."""

import keras
from keras import ops

from keras_motion.models.base import ConfigFromArguments


@keras.saving.register_keras_serializable(package="keras_motion")
class MotionGRU(ConfigFromArguments, keras.layers.Layer):
    """f̃: per-frame features (B, T, F) → the last GRU output (B, units), the video-level motion feature f̃(v).

    The first step always gets an all-zero state ([000] §3.1): a clip's first frame has no prior motion. A single
    image's features (B, F) are one such first step — the MRA path f̃(x) ([000] §3.2) — so the same weights serve
    clips and images. `return_sequences=True` gives every step's output (B, T, units) instead.

    >>> gru = MotionGRU(units=8)
    >>> tuple(gru(np.zeros((2, 5, 16), "float32")).shape), tuple(gru(np.zeros((2, 16), "float32")).shape)
    ((2, 8), (2, 8))
    """

    def __init__(self, units=512, return_sequences=False, **kwargs):
        super().__init__(**kwargs)
        self.units, self.return_sequences = int(units), bool(return_sequences)
        self.gru = keras.layers.GRU(
            self.units, return_sequences=self.return_sequences, name="gru", dtype=self.dtype_policy
        )

    def build(self, input_shape):
        self.gru.build((input_shape[0], None, input_shape[-1]))

    def call(self, features):
        if len(features.shape) == 2:  # a static image: one step from the zero state
            out = self.gru(ops.expand_dims(features, 1))
            return out[:, 0] if self.return_sequences else out
        return self.gru(features)

    def compute_output_shape(self, input_shape):
        if len(input_shape) == 3 and self.return_sequences:
            return (input_shape[0], input_shape[1], self.units)
        return (input_shape[0], self.units)
