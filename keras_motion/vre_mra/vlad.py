"""VLAD (Jégou et al. 2012) of sets of descriptors — here 2-D flow vectors — as a Keras layer on every backend."""

import keras
import numpy as np
from keras import ops

from keras_motion.models.base import ConfigFromArguments
from keras_motion.utils.fast_ops import argmax_last, take_rows, tensorflow_without_xla, true_indices

NORMALIZATIONS = ("power", "intra", "l2")
_EPS = 1e-12


def _parse_normalization(normalization):
    """None | "power" | "intra+l2" | ("power", "l2") → a tuple of steps in NORMALIZATIONS, applied in order."""
    if normalization is None:
        return ()
    steps = normalization.split("+") if isinstance(normalization, str) else list(normalization)
    steps = tuple(s.strip().lower() for s in steps if s and s.strip().lower() != "none")
    unknown = [s for s in steps if s not in NORMALIZATIONS]
    if unknown:
        raise ValueError(
            f"unknown VLAD normalisation {unknown}; use None or a '+'-joined sequence of "
            f"{NORMALIZATIONS}, e.g. 'power+l2'"
        )
    return steps


def _segment_sums(columns, ids, segments):
    """(segments, C) sums of the rows of `columns` (M, C) with the same id in [0, segments). TensorFlow uses a
    weighted bincount per column, 3-5× faster on CPU than unsorted_segment_sum; it has no gradient of its own (the
    exact one, each row receiving its segment's upstream gradient, is given here) and no XLA kernel, so under XLA
    the segment sum stays."""
    if keras.backend.backend() != "tensorflow":
        return ops.segment_sum(columns, ids, segments)
    import tensorflow as tf

    if not tensorflow_without_xla():
        return tf.math.unsorted_segment_sum(columns, ids, segments)

    @tf.custom_gradient
    def sums(columns):
        out = tf.stack(
            [
                tf.math.bincount(ids, weights=columns[:, j], minlength=segments, maxlength=segments)
                for j in range(columns.shape[-1])
            ],
            axis=-1,
        )
        return out, lambda upstream: tf.gather(upstream, ids)

    return sums(columns)


