"""Keras layers: MoSI's pseudo-motion generator, VLAD encoding of flow vectors, the GRU motion head."""

__all__ = []

from keras_motion.layers.pseudo_motion import PseudoMotion, label_pool  # noqa: E402

__all__ += ["PseudoMotion", "label_pool"]
