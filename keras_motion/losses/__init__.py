"""Losses: Im2Flow's pixel + motion-content loss with magnitude-weighted gradients."""

from keras_motion.losses.im2flow import Im2FlowLoss, magnitude_weighted

__all__ = ["Im2FlowLoss", "magnitude_weighted"]
