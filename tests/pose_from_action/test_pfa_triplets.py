"""Pose-from-Action triplets: layout, negatives from other videos only, augmentations that stay physically
consistent (proved on a real clip by recomputing flow), bad input skipped and counted."""

import cv2
import numpy as np
import pytest

from keras_motion.errors import KerasMotionError
from keras_motion.flow import flow_stack
from keras_motion.pose_from_action import (
    TripletBatches,
    TripletVideos,
    augment_triplet,
    in_batch_negatives,
    triplet_dataset,
)

pytestmark = pytest.mark.backend_agnostic
L = 4  # flows in the real-clip stacks


def _epe(a, b):
    """End-point error per pixel and flow of two (H, W, 2L) stacks."""
    return np.linalg.norm((a - b).reshape(*a.shape[:2], -1, 2), axis=-1)


def _magnitude(stack):
    return np.linalg.norm(stack.reshape(*stack.shape[:2], -1, 2), axis=-1)


@pytest.mark.parametrize("t0", [0, 20])
def test_flip_matches_flow_recomputed_on_the_mirrored_real_clip(bikes_frames, t0):
    clip = bikes_frames[t0 : t0 + L + 1]
    stack = flow_stack(clip, 0, L)
    a, b, flipped = augment_triplet(clip[0], clip[L], stack, flip=True, reverse=False)
    mirrored = clip[:, :, ::-1]
    recomputed = flow_stack(mirrored, 0, L)  # DIS on the mirrored frames
    np.testing.assert_array_equal(a, mirrored[0])
    np.testing.assert_array_equal(b, mirrored[L])
    # DIS is not exactly mirror-symmetric (its patch grid is anchored at the left edge): measured mean EPE 4 % of the
    # mean flow magnitude on bikes (0.13 px against 3.0 px); forgetting to negate u gives 4-5× more.
    error = _epe(recomputed, flipped).mean()
    assert error < 0.1 * _magnitude(stack).mean()
    assert error < 0.4 * _epe(recomputed, stack[:, ::-1]).mean()


@pytest.mark.parametrize("t0", [0, 20])
def test_reversal_matches_flow_recomputed_on_the_reversed_real_clip(bikes_frames, t0):
    clip = bikes_frames[t0 : t0 + L + 1]
    stack = flow_stack(clip, 0, L)
    a, b, reversed_stack = augment_triplet(clip[0], clip[L], stack, flip=False, reverse=True)
    np.testing.assert_array_equal(a, clip[L])
    np.testing.assert_array_equal(b, clip[0])
    recomputed = flow_stack(clip[::-1], 0, L)  # flows L→L-1, …, 1→0 estimated by DIS
    # reverse_flow_stack reads the backward flow at x as −(forward flow at x); exactly, the backward flow at
    # x + F(x) is −F(x). The unwarped reading costs a little where motion is not locally uniform: measured mean EPE
    # 10-11 % of the mean magnitude on bikes; without the negation it is ~20× worse, without the reordering ~1.5×.
    error = _epe(recomputed, reversed_stack).mean()
    assert error < 0.2 * _magnitude(stack).mean()
    assert error < 0.2 * _epe(recomputed, -reversed_stack).mean()
    assert error < _epe(recomputed, -stack).mean()
    # the exact relation, with the backward flow sampled at x + F(x): tighter still
    h, w = stack.shape[:2]
    grid_x, grid_y = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    warped_errors = []
    for k in range(L):
        forward = stack[..., 2 * k : 2 * k + 2]  # frame k → k+1
        backward = recomputed[..., 2 * (L - 1 - k) : 2 * (L - k)]  # frame k+1 → k
        sampled = cv2.remap(
            backward,
            grid_x + forward[..., 0],
            grid_y + forward[..., 1],
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
        warped_errors.append(np.linalg.norm(sampled + forward, axis=-1).mean())
    assert np.mean(warped_errors) <= error


def _coded_videos(num_videos=6, frames=7, size=24, delta=3):
    """Frames and flows that say where they come from: red = column ramp (shows mirroring), green = 20 · video index,
    blue = 10 · frame index; flow u = 1 px and v = 1 + video index / 10 px everywhere."""
    video = np.zeros((num_videos, frames, size, size, 3), np.uint8)
    video[..., 0] = (np.arange(size) * 8)[None, None, None, :]
    video[..., 1] = np.arange(num_videos)[:, None, None, None] * 20
    video[..., 2] = np.arange(frames)[None, :, None, None] * 10
    flows = np.ones((num_videos, frames - 1, size, size, 2), np.float32)
    flows[..., 1] += np.arange(num_videos)[:, None, None, None] / 10
    return TripletVideos(video, flows, delta=delta)


def _decode(x):
    """Per triplet: video of the frames, video of the stack, frames mirrored?, frames swapped?, stack sign (u, v)."""
    assert x["frame_a"].dtype == x["frame_b"].dtype == np.uint8  # frames stay uint8: the verifier scales them
    a, b = x["frame_a"].astype(int), x["frame_b"].astype(int)
    frame_video = np.rint(a[:, 0, 0, 1] / 20).astype(int)
    mirrored = a[:, 0, 0, 0] > a[:, 0, -1, 0]
    swapped = a[:, 0, 0, 2] > b[:, 0, 0, 2]
    u, v = x["flow"][:, 0, 0, 0], x["flow"][:, 0, 0, 1]
    stack_video = np.rint((np.abs(v) - 1) * 10).astype(int)
    return frame_video, stack_video, mirrored, swapped, np.sign(u), np.sign(v)


def test_triplet_crops_frames_and_stack_at_the_same_place():
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, (2, 8, 20, 24, 3), np.uint8)
    flows = rng.normal(size=(2, 7, 20, 24, 2)).astype(np.float32)
    videos = TripletVideos(frames, flows, delta=5)
    a, b, stack = videos.triplet(1, 2, 3, 4, 12)
    np.testing.assert_array_equal(a, frames[1, 2, 3:15, 4:16])
    np.testing.assert_array_equal(b, frames[1, 7, 3:15, 4:16])
    assert stack.shape == (12, 12, 10)
    for k in range(5):  # u0, v0, u1, v1, … of flows t … t+Δ−1
        np.testing.assert_allclose(stack[..., 2 * k : 2 * k + 2], flows[1, 2 + k, 3:15, 4:16], atol=2e-3)


