"""The optical-flow core shared by every method: estimation, encodings, transforms, colour, metrics."""

from keras_motion.flow.cache import FlowCache
from keras_motion.flow.compute import (
    METHODS,
    FlowEstimator,
    average_future_flow,
    check_flow,
    compute_flow,
    flow_stack,
    to_gray,
    video_flow,
)
from keras_motion.flow.encoding import decode_im2flow, dequantize, encode_im2flow, quantize
from keras_motion.flow.extraction import (
    extract_flows,
    extract_video_flow,
    load_flow,
    load_flow_settings,
    read_flow_file,
)
from keras_motion.flow.grid import flow_grid, save_png
from keras_motion.flow.metrics import canny_edges, flow_metrics
from keras_motion.flow.transforms import hflip_flow, hflip_im2flow, reverse_flow_stack
from keras_motion.flow.visualize import flow_to_color

__all__ = [
    "FlowCache",
    "FlowEstimator",
    "METHODS",
    "average_future_flow",
    "canny_edges",
    "check_flow",
    "compute_flow",
    "decode_im2flow",
    "dequantize",
    "encode_im2flow",
    "extract_flows",
    "extract_video_flow",
    "flow_grid",
    "flow_metrics",
    "flow_stack",
    "flow_to_color",
    "hflip_flow",
    "hflip_im2flow",
    "load_flow",
    "load_flow_settings",
    "quantize",
    "read_flow_file",
    "reverse_flow_stack",
    "save_png",
    "to_gray",
    "video_flow",
]
