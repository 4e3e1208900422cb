"""Data sets as lists of files with labels, decoded lazily: UCF101, HMDB51, Stanford40, folders, few-shot subsets,
and a synthetic action benchmark with exact optical flow."""

from keras_motion.datasets.base import UNLABELED, FileDataset, ImageDataset, VideoDataset
from keras_motion.datasets.few_shot import few_shot, few_shot_indices
from keras_motion.datasets.folders import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, ImageFolder, VideoFolder, files_under
from keras_motion.datasets.hmdb51 import HMDB51
from keras_motion.datasets.splits import holdout_per_class, split_groups
from keras_motion.datasets.stanford40 import Stanford40
from keras_motion.datasets.synthetic import ACTIONS, SyntheticVideos, synthetic_actions, write_layout, write_synthetic
from keras_motion.datasets.ucf101 import UCF101
from keras_motion.datasets.voc_actions import VOC_ACTIONS, VOCActions, person_window

__all__ = [
    "ACTIONS",
    "FileDataset",
    "HMDB51",
    "IMAGE_EXTENSIONS",
    "ImageDataset",
    "ImageFolder",
    "Stanford40",
    "SyntheticVideos",
    "UCF101",
    "UNLABELED",
    "VIDEO_EXTENSIONS",
    "VOCActions",
    "VOC_ACTIONS",
    "VideoDataset",
    "VideoFolder",
    "few_shot",
    "few_shot_indices",
    "files_under",
    "holdout_per_class",
    "person_window",
    "split_groups",
    "synthetic_actions",
    "write_layout",
    "write_synthetic",
]