def test_negatives_come_from_other_videos_of_the_batch_two_per_positive():
    videos = _coded_videos()
    batches = TripletBatches(videos, batch_positives=4, crop_size=16, per_video=3, flip=False, reverse=False, seed=1)
    assert batches.chance == pytest.approx(2 / 3)
    seen = 0
    for _ in range(3):
        for i in range(len(batches)):
            x, y = batches[i]
            frame_video, stack_video, *_ = _decode(x)
            n = int(y.sum())
            assert len(y) == 3 * n and (y[:n] == 1).all() and (y[n:] == 0).all()
            assert (frame_video[:n] == stack_video[:n]).all()  # positives: the true stack
            assert (frame_video[n:] != stack_video[n:]).all()  # negatives: never the same video
            assert set(stack_video[n:]) <= set(stack_video[:n])  # ... and taken from the same mini-batch
            seen += n
        batches.on_epoch_end()
    assert seen == 3 * 3 * len(videos)


def test_in_batch_mode_carries_the_same_triplets_as_partner_indices():
    videos = _coded_videos()
    expanded = TripletBatches(videos, batch_positives=5, crop_size=16, seed=3)
    compact = TripletBatches(videos, batch_positives=5, crop_size=16, seed=3, in_batch=True, balance=True)
    (x, y), (xc, yc, w) = expanded[0], compact[0]
    n = len(xc["frame_a"])
    np.testing.assert_array_equal(y, yc)
    assert xc["partners"].shape == (n, 2) and xc["partners"].dtype == np.int32
    anchors = np.concatenate([np.arange(n), np.repeat(np.arange(n), 2)])
    stacks = np.concatenate([np.arange(n), xc["partners"].reshape(-1)])
    np.testing.assert_array_equal(x["frame_a"], xc["frame_a"][anchors])
    np.testing.assert_array_equal(x["flow"], xc["flow"][stacks])
    # balanced weights: positives and negatives weigh the same in total, mean weight 1
    assert w[y == 1].sum() == pytest.approx(w[y == 0].sum()) and w.mean() == pytest.approx(1.0)


def test_augmentations_transform_frames_and_stack_together():
    videos = _coded_videos()
    batches = TripletBatches(videos, batch_positives=6, crop_size=16, per_video=20, seed=0)
    x, y = batches[0]
    _, _, mirrored, swapped, u_sign, v_sign = _decode({k: v[y == 1] for k, v in x.items()})
    # original: u = v = +1 px. Reversal negates both and swaps the frames; mirroring negates u only.
    assert (swapped == (v_sign < 0)).all()
    assert (mirrored == (u_sign != v_sign)).all()
    assert mirrored.any() and (~mirrored).any() and swapped.any() and (~swapped).any()
    # evaluation batches: no augmentation, the same every epoch
    held = TripletBatches(videos, batch_positives=6, crop_size=16, training=False, seed=0)
    first = held[0][0]
    held.on_epoch_end()
    again = held[0][0]
    _, _, mirrored, swapped, u_sign, v_sign = _decode(first)
    assert not mirrored.any() and not swapped.any() and (u_sign > 0).all()
    np.testing.assert_array_equal(first["flow"], again["flow"])


def test_in_batch_negatives_exclude_the_own_video():
    rng = np.random.default_rng(0)
    owners = np.array([0, 0, 1, 2, 2, 3])
    partners = in_batch_negatives(owners, 2, rng)
    assert partners.shape == (6, 2)
    assert (owners[partners] != owners[:, None]).all()
    with pytest.raises(KerasMotionError, match="two videos"):
        in_batch_negatives(np.array([4, 4, 4]), 2, rng)


