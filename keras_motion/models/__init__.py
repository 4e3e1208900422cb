"""Keras models: Im2Flow's U-Net, 2-D ResNets and stream ConvNets, MoSI's video ResNets, the VRE + MRA network, the
Pose-from-Action verifier."""

from keras_motion.models.alexnet import AlexNetEncoder
from keras_motion.models.im2flow import Im2FlowUNet
from keras_motion.models.mosi import pseudo_motion_classifier
from keras_motion.models.resnet import ResNet2D
from keras_motion.models.stream_cnn import StreamCNN
from keras_motion.models.triplet_verifier import AppearanceClassifier, TripletVerifier, VGGMFeatures
from keras_motion.models.video_resnet import R2D3D, R2Plus1D, VideoResNet
from keras_motion.models.visual_motion import VisualMotionNet

__all__ = ["AlexNetEncoder", "AppearanceClassifier", "Im2FlowUNet", "R2D3D", "R2Plus1D", "ResNet2D", "StreamCNN",
           "TripletVerifier", "VGGMFeatures", "VideoResNet", "VisualMotionNet", "pseudo_motion_classifier"]
