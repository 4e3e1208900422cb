"""MoSI's inference model: uint8 clips of any size → the pretrained backbone's class logits and pooled features."""

import keras

from keras_motion.models.base import ConfigFromArguments, PolicyLayers
from keras_motion.models.inference import SquareResize, Uint8Inputs


@keras.saving.register_keras_serializable(package="keras_motion")
class MoSIInference(ConfigFromArguments, Uint8Inputs, keras.Model):
    """uint8 clips (B, T, H, W, 3) → `{"logits": (B, C), "features": (B, F)}`: a MoSI backbone's class logits (the
    pseudo-motion classes for the pretext backbone, yours for a finetuned one) and its globally pooled conv5 features
    (the representation to transfer), self-contained.

    Size rule: every frame's central square is resized to `crop_size` (the size the backbone was trained on, its
    pseudo-motion crops; bilinear with antialiasing, `SquareResize`), so clips of any size and aspect ratio see the
    trained scale; `crop_size=None` feeds the frames as they are (the backbone pools globally: any H, W). Any
    number of frames T (the backbone's convolutions are 'same'-padded in time too). Floats are refused
    (`Uint8Inputs`). The backbone keeps its own dtype policy; `dtype` is this model's.

    Args:
        backbone: a `km.models.R2Plus1D` / `R2D3D` with a classifier head (e.g. `MoSI.backbone`).
        crop_size: the trained frame size, or None.

    Example:

    >>> import keras_motion as km
    >>> backbone = km.models.R2Plus1D(depth=10, num_classes=9, filters=(4, 4, 4, 4, 4))
    >>> model = MoSIInference(backbone, crop_size=16)
    >>> out = model(np.zeros((2, 4, 30, 40, 3), "uint8"))
    >>> tuple(out["logits"].shape), tuple(out["features"].shape)
    ((2, 9), (2, 4))

    Reference: Huang et al., "Self-supervised Motion Learning from Static Images", CVPR 2021, §3.3 (the pretext
    classifier) and §4.1 (backbones, clip sizes).
    """

    def __init__(self, backbone, crop_size=None, name="mosi_inference", **kwargs):
        layers = PolicyLayers(kwargs.get("dtype"))
        clips = keras.Input((None, None, None, 3), dtype="uint8", name="clips")
        x = layers(SquareResize, crop_size, name="square_resize")(clips) if crop_size else clips
        # One sub-model sharing the backbone's layers gives its pooled features beside its logits.
        both = keras.Model(backbone.inputs, [backbone.get_layer("pool").output, backbone.output], name=backbone.name)
        both.dtype_policy = backbone.dtype_policy  # a functional model drops the `dtype` it is given
        features, logits = both(x)
        super().__init__(clips, {"logits": logits, "features": features}, name=name, **kwargs)
