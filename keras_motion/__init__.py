"""keras_motion: learning motion from unlabeled videos and static images, on every Keras 3 backend."""

__version__ = "0.1.0"

from keras_motion import datasets, errors, flow, utils, video  # noqa: E402

__all__ = ["datasets", "errors", "flow", "utils", "video", "__version__"]
