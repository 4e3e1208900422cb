"""VRE + MRA (Zhang et al., AAAI 2020): VLAD pseudo-motion labels of unlabeled clips, the five-group network with its
GRU motion head and temporal-smoothness losses, the five-step procedure, motion-augmented images; `VREMRA` runs the
whole method (the paper's Table 2 ablation and retrieval) from a preset, its TensorBoard retrieval picture and its
hyperparameter search."""

from keras_motion.vre_mra.callbacks import RetrievalImages, StepsAsEpochs
from keras_motion.vre_mra.data import (
    UnlabeledVideos,
    few_labeled,
    key_frame_clips,
    labeled_images,
    square_crop,
    synthetic_images,
    synthetic_ranges,
    unlabeled_videos,
    validation_split,
)
from keras_motion.vre_mra.inference import VREMRAInference
from keras_motion.vre_mra.labeler import SKIPPED, MotionLabeler, label_agreement, purity
from keras_motion.vre_mra.losses import contrastive, first_order_smoothness, second_order_smoothness, vre_loss
from keras_motion.vre_mra.model import GROUPS, VisualMotionNet
from keras_motion.vre_mra.motion_gru import MotionGRU
from keras_motion.vre_mra.neighbours import neighbour_pairs, neighbour_triples, sample_neighbour_clips
from keras_motion.vre_mra.otsu import otsu_threshold
from keras_motion.vre_mra.presets import DATA_PRESETS, PRESETS
from keras_motion.vre_mra.report import print_report
from keras_motion.vre_mra.retrieval import draw_matches, match_grid, nearest_clips
from keras_motion.vre_mra.search import VRESearch
from keras_motion.vre_mra.task import ROWS, VREMRA, ablation_rows
from keras_motion.vre_mra.training import (
    STEPS,
    VisualMotionBatches,
    VisualMotionSteps,
    VisualMotionTrainer,
    predict_in_batches,
    set_trainable_groups,
    train_step,
)
from keras_motion.vre_mra.vlad import VLADEncoder

__all__ = [
    "DATA_PRESETS",
    "GROUPS",
    "MotionGRU",
    "MotionLabeler",
    "PRESETS",
    "ROWS",
    "RetrievalImages",
    "SKIPPED",
    "STEPS",
    "StepsAsEpochs",
    "UnlabeledVideos",
    "VLADEncoder",
    "VREMRA",
    "VREMRAInference",
    "VRESearch",
    "VisualMotionBatches",
    "VisualMotionNet",
    "VisualMotionSteps",
    "VisualMotionTrainer",
    "ablation_rows",
    "contrastive",
    "draw_matches",
    "few_labeled",
    "first_order_smoothness",
    "key_frame_clips",
    "label_agreement",
    "labeled_images",
    "match_grid",
    "nearest_clips",
    "neighbour_pairs",
    "neighbour_triples",
    "otsu_threshold",
    "predict_in_batches",
    "print_report",
    "purity",
    "sample_neighbour_clips",
    "second_order_smoothness",
    "set_trainable_groups",
    "square_crop",
    "synthetic_images",
    "synthetic_ranges",
    "train_step",
    "unlabeled_videos",
    "validation_split",
    "vre_loss",
]
