"""VRE + MRA's inference model: uint8 key-frame clips → the motion representation f̃ and the pseudo-motion class."""

import keras
import numpy as np

from keras_motion.models.base import ConfigFromArguments, PolicyLayers
from keras_motion.models.inference import SquareResize, Uint8Inputs


@keras.saving.register_keras_serializable(package="keras_motion")
class ClipMotion(ConfigFromArguments, keras.layers.Layer):
    """(B, T, S, S, 3) clips → `(f̃(v), p_m(f̃(v)))` of a `VisualMotionNet`: its motion representation (B, units) and
    pseudo-motion logits (B, num_motion_labels), through the net's own paths (`clip_motion`, `motion_classifier`).

    Example:

    >>> from keras_motion.vre_mra.model import VisualMotionNet
    >>> net = VisualMotionNet(3, 4, image_size=32, width=0.05, feature_dim=8, stem="small", motion_units=6,
    ...                       motion_hidden=8, classifier_hidden=8)
    >>> motion, logits = ClipMotion(net)(np.zeros((2, 5, 32, 32, 3), "uint8"))
    >>> tuple(motion.shape), tuple(logits.shape)
    ((2, 6), (2, 4))
    """

    def __init__(self, net, **kwargs):
        kwargs.setdefault("autocast", False)  # the net casts by its own policy
        super().__init__(**kwargs)
        self.net = net

    def call(self, clips, training=False):
        motion = self.net.clip_motion(clips, training=training)
        return motion, self.net.motion_classifier(motion, training=training)

    def compute_output_spec(self, clips, training=False):
        batch = clips.shape[0]
        return (
            keras.KerasTensor((batch, self.net.motion_gru.units), dtype=self.net.motion_gru.compute_dtype),
            keras.KerasTensor((batch, self.net.motion_classifier.layers[-1].units), dtype="float32"),
        )


@keras.saving.register_keras_serializable(package="keras_motion")
class VREMRAInference(ConfigFromArguments, Uint8Inputs, keras.Model):
    """uint8 key-frame clips (B, T, H, W, 3) → `{"motion": (B, units), "motion_logits": (B, num_labels)}`: the motion
    representation f̃(v) (the GRU's last output over the frames) and the logits of the pseudo-motion class (p_m) of a
    trained `VisualMotionNet`, self-contained.

    Size rule: the net's encoder has a fixed input size, so every frame's central square is resized to its
    `image_size` (bilinear with antialiasing, `SquareResize`; the task's `square_crop` uses OpenCV's area
    interpolation, within a grey level of it); frames of that size pass unchanged, so a clip from `VREMRA.clips`
    gives exactly the net's `clip_motion` and `motion_scores`. Any number of frames T (the paper's key frames, or a
    single frame: f̃ of one GRU step, the MRA path of an image). Floats are refused (`Uint8Inputs`).

    The pseudo-motion labels came from the labeler's flow codebook: it is a constant of this model's config (not a
    weight: nothing here computes flow), `model.codebook` (K, 2) in px with its OTSU threshold
    `model.motion_threshold` (px), so that the file says which motion vocabulary its classes index.

    Args:
        net: the trained `VisualMotionNet` (e.g. `VREMRA.net`).
        codebook: the labeler's `codebook_` (K, 2), or None; motion_threshold: its `threshold_`, or None.

    Example:

    >>> from keras_motion.vre_mra.model import VisualMotionNet
    >>> net = VisualMotionNet(3, 4, image_size=32, width=0.05, feature_dim=8, stem="small", motion_units=6,
    ...                       motion_hidden=8, classifier_hidden=8)
    >>> model = VREMRAInference(net, codebook=np.zeros((16, 2)), motion_threshold=0.5)
    >>> out = model(np.zeros((2, 8, 40, 48, 3), "uint8"))
    >>> tuple(out["motion"].shape), tuple(out["motion_logits"].shape), model.codebook.shape
    ((2, 6), (2, 4), (16, 2))

    Reference: Zhang et al., AAAI 2020, §3.1 (f̃ and the motion classifier p_m), supplementary §1 (the VLAD
    pseudo-motion labels and their codebook).
    """

    def __init__(self, net, codebook=None, motion_threshold=None, name="vre_mra_inference", **kwargs):
        layers = PolicyLayers(kwargs.get("dtype"))
        clips = keras.Input((None, None, None, 3), dtype="uint8", name="clips")
        frames = layers(SquareResize, net.arguments["image_size"], name="square_resize")(clips)
        motion, logits = layers(ClipMotion, net, name="clip_motion")(frames)
        super().__init__(clips, {"motion": motion, "motion_logits": logits}, name=name, **kwargs)
        self._codebook = None if codebook is None else np.asarray(codebook, np.float32)
        self.motion_threshold = None if motion_threshold is None else float(motion_threshold)

    @property
    def codebook(self):
        """The labeler's flow codebook (K, 2) in px (a copy), or None."""
        return None if self._codebook is None else self._codebook.copy()
