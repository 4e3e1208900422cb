"""keras_motion: learning motion from unlabeled videos and static images, on every Keras 3 backend.

The shared core (`flow`, `video`, `datasets`, `transforms`, `utils`, `models`, `evaluation`, `tuning`,
`distribution`) and one package per method above it (`mosi`, `im2flow`, `vre_mra`, `pose_from_action`). Importing
the package registers every serialisable Keras class, so any `.keras` file that keras_motion wrote loads after
`import keras_motion`.
"""

import os

__version__ = "0.2.0"

# TensorFlow's informational C++ start-up lines drown a recipe's progress; a user's own setting wins.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# The core first, then the Keras parts, then the methods.
# isort: off
from keras_motion import datasets, errors, flow, transforms, utils, video  # noqa: E402  (NumPy / OpenCV only)
from keras_motion import callbacks, distribution, evaluation, models, schedules, tuning  # noqa: E402  (Keras)
from keras_motion import export, predict  # noqa: E402  (inference models out of the toolkit)
from keras_motion import im2flow, mosi, pose_from_action, vre_mra  # noqa: E402  (the methods)
# isort: on

__all__ = [
    "callbacks",
    "datasets",
    "distribution",
    "errors",
    "evaluation",
    "export",
    "flow",
    "im2flow",
    "models",
    "mosi",
    "pose_from_action",
    "predict",
    "schedules",
    "transforms",
    "tuning",
    "utils",
    "video",
    "vre_mra",
    "__version__",
]
