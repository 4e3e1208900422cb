"""Pseudo-motion labels of unlabeled videos: OTSU-filtered flow, k-means codebook, VLAD, k-means clusters."""

__all__ = []

from keras_motion.labels.motion_labeler import SKIPPED, MotionLabeler  # noqa: E402
from keras_motion.labels.otsu import otsu_threshold  # noqa: E402

__all__ += ["MotionLabeler", "SKIPPED", "otsu_threshold"]
