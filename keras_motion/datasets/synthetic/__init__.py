"""Synthetic action videos with exact optical flow: an articulated 2-D figure acting over real photographs
(`figure`: the figure and its actions; `renderer`: frames and exact flows in memory; `disk`: the benchmark written
to and read from disk; `layout`: the benchmark as a tree in the official layout of UCF101 or HMDB51)."""

from keras_motion.datasets.synthetic.disk import SyntheticVideos, video_name, write_synthetic
from keras_motion.datasets.synthetic.figure import ACTIONS, PARTS
from keras_motion.datasets.synthetic.layout import CLASS_NAMES, LAYOUTS, LayoutTree, LayoutVideo, write_layout
from keras_motion.datasets.synthetic.renderer import (
    BACKGROUND_IMAGES,
    SyntheticActions,
    default_backgrounds,
    label_of,
    render_video,
    synthetic_actions,
)

__all__ = [
    "ACTIONS",
    "BACKGROUND_IMAGES",
    "CLASS_NAMES",
    "LAYOUTS",
    "PARTS",
    "LayoutTree",
    "LayoutVideo",
    "SyntheticActions",
    "SyntheticVideos",
    "default_backgrounds",
    "label_of",
    "render_video",
    "synthetic_actions",
    "video_name",
    "write_layout",
    "write_synthetic",
]
