"""Key frames, sub-clips, temporal neighbour sets (SPEC §3) and clip samplers."""

import math

import numpy as np
import pytest

from keras_motion.video.sampling import (
    clip_indices,
    key_frame_indices,
    key_frames,
    random_clip_start,
    sample_clips,
    subclip_starts,
    subclips,
    uniform_clip_starts,
)
from keras_motion.vre_mra import neighbour_pairs, neighbour_triples, sample_neighbour_clips


def test_key_frames_ucf_and_hmdb_defaults(bikes_frames):
    np.testing.assert_array_equal(key_frame_indices(250), np.arange(12) * 3)
    np.testing.assert_array_equal(key_frame_indices(19, k=7), [0, 3, 6, 9, 12, 15, 18])  # HMDB: k = 7, exactly fits
    frames = key_frames(bikes_frames, k=12, interval=3)
    assert frames.shape == (12,) + bikes_frames.shape[1:]
    np.testing.assert_array_equal(frames[5], bikes_frames[15])


def test_key_frames_short_video():
    with pytest.raises(ValueError, match="at least 34 frames"):
        key_frame_indices(20, k=12, interval=3)
    padded = key_frame_indices(20, k=12, interval=3, pad=True)
    assert padded.tolist() == [0, 3, 6, 9, 12, 15, 18, 19, 19, 19, 19, 19]
    assert key_frames(np.arange(2), k=3, pad=True).tolist() == [0, 1, 1]


def test_subclips_split_a_key_frame_clip_in_three():
    clip = np.arange(12)[:, None, None, None] * np.ones((1, 4, 5, 3), np.uint8)
    parts = subclips(clip, length=10)
    assert parts.shape == (3, 10, 4, 5, 3)
    for s in range(3):
        np.testing.assert_array_equal(parts[s], clip[s : s + 10])
    assert subclip_starts(20, 8, stride=5).tolist() == [0, 5, 10]
    with pytest.raises(ValueError):
        subclip_starts(5, 6)


def _batch(seed=0, n=40, videos=5):
    rng = np.random.default_rng(seed)
    return rng.integers(0, videos, n), rng.integers(0, 30, n)


@pytest.mark.parametrize("delta_t", [5, 10])
def test_neighbour_pairs_match_the_definition(delta_t):
    video_ids, times = _batch()
    pos, neg = neighbour_pairs(video_ids, times, delta_t)
    gap = math.ceil(delta_t / 2)
    expected_pos = {
        (i, j)
        for i in range(len(times))
        for j in range(i + 1, len(times))
        if video_ids[i] == video_ids[j] and abs(times[i] - times[j]) <= gap
    }
    expected_neg = {(i, j) for i in range(len(times)) for j in range(i + 1, len(times)) if video_ids[i] != video_ids[j]}
    assert set(map(tuple, pos.tolist())) == expected_pos and len(pos) == len(expected_pos) > 0
    assert set(map(tuple, neg.tolist())) == expected_neg and len(neg) == len(expected_neg) > 0
    assert pos.dtype == neg.dtype == np.int64 and np.all(pos[:, 0] < pos[:, 1])


def test_neighbour_triples_properties():
    video_ids, times = _batch(seed=1)
    delta_t = 10
    gap = math.ceil(delta_t / 2)
    pos, neg_all = neighbour_triples(video_ids, times, delta_t)
    assert len(pos) > 0
    v, t = video_ids[pos], times[pos]
    assert np.all(v[:, 0] == v[:, 1]) and np.all(v[:, 1] == v[:, 2])
    assert np.all(t[:, 0] < t[:, 1]) and np.all(t[:, 1] < t[:, 2])
    assert np.all(t[:, 1] - t[:, 0] <= gap) and np.all(t[:, 2] - t[:, 1] <= gap)
    expected = {
        (i, j, k)
        for i in range(len(times))
        for j in range(len(times))
        for k in range(len(times))
        if video_ids[i] == video_ids[j] == video_ids[k]
        and 0 < times[j] - times[i] <= gap
        and 0 < times[k] - times[j] <= gap
    }
    assert set(map(tuple, pos.tolist())) == expected and len(pos) == len(expected)

    # All negatives: every positive's first two clips with every clip of another video, each once.
    heads = {tuple(p) for p in pos[:, :2].tolist()}
    assert set(map(tuple, neg_all[:, :2].tolist())) == heads
    assert np.all(video_ids[neg_all[:, 0]] == video_ids[neg_all[:, 1]])
    assert np.all(video_ids[neg_all[:, 2]] != video_ids[neg_all[:, 0]])
    assert len(np.unique(neg_all, axis=0)) == len(neg_all)
    assert len(neg_all) == sum(np.sum(video_ids != video_ids[i]) for i, _ in heads)

    # Sampled negatives: one per positive, same head, third from another video; reproducible by seed.
    pos2, neg = neighbour_triples(video_ids, times, delta_t, rng=3)
    np.testing.assert_array_equal(pos2, pos)
    assert neg.shape == pos.shape
    np.testing.assert_array_equal(neg[:, :2], pos[:, :2])
    assert np.all(video_ids[neg[:, 2]] != video_ids[neg[:, 0]])
    np.testing.assert_array_equal(neg, neighbour_triples(video_ids, times, delta_t, rng=3)[1])
    assert len(np.unique(neighbour_triples(video_ids, times, delta_t, rng=np.random.default_rng(9))[1][:, 2])) > 1


