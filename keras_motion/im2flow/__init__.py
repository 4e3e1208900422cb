"""Im2Flow (Gao et al., CVPR 2018): a U-Net that hallucinates optical flow from one image, its pixel + motion-content
loss, training pairs, the flow baselines it is measured against, and its TensorBoard pictures."""

from keras_motion.im2flow.baselines import (MeanFlow, NearestNeighborFlow, motion_potential, resize_flow,
                                            tiny_features, zero_flow)
from keras_motion.im2flow.callbacks import FlowImages
from keras_motion.im2flow.loss import Im2FlowLoss, magnitude_weighted
from keras_motion.im2flow.pairs import Im2FlowPairs, frame_indices, pairs_from_exact_flow, pairs_from_videos
from keras_motion.im2flow.unet import Im2FlowUNet

__all__ = ["FlowImages", "Im2FlowLoss", "Im2FlowPairs", "Im2FlowUNet", "MeanFlow", "NearestNeighborFlow",
           "frame_indices", "magnitude_weighted", "motion_potential", "pairs_from_exact_flow", "pairs_from_videos",
           "resize_flow", "tiny_features", "zero_flow"]
