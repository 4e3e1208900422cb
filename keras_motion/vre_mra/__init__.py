"""VRE + MRA (Zhang et al., AAAI 2020): VLAD pseudo-motion labels of unlabeled clips, the five-group network with its
GRU motion head and temporal-smoothness losses, the five-step procedure, motion-augmented images."""

from keras_motion.vre_mra.labeler import SKIPPED, MotionLabeler
from keras_motion.vre_mra.losses import contrastive, first_order_smoothness, second_order_smoothness, vre_loss
from keras_motion.vre_mra.model import GROUPS, VisualMotionNet
from keras_motion.vre_mra.motion_gru import MotionGRU
from keras_motion.vre_mra.neighbours import neighbour_pairs, neighbour_triples, sample_neighbour_clips
from keras_motion.vre_mra.otsu import otsu_threshold
from keras_motion.vre_mra.training import (STEPS, VisualMotionBatches, VisualMotionSteps, VisualMotionTrainer,
                                           predict_in_batches, set_trainable_groups, train_step)
from keras_motion.vre_mra.vlad import VLADEncoder

__all__ = ["GROUPS", "MotionGRU", "MotionLabeler", "SKIPPED", "STEPS", "VLADEncoder", "VisualMotionBatches",
           "VisualMotionNet", "VisualMotionSteps", "VisualMotionTrainer", "contrastive", "first_order_smoothness",
           "neighbour_pairs", "neighbour_triples", "otsu_threshold", "predict_in_batches", "sample_neighbour_clips",
           "second_order_smoothness", "set_trainable_groups", "train_step", "vre_loss"]
