"""Learning-rate schedules the papers use that Keras does not ship."""

import math

import keras
from keras import ops

from keras_motion.models.base import ConfigFromArguments


@keras.saving.register_keras_serializable(package="keras_motion")
class ConstantThenLinear(ConfigFromArguments, keras.optimizers.schedules.LearningRateSchedule):
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


@keras.saving.register_keras_serializable(package="keras_motion")
class WarmupCosine(ConfigFromArguments, keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up from `warmup_initial` to `initial` over `warmup_steps`, then a half-period cosine from `initial`
    to `final` at `total_steps` (Goyal et al. warm-up + SGDR's cosine, as MoSI pretrains and finetunes: warm-up from
    lr/10, 10 of 100 epochs).

    >>> schedule = WarmupCosine(1e-3, total_steps=100, warmup_steps=10, warmup_initial=1e-4)
    >>> [round(float(schedule(s)), 6) for s in (0, 10, 55, 100)]
    [0.0001, 0.001, 0.0005, 0.0]
    """

    def __init__(self, initial, total_steps, warmup_steps=0, warmup_initial=None, final=0.0):
        self.initial = float(initial)
        self.total_steps = int(total_steps)
        self.warmup_steps = int(warmup_steps)
        self.warmup_initial = self.initial / 10 if warmup_initial is None else float(warmup_initial)
        self.final = float(final)
        if self.total_steps < 1 or not 0 <= self.warmup_steps <= self.total_steps:
            raise ValueError(
                f"need 0 ≤ warmup_steps ≤ total_steps and total_steps ≥ 1, got {warmup_steps} and {total_steps}"
            )

    def __call__(self, step):
        step = ops.cast(step, "float32")
        warm = self.warmup_initial + (self.initial - self.warmup_initial) * step / max(self.warmup_steps, 1)
        progress = ops.clip((step - self.warmup_steps) / max(self.total_steps - self.warmup_steps, 1), 0.0, 1.0)
        cosine = self.final + 0.5 * (self.initial - self.final) * (1.0 + ops.cos(math.pi * progress))
        return ops.where(step < self.warmup_steps, warm, cosine)
