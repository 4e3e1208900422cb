"""OTSU's threshold over many arrays at once (all the flow magnitudes of a data set), without concatenating them."""

import numpy as np


def _chunks(values):
    if isinstance(values, np.ndarray) or np.isscalar(values):
        return [np.asarray(values)]
    return [np.asarray(v) for v in values]


def otsu_threshold(values, nbins=256):
    """The threshold maximising the between-class variance of a 256-bin histogram (Otsu 1979).

    `values` is one array or a list of arrays (e.g. the magnitudes of every flow map of a data set); the histogram is
    accumulated chunk by chunk over the global [min, max] range, so the result equals scikit-image's
    `threshold_otsu(np.concatenate([v.ravel() for v in values]))` without ever building that concatenation. As there,
    the threshold is a bin centre, and an input with a single distinct value returns that value.

    >>> float(otsu_threshold(np.array([0.0, 0.1, 0.2, 5.0, 5.1, 5.2], np.float32))) < 5.0
    True
    """
    chunks = [c.reshape(-1) for c in _chunks(values) if c.size]
    if not chunks:
        raise ValueError("otsu_threshold needs at least one value")
    for c in chunks:
        if not np.all(np.isfinite(c)):
            raise ValueError("otsu_threshold: the values hold NaN or inf; clean them first (e.g. np.nan_to_num)")
    dtype = np.result_type(*chunks)
    if np.issubdtype(dtype, np.integer) or dtype == np.bool_:
        dtype = np.float64  # scikit-image histograms integers by value; flow magnitudes are float: keep one rule
    chunks = [c.astype(dtype, copy=False) for c in chunks]
    low = min(c.min() for c in chunks)
    high = max(c.max() for c in chunks)
    if low == high:
        return low
    counts = np.zeros(nbins, np.int64)
    for c in chunks:  # fixed range and bins: per-chunk histograms add up to the histogram of the concatenation
        counts += np.histogram(c, bins=nbins, range=(low, high))[0]
    edges = np.linspace(low, high, nbins + 1, dtype=dtype)
    centres = (edges[:-1] + edges[1:]) / 2.0
    # Class weights and means for a split after each bin; the variance between the classes picks the split.
    below = np.cumsum(counts)
    above = np.cumsum(counts[::-1])[::-1]
    mean_below = np.cumsum(counts * centres) / np.maximum(below, 1)
    mean_above = (np.cumsum((counts * centres)[::-1]) / np.maximum(above[::-1], 1))[::-1]
    between = below[:-1] * above[1:] * (mean_below[:-1] - mean_above[1:]) ** 2
    return centres[int(np.argmax(between))]
