"""Training helpers: late fusion and recognition tables, TensorBoard flow images, learning-rate schedules."""

from keras_motion.training.callbacks import FlowImages
from keras_motion.training.fusion import choose_fusion_weight, late_fusion
from keras_motion.training.recognition import accuracy, fit_stream, recognition_table
from keras_motion.training.schedules import ConstantThenLinear

__all__ = ["ConstantThenLinear", "FlowImages", "accuracy", "choose_fusion_weight", "fit_stream", "late_fusion",
           "recognition_table"]

from keras_motion.training.schedules import WarmupCosine  # noqa: E402

__all__ += ["WarmupCosine"]

from keras_motion.training.grad_cam import GradCamImages, grad_cam, grad_cam_strip, motion_mass_ratio  # noqa: E402

__all__ += ["GradCamImages", "grad_cam", "grad_cam_strip", "motion_mass_ratio"]
