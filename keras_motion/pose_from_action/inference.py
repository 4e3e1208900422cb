"""Pose from Action's inference model: uint8 images of any size → the Appearance ConvNet's pose-aware features."""

import keras

from keras_motion.models.base import ConfigFromArguments, PolicyLayers
from keras_motion.models.inference import SquareResize, Uint8Inputs


@keras.saving.register_keras_serializable(package="keras_motion")
class PoseFromActionInference(ConfigFromArguments, Uint8Inputs, keras.Model):
    """uint8 images (B, H, W, 3) of any size → (B, feature_dim) appearance features: the FC6 output of the verifier's
    Appearance ConvNet (VGG-M), the representation Pose from Action learns from motion, self-contained.

    Size rule: VGG-M flattens its conv5 maps into FC6 (features keep *where* things are), so FC6's weights fix the
    input size. Every image's central square is therefore resized to the ConvNet's trained size (bilinear with
    antialiasing, `SquareResize`; its `image_size`, read from the network itself) rather than pooled globally, which
    would discard the layout FC6 was trained on. An image of that size passes unchanged. Floats are refused
    (`Uint8Inputs`). The ConvNet keeps its own dtype policy; `dtype` is this model's.

    Args:
        appearance: the Appearance ConvNet, a `km.models.VGGMFeatures` (e.g. `PoseFromAction.verifier.appearance`).

    Example:

    >>> from keras_motion.models import VGGMFeatures
    >>> model = PoseFromActionInference(VGGMFeatures(image_size=32, width=0.05, feature_dim=8, stem_stride=1))
    >>> tuple(model(np.zeros((2, 48, 64, 3), "uint8")).shape)
    (2, 8)

    Reference: Purushwalkam & Gupta 2016, §3 (the Appearance ConvNet, VGG-M to FC6) and §4.3 (its features as
    initialisation for static-image action recognition).
    """

    def __init__(self, appearance, name="pose_from_action_inference", **kwargs):
        layers = PolicyLayers(kwargs.get("dtype"))
        images = keras.Input((None, None, 3), dtype="uint8", name="images")
        size = appearance.inputs[0].shape[1]
        features = appearance(layers(SquareResize, size, name="square_resize")(images))
        super().__init__(images, features, name=name, **kwargs)
