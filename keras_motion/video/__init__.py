"""Video decoding (OpenCV), key-frame and clip sampling, sub-clips and temporal neighbour sets."""

from keras_motion.video.decode import read_image, read_video, resize_frame, target_size, video_info, write_video
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
    "clip_indices",
    "key_frame_indices",
    "key_frames",
    "random_clip_start",
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