def test_short_videos_are_skipped_and_counted():
    rng = np.random.default_rng(0)
    clips = [rng.integers(0, 255, (n, 16, 16, 3), np.uint8) for n in (6, 3, 5, 2)]
    with pytest.warns(RuntimeWarning, match="fewer than Δ \\+ 1 = 5"):
        videos = TripletVideos(clips, delta=4, names=["a", "b", "c", "d"])  # DIS flows computed
    assert videos.names == ["a", "c"] and videos.skips.count == 2
    assert videos.flows[0].shape == (5, 16, 16, 2) and videos.flows[1].shape == (4, 16, 16, 2)
    with pytest.warns(RuntimeWarning), pytest.raises(KerasMotionError, match="Δ \\+ 1 = 13"):
        TripletVideos(clips, delta=12)


def test_video_files_bad_ones_skipped_and_counted(tmp_path, carphone_path):
    short = tmp_path / "short.avi"
    writer = cv2.VideoWriter(str(short), cv2.VideoWriter_fourcc(*"MJPG"), 25, (32, 24))
    for i in range(3):
        writer.write(np.full((24, 32, 3), 40 * i, np.uint8))
    writer.release()
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00" * 2048)
    with pytest.warns(RuntimeWarning):
        videos = TripletVideos.from_files(
            [carphone_path, short, corrupt], delta=4, size=32, max_frames=8, show_progress=False
        )
    assert len(videos) == 1 and videos.skips.count == 2
    assert videos.frames[0].shape == (8, 32, 39, 3) and videos.flows[0].shape == (7, 32, 39, 2)
    assert np.abs(videos.flows[0]).max() > 0  # real motion in the carphone clip


def test_tf_data_builder_matches_the_pydataset():
    pytest.importorskip("tensorflow")
    videos = _coded_videos()
    for in_batch in (False, True):
        batches = TripletBatches(videos, batch_positives=4, crop_size=16, training=False, in_batch=in_batch)
        ds = triplet_dataset(batches)
        items = list(ds.as_numpy_iterator())
        assert len(items) == len(batches)
        x, y = items[0]
        ref_x, ref_y = batches[0]
        np.testing.assert_array_equal(y, ref_y)
        for name in ref_x:
            np.testing.assert_array_equal(x[name], ref_x[name])


def test_bad_arguments_are_clear():
    videos = _coded_videos(num_videos=2)
    with pytest.raises(ValueError, match="crop_size 30 exceeds"):
        TripletBatches(videos, crop_size=30)
    with pytest.raises(KerasMotionError, match="at least 2 videos"):
        TripletBatches(videos.subset([0]))
    with pytest.raises(ValueError, match="need flows of shape"):
        TripletVideos(np.zeros((1, 5, 8, 8, 3), np.uint8), np.zeros((1, 4, 8, 9, 2), np.float32), delta=2)


@pytest.mark.parametrize("training", [True, False])
def test_drop_remainder_gives_full_batches_of_one_shape(training):
    videos = _coded_videos(num_videos=5)
    common = dict(batch_positives=2, crop_size=16, training=training, seed=4)
    default = TripletBatches(videos, **common)
    dropped = TripletBatches(videos, drop_remainder=True, **common)
    assert not default.drop_remainder and dropped.drop_remainder
    assert len(default) == 3 and len(dropped) == 2  # 5 items: ceil / floor of 5 / 2
    for i in range(len(dropped)):
        x, y = dropped[i]
        assert x["frame_a"].shape == x["frame_b"].shape == (6, 16, 16, 3) and x["flow"].shape == (6, 16, 16, 6)
        assert y.shape == (6,)
        ref_x, ref_y = default[i]  # same order, same draws
        np.testing.assert_array_equal(y, ref_y)
        for name in ref_x:
            np.testing.assert_array_equal(x[name], ref_x[name])
    compact = TripletBatches(videos, drop_remainder=True, in_batch=True, balance=True, **common)
    x, y, w = compact[1]
    assert x["frame_a"].shape == (2, 16, 16, 3) and x["partners"].shape == (2, 2) and y.shape == w.shape == (6,)
    with pytest.raises(ValueError, match="batch_positives ≤ 5 or drop_remainder=False"):
        TripletBatches(videos, batch_positives=6, drop_remainder=True)
    assert len(TripletBatches(videos, batch_positives=6, per_video=2, drop_remainder=True)) == 1


def test_tf_data_builder_has_a_fixed_batch_dimension_with_drop_remainder():
    pytest.importorskip("tensorflow")
    videos = _coded_videos(num_videos=5)
    for in_batch in (False, True):
        batches = TripletBatches(videos, batch_positives=2, crop_size=16, in_batch=in_batch, drop_remainder=True)
        ds = triplet_dataset(batches)
        x_spec, y_spec = ds.element_spec
        assert x_spec["frame_a"].shape[0] == (2 if in_batch else 6) and y_spec.shape[0] == 6
        assert [len(y) for _, y in ds.as_numpy_iterator()] == [6, 6]
    assert triplet_dataset(TripletBatches(videos, batch_positives=2, crop_size=16)).element_spec[1].shape[0] is None
