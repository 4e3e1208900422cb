"""VRE + MRA's network (Zhang et al., AAAI 2020): a CNN encoder, a visual classifier, a GRU motion head with its motion
classifier, and the MRA classifier on [motion; visual] features — five parameter groups trained step by step."""

import keras
from keras import ops

from keras_motion.models.alexnet import AlexNetEncoder
from keras_motion.models.base import ConfigFromArguments, PolicyLayers
from keras_motion.vre_mra.motion_gru import MotionGRU

# The paper's names of the five parameter groups (Algorithm 1) → attribute names here.
GROUPS = {
    "θn": "encoder",
    "θc": "visual_classifier",
    "θg": "motion_gru",
    "θm": "motion_classifier",
    "θa": "mra_classifier",
}


def _two_fc(layers, hidden, outputs, dropout, name):
    head = keras.Sequential(
        [
            layers.Dense(hidden, activation="relu", name="fc1"),
            layers.Dropout(dropout, name="dropout"),
            layers.Dense(outputs, dtype="float32", name="fc2"),
        ],  # logits
        name=name,
    )
    if layers.dtype is not None:  # `keras.Sequential` takes no `dtype`
        head.dtype_policy = layers.dtype
    return head


@keras.saving.register_keras_serializable(package="keras_motion")
class VisualMotionNet(ConfigFromArguments, keras.Model):
    """f (encoder, θn), p_c (visual classifier, θc), MotionGRU (θg), p_m (motion classifier, θm), p_a (MRA, θa).

    `net(images)` is the MRA prediction p_a([f̃(x); f(x)]) (logits over `num_classes`), where f̃(x) is one GRU step
    from the zero state on f(x). The other paths: `visual_scores(images)` = p_c(f(x)), `clip_motion(clips)` =
    f̃(v) of (B, T, H, W, 3) clips, `motion_scores(clips)` = p_m(f̃(v)), `image_motion(images)` = f̃(x).
    `mra_features="motion"` makes p_a see f̃(x) alone (the paper's "only MR" ablation).

    The encoder is `AlexNetEncoder(image_size, width, feature_dim, stem, norm, rescale)` by default, or any Keras
    model mapping images to (B, F) features (a (B, h, w, F) output is average-pooled). Two FC layers per classifier,
    the paper's hidden sizes by default: p_c 4096, p_m 512, p_a feature_dim + motion_units (4608). Images and clips
    are uint8 (or floats in 0–255): the default encoder scales them to [-1, 1] inside (`rescale=False`: it takes
    them as they are); a custom encoder gets them as they are and is the user's to scale (`rescale` is not used).
    `dropout` is the classifiers' rate and, unless `encoder_dropout` is given, the default encoder's (before fc6).
    A clip's frames go through the encoder one by one, each with its own dropout mask: the mask noise can swamp the
    small frame-to-frame changes the GRU reads motion from (`encoder_dropout=0` keeps them).

    >>> import numpy as np
    >>> net = VisualMotionNet(num_classes=6, num_motion_labels=4, image_size=32, width=0.125, feature_dim=32,
    ...                       stem="small", motion_units=16, motion_hidden=16, classifier_hidden=16)
    >>> tuple(net(np.zeros((2, 32, 32, 3), "uint8")).shape)
    (2, 6)
    """

    def __init__(
        self,
        num_classes,
        num_motion_labels=16,
        encoder=None,
        image_size=224,
        width=1.0,
        feature_dim=4096,
        stem="imagenet",
        motion_units=512,
        motion_hidden=512,
        classifier_hidden=4096,
        mra_hidden=None,
        dropout=0.5,
        mra_features="both",
        norm=None,
        encoder_dropout=None,
        rescale=True,
        name="visual_motion_net",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        if mra_features not in ("both", "motion"):
            raise ValueError(
                f"mra_features must be 'both' ([f̃(x); f(x)], the paper) or 'motion' (only MR), got {mra_features!r}"
            )
        self._custom_encoder = encoder is not None
        layers = PolicyLayers(kwargs.get("dtype"))
        if encoder is None:
            encoder = layers(
                AlexNetEncoder,
                image_size=image_size,
                width=width,
                feature_dim=feature_dim,
                stem=stem,
                dropout=dropout if encoder_dropout is None else encoder_dropout,
                norm=norm,
                rescale=rescale,
                name="encoder",
            )
        self.encoder = encoder
        out_shape = encoder.compute_output_shape((None, image_size, image_size, 3))
        self._pool = len(out_shape) == 4
        self.feature_dim = int(out_shape[-1])
        mra_hidden = mra_hidden or self.feature_dim + motion_units
        self.visual_classifier = _two_fc(layers, classifier_hidden, num_classes, dropout, "visual_classifier")
        self.motion_gru = layers(MotionGRU, motion_units, name="motion_gru")
        self.motion_classifier = _two_fc(layers, motion_hidden, num_motion_labels, dropout, "motion_classifier")
        self.mra_classifier = _two_fc(layers, mra_hidden, num_classes, dropout, "mra_classifier")
        self.build((None, image_size, image_size, 3))

    def build(self, input_shape):
        if not self.encoder.built:
            self.encoder.build(input_shape)
        f, u = self.feature_dim, self._arguments["motion_units"]
        self.visual_classifier.build((None, f))
        self.motion_gru.build((None, None, f))
        self.motion_classifier.build((None, u))
        self.mra_classifier.build((None, u + f if self._arguments["mra_features"] == "both" else u))
        self.built = True

    @property
    def groups(self):
        """{"encoder": layer, ...}: the five parameter groups of Algorithm 1 (see `GROUPS` for the paper's names)."""
        return {name: getattr(self, name) for name in GROUPS.values()}

    # ----------------------------------------------------------------------------------------------------- paths
    def features(self, images, training=False):
        """f(x): (B, S, S, 3) → (B, F)."""
        x = self.encoder(images, training=training)
        return ops.mean(x, axis=(1, 2)) if self._pool else x

    def frame_features(self, clips, training=False):
        """f of every frame: (B, T, S, S, 3) → (B, T, F), the frames going through the encoder as one batch."""
        shape = ops.shape(clips)
        flat = ops.reshape(clips, (-1,) + tuple(clips.shape[2:]))
        return ops.reshape(self.features(flat, training), (shape[0], shape[1], self.feature_dim))

    def mra_inputs(self, features, training=False):
        motion = self.motion_gru(features, training=training)
        if self._arguments["mra_features"] == "motion":
            return motion
        return ops.concatenate([motion, features], axis=-1)

    def call(self, images, training=False):
        return self.mra_classifier(self.mra_inputs(self.features(images, training), training), training=training)

    def visual_scores(self, images, training=False):
        return self.visual_classifier(self.features(images, training), training=training)

    def image_motion(self, images, training=False):
        return self.motion_gru(self.features(images, training), training=training)

    def clip_motion(self, clips, training=False):
        return self.motion_gru(self.frame_features(clips, training), training=training)

    def motion_scores(self, clips, training=False):
        return self.motion_classifier(self.clip_motion(clips, training), training=training)

    # ----------------------------------------------------------------------------------------------------- config
