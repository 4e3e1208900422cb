"""Pose from Action (Purushwalkam & Gupta 2016): a triplet verifier "does this flow explain this change of
appearance?", its VGG-M-style ConvNets, and an action classifier initialised from its Appearance ConvNet."""

import keras

from keras_motion.models.base import ConfigFromArguments, PolicyLayers
from keras_motion.models.vggm import VGGMFeatures

# VGG-M up to FC6 (Chatfield et al. 2014), the paper's Appearance and Motion ConvNets: filters, kernel, stride, pool.


def _convnet_config(config):
    keys = ("image_size", "width", "feature_dim", "stem_stride", "batch_norm", "norm_momentum", "dropout", "rescale")
    return {k: config[k] for k in keys}


@keras.saving.register_keras_serializable(package="keras_motion")
class TripletVerifier(ConfigFromArguments, keras.Model):
    """Frames t and t+Δ (shared Appearance ConvNet) and their 2Δ-channel flow stack (Motion ConvNet) → P(the stack
    is the motion between the frames): features concatenated (3 × `feature_dim`), FC `hidden` + ReLU, FC 2 (logits).

    Inputs: a dict with `"frame_a"`, `"frame_b"`: (B, image_size, image_size, 3) uint8 images (0–255; scaled to
    [-1, 1] inside; `rescale=False`: taken as they are), and `"flow"`: (B, image_size, image_size, 2Δ) flow in
    pixels (u0, v0, u1, v1, …; multiplied by `flow_scale` inside the model).
    Output: (B, 2) logits, class 1 = "the stack is the true motion". Defaults are the paper's (224 px, VGG-M,
    4096-d FC6 and FC7, Δ = 12).

    In-batch negatives: with an extra input `"partners"`, int (P, K), the B = P inputs are P positive triplets and
    the output is (P·(1 + K), 2): first the P positives, then, for each triplet i in turn, its frames with the
    stacks `partners[i]` (see `TripletBatches(in_batch=True)`). Each ConvNet then runs once per frame and per stack,
    not once per pairing: with two negatives per positive, a third of the ConvNet cost.

    `verifier.appearance` is the Appearance ConvNet (a `VGGMFeatures`): a backbone to initialise other models from,
    e.g. `verifier.classifier(num_classes)`.

    >>> v = TripletVerifier(image_size=32, delta=3, width=0.0625, feature_dim=32, hidden=32, stem_stride=1)
    >>> x = {"frame_a": np.zeros((2, 32, 32, 3), "u1"), "frame_b": np.zeros((2, 32, 32, 3), "u1"),
    ...      "flow": np.zeros((2, 32, 32, 6), "f4")}
    >>> tuple(v(x).shape), tuple(v({**x, "partners": np.array([[1], [0]])}).shape)
    ((2, 2), (4, 2))
    """

    def __init__(
        self,
        image_size=224,
        delta=12,
        width=1.0,
        feature_dim=4096,
        hidden=4096,
        stem_stride=2,
        batch_norm=True,
        norm_momentum=0.9,
        dropout=0.5,
        flow_scale=1.0,
        rescale=True,
        name="triplet_verifier",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        layers = PolicyLayers(kwargs.get("dtype"))
        common = dict(
            image_size=image_size,
            width=width,
            feature_dim=feature_dim,
            stem_stride=stem_stride,
            batch_norm=batch_norm,
            norm_momentum=norm_momentum,
            dropout=dropout,
        )
        self.appearance = layers(VGGMFeatures, input_channels=3, rescale=rescale, name="appearance", **common)
        self.motion = layers(
            VGGMFeatures, input_channels=2 * delta, input_scale=flow_scale, rescale=False, name="motion", **common
        )
        self.fc7 = layers.Dense(hidden, activation="relu", name="fc7")
        self.fc7_dropout = layers.Dropout(dropout, name="fc7_dropout") if dropout else None
        self.verification = layers.Dense(2, dtype="float32", name="verification")  # logits
        # Built here, so that a loaded model has its weights before its first call.
        self.fc7.build((None, 3 * feature_dim))
        self.verification.build((None, hidden))
        self.built = True

    def features(self, inputs, training=None):
        """(appearance of frame a, appearance of frame b, motion of the stack), each (B, feature_dim)."""
        return (
            self.appearance(inputs["frame_a"], training=training),
            self.appearance(inputs["frame_b"], training=training),
            self.motion(inputs["flow"], training=training),
        )

    def call(self, inputs, training=None):
        a, b, m = self.features(inputs, training)
        partners = inputs.get("partners") if isinstance(inputs, dict) else None
        if partners is not None:
            partners = keras.ops.cast(partners, "int32")
            own = keras.ops.arange(keras.ops.shape(a)[0], dtype="int32")
            anchors = keras.ops.concatenate(
                [own, keras.ops.reshape(keras.ops.zeros_like(partners) + own[:, None], (-1,))]
            )
            stacks = keras.ops.concatenate([own, keras.ops.reshape(partners, (-1,))])
            a, b, m = (
                keras.ops.take(a, anchors, axis=0),
                keras.ops.take(b, anchors, axis=0),
                keras.ops.take(m, stacks, axis=0),
            )
        x = self.fc7(keras.ops.concatenate([a, b, m], axis=-1))
        if self.fc7_dropout is not None:
            x = self.fc7_dropout(x, training=training)
        return self.verification(x)

    def classifier(self, num_classes, hidden=2048, name="action_classifier"):
        """An `AppearanceClassifier` whose ConvNet starts from this verifier's Appearance ConvNet (weights copied)."""
        model = AppearanceClassifier(
            num_classes,
            hidden=hidden,
            name=name,
            dtype=self._arguments.get("dtype"),
            **_convnet_config(self._arguments),
        )
        model.appearance.set_weights(self.appearance.get_weights())
        return model


@keras.saving.register_keras_serializable(package="keras_motion")
class AppearanceClassifier(ConfigFromArguments, keras.Model):
    """The paper's downstream classifier: the Appearance ConvNet (VGG-M to FC6) then FC `hidden` (2048) + ReLU +
    dropout and a linear layer: logits over `num_classes`. Built with random weights; `TripletVerifier.classifier` (or
    `model.appearance.set_weights(...)`) initialises its ConvNet from a pretrained verifier. Images are uint8 (or
    floats in 0–255), scaled to [-1, 1] inside; `rescale=False` takes them as they are.

    >>> m = AppearanceClassifier(6, image_size=32, width=0.0625, feature_dim=32, hidden=16, stem_stride=1)
    >>> tuple(m(np.zeros((2, 32, 32, 3), "uint8")).shape)
    (2, 6)
    """

    def __init__(
        self,
        num_classes,
        image_size=224,
        width=1.0,
        feature_dim=4096,
        hidden=2048,
        stem_stride=2,
        batch_norm=True,
        norm_momentum=0.9,
        dropout=0.5,
        rescale=True,
        name="action_classifier",
        **kwargs,
    ):
        layers = PolicyLayers(kwargs.get("dtype"))
        common = dict(
            image_size=image_size,
            width=width,
            feature_dim=feature_dim,
            stem_stride=stem_stride,
            batch_norm=batch_norm,
            norm_momentum=norm_momentum,
            dropout=dropout,
        )
        appearance = layers(VGGMFeatures, input_channels=3, rescale=rescale, name="appearance", **common)
        inputs = keras.Input((image_size, image_size, 3), name="image")
        x = layers.Dense(hidden, activation="relu", name="fc7")(appearance(inputs))
        if dropout:
            x = layers.Dropout(dropout, name="fc7_dropout")(x)
        outputs = layers.Dense(num_classes, dtype="float32", name="predictions")(x)  # logits
        super().__init__(inputs, outputs, name=name, **kwargs)

    @property
    def appearance(self):
        return self.get_layer("appearance")
