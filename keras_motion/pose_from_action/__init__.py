"""Pose from Action (Purushwalkam & Gupta, 2016): triplets of two frames and a flow stack, the verifier that learns
pose-aware appearance features from them, its verification report, an action classifier initialised from it, the
method object `PoseFromAction` with its presets, the data functions that prepare its videos and images, its
TensorBoard triplet pictures and its hyperparameter search."""

from keras_motion.pose_from_action.callbacks import TripletImages, triplet_grid
from keras_motion.pose_from_action.data import (
    DownstreamSplits,
    TripletSplits,
    frames_of,
    image_data,
    labeled_images,
    labeled_video_data,
    square_images,
    synthetic_data,
    unlabeled_video_data,
    validation_split,
)
from keras_motion.pose_from_action.finetune import compare_initialisations
from keras_motion.pose_from_action.inference import PoseFromActionInference
from keras_motion.pose_from_action.presets import DATA_PRESETS, PRESETS
from keras_motion.pose_from_action.report import print_report
from keras_motion.pose_from_action.search import PoseSearch
from keras_motion.pose_from_action.task import PoseFromAction
from keras_motion.pose_from_action.triplets import (
    TripletBatches,
    TripletVideos,
    augment_triplet,
    in_batch_negatives,
    triplet_dataset,
)
from keras_motion.pose_from_action.verification import verification_report
from keras_motion.pose_from_action.verifier import AppearanceClassifier, TripletVerifier

__all__ = [
    "AppearanceClassifier",
    "DATA_PRESETS",
    "DownstreamSplits",
    "PRESETS",
    "PoseFromAction",
    "PoseFromActionInference",
    "PoseSearch",
    "TripletBatches",
    "TripletImages",
    "TripletSplits",
    "TripletVerifier",
    "TripletVideos",
    "augment_triplet",
    "compare_initialisations",
    "frames_of",
    "image_data",
    "in_batch_negatives",
    "labeled_images",
    "labeled_video_data",
    "print_report",
    "square_images",
    "synthetic_data",
    "triplet_dataset",
    "triplet_grid",
    "unlabeled_video_data",
    "validation_split",
    "verification_report",
]
