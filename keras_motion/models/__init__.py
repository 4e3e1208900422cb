"""Keras models: Im2Flow's U-Net, 2-D ResNets (content loss network, recognition streams), a small stream ConvNet."""

from keras_motion.models.im2flow import Im2FlowUNet
from keras_motion.models.resnet import ResNet2D
from keras_motion.models.stream_cnn import StreamCNN
from keras_motion.models.alexnet import AlexNetEncoder
from keras_motion.models.visual_motion import VisualMotionNet

__all__ = ["Im2FlowUNet", "ResNet2D", "StreamCNN", "AlexNetEncoder", "VisualMotionNet"]
