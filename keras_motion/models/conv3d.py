"""A `Conv3D` that can compute as 2-D convolutions and matrix products over merged axes: the same operator and the same
weights, fast on every CPU and backend.

A (t, k, k) convolution of a (B, T, H, W, C) clip is a (k, k) 2-D convolution over the merged (B·T') axis of the
t time-shifted (and time-strided) frames stacked on the channels: for t = 1 that is no copy at all (R(2+1)D's spatial
convs, R-2D3D's conv1-3), and a (t, 1, 1) temporal conv is then one matrix product. CPU libraries are tuned for 2-D
convolutions and matrix products; their 3-D convolutions often are not: TensorFlow's generic CPU Conv3D (where
oneDNN is off) and XLA's CPU one are several times slower in R(2+1)D training (docs/mosi.md has the figures).
Where a 3-D convolution is fast (cuDNN on a GPU, oneDNN's in PyTorch and in TensorFlow where it is on), it is kept.
"""

import functools
import os

import keras

IMPLEMENTATIONS = ("auto", "conv3d", "factorized")


@functools.cache
def _auto_implementation(backend):
    """The faster form on `backend`'s default device (measured with `tools/bench.py backends`: the R(2+1)D-10 CPU
    training step). Only that backend is asked: no TensorFlow import on JAX or torch."""
    if backend == "jax":
        import jax

        return "factorized" if jax.default_backend() == "cpu" else "conv3d"  # XLA's CPU Conv3D is the slow one
    if backend == "tensorflow":
        import tensorflow as tf

        if tf.config.list_logical_devices("GPU") or _tensorflow_onednn():
            return "conv3d"  # cuDNN, or oneDNN's Conv3D: faster than its 2-D form
        return "factorized"  # TensorFlow's generic CPU Conv3D is the slow one
    return "conv3d"  # torch: oneDNN's Conv3D on a CPU (its 2-D form pays for copies), cuDNN on a GPU


def _tensorflow_onednn():
    """Whether TensorFlow runs its oneDNN CPU kernels in this process (its default depends on the CPU; the
    environment variable `TF_ENABLE_ONEDNN_OPTS` overrides it)."""
    try:
        from tensorflow.python.util import _pywrap_util_port  # no public query exists

        return bool(_pywrap_util_port.IsMklEnabled())
    except (ImportError, AttributeError):
        return os.environ.get("TF_ENABLE_ONEDNN_OPTS", "").lower() in ("1", "true")


def resolve_implementation(implementation):
    """The form `implementation` computes with on this backend and device: "auto" is the faster one there
    ("conv3d" on a GPU, with PyTorch and with TensorFlow's oneDNN; "factorized" with JAX and TensorFlow's generic
    kernels on a CPU)."""
    if implementation not in IMPLEMENTATIONS:
        raise ValueError(f"implementation must be one of {IMPLEMENTATIONS}, got {implementation!r}")
    if implementation == "auto":
        return _auto_implementation(keras.backend.backend())
    return implementation


def _same_padding(size, kernel, stride):
    """(before, after) of Keras' "same" padding along an axis of `size` (an int, or a TensorFlow scalar for an
    unknown size): ceil(size / stride) outputs, the odd element of the padding after."""
    total = kernel - stride + (-size) % stride  # == (ceil(size / stride) - 1) * stride + kernel - size
    total = max(total, 0) if isinstance(total, int) else keras.ops.maximum(total, 0)
    return total // 2, total - total // 2


