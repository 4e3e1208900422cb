"""Training past one device: the data-parallel distribution of each Keras backend, the scope a method object trains
in, and which process writes.

Keras 3.15 distributes differently per backend: `keras.distribution.DataParallel` (JAX only: one program over a
device mesh, so batch statistics, dropout masks and losses are those of the global batch, as on one device;
multi-process / multi-host through `keras.distribution.initialize`), `tf.distribute.MirroredStrategy` on TensorFlow
(one replica per device: keras_motion's BatchNormalization then pools its statistics across replicas, dropout masks
are drawn per replica), and nothing on PyTorch, which trains on one device. A method object takes
`distribution="data_parallel"` (or a `keras.distribution.Distribution` / `tf.distribute.Strategy` of the user's) and
builds, compiles and trains its models inside `scope(distribution)`; its batchers then drop the last partial batch
(`drop_remainder`), so that every batch divides across the devices. Only process 0 writes logs, checkpoints and
metrics (`is_chief`).
"""

import contextlib
import os
import sys

from keras_motion.errors import DistributionError

# What `keras.distribution.initialize` reads: the coordinator's address (first of the list), the number of processes
# and this process's index.
PROCESS_ID = "KERAS_DISTRIBUTION_PROCESS_ID"
ENVIRONMENT = ("KERAS_DISTRIBUTION_JOB_ADDRESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES", PROCESS_ID)


def process_index():
    """This process's index in a multi-process run (`KERAS_DISTRIBUTION_PROCESS_ID`, else JAX's own), 0 alone.
    Keras-free, so that `Run` can ask it before any model exists."""
    if os.environ.get(PROCESS_ID):
        return int(os.environ[PROCESS_ID])
    if os.environ.get("KERAS_BACKEND") == "jax" and "jax" in sys.modules:
        import jax

        return int(jax.process_index())
    return 0


def is_chief():
    """Whether this process writes (logs, checkpoints, models, metrics): process 0."""
    return process_index() == 0


def initialize():
    """Joins a multi-process (multi-host) JAX run when its environment is set (`ENVIRONMENT`, see the README's
    "Scaling out"): `keras.distribution.initialize()`, before any device is used. A no-op otherwise."""
    import keras

    if all(os.environ.get(name) for name in ENVIRONMENT) and keras.backend.backend() == "jax":
        keras.distribution.initialize()


def data_parallel(devices=None):
    """The data-parallel distribution of the current backend over all its devices (or `devices`).

    Returns `keras.distribution.DataParallel` on JAX and `tf.distribute.MirroredStrategy` on TensorFlow; raises
    `DistributionError` on PyTorch, naming what works.

    Example:

    >>> dp = data_parallel()  # doctest: +SKIP
    >>> task = km.im2flow.Im2Flow(distribution=dp)  # doctest: +SKIP
    """
    import keras

    backend = keras.backend.backend()
    if backend == "jax":
        initialize()
        return keras.distribution.DataParallel(devices=devices or keras.distribution.list_devices())
    if backend == "tensorflow":
        import tensorflow as tf

        if devices is None:
            gpus = tf.config.list_logical_devices("GPU")
            devices = [d.name for d in (gpus or tf.config.list_logical_devices("CPU"))]
        return tf.distribute.MirroredStrategy(devices)
    raise DistributionError(
        f"training on several devices is not available on the {backend} backend in Keras {keras.__version__} (it "
        "trains on one device): use KERAS_BACKEND=jax (keras.distribution.DataParallel, multi-host too) or "
        "KERAS_BACKEND=tensorflow (tf.distribute.MirroredStrategy), or drop --distribute / distribution="
    )


def get(distribution):
    """`None` → None; `"data_parallel"` (or True) → `data_parallel()`; a Keras `Distribution` or a TensorFlow
    `Strategy` → itself."""
    if distribution is None or distribution is False:
        return None
    if distribution is True or distribution == "data_parallel":
        return data_parallel()
    if isinstance(distribution, str):
        raise DistributionError(
            f"distribution must be None, 'data_parallel', a keras.distribution.Distribution or "
            f"a tf.distribute.Strategy, got {distribution!r}"
        )
    if not hasattr(distribution, "scope"):
        raise DistributionError(
            f"distribution {distribution!r} has no scope(): pass a "
            "keras.distribution.Distribution (JAX) or a tf.distribute.Strategy (TensorFlow)"
        )
    return distribution


