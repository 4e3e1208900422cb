"""VRE's temporal-smoothness losses ([000] §3.1): contrastive losses on the motion features f̃ of sub-clips.

First order: features of temporal neighbours (same video, overlapping by at least half) are pulled together, those of
clips from different videos pushed at least a margin δ apart. Second order: the same on the differences
d̂(t1, t2) = f̃(v̂[t1]) − f̃(v̂[t2]) of neighbour triples, the negatives taking their third clip from another video.
The index sets come from `keras_motion.video.neighbour_pairs` / `neighbour_triples`.

`distance="euclidean"` is the paper's loss on the plain distance d; `distance="squared"` is Hadsell et al.'s form on
d² (positives pulled with a force that vanishes as they meet, negatives pushed by the squared hinge).
"""

from keras import ops

_EPS = 1e-12  # inside the square root: the distance of identical features (a positive pair) has a finite gradient
DISTANCES = ("euclidean", "squared")


def euclidean(a, b):
    """Row-wise Euclidean distance ‖a − b‖₂ (differentiable at a = b)."""
    d = a - b
    return ops.sqrt(ops.sum(d * d, axis=-1) + _EPS)


def _mean_or_zero(values):
    """The mean over a set, 0 for an empty set. Inside a traced step the set's size is unknown until it runs, and the
    mean of an empty set is NaN: `where` keeps it out of the loss (and its gradient, which has no elements)."""
    if values.shape[0] is not None:
        return ops.mean(values) if values.shape[0] else 0.0
    return ops.where(ops.shape(values)[0] > 0, ops.mean(values), 0.0)


def contrastive(positive_distances, negative_distances, margin=1.0, distance="euclidean"):
    """Hadsell et al.'s contrastive loss on Euclidean distances d (≥ 0) of positive and negative pairs.

    `distance="euclidean"` (the paper's): mean(d⁺) + mean(max(δ − d⁻, 0)). `distance="squared"` (Hadsell et al.'s):
    mean(d⁺²) + mean(max(δ − d⁻, 0)²), whose pull on a positive pair fades as it closes (the plain distance pulls
    with a constant force until the features meet). Each term is averaged over its own set, so that the two sets weigh
    the same however many pairs a batch holds (the paper writes sums); an empty set contributes 0.

    >>> import numpy as np
    >>> round(float(contrastive(np.array([0.5]), np.array([0.25]), margin=1.0, distance="squared")), 4)  # .25 + .5625
    0.8125
    """
    if distance not in DISTANCES:
        raise ValueError(f"distance must be one of {DISTANCES}, got {distance!r}")
    power = 2 if distance == "squared" else 1
    return _mean_or_zero(positive_distances**power) + _mean_or_zero(ops.relu(margin - negative_distances) ** power)


def _take(features, index):
    # float32 whatever the compute dtype: a mixed-precision GRU's float16 / bfloat16 features would lose the small
    # distances, and the loss must add to the float32 classifier losses.
    return ops.take(ops.cast(features, "float32"), ops.cast(index, "int32"), axis=0)


def first_order_smoothness(features, positive_pairs, negative_pairs, margin=1.0, distance="euclidean"):
    """L_smooth1 over sub-clip features (N, U): `positive_pairs` (P, 2) and `negative_pairs` (Q, 2) index rows;
    `distance` "euclidean" (the paper's) or "squared" (see `contrastive`).

    >>> import numpy as np
    >>> f = np.array([[0.0, 0.0], [0.3, 0.4], [0.6, 0.8]], "float32")     # distances 0.5 (pos) and 1.0 (neg)
    >>> round(float(first_order_smoothness(f, np.array([[0, 1]]), np.array([[0, 2]]), margin=1.0)), 4)
    0.5
    """
    d_pos = euclidean(_take(features, positive_pairs[:, 0]), _take(features, positive_pairs[:, 1]))
    d_neg = euclidean(_take(features, negative_pairs[:, 0]), _take(features, negative_pairs[:, 1]))
    return contrastive(d_pos, d_neg, margin, distance)


def _second_order_distances(features, triples):
    a, b, c = (_take(features, triples[:, j]) for j in range(3))
    return euclidean(a - b, b - c)  # ‖d̂(t1, t2) − d̂(t2, t3)‖


def second_order_smoothness(features, positive_triples, negative_triples, margin=1.0, distance="euclidean"):
    """L_smooth2 over sub-clip features (N, U): `positive_triples` (P, 3) of one video, `negative_triples` (Q, 3)
    whose third clip is from another video; `distance` "euclidean" (the paper's) or "squared" (see `contrastive`).

    >>> import numpy as np
    >>> f = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [1.5, 0.0]], "float32")
    >>> round(float(second_order_smoothness(f, np.array([[0, 1, 2]]), np.array([[0, 1, 3]]))), 4)   # 0 + (1 - 0.5)
    0.5
    """
    return contrastive(
        _second_order_distances(features, positive_triples),
        _second_order_distances(features, negative_triples),
        margin,
        distance,
    )


def vre_loss(main, motion=0.0, smooth1=0.0, smooth2=0.0, proxy_weight=0.1):
    """L_VRE = L_main + λ (L_motion + L_smooth1 + L_smooth2), λ = 0.1 in the paper."""
    return main + proxy_weight * (motion + smooth1 + smooth2)
