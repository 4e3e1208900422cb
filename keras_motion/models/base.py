"""The one base of every keras_motion Keras class: its config is the arguments it was made with, written once here.

keras-hub's Backbone does the same: a class stores nothing for serialisation and defines no `get_config`; the
arguments of its outermost constructor call (defaults included) are recorded when the object is made, and
`from_config` calls the class with them again. Keras objects among them (an encoder, a content network) are
serialised with Keras' own serialiser, arrays as lists.

A model made with `dtype=` (e.g. "mixed_bfloat16") gives that policy to each inner layer it makes (`PolicyLayers`),
as keras-hub's models do, so that one model can run in mixed precision beside float32 ones without touching the
global policy.
"""

import functools
import inspect

import keras
import numpy as np

from keras_motion.models import initializers


def _serialize(value):
    if isinstance(value, (keras.layers.Layer, keras.losses.Loss)):
        return keras.saving.serialize_keras_object(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return [_serialize(v) for v in value]
    return value


def _deserialize(value):
    if isinstance(value, dict) and "class_name" in value and "config" in value:
        return keras.saving.deserialize_keras_object(value)
    return value


class ConfigFromArguments:
    """Mixin for Keras layers, models, losses and schedules: `get_config` / `from_config` from the constructor's
    arguments, recorded at construction (the outermost call, so a subclass's own arguments win).

    It is a mixin, not a `keras.Model` subclass, because Keras rewrites the bases of functional models on their
    first construction: a shared `keras.Model` base would turn the subclassed models functional too.

    Example:

    >>> @keras.saving.register_keras_serializable(package="doctest")
    ... class Scale(ConfigFromArguments, keras.layers.Layer):
    ...     def __init__(self, factor=2.0, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.factor = factor
    ...     def call(self, x):
    ...         return x * self.factor
    >>> layer = Scale(3.0, name="scale")
    >>> config = layer.get_config()
    >>> config["factor"], config["name"], Scale.from_config(config).factor
    (3.0, 'scale', 3.0)
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__ and issubclass(cls, keras.Model):
            cls.__init__ = _keeping_own_policy(cls.__dict__["__init__"])

    def __new__(cls, *args, **kwargs):
        parent_new = super().__new__
        obj = parent_new(cls) if parent_new is object.__new__ else parent_new(cls, *args, **kwargs)
        signature = inspect.signature(cls.__init__)
        arguments = {}
        vars(obj)["_arguments"] = arguments  # past Keras' attribute tracking: a record, not state
        try:
            bound = signature.bind(None, *args, **kwargs)
        except TypeError:  # Keras' functional-class injection makes throw-away instances with no arguments
            return obj
        bound.apply_defaults()
        for i, (name, value) in enumerate(bound.arguments.items()):
            kind = signature.parameters[name].kind
            if i == 0:
                continue  # self
            if kind == inspect.Parameter.VAR_KEYWORD:
                arguments.update(value)
            elif kind == inspect.Parameter.VAR_POSITIONAL:
                if value:
                    raise TypeError(f"{cls.__name__} takes no variadic positional arguments")
            else:
                arguments[name] = value
        return obj

    @property
    def arguments(self):
        """The arguments this object was made with (defaults included), as given."""
        return dict(self._arguments)

    def get_config(self):
        config = {name: _serialize(value) for name, value in self._arguments.items()}
        if "name" in config:
            config["name"] = self.name  # a default name may have been made unique
        if isinstance(self, keras.layers.Layer):
            config["name"] = self.name
            config["trainable"] = self.trainable
            config["dtype"] = keras.dtype_policies.serialize(self.dtype_policy)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**{name: _deserialize(value) for name, value in config.items()})


def _keeping_own_policy(init):
    """A functional model drops the `dtype` it is given (`keras.Model(inputs, outputs, dtype=...)` ignores it):
    its inner layers get it through `PolicyLayers`, and the model itself gets it back here, so that its
    `dtype_policy` and config say what it was made with."""

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        if kwargs.get("dtype") is not None:
            self.dtype_policy = kwargs["dtype"]

    __init__.__signature__ = inspect.signature(init)  # Keras reads the real arguments (getfullargspec)
    return __init__


@functools.cache
def _random_initializers(cls):
    """`{argument: default}` of the kernel-initialiser arguments (`initializers.KERNEL_ARGUMENTS`) a layer class
    takes, read from the first constructor along its bases that names them (a subclass may take them as **kwargs)."""
    for base in cls.__mro__:
        parameters = inspect.signature(base.__init__).parameters if "__init__" in vars(base) else {}
        found = {name: parameters[name].default for name in initializers.KERNEL_ARGUMENTS if name in parameters}
        if found:
            return found
    return {}


class PolicyLayers:
    """Makes a model's inner layers with its dtype policy: `layers = PolicyLayers(dtype)`, then `layers.Conv2D(...)`
    (any `keras.layers` class) or `layers(BatchNormalization, ...)` (any layer class) pass `dtype=` on, unless the
    call gives its own (e.g. a float32 classifier head). `dtype=None` leaves each layer to the global policy. A
    kernel initialiser left at (or named as) Keras' "glorot_uniform" or "he_normal" becomes keras_motion's
    (`keras_motion.models.initializers`: Keras' values, without one JAX compilation per weight shape).

    Example:

    >>> layers = PolicyLayers("mixed_bfloat16")
    >>> layers.Dense(4).dtype_policy.name, layers.Dense(4, dtype="float32").dtype_policy.name
    ('mixed_bfloat16', 'float32')
    """

    def __init__(self, dtype=None):
        self.dtype = None if dtype is None else keras.dtype_policies.get(dtype)

    def __call__(self, cls, *args, **kwargs):
        if self.dtype is not None:
            kwargs.setdefault("dtype", self.dtype)
        for name, default in _random_initializers(cls).items():  # Keras' values, fewer compilations on JAX
            value = kwargs.get(name, default)
            if isinstance(value, str) and value in initializers.REPLACEMENTS:
                kwargs[name] = initializers.REPLACEMENTS[value]()
        return cls(*args, **kwargs)

    def __getattr__(self, name):
        return functools.partial(self, getattr(keras.layers, name))
