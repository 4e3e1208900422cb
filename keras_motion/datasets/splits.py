"""Splitting by group (video), so that frames of one video never land on both sides of an evaluation."""

import numpy as np


def split_groups(groups, fractions, seed=0):
    """Index arrays, one per fraction, partitioning the items so that each group (e.g. video) falls in one part.

    >>> parts = split_groups([0, 0, 1, 1, 2, 2, 3, 3], (0.5, 0.5), seed=0)
    >>> sorted(np.concatenate(parts).tolist())
    [0, 1, 2, 3, 4, 5, 6, 7]
    """
    groups = np.asarray(groups).reshape(-1)
    fractions = np.asarray(fractions, np.float64)
    if (fractions < 0).any() or fractions.sum() <= 0:
        raise ValueError(f"fractions must be non-negative with a positive sum, got {fractions.tolist()}")
    unique = np.random.default_rng(seed).permutation(np.unique(groups))
    bounds = np.round(np.cumsum(fractions / fractions.sum()) * len(unique)).astype(int)
    parts = np.split(unique, bounds[:-1])
    return [np.flatnonzero(np.isin(groups, part)) for part in parts]


def holdout_per_class(labels, fraction=1 / 3, keep=1, seed=0):
    """`(kept, held)` sorted index arrays: about `fraction` of each class's items held out (at least one of a class
    with more than `keep` items), at least `keep` of each class kept (e.g. the few-shot draws need `shots` per
    class); seeded. The validation split the method searches score on, taken from the training side only.

    Example:

    >>> kept, held = holdout_per_class([0, 0, 0, 1, 1, 1], keep=1, seed=0)
    >>> len(kept), len(held), sorted(np.asarray([0, 0, 0, 1, 1, 1])[held].tolist())
    (4, 2, [0, 1])
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    held = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        count = min(max(1, round(fraction * len(members))), len(members) - int(keep))
        held += rng.choice(members, count, replace=False).tolist() if count > 0 else []
    held = np.sort(np.array(held, np.int64))
    return np.setdiff1d(np.arange(len(labels)), held), held
