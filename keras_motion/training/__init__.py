"""Training helpers: late fusion and recognition tables, TensorBoard images, learning-rate schedules, Grad-CAM for
video models, VRE + MRA's five-step procedure, Pose-from-Action verification reports."""

from keras_motion.training.callbacks import FlowImages
from keras_motion.training.fusion import choose_fusion_weight, late_fusion
from keras_motion.training.grad_cam import GradCamImages, grad_cam, grad_cam_strip, motion_mass_ratio
from keras_motion.training.recognition import accuracy, fit_stream, recognition_table
from keras_motion.training.schedules import ConstantThenLinear, WarmupCosine
from keras_motion.training.verification import verification_report
from keras_motion.training.visual_motion import (STEPS, VisualMotionBatches, VisualMotionTrainer,
                                                 set_trainable_groups, train_step)
from keras_motion.training.visual_motion import VisualMotionSteps

__all__ = ["STEPS", "ConstantThenLinear", "FlowImages", "GradCamImages", "VisualMotionBatches", "VisualMotionTrainer",
           "VisualMotionSteps",
           "WarmupCosine", "accuracy", "choose_fusion_weight", "fit_stream", "grad_cam", "grad_cam_strip",
           "late_fusion", "motion_mass_ratio", "recognition_table", "set_trainable_groups", "train_step",
           "verification_report"]
