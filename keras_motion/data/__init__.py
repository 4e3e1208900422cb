"""Training data builders: Im2Flow pairs (NumPy / keras.utils.PyDataset, no TensorFlow needed), group splits."""

from keras_motion.data.im2flow import (Im2FlowPairs, center_crop, frame_indices, pairs_from_exact_flow,
                                       pairs_from_videos, to_model_input)
from keras_motion.data.splits import split_groups
from keras_motion.data.triplets import (TripletBatches, TripletVideos, augment_triplet, in_batch_negatives,
                                        to_frame_input, triplet_dataset)

__all__ = ["Im2FlowPairs", "center_crop", "frame_indices", "pairs_from_exact_flow", "pairs_from_videos",
           "split_groups", "to_model_input"]
__all__ += ["TripletBatches", "TripletVideos", "augment_triplet", "in_batch_negatives", "to_frame_input",
            "triplet_dataset"]
