"""Im2Flow (Gao et al., CVPR 2018): a U-Net that hallucinates optical flow from one image, its pixel + motion-content
loss, training pairs and data splits, the flow baselines it is measured against, its TensorBoard pictures, the
`Im2Flow` task that trains and evaluates it all (with its presets), and its hyperparameter search."""

from keras_motion.im2flow.baselines import (
    MeanFlow,
    NearestNeighborFlow,
    motion_potential,
    resize_flow,
    tiny_features,
    zero_flow,
)
from keras_motion.im2flow.callbacks import FlowImages
from keras_motion.im2flow.data import (
    concatenate_pairs,
    image_splits,
    labeled_video_splits,
    real_clip_pairs,
    synthetic_splits,
    video_folder_pairs,
)
from keras_motion.im2flow.inference import Im2FlowInference
from keras_motion.im2flow.loss import EndPointError, Im2FlowLoss, magnitude_weighted
from keras_motion.im2flow.pairs import (
    Im2FlowPairs,
    frame_indices,
    pairs_from_cache,
    pairs_from_exact_flow,
    pairs_from_videos,
)
from keras_motion.im2flow.presets import DATA_PRESETS, PRESETS
from keras_motion.im2flow.report import print_report
from keras_motion.im2flow.search import Im2FlowSearch
from keras_motion.im2flow.task import Im2Flow
from keras_motion.im2flow.unet import Im2FlowUNet

__all__ = [
    "DATA_PRESETS",
    "EndPointError",
    "FlowImages",
    "Im2Flow",
    "Im2FlowInference",
    "Im2FlowLoss",
    "Im2FlowPairs",
    "Im2FlowSearch",
    "Im2FlowUNet",
    "MeanFlow",
    "NearestNeighborFlow",
    "PRESETS",
    "concatenate_pairs",
    "frame_indices",
    "image_splits",
    "labeled_video_splits",
    "magnitude_weighted",
    "motion_potential",
    "pairs_from_cache",
    "pairs_from_exact_flow",
    "pairs_from_videos",
    "print_report",
    "real_clip_pairs",
    "resize_flow",
    "synthetic_splits",
    "tiny_features",
    "video_folder_pairs",
    "zero_flow",
]
