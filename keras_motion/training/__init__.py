"""Training helpers: late fusion and recognition tables, TensorBoard flow images, learning-rate schedules, VRE + MRA's
five-step procedure, Pose-from-Action verification reports."""

from keras_motion.training.callbacks import FlowImages
from keras_motion.training.fusion import choose_fusion_weight, late_fusion
from keras_motion.training.recognition import accuracy, fit_stream, recognition_table
from keras_motion.training.schedules import ConstantThenLinear
from keras_motion.training.verification import verification_report
from keras_motion.training.visual_motion import (STEPS, VisualMotionBatches, VisualMotionTrainer,
                                                 set_trainable_groups, train_step)

__all__ = ["STEPS", "ConstantThenLinear", "FlowImages", "VisualMotionBatches", "VisualMotionTrainer", "accuracy",
           "choose_fusion_weight", "fit_stream", "late_fusion", "recognition_table", "set_trainable_groups",
           "train_step", "verification_report"]
