"""MoSI (Huang et al., CVPR 2021): pseudo-motion clips from static images to pretrain video backbones."""

from keras_motion.mosi.callbacks import PseudoMotionClips
from keras_motion.mosi.data import (
    SourceImages,
    SyntheticSplits,
    mosi_dataset,
    photo_crops,
    pretext_sources,
    source_square,
    synthetic_splits,
)
from keras_motion.mosi.inference import MoSIInference
from keras_motion.mosi.model import pseudo_motion_classifier
from keras_motion.mosi.presets import DATA_PRESETS, PRESETS
from keras_motion.mosi.pseudo_motion import PseudoMotion, label_pool
from keras_motion.mosi.report import print_report
from keras_motion.mosi.search import MoSISearch
from keras_motion.mosi.task import MoSI

__all__ = [
    "DATA_PRESETS",
    "MoSI",
    "MoSIInference",
    "MoSISearch",
    "PRESETS",
    "PseudoMotion",
    "PseudoMotionClips",
    "SourceImages",
    "SyntheticSplits",
    "label_pool",
    "mosi_dataset",
    "photo_crops",
    "pretext_sources",
    "print_report",
    "pseudo_motion_classifier",
    "source_square",
    "synthetic_splits",
]
