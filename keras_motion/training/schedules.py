"""Learning-rate schedules the papers use that Keras does not ship."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_motion")
class ConstantThenLinear(keras.optimizers.schedules.LearningRateSchedule):
    """pix2pix's schedule (used by Im2Flow's official code): `initial` for `constant_steps`, then linear to 0 at
    `total_steps`.

    >>> schedule = ConstantThenLinear(2e-4, total_steps=100, constant_steps=50)
    >>> [round(float(schedule(s)), 6) for s in (0, 50, 75, 100)]
    [0.0002, 0.0002, 0.0001, 0.0]
    """

    def __init__(self, initial, total_steps, constant_steps):
        self.initial = float(initial)
        self.total_steps = int(total_steps)
        self.constant_steps = int(constant_steps)

    def __call__(self, step):
        step = ops.cast(step, "float32")
        decay_steps = max(self.total_steps - self.constant_steps, 1)
        fraction = ops.clip((step - self.constant_steps) / decay_steps, 0.0, 1.0)
        return self.initial * (1.0 - fraction)

    def get_config(self):
        return dict(initial=self.initial, total_steps=self.total_steps, constant_steps=self.constant_steps)
