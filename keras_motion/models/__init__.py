"""Backbones shared by the methods: 2-D ResNets, stream ConvNets, AlexNet and VGG-M features, video ResNets; and
`ImageScaling`, which scales their uint8 images to [-1, 1] inside them, and `BatchNormalization` over the global
batch on several devices."""

from keras_motion.models.alexnet import AlexNetEncoder
from keras_motion.models.conv3d import Conv3D
from keras_motion.models.image_scaling import ImageScaling
from keras_motion.models.normalization import BatchNormalization
from keras_motion.models.resnet import ResNet2D
from keras_motion.models.stream_cnn import StreamCNN
from keras_motion.models.vggm import VGGMFeatures
from keras_motion.models.video_resnet import R2D3D, R2Plus1D, VideoResNet

__all__ = [
    "AlexNetEncoder",
    "BatchNormalization",
    "Conv3D",
    "ImageScaling",
    "R2D3D",
    "R2Plus1D",
    "ResNet2D",
    "StreamCNN",
    "VGGMFeatures",
    "VideoResNet",
]
