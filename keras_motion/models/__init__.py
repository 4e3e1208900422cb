"""Keras models: Im2Flow's U-Net, 2-D ResNets (content loss network, recognition streams), a small stream ConvNet."""

from keras_motion.models.im2flow import Im2FlowUNet
from keras_motion.models.resnet import ResNet2D
from keras_motion.models.stream_cnn import StreamCNN

__all__ = ["Im2FlowUNet", "ResNet2D", "StreamCNN"]

from keras_motion.models.video_resnet import R2D3D, R2Plus1D, VideoResNet  # noqa: E402

__all__ += ["R2D3D", "R2Plus1D", "VideoResNet"]

from keras_motion.models.mosi import pseudo_motion_classifier  # noqa: E402

__all__ += ["pseudo_motion_classifier"]
