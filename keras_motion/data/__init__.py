"""Training data builders: Im2Flow pairs (NumPy / keras.utils.PyDataset, no TensorFlow needed), group splits."""

from keras_motion.data.im2flow import (Im2FlowPairs, center_crop, frame_indices, pairs_from_exact_flow,
                                       pairs_from_videos, to_model_input)
from keras_motion.data.splits import split_groups

__all__ = ["Im2FlowPairs", "center_crop", "frame_indices", "pairs_from_exact_flow", "pairs_from_videos",
           "split_groups", "to_model_input"]

from keras_motion.data.mosi import (SourceImages, VideoClips, mosi_dataset, multi_clip_accuracy,  # noqa: E402
                                    multi_clip_predict, source_square)

__all__ += ["SourceImages", "VideoClips", "mosi_dataset", "multi_clip_accuracy", "multi_clip_predict",
            "source_square"]
