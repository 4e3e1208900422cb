"""Generic evaluation protocols: multi-clip prediction, late fusion and recognition tables, Grad-CAM."""

from keras_motion.evaluation.clips import VideoClips, multi_clip_accuracy, multi_clip_predict
from keras_motion.evaluation.fusion import choose_fusion_weight, late_fusion
from keras_motion.evaluation.grad_cam import GradCamImages, grad_cam, grad_cam_strip, motion_mass_ratio
from keras_motion.evaluation.recognition import (accuracy, class_probabilities, fit_stream, outputs_logits,
                                                 recognition_table)

__all__ = ["GradCamImages", "VideoClips", "accuracy", "choose_fusion_weight", "class_probabilities", "fit_stream",
           "grad_cam", "grad_cam_strip", "late_fusion", "motion_mass_ratio", "multi_clip_accuracy",
           "multi_clip_predict", "outputs_logits", "recognition_table"]
