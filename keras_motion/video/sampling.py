"""Frame and clip sampling as index arithmetic (pure NumPy), so that callers can decode only what they use.

Key frames and sub-clips follow [000] (VRE + MRA): the first k key frames at an interval of 3, each k-frame clip split
into overlapping (k - 2)-frame sub-clips, and the temporal neighbour sets of its smoothness losses (SPEC §3).
"""

import math

import numpy as np


def _rng(rng):
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _positive_int(value, name):
    if int(value) != value or int(value) < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def key_frame_indices(num_frames, k=12, interval=3, pad=False):
    """Indices of the first `k` key frames at `interval`: `[0, interval, ..., interval * (k - 1)]`.

    A video shorter than `interval * (k - 1) + 1` frames raises `ValueError`, or, with `pad=True`, repeats its
    last frame index.

    >>> key_frame_indices(40, k=4).tolist()
    [0, 3, 6, 9]
    >>> key_frame_indices(5, k=4, pad=True).tolist()
    [0, 3, 4, 4]
    """
    num_frames = _positive_int(num_frames, "num_frames")
    k, interval = _positive_int(k, "k"), _positive_int(interval, "interval")
    indices = np.arange(k, dtype=np.int64) * interval
    needed = int(indices[-1]) + 1
    if num_frames < needed:
        if not pad:
            raise ValueError(
                f"{k} key frames at an interval of {interval} need at least {needed} frames, the video has "
                f"{num_frames}; use a smaller k or interval, pad=True, or skip this video"
            )
        indices = np.minimum(indices, num_frames - 1)
    return indices


def key_frames(frames, k=12, interval=3, pad=False):
    """`frames[key_frame_indices(len(frames), k, interval, pad)]`: (k, H, W, C) from (T, H, W, C)."""
    return np.asarray(frames)[key_frame_indices(len(frames), k, interval, pad)]


def subclip_starts(num_frames, length, stride=1):
    """Start indices of every `length`-frame sub-clip of a `num_frames` clip, `stride` apart.

    >>> subclip_starts(12, 10).tolist()   # a 12-frame clip -> three 10-frame clips ([000] §3)
    [0, 1, 2]
    """
    num_frames = _positive_int(num_frames, "num_frames")
    length, stride = _positive_int(length, "length"), _positive_int(stride, "stride")
    if length > num_frames:
        raise ValueError(f"a {length}-frame sub-clip does not fit in {num_frames} frames")
    return np.arange(0, num_frames - length + 1, stride, dtype=np.int64)


def subclips(frames, length, stride=1):
    """Overlapping sub-clips of a clip: (N, length, ...) from (T, ...), starts given by `subclip_starts`."""
    frames = np.asarray(frames)
    starts = subclip_starts(len(frames), length, stride)
    return frames[starts[:, None] + np.arange(length)]


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


def _span(clip_len, stride):
    return (clip_len - 1) * stride + 1


def uniform_clip_starts(num_frames, clip_len, num_clips=10, stride=1):
    """Evenly spaced starts of `num_clips` clips for multi-clip evaluation (deterministic).

    The first clip starts at frame 0 and the last ends at the last frame, so together they cover the video; one clip
    is centred. A video shorter than a clip gives start 0 for every clip (`clip_indices` pads it).

    >>> uniform_clip_starts(100, 16, num_clips=3).tolist()
    [0, 42, 84]
    """
    num_frames = _positive_int(num_frames, "num_frames")
    clip_len, num_clips = _positive_int(clip_len, "clip_len"), _positive_int(num_clips, "num_clips")
    max_start = max(num_frames - _span(clip_len, _positive_int(stride, "stride")), 0)
    if num_clips == 1:
        return np.array([max_start // 2], np.int64)
    return np.round(np.linspace(0, max_start, num_clips)).astype(np.int64)


def random_clip_start(num_frames, clip_len, rng=None, stride=1):
    """A uniformly random start for one training clip (0 when the video is shorter than the clip)."""
    num_frames = _positive_int(num_frames, "num_frames")
    span = _span(_positive_int(clip_len, "clip_len"), _positive_int(stride, "stride"))
    return int(_rng(rng).integers(0, max(num_frames - span, 0) + 1))


def clip_indices(start, clip_len, num_frames, stride=1, mode="pad"):
    """Frame indices of a clip: `start, start + stride, ...`, kept inside a `num_frames` video.

    Indices past the end repeat the last frame (`mode="pad"`) or wrap around to the start (`mode="loop"`).

    >>> clip_indices(0, 5, 3).tolist(), clip_indices(0, 5, 3, mode="loop").tolist()
    ([0, 1, 2, 2, 2], [0, 1, 2, 0, 1])
    """
    num_frames = _positive_int(num_frames, "num_frames")
    indices = int(start) + np.arange(_positive_int(clip_len, "clip_len"), dtype=np.int64) * _positive_int(
        stride, "stride"
    )
    if int(start) < 0:
        raise ValueError(f"start must be >= 0, got {start}")
    if mode == "pad":
        return np.minimum(indices, num_frames - 1)
    if mode == "loop":
        return indices % num_frames
    raise ValueError(f"mode must be 'pad' or 'loop', got {mode!r}")


def sample_clips(frames, clip_len, num_clips=10, mode="uniform", stride=1, rng=None, pad_mode="pad"):
    """`num_clips` clips of `clip_len` frames from a decoded video: (num_clips, clip_len, H, W, C).

    `mode="uniform"` takes evenly spaced clips (multi-clip evaluation), `mode="random"` independent random starts
    (training; `rng` is a seed or `np.random.Generator`). Short videos are padded per `pad_mode` (see
    `clip_indices`).

    >>> sample_clips(np.zeros((30, 8, 8, 3), np.uint8), 16, num_clips=2).shape
    (2, 16, 8, 8, 3)
    """
    frames = np.asarray(frames)
    if len(frames) == 0:
        raise ValueError("cannot sample clips from a video with no frames")
    num_frames = len(frames)
    if mode == "uniform":
        starts = uniform_clip_starts(num_frames, clip_len, num_clips, stride)
    elif mode == "random":
        rng = _rng(rng)
        starts = np.array([random_clip_start(num_frames, clip_len, rng, stride) for _ in range(num_clips)])
    else:
        raise ValueError(f"mode must be 'uniform' or 'random', got {mode!r}")
    index = np.stack([clip_indices(s, clip_len, num_frames, stride, pad_mode) for s in starts])
    return frames[index]
