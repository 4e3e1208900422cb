"""Keras models: Im2Flow's U-Net, 2-D ResNets, stream ConvNets, the VRE + MRA network, the Pose-from-Action verifier."""

from keras_motion.models.alexnet import AlexNetEncoder
from keras_motion.models.im2flow import Im2FlowUNet
from keras_motion.models.resnet import ResNet2D
from keras_motion.models.stream_cnn import StreamCNN
from keras_motion.models.triplet_verifier import AppearanceClassifier, TripletVerifier, VGGMFeatures
from keras_motion.models.visual_motion import VisualMotionNet

__all__ = ["AlexNetEncoder", "AppearanceClassifier", "Im2FlowUNet", "ResNet2D", "StreamCNN", "TripletVerifier",
           "VGGMFeatures", "VisualMotionNet"]