def test_neighbour_sets_edge_cases():
    pos, neg = neighbour_pairs([7], [0], 10)
    assert pos.shape == (0, 2) and neg.shape == (0, 2)
    pos, neg = neighbour_triples([0, 0, 0], [0, 5, 10], 10)  # one video: positives but no negative
    assert pos.tolist() == [[0, 1, 2]] and neg.shape == (0, 3)
    pos, neg = neighbour_triples([0, 0, 0, 1], [0, 6, 12, 0], 10)  # gaps of 6 > ceil(10 / 2)
    assert pos.shape == (0, 3) and neg.shape == (0, 3)
    with pytest.raises(ValueError):
        neighbour_pairs([0, 1], [0], 10)


def test_sample_neighbour_clips_form_positive_triples():
    for seed in range(5):
        starts = sample_neighbour_clips(60, 10, delta_t=10, num_clips=3, rng=seed)
        assert starts.min() >= 0 and starts.max() <= 50
        pos, _ = neighbour_triples([0, 0, 0], starts, 10)
        assert pos.tolist() == [[0, 1, 2]]
    tight = sample_neighbour_clips(11, 10, delta_t=10, num_clips=3, rng=0)  # room for one frame of shift only
    assert tight.min() >= 0 and tight.max() <= 1 and np.all(np.diff(tight) >= 0)


def test_uniform_clip_starts_cover_the_video():
    starts = uniform_clip_starts(250, 16, num_clips=10)
    assert len(starts) == 10 and starts[0] == 0 and starts[-1] + 16 == 250
    assert np.all(np.diff(starts) > 0)
    np.testing.assert_array_equal(starts, uniform_clip_starts(250, 16, num_clips=10))  # deterministic
    assert uniform_clip_starts(100, 16, num_clips=1).tolist() == [42]  # one clip: centred
    assert uniform_clip_starts(8, 16, num_clips=4).tolist() == [0, 0, 0, 0]  # shorter than a clip
    assert uniform_clip_starts(100, 16, num_clips=2, stride=2).tolist() == [0, 69]  # span 31 frames


def test_clip_indices_pad_and_loop():
    assert clip_indices(3, 4, 100).tolist() == [3, 4, 5, 6]
    assert clip_indices(2, 4, 100, stride=3).tolist() == [2, 5, 8, 11]
    assert clip_indices(0, 6, 4).tolist() == [0, 1, 2, 3, 3, 3]
    assert clip_indices(0, 6, 4, mode="loop").tolist() == [0, 1, 2, 3, 0, 1]
    with pytest.raises(ValueError):
        clip_indices(0, 4, 4, mode="wrap")


def test_random_clip_start_range():
    rng = np.random.default_rng(0)
    starts = [random_clip_start(40, 16, rng) for _ in range(300)]
    assert min(starts) == 0 and max(starts) == 24
    assert random_clip_start(5, 16, rng) == 0


def test_sample_clips(bikes_frames):
    clips = sample_clips(bikes_frames, 16, num_clips=3)
    assert clips.shape == (3, 16) + bikes_frames.shape[1:] and clips.dtype == np.uint8
    np.testing.assert_array_equal(clips[-1], bikes_frames[24:40])
    np.testing.assert_array_equal(clips[0], bikes_frames[:16])

    short = np.arange(5)[:, None, None, None] * np.ones((1, 2, 2, 3), np.uint8)
    padded = sample_clips(short, 8, num_clips=2)
    assert padded.shape == (2, 8, 2, 2, 3)
    assert padded[0, :, 0, 0, 0].tolist() == [0, 1, 2, 3, 4, 4, 4, 4]

    a = sample_clips(short, 3, num_clips=4, mode="random", rng=1)
    b = sample_clips(short, 3, num_clips=4, mode="random", rng=1)
    np.testing.assert_array_equal(a, b)
    assert np.all(np.diff(a[:, :, 0, 0, 0], axis=1) == 1)  # consecutive frames inside each clip
    with pytest.raises(ValueError):
        sample_clips(short, 3, mode="dense")
