"""Frame and clip sampling as index arithmetic (pure NumPy), so that callers can decode only what they use.

Key frames and sub-clips follow [000] (VRE + MRA): the first k key frames at an interval of 3, each k-frame clip split
into overlapping (k - 2)-frame sub-clips, and the temporal neighbour sets of its smoothness losses (SPEC §3).
"""

import numpy as np

from keras_motion.utils.checks import check_int


def _rng(rng):
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _positive_int(value, name):
    return check_int(value, name, low=1)


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
