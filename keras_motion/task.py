"""The base of the method objects (`km.im2flow.Im2Flow`, `km.mosi.MoSI`, `km.vre_mra.VREMRA`,
`km.pose_from_action.PoseFromAction`): presets by name and a config from the constructor's arguments, written once."""

import functools

from keras_motion import distribution as distribution_lib
from keras_motion.models.base import ConfigFromArguments


def distributed(method):
    """Runs a method object's `method` inside the scope of its `self.distribution` (see
    `keras_motion.distribution`): the models it builds, compiles and trains are spread over the devices."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with distribution_lib.scope(getattr(self, "distribution", None)):
            return method(self, *args, **kwargs)

    return wrapper


class Task(ConfigFromArguments):
    """A method object: explicit constructor arguments, named presets of them (`PRESETS`, with "cpu" the base the
    other presets are laid over) and `get_config` / `from_config` (the arguments, without the `run`).

    Example:

    >>> class Scaled(Task):
    ...     PRESETS = {"cpu": {"size": 64, "epochs": 10}, "quick": {"size": 16}}
    ...     def __init__(self, size=64, epochs=10, run=None):
    ...         self.size, self.epochs = size, epochs
    >>> task = Scaled.from_preset("quick", epochs=2)
    >>> task.size, task.epochs, task.get_config()
    (16, 2, {'size': 16, 'epochs': 2})
    """

    PRESETS = {}

    @classmethod
    def from_preset(cls, name, **overrides):
        """The task with the settings of preset `name` (see `PRESETS`; laid over "cpu"), any of them replaced by
        `overrides` (e.g. `run=km.utils.Run("out")`, `seed=1`)."""
        if name not in cls.PRESETS:
            raise ValueError(f"{cls.__name__}: unknown preset {name!r}; choose one of {sorted(cls.PRESETS)}")
        return cls(**{**cls.PRESETS.get("cpu", {}), **cls.PRESETS[name], **overrides})

    def get_config(self):
        """The constructor arguments (JSON-able), without the `run` and the `distribution` (where a task runs, not
        what it computes)."""
        config = super().get_config()
        config.pop("run", None)
        config.pop("distribution", None)
        return config