def scope(distribution):
    """The context in which models are built, compiled and trained under `distribution` (None: a no-op)."""
    return contextlib.nullcontext() if distribution is None else distribution.scope()


def replicas(distribution):
    """The devices a global batch is split over (1 without a distribution)."""
    if distribution is None:
        return 1
    if hasattr(distribution, "num_replicas_in_sync"):  # tf.distribute
        return int(distribution.num_replicas_in_sync)
    mesh = distribution.device_mesh
    return int(mesh.shape[mesh.axis_names.index(getattr(distribution, "batch_dim_name", mesh.axis_names[0]))])


def evenly(count, distribution):
    """The largest number ≤ `count` of items that divides across the distribution's devices: an evaluation set cut
    to it has only full batches and a last one that still divides (given a batch size that does)."""
    return int(count) - int(count) % replicas(distribution)


def check_batch(batch_size, distribution, name="batch_size"):
    """Refuses a global batch that does not divide across the distribution's devices, naming the argument."""
    count = replicas(distribution)
    if int(batch_size) % count:
        raise DistributionError(
            f"{name}={batch_size} does not divide across the {count} devices: use a multiple "
            f"of {count} (e.g. {count * max(1, int(batch_size) // count)})"
        )
    return int(batch_size)


def active_replicas():
    """Devices the active Keras distribution (JAX's `DataParallel` in scope) splits every batch over; 1 otherwise
    (TensorFlow's strategies split an uneven last batch themselves)."""
    import keras

    if keras.backend.backend() != "jax":
        return 1
    return replicas(keras.distribution.distribution())


def trim(*arrays):
    """The arrays cut to a multiple of `active_replicas()` items (at most devices − 1 dropped), so that every batch
    of a batch size that divides, and the last one, divide across the devices; unchanged on one device."""
    count = active_replicas()
    keep = len(arrays[0]) - len(arrays[0]) % count
    trimmed = tuple(a if count == 1 else a[:keep] for a in arrays)
    return trimmed if len(trimmed) > 1 else trimmed[0]


def predict(model, x, batch_size=None):
    """`model.predict(x)` (`x`: an array, or a dict / tuple of them) in batches of one shape: the inputs are padded
    (repeating the last item) to a whole number of batches, the padding's outputs cut. `batch_size` (None: Keras'
    32) is rounded up to a multiple of `active_replicas()`, so that every batch divides across the devices.

    One batch shape means one compiled predict step per model on JAX, whatever the number of items: a last partial
    batch, or calls on sets of other sizes (validation, test, a few pictures), would each compile the model again.
    Inference is per item, so the padding changes no output. A call with at most a quarter batch of items is run
    as it is (padded to a multiple of the devices only), so that a few items do not cost a whole batch. Other
    backends, which do not compile per shape, predict as they are (padded to a multiple of the devices only)."""
    import keras
    import numpy as np

    count, n = active_replicas(), len(keras.tree.flatten(x)[0])
    batch_size = -(-int(32 if batch_size is None else batch_size) // count) * count
    if n == 0:
        return model.predict(x, batch_size=batch_size, verbose=0)
    target = -(-n // batch_size) * batch_size
    if 4 * n <= batch_size or keras.backend.backend() != "jax":
        target = -(-n // count) * count
    if target == n:  # as it is (a model may output other than one row per input item, e.g. in-batch pairs)
        return model.predict(x, batch_size=batch_size, verbose=0)
    x = keras.tree.map_structure(lambda a: np.concatenate([a, np.repeat(a[-1:], target - n, 0)]), x)
    return keras.tree.map_structure(lambda a: a[:n], model.predict(x, batch_size=batch_size, verbose=0))