@keras.saving.register_keras_serializable(package="keras_motion")
class VLADEncoder(ConfigFromArguments, keras.layers.Layer):
    """Hard-assignment VLAD of a set of D-dim descriptors against a fixed codebook of K centres → (B, K·D).

    For each centre c_k, the sum of residuals (x − c_k) of the descriptors whose nearest centre is c_k (VRE + MRA,
    supplementary §1: 128 centres × 2-D flow vectors = 256-d per flow map). Descriptors with `mask == 0` (e.g. flow
    entries below the OTSU threshold) are left out. The output is laid out centre by centre: [k0 d0, k0 d1, k1 d0, …].

    Inputs: descriptors (B, N, D) or (B, H, W, D) (a flow map is a set of H·W vectors), and optionally `mask`
    (B, N) or (B, H, W) of 0/1 (or bool). The codebook is a non-trainable weight (K, D); the output is differentiable
    with respect to the descriptors.

    `normalization=None` gives the raw residual sums (the paper's definition). Otherwise a '+'-joined sequence
    applied in order: "power" (signed square root), "intra" (L2 per centre), "l2" (L2 of the whole vector);
    Arandjelović & Zisserman's recommended form is "intra+l2", Jégou et al.'s "power+l2".

    >>> vlad = VLADEncoder(np.array([[0.0, 0.0], [4.0, 0.0]], "float32"))
    >>> flow = np.array([[[1.0, 1.0], [3.0, 0.0], [5.0, 0.0]]], "float32")     # one set of 3 vectors
    >>> keras.ops.convert_to_numpy(vlad(flow)).tolist()                        # [1, 1] | (-1, 0) + (1, 0)
    [[1.0, 1.0, 0.0, 0.0]]
    """

    def __init__(self, codebook, normalization=None, **kwargs):
        super().__init__(**kwargs)
        codebook = np.asarray(codebook, np.float32)
        if codebook.ndim != 2 or len(codebook) < 1:
            raise ValueError(f"codebook must be a (num_centres, descriptor_dim) array, got shape {codebook.shape}")
        self._initial_codebook = codebook
        self.num_centres, self.descriptor_dim = codebook.shape
        self.normalization = normalization
        self._steps = _parse_normalization(normalization)
        self.supports_masking = True  # `mask` is the validity of each descriptor; the output carries no mask

    def build(self, input_shape=None):
        self.codebook = self.add_weight(
            shape=self._initial_codebook.shape,
            initializer=keras.initializers.Constant(self._initial_codebook),
            trainable=False,
            name="codebook",
            dtype=self.variable_dtype,
        )

    def call(self, descriptors, mask=None):
        # The assignment runs in float32 whatever the policy (half precision changes which centre is nearest);
        # the output is in the policy's compute dtype.
        descriptors = ops.cast(descriptors, "float32")
        if descriptors.shape[-1] is not None and descriptors.shape[-1] != self.descriptor_dim:
            raise ValueError(
                f"VLADEncoder: descriptors have {descriptors.shape[-1]} dims, the codebook {self.descriptor_dim}"
            )
        batch = ops.shape(descriptors)[0]
        k, d = self.num_centres, self.descriptor_dim
        x = ops.reshape(descriptors, (-1, d))  # (B·N, D): all sets at once
        per_set = ops.shape(x)[0] // batch
        owner = None  # the set of each row of x, when x keeps only the valid descriptors
        if mask is not None:
            valid = ops.reshape(ops.cast(mask, "bool"), (-1,))
            kept = true_indices(valid)
            if kept is not None:  # TF without XLA, torch: search only the valid descriptors (OTSU drops most)
                x, owner, mask = take_rows(x, kept), kept // per_set, None
        c = ops.cast(self.codebook, "float32")  # (K, D)
        # Nearest centre = argmax_k x·c_k − |c_k|²/2 (|x|² does not change it). A constant 1 appended to x turns
        # the bias into a column of the matmul: one (B·N, K) pass instead of two, and no (B·N, K, D) temporary.
        x1 = ops.concatenate([x, ops.ones_like(x[:, :1])], axis=-1)  # (rows, D + 1)
        c1 = ops.concatenate([c, -0.5 * ops.sum(c * c, axis=-1, keepdims=True)], axis=-1)
        assign = argmax_last(ops.matmul(x1, ops.transpose(c1)))
        # Σ_{x→k} (x − c_k) = (Σ_{x→k} x) − n_k c_k: one segment sum of [x, 1] (masked) over (set, centre) ids
        # gives both, in O(N·D) memory where a one-hot (B·N, K) assignment matrix would cost K times more.
        if owner is None:
            ids = ops.reshape(
                ops.reshape(assign, (batch, -1)) + ops.arange(batch, dtype=assign.dtype)[:, None] * k, (-1,)
            )
        else:
            ids = ops.cast(owner, assign.dtype) * k + assign
        if mask is not None:
            x1 = x1 * ops.reshape(ops.cast(mask, "float32"), (-1, 1))
        sums = ops.reshape(_segment_sums(x1, ids, batch * k), (batch, k, d + 1))
        residuals = sums[..., :d] - sums[..., d:] * c[None]
        for step in self._steps:
            if step == "power":
                residuals = ops.sign(residuals) * ops.sqrt(ops.abs(residuals))
            elif step == "intra":
                residuals = residuals / ops.sqrt(ops.sum(residuals * residuals, axis=-1, keepdims=True) + _EPS)
            else:
                flat = ops.reshape(residuals, (batch, -1))
                norm = ops.sqrt(ops.sum(flat * flat, axis=-1) + _EPS)
                residuals = residuals / norm[:, None, None]
        return ops.cast(ops.reshape(residuals, (batch, self.num_centres * self.descriptor_dim)), self.compute_dtype)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, descriptors_shape, mask_shape=None):
        return (descriptors_shape[0], self.num_centres * self.descriptor_dim)
