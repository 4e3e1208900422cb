"""Video decoding (OpenCV; seeking: PyAV), key-frame and clip sampling, sub-clips and temporal neighbour sets."""

from keras_motion.video.decode import read_image, read_video, resize_frame, target_size, video_info, write_video
from keras_motion.video.lazy import FrameRows, VideoFrames
from keras_motion.video.reader import VideoReader, count_frames, read_frames
from keras_motion.video.sampling import (
    clip_indices,
    key_frame_indices,
    key_frames,
    random_clip_start,
    sample_clips,
    subclip_starts,
    subclips,
    uniform_clip_starts,
)

__all__ = [
    "FrameRows",
    "VideoFrames",
    "VideoReader",
    "clip_indices",
    "count_frames",
    "key_frame_indices",
    "key_frames",
    "random_clip_start",
    "read_frames",
    "read_image",
    "read_video",
    "resize_frame",
    "sample_clips",
    "subclip_starts",
    "subclips",
    "target_size",
    "uniform_clip_starts",
    "video_info",
    "write_video",
]
