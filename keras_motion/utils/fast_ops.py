"""Native fast paths for `keras.ops` calls whose portable versions add full passes over large tensors.

Keras's `take` on TensorFlow and PyTorch first rewrites negative indices (a compare, an add and a select over every
index); its float `argmax` on TensorFlow and JAX (CPU) first replaces -0.0 (three more passes); TensorFlow's
`clip_by_value` is a minimum then a maximum. For a gather of ~10⁷ pixel indices that are never negative, a
nearest-centre search over (N, 128) scores or the clipping of a batch of clips, those passes cost as much as the op
itself. These helpers call the backend's own op (TensorFlow's also for TensorFlow tensors inside `tf.data` on any
backend) and fall back to `keras.ops` elsewhere.
"""

import keras
from keras import ops


def _tensorflow(x):
    return keras.backend.backend() == "tensorflow" or type(x).__module__.startswith("tensorflow")


def take_rows(x, indices):
    """`x[indices]` along axis 0 for non-negative `indices` of any shape → indices.shape + x.shape[1:]."""
    backend = keras.backend.backend()
    if _tensorflow(x):
        import tensorflow as tf

        return tf.gather(x, indices)
    if backend == "torch":
        import torch

        x, indices = ops.convert_to_tensor(x), ops.convert_to_tensor(indices)
        rows = torch.index_select(x, 0, indices.reshape(-1).long())
        return rows.reshape(tuple(indices.shape) + tuple(x.shape[1:]))
    return ops.take(x, indices, axis=0)


def argmax_last(x):
    """Index (int32) of the maximum along the last axis; ties and ±0 as the backend's native argmax has them."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.argmax(x, axis=-1, output_type=tf.int32)
    if backend == "jax":
        import jax.numpy as jnp

        return jnp.argmax(x, axis=-1).astype("int32")
    return ops.argmax(x, axis=-1)


def clip(x, low, high):
    """`x` clipped to [low, high] in one pass (TensorFlow's fused ClipByValue kernel, which has a gradient)."""
    if _tensorflow(x):
        import tensorflow as tf

        return tf.raw_ops.ClipByValue(
            t=x, clip_value_min=tf.constant(low, x.dtype), clip_value_max=tf.constant(high, x.dtype)
        )
    return ops.clip(x, low, high)


def tensorflow_without_xla():
    """True when TensorFlow runs eagerly or traces a graph that XLA will not compile (`tf.data`, `tf.function`
    without `jit_compile`): there, ops with data-dependent shapes or without XLA kernels are allowed."""
    import tensorflow as tf

    if tf.executing_eagerly():
        return True
    try:  # TensorFlow's own test for a jit_compile context (not public API: when it moves, assume XLA)
        from tensorflow.python.ops.control_flow_util import GraphOrParentsInXlaContext
    except ImportError:
        return False
    return not GraphOrParentsInXlaContext(tf.compat.v1.get_default_graph())


def true_indices(flags):
    """Indices (int32, 1-D) of the true entries of a 1-D boolean tensor where a result of data-dependent length is
    cheap and allowed: TensorFlow outside XLA, and PyTorch. None under JAX and XLA, so that the caller keeps its
    fixed-shape path there."""
    if _tensorflow(flags):
        import tensorflow as tf

        if not tensorflow_without_xla():
            return None
        return tf.cast(tf.where(flags)[:, 0], tf.int32)
    if keras.backend.backend() == "torch":
        import torch

        return torch.nonzero(ops.convert_to_tensor(flags)).reshape(-1).int()
    return None
