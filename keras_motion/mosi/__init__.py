"""MoSI (Huang et al., CVPR 2021): pseudo-motion clips from static images to pretrain video backbones."""

from keras_motion.mosi.data import SourceImages, mosi_dataset, source_square
from keras_motion.mosi.model import pseudo_motion_classifier
from keras_motion.mosi.pseudo_motion import PseudoMotion, label_pool

__all__ = ["PseudoMotion", "SourceImages", "label_pool", "mosi_dataset", "pseudo_motion_classifier", "source_square"]
