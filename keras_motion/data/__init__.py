"""Training data builders (NumPy / keras.utils.PyDataset, no TensorFlow needed; tf.data forms where asked): Im2Flow
pairs, MoSI source images and multi-clip evaluation, Pose-from-Action triplets, group splits."""

from keras_motion.data.im2flow import (Im2FlowPairs, center_crop, frame_indices, pairs_from_exact_flow,
                                       pairs_from_videos, to_model_input)
from keras_motion.data.mosi import (SourceImages, VideoClips, mosi_dataset, multi_clip_accuracy, multi_clip_predict,
                                    source_square)
from keras_motion.data.splits import split_groups
from keras_motion.data.triplets import (TripletBatches, TripletVideos, augment_triplet, in_batch_negatives,
                                        to_frame_input, triplet_dataset)

__all__ = ["Im2FlowPairs", "SourceImages", "TripletBatches", "TripletVideos", "VideoClips", "augment_triplet",
           "center_crop", "frame_indices", "in_batch_negatives", "mosi_dataset", "multi_clip_accuracy",
           "multi_clip_predict", "pairs_from_exact_flow", "pairs_from_videos", "source_square", "split_groups",
           "to_frame_input", "to_model_input", "triplet_dataset"]
