"""The base of the method objects (`km.im2flow.Im2Flow`, `km.mosi.MoSI`, `km.vre_mra.VREMRA`,
`km.pose_from_action.PoseFromAction`): presets by name and a config from the constructor's arguments, written once."""

import functools
import inspect

from keras_motion import distribution as distribution_lib
from keras_motion.errors import NotFittedError
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
    """A method object: explicit constructor arguments, named presets of them and `get_config` / `from_config` (the
    arguments, without the `run` and the `distribution`).

    Each hyperparameter is written once, as a constructor default: those defaults are the "cpu" preset, and every
    other preset of `PRESETS` names only the arguments it changes (laid over the defaults). `hyperparameters`
    gives a preset's values of every argument but `RUN_ARGUMENTS`: what the recipes' flags default to.

    Example:

    >>> class Scaled(Task):
    ...     PRESETS = {"cpu": {}, "quick": {"size": 16}}
    ...     def __init__(self, size=64, epochs=10, seed=0, run=None):
    ...         self.size, self.epochs = size, epochs
    >>> task = Scaled.from_preset("quick", epochs=2)
    >>> task.size, task.epochs, task.get_config()
    (16, 2, {'size': 16, 'epochs': 2, 'seed': 0})
    >>> Scaled.hyperparameters("quick")
    {'size': 16, 'epochs': 10}
    """

    PRESETS = {"cpu": {}}
    # Arguments that say how and where a task runs (seeds, output, devices, verbosity), not what it computes.
    RUN_ARGUMENTS = ("seed", "run", "distribution", "verbose")

    @classmethod
    def _preset(cls, name):
        if name not in cls.PRESETS:
            raise ValueError(f"{cls.__name__}: unknown preset {name!r}; choose one of {sorted(cls.PRESETS)}")
        return cls.PRESETS[name]

    @classmethod
    def from_preset(cls, name, **overrides):
        """The task with the settings of preset `name` (see `PRESETS`; laid over the constructor's defaults), any of
        them replaced by `overrides` (e.g. `run=km.utils.Run("out")`, `seed=1`)."""
        return cls(**{**cls._preset(name), **overrides})

    @classmethod
    def hyperparameters(cls, preset="cpu"):
        """`{argument: value}` of every constructor argument but `RUN_ARGUMENTS`, as preset `preset` sets it."""
        parameters = inspect.signature(cls.__init__).parameters
        defaults = {
            name: p.default
            for name, p in parameters.items()
            if p.default is not inspect.Parameter.empty and name not in cls.RUN_ARGUMENTS
        }
        return {**defaults, **{k: v for k, v in cls._preset(preset).items() if k not in cls.RUN_ARGUMENTS}}

    def fitted(self, attribute, how):
        """`self.<attribute>` (a trained model), or `NotFittedError` naming `how` to train it."""
        value = getattr(self, attribute, None)
        if value is None:
            raise NotFittedError(f"{type(self).__name__} has no trained {attribute} yet: {how}")
        return value

    def get_config(self):
        """The constructor arguments (JSON-able), without the `run` and the `distribution` (where a task runs, not
        what it computes)."""
        config = super().get_config()
        config.pop("run", None)
        config.pop("distribution", None)
        return config
