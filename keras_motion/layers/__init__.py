"""Keras layers: MoSI's pseudo-motion generator, VLAD encoding of flow vectors, the GRU motion head."""

__all__ = []

from keras_motion.layers.motion_gru import MotionGRU  # noqa: E402
from keras_motion.layers.vlad import VLADEncoder  # noqa: E402

__all__ += ["MotionGRU", "VLADEncoder"]
