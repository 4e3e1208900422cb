"""Keras layers: MoSI's pseudo-motion generator, VLAD encoding of flow vectors, the GRU motion head."""

from keras_motion.layers.motion_gru import MotionGRU
from keras_motion.layers.pseudo_motion import PseudoMotion, label_pool
from keras_motion.layers.vlad import VLADEncoder

__all__ = ["MotionGRU", "PseudoMotion", "VLADEncoder", "label_pool"]
