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
