"""Geometric transforms of flow that stay physically consistent with the same transform of the frames.

A horizontal mirror of the frames mirrors the flow field *and negates its horizontal component*; forgetting the
negation (as the public Im2Flow and MoSI code do) teaches a model motion in the wrong direction.
"""

import numpy as np

from keras_motion.flow.encoding import array_namespace

_NEGATE_U = np.array([-1.0, 1.0], np.float32)


def hflip_flow(flow):
    """Mirror (..., H, W, 2k) flow left-right: (u, v) at x → (−u, v) at W−1−x. Works on flow stacks (k pairs)."""
    xp = array_namespace(flow)
    sign = np.tile(_NEGATE_U, flow.shape[-1] // 2)
    return xp.multiply(xp.flip(flow, axis=-2), sign)


def hflip_im2flow(encoded):
    """Mirror an Im2Flow-encoded (..., H, W, 3) image: the cos θ channel (= u/M) changes sign."""
    xp = array_namespace(encoded)
    return xp.multiply(xp.flip(encoded, axis=-2), np.array([1.0, -1.0, 1.0], np.float32))


def reverse_flow_stack(stack):
    """Time-reverse a (..., H, W, 2k) stack u0, v0, …, u(k-1), v(k-1): pairs in reverse order, negated.

    Negation approximates the backward flow (exact where the motion field is locally smooth).
    """
    xp = array_namespace(stack)
    pairs = stack.shape[-1] // 2
    order = np.arange(2 * pairs).reshape(pairs, 2)[::-1].reshape(-1)
    return xp.negative(xp.take(stack, order, axis=-1))
