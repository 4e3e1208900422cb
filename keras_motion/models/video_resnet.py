"""3-D video ResNets used by MoSI: R(2+1)D (Tran et al., 2018) and R-2D3D (Han et al., DPC 2019), channels-last,
any clip length and size, with a video classifier head (global pool → dropout → linear).

Layer names follow the paper's stages: `conv1_*` is the stem, `conv{2..5}_block{b}_*` the residual stages and
`conv{k}_out` the output of stage k (Grad-CAM reads `conv5_out`, `freeze_stages(k)` freezes conv1..conv_k).
"""

import keras

from keras_motion.models.base import ConfigFromArguments, PolicyLayers
from keras_motion.models.conv3d import IMPLEMENTATIONS, Conv3D
from keras_motion.models.normalization import BatchNormalization

BLOCKS = {10: (1, 1, 1, 1), 18: (2, 2, 2, 2), 34: (3, 4, 6, 3)}


def _midplanes(t, d, n_in, n_out):
    """Channels between the spatial and temporal convs of a (2+1)D conv: as many parameters as the t×d×d conv
    it replaces (Tran et al., §3.5)."""
    return max(1, (t * d * d * n_in * n_out) // (d * d * n_in + t * n_out))


def _bn(layers, x, name, momentum):
    return layers(BatchNormalization, momentum=momentum, name=name)(x)


def _conv3d(layers, x, filters, kernel, name, impl, strides=(1, 1, 1)):
    return layers(
        Conv3D, filters, kernel, strides=strides, padding="same", use_bias=False, implementation=impl, name=name
    )(x)


def _conv(layers, x, filters, kernel, strides, name, factorised, momentum, impl):
    """A t×d×d conv, or its (2+1)D factorisation: 1×d×d spatial conv → BN → ReLU → t×1×1 temporal conv."""
    t, d = kernel[0], kernel[1]
    if not factorised or t == 1:
        return _conv3d(layers, x, filters, kernel, name, impl, strides)
    mid = _midplanes(t, d, x.shape[-1], filters)
    x = _conv3d(layers, x, mid, (1, d, d), f"{name}_spatial", impl, (1, strides[1], strides[2]))
    x = _bn(layers, x, f"{name}_spatial_bn", momentum)
    x = layers.ReLU(name=f"{name}_spatial_relu")(x)
    return _conv3d(layers, x, filters, (t, 1, 1), f"{name}_temporal", impl, (strides[0], 1, 1))


def _block(layers, x, filters, kernel, strides, name, factorised, momentum, impl):
    shortcut = x
    x = _conv(layers, x, filters, kernel, strides, f"{name}_conv1", factorised, momentum, impl)
    x = layers.ReLU(name=f"{name}_relu1")(_bn(layers, x, f"{name}_bn1", momentum))
    x = _conv(layers, x, filters, kernel, (1, 1, 1), f"{name}_conv2", factorised, momentum, impl)
    x = _bn(layers, x, f"{name}_bn2", momentum)
    if tuple(strides) != (1, 1, 1) or shortcut.shape[-1] != filters:
        if tuple(strides) != (1, 1, 1):
            # Subsample, then an unstrided 1×1×1 conv (== a strided 1×1×1 conv): TensorFlow 2.21's oneDNN CPU kernels
            # abort on a strided 1×1 conv trained on a batch of another size (see ResNet2D).
            shortcut = layers.MaxPooling3D(1, strides=strides, name=f"{name}_subsample")(shortcut)
        shortcut = _conv3d(layers, shortcut, filters, (1, 1, 1), f"{name}_proj", impl)
        shortcut = _bn(layers, shortcut, f"{name}_proj_bn", momentum)
    x = layers.Add(name=f"{name}_add")([x, shortcut])
    return layers.ReLU(name=f"{name}_out")(x)


class VideoResNet(ConfigFromArguments, keras.Model):
    """Base of `R2Plus1D` and `R2D3D`: a functional model with the stage layout of the module docstring."""

    ARCH = None  # "r2plus1d" | "r2d3d"
    PAPER_FILTERS = None

    def __init__(
        self,
        depth=10,
        num_classes=None,
        filters=None,
        stem="video",
        dropout=0.5,
        norm_momentum=0.9,
        input_channels=3,
        rescale=True,
        conv="auto",
        name=None,
        **kwargs,
    ):
        if depth not in BLOCKS:
            raise ValueError(f"depth must be one of {sorted(BLOCKS)}, got {depth}")
        if stem not in ("video", "small"):
            raise ValueError(
                f"stem must be 'video' (the paper's, spatial stride 4 or 2) or 'small' (3×3, stride 1, "
                f"for tiny clips), got {stem!r}"
            )
        if conv not in IMPLEMENTATIONS:
            raise ValueError(f"conv must be one of {IMPLEMENTATIONS} (see `keras_motion.models.Conv3D`), got {conv!r}")
        filters = tuple(int(f) for f in (filters or self.PAPER_FILTERS))
        if len(filters) != 5:
            raise ValueError(f"filters must give 5 widths (stem, conv2..conv5), got {filters}")
        factorised = self.ARCH == "r2plus1d"
        layers = PolicyLayers(kwargs.get("dtype"))
        inputs = keras.Input((None, None, None, input_channels), name="clips")
        x = layers.Rescaling(1 / 127.5, offset=-1.0, name="rescale")(inputs) if rescale else inputs
        if stem == "video":
            x = _conv(
                layers,
                x,
                filters[0],
                (3, 7, 7) if factorised else (1, 7, 7),
                (1, 2, 2),
                "conv1",
                factorised,
                norm_momentum,
                conv,
            )
        else:
            x = _conv(
                layers,
                x,
                filters[0],
                (3, 3, 3) if factorised else (1, 3, 3),
                (1, 1, 1),
                "conv1",
                factorised,
                norm_momentum,
                conv,
            )
        x = layers.ReLU(name="conv1_relu")(_bn(layers, x, "conv1_bn", norm_momentum))
        if stem == "video" and not factorised:
            x = layers.MaxPooling3D((1, 3, 3), strides=(1, 2, 2), padding="same", name="conv1_pool")(x)
        for stage, blocks in enumerate(BLOCKS[depth], start=2):
            if factorised:  # R(2+1)D: every stage after conv2 halves time and space
                kernel, stride = (3, 3, 3), (2, 2, 2) if stage > 2 else (1, 1, 1)
            else:  # R-2D3D: 2-D kernels in conv2-3, 3-D in conv4-5 (which also halve time)
                kernel = (1, 3, 3) if stage <= 3 else (3, 3, 3)
                stride = (1, 1, 1) if stage == 2 else ((1, 2, 2) if stage == 3 else (2, 2, 2))
            for b in range(blocks):
                x = _block(
                    layers,
                    x,
                    filters[stage - 1],
                    kernel,
                    stride if b == 0 else (1, 1, 1),
                    f"conv{stage}_block{b}",
                    factorised,
                    norm_momentum,
                    conv,
                )
            x = layers.Identity(name=f"conv{stage}_out")(x)
        x = layers.GlobalAveragePooling3D(name="pool")(x)
        if num_classes:
            if dropout:
                x = layers.Dropout(dropout, name="dropout")(x)
            x = layers.Dense(num_classes, dtype="float32", name="predictions")(x)  # logits
        super().__init__(inputs, x, name=name or f"{self.ARCH}_{depth}", **kwargs)

    def stage_output(self, stage=5):
        """A model from the clips to the output of stage `stage` (2..5), sharing weights."""
        return keras.Model(self.input, self.get_layer(f"conv{stage}_out").output, name=f"{self.name}_conv{stage}")

    def freeze_stages(self, stages):
        """Freezes conv1..conv_`stages` (0 = nothing; BatchNorm there then uses its moving statistics), as in the
        paper's Fig. 6. Recompile after calling it."""
        prefixes = tuple(f"conv{k}_" for k in range(1, int(stages) + 1))
        for layer in self.layers:
            layer.trainable = not layer.name.startswith(prefixes)
        return self

    def transfer_backbone(self, source):
        """Copies the weights of every layer of `source` (a model of the same architecture, e.g. pretrained on
        another label set) into this one, except the classifier; returns the number of layers copied."""
        copied = 0
        for layer in source.layers:
            if layer.name == "predictions" or not layer.weights:
                continue
            try:
                target = self.get_layer(layer.name)
            except ValueError as e:
                raise ValueError(
                    f"{self.name} has no layer {layer.name!r}: {source.name} is another architecture"
                ) from e
            target.set_weights(layer.get_weights())
            copied += 1
        return copied


@keras.saving.register_keras_serializable(package="keras_motion")
class R2Plus1D(VideoResNet):
    """R(2+1)D-10/18 (Tran et al., 2018): every 3×3×3 conv factorised into 1×3×3 spatial + 3×1×1 temporal, stem
    3×7×7 factorised the same way; filters (stem, conv2..conv5) = 64, 64, 128, 256, 512; conv3-5 halve T, H, W.
    Inputs are pixel values in [0, 255] (`rescale=False`: already normalised). `num_classes` adds the head
    (global pool → dropout → linear logits); without it the model outputs pooled features. BatchNorm momentum 0.9
    (PyTorch's 0.1) rather than Keras' 0.99, for short runs. `conv` says how the convolutions compute (see `Conv3D`):
    "factorized" as 2-D convolutions and matrix products over merged axes, "conv3d" as the backend's 3-D ones, "auto"
    the faster where the model runs; weights, layer names and outputs are the same either way.

    >>> net = R2Plus1D(depth=10, num_classes=9, filters=(8, 8, 16, 32, 64))
    >>> tuple(net(np.zeros((2, 8, 32, 32, 3), "float32")).shape)
    (2, 9)
    """

    ARCH = "r2plus1d"
    PAPER_FILTERS = (64, 64, 128, 256, 512)


@keras.saving.register_keras_serializable(package="keras_motion")
class R2D3D(VideoResNet):
    """R-2D3D-18 (DPC, Han et al. 2019; MoSI's second backbone): 2-D (1×k×k) kernels in the stem (1×7×7/2 + 1×3×3/2
    max-pool) and conv2-3, 3×3×3 kernels in conv4-5 (which halve T, H, W); filters 64, 64, 128, 256, 256. Other
    arguments as `R2Plus1D`'s.

    >>> net = R2D3D(depth=18, num_classes=9, filters=(8, 8, 16, 32, 32))
    >>> tuple(net(np.zeros((2, 8, 32, 32, 3), "float32")).shape)
    (2, 9)
    """

    ARCH = "r2d3d"
    PAPER_FILTERS = (64, 64, 128, 256, 256)

    def __init__(self, depth=18, **kwargs):
        super().__init__(depth=depth, **kwargs)
