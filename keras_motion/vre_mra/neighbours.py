"""VRE's temporal neighbour sets ([000] §3): positive and negative sub-clip pairs and triples of its smoothness
losses, and neighbouring clips of one video."""

import math

import numpy as np

from keras_motion.video.sampling import _positive_int, _rng


def _check_neighbour_args(video_ids, times, delta_t):
    video_ids = np.asarray(video_ids).reshape(-1)
    times = np.asarray(times, np.int64).reshape(-1)
    if len(video_ids) != len(times):
        raise ValueError(f"{len(video_ids)} video ids but {len(times)} times")
    delta_t = _positive_int(delta_t, "delta_t")
    return video_ids, times, int(math.ceil(delta_t / 2))


def neighbour_pairs(video_ids, times, delta_t):
    """Temporal neighbour pairs of a batch of sub-clips (SPEC §3, L_smooth1).

    Sub-clip `i` comes from video `video_ids[i]` and starts at frame `times[i]`; each has `delta_t` frames.

    Returns `(positives, negatives)`, int64 arrays of batch-index pairs `(i, j)` with `i < j` (each unordered pair
    once): positives are from the same video with `|t_j - t_i| <= ceil(delta_t / 2)` (so they overlap by at least
    half their length), negatives are from different videos.

    >>> pos, neg = neighbour_pairs([0, 0, 0, 1], [0, 3, 9, 0], delta_t=10)
    >>> pos.tolist(), neg.tolist()
    ([[0, 1]], [[0, 3], [1, 3], [2, 3]])
    """
    video_ids, times, max_gap = _check_neighbour_args(video_ids, times, delta_t)
    i, j = np.triu_indices(len(times), k=1)
    same = video_ids[i] == video_ids[j]
    near = np.abs(times[j] - times[i]) <= max_gap
    pos = np.stack([i[same & near], j[same & near]], axis=1).astype(np.int64)
    neg = np.stack([i[~same], j[~same]], axis=1).astype(np.int64)
    return pos, neg


def neighbour_triples(video_ids, times, delta_t, rng=None):
    """Temporal neighbour triples of a batch of sub-clips (SPEC §3, L_smooth2).

    Positives: batch indices `(i, j, k)` of one video with `t_i < t_j < t_k`, both gaps `<= ceil(delta_t / 2)`.
    Negatives: a positive triple with its third clip replaced by one from another video. With `rng=None` every
    such replacement is returned (deterministic, each distinct triple once); with a seed or `np.random.Generator`,
    one random replacement per positive triple, so that positives and negatives balance.

    Returns `(positives (P, 3), negatives (Q, 3))` int64 arrays.

    >>> pos, neg = neighbour_triples([0, 0, 0, 1], [0, 2, 4, 0], delta_t=5)
    >>> pos.tolist(), neg.tolist()
    ([[0, 1, 2]], [[0, 1, 3]])
    """
    video_ids, times, max_gap = _check_neighbour_args(video_ids, times, delta_t)
    # follows[a, b]: clip b starts after clip a, in the same video, within the gap.
    gap = times[None, :] - times[:, None]
    follows = (video_ids[:, None] == video_ids[None, :]) & (gap > 0) & (gap <= max_gap)
    first, second = np.nonzero(follows)
    # For each (first, second) pair, the third clips are the ones that follow `second`: P x n, not n^3.
    pair, third = np.nonzero(follows[second])
    pos = np.stack([first[pair], second[pair], third], axis=1).astype(np.int64)

    other = video_ids[:, None] != video_ids[None, :]  # other[a, c]: clip c is from another video than clip a
    if len(pos) == 0 or not other.any():
        return pos, np.zeros((0, 3), np.int64)
    if rng is None:
        pairs = np.unique(pos[:, :2], axis=0)
        p, c = np.nonzero(other[pairs[:, 0]])
        neg = np.concatenate([pairs[p], c[:, None]], axis=1).astype(np.int64)
        return pos, neg
    rng = _rng(rng)
    candidates = other[pos[:, 0]]  # every positive has candidates when any other video is in the batch
    counts = candidates.sum(axis=1)
    # Draw the r-th candidate of each row: cumulative counts turn a uniform draw into a column index.
    r = np.floor(rng.random(len(pos)) * counts).astype(np.int64)
    column = np.argmax(np.cumsum(candidates, axis=1) > r[:, None], axis=1)
    neg = np.concatenate([pos[:, :2], column[:, None]], axis=1).astype(np.int64)
    return pos, neg


def sample_neighbour_clips(num_frames, clip_len, delta_t, num_clips=3, rng=None):
    """Starts of `num_clips` sub-clips of one video forming a chain of temporal neighbours.

    Consecutive starts differ by 1 to `ceil(delta_t / 2)` frames, so with `neighbour_triples` every consecutive
    three form a positive triple. Where the video is too short for that, the gaps shrink (possibly to 0).

    >>> starts = sample_neighbour_clips(100, 10, 10, num_clips=3, rng=0)
    >>> bool(np.all(np.diff(starts) >= 1) and np.all(np.diff(starts) <= 5))
    True
    """
    num_frames = _positive_int(num_frames, "num_frames")
    clip_len, num_clips = _positive_int(clip_len, "clip_len"), _positive_int(num_clips, "num_clips")
    max_gap = int(math.ceil(_positive_int(delta_t, "delta_t") / 2))
    max_start = num_frames - clip_len
    if max_start < 0:
        raise ValueError(f"a {clip_len}-frame clip does not fit in a {num_frames}-frame video")
    rng = _rng(rng)
    gaps = rng.integers(1, max_gap + 1, size=num_clips - 1)
    if gaps.sum() > max_start:
        gaps = np.floor(gaps * (max_start / gaps.sum())).astype(np.int64)
    first = rng.integers(0, max_start - gaps.sum() + 1)
    return (first + np.concatenate([[0], np.cumsum(gaps)])).astype(np.int64)
