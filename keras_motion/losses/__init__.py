"""Losses: Im2Flow's pixel + motion-content loss with magnitude-weighted gradients."""

from keras_motion.losses.im2flow import Im2FlowLoss, magnitude_weighted
from keras_motion.losses.smoothness import contrastive, first_order_smoothness, second_order_smoothness, vre_loss

__all__ = ["Im2FlowLoss", "magnitude_weighted", "contrastive", "first_order_smoothness", "second_order_smoothness",
           "vre_loss"]
