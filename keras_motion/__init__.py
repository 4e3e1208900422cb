"""keras_motion: learning motion from unlabeled videos and static images, on every Keras 3 backend."""

import importlib

__version__ = "0.1.0"

from keras_motion import datasets, errors, flow, utils, video  # noqa: E402  (NumPy / OpenCV only: import fast)

# Submodules that import Keras (and so a backend) load on first use: `import keras_motion` stays cheap for tools.
_LAZY = ("data", "labels", "layers", "losses", "models", "training")


def __getattr__(name):
    if name in _LAZY:
        return importlib.import_module(f"keras_motion.{name}")
    raise AttributeError(f"module 'keras_motion' has no attribute {name!r}")


__all__ = ["data", "datasets", "errors", "flow", "labels", "layers", "losses", "models", "training", "utils", "video",
           "__version__"]
