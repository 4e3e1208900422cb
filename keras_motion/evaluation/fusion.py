"""Late fusion of two streams' class scores (Im2Flow §4.3: appearance + motion, weight chosen on validation data)."""

import numpy as np

DEFAULT_GRID = tuple(np.round(np.linspace(0.0, 1.0, 21), 4))


def late_fusion(scores_a, scores_b, weight=0.5):
    """Weighted average of two streams' class scores: `(1 - weight) * scores_a + weight * scores_b`.

    Scores are per-class probabilities (softmax outputs), shape (N, C); `weight` in [0, 1] is the share of stream b.

    >>> late_fusion(np.array([[0.9, 0.1]]), np.array([[0.2, 0.8]]), weight=0.5)
    array([[0.55, 0.45]])
    """
    scores_a, scores_b = np.asarray(scores_a, np.float64), np.asarray(scores_b, np.float64)
    if scores_a.shape != scores_b.shape:
        raise ValueError(f"the two streams' scores differ in shape: {scores_a.shape} vs {scores_b.shape}")
    weight = float(weight)
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"fusion weight must lie in [0, 1], got {weight}")
    return (1.0 - weight) * scores_a + weight * scores_b


def choose_fusion_weight(scores_a, scores_b, labels, grid=DEFAULT_GRID):
    """The weight of `grid` whose `late_fusion` is most accurate on (validation) `labels`.

    Ties go to the weight closest to 0.5: an even mix is the least committed choice when the data cannot tell.
    Choose the weight on a validation split, never on the data you report.

    >>> a = np.array([[0.9, 0.1], [0.9, 0.1]]); b = np.array([[0.4, 0.6], [1.0, 0.0]])
    >>> choose_fusion_weight(a, b, labels=[1, 0], grid=[0.0, 0.5, 1.0])
    1.0
    """
    labels = np.asarray(labels).reshape(-1)
    grid = np.asarray(grid, np.float64).reshape(-1)
    if grid.size == 0:
        raise ValueError("grid is empty")
    accuracy = np.array([(late_fusion(scores_a, scores_b, w).argmax(-1) == labels).mean() for w in grid])
    best = np.flatnonzero(accuracy >= accuracy.max() - 1e-12)
    return float(grid[best[np.argmin(np.abs(grid[best] - 0.5))]])