@keras.saving.register_keras_serializable(package="keras_motion")
class Conv3D(keras.layers.Conv3D):
    """Keras' `Conv3D` (same arguments, weights and outputs), computed either by the backend's 3-D convolution or,
    channels-last and undilated, as a 2-D convolution over merged (batch · time) axes of the time-shifted frames
    stacked on the channels (a matrix product where the kernel is 1×1 in space). Its class name is Keras' so that
    models saved with `keras.layers.Conv3D` layers load their weights into it.

    Args:
        implementation: "factorized" (the 2-D form), "conv3d" (the backend's 3-D convolution) or "auto" (chosen when
            called: the faster on this backend and device, see `resolve_implementation`).
        **kwargs: those of `keras.layers.Conv3D`.

    Example:

    >>> x = np.random.default_rng(0).normal(size=(2, 5, 9, 8, 3)).astype("float32")
    >>> conv = Conv3D(4, (3, 1, 1), strides=2, padding="same", implementation="factorized")
    >>> plain = keras.layers.Conv3D(4, (3, 1, 1), strides=2, padding="same")
    >>> y, _ = keras.ops.convert_to_numpy(conv(x)), plain(x)
    >>> plain.set_weights(conv.get_weights())
    >>> tuple(y.shape), bool(np.allclose(y, keras.ops.convert_to_numpy(plain(x)), atol=1e-5))
    ((2, 3, 5, 4, 4), True)
    """

    def __init__(self, *args, implementation="auto", **kwargs):
        super().__init__(*args, **kwargs)
        resolve_implementation(implementation)  # refuse a bad name here, not at the first call
        self.implementation = implementation

    def get_config(self):
        return {**super().get_config(), "implementation": self.implementation}

    def _factorizable(self):
        return (
            self.data_format == "channels_last"
            and self.groups == 1
            and self.padding in ("same", "valid")
            and all(d == 1 for d in self.dilation_rate)
        )

    def convolution_op(self, inputs, kernel):
        if resolve_implementation(self.implementation) == "conv3d" or not self._factorizable():
            return super().convolution_op(inputs, kernel)
        return self._merged_conv(inputs, kernel)

    def _merged_conv(self, x, kernel):
        ops = keras.ops
        (kt, kh, kw), (st, sh, sw) = self.kernel_size, self.strides
        channels, filters = kernel.shape[-2], kernel.shape[-1]
        # Time: pad as Conv3D does, then stack the kt shifted, strided frame sequences on the channels.
        size = ops.shape(x)[1]
        if self.padding == "same" and kt > 1:
            before, after = _same_padding(size, kt, st)
            if isinstance(before, int):
                x = ops.pad(x, ((0, 0), (before, after), (0, 0), (0, 0), (0, 0)))
            else:  # unknown length (TensorFlow only): pad the most "same" can need, then skip what it did not
                x = ops.pad(x, ((0, 0), (kt - 1, kt - 1), (0, 0), (0, 0), (0, 0)))[:, kt - 1 - before :]
                x = x[:, : size + before + after]
            size = size + before + after
        frames = (size - kt) // st + 1
        shifted = [x[:, dt : dt + (frames - 1) * st + 1 : st] if (st, kt) != (1, 1) else x for dt in range(kt)]
        x = shifted[0] if kt == 1 else ops.concatenate(shifted, axis=-1)
        # The kernel in the same (time, channel) order: (kh, kw, kt * C, F).
        kernel = ops.reshape(ops.transpose(kernel, (1, 2, 0, 3, 4)), (kh, kw, kt * channels, filters))
        if (kh, kw) == (1, 1):  # 1×1 in space: subsample ("same" pads nothing), then one matrix product
            x = x[:, :, ::sh, ::sw] if (sh, sw) != (1, 1) else x
            shape = ops.shape(x)
            y = ops.matmul(ops.reshape(x, (-1, kt * channels)), ops.reshape(kernel, (kt * channels, filters)))
            return ops.reshape(y, (-1, shape[1], shape[2], shape[3], filters))
        shape = ops.shape(x)
        y = ops.conv(
            ops.reshape(x, (-1, shape[2], shape[3], kt * channels)), kernel, strides=(sh, sw), padding=self.padding
        )
        out = ops.shape(y)
        return ops.reshape(y, (-1, shape[1], out[1], out[2], filters))
