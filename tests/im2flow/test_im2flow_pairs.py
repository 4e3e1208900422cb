import os
import shutil

import numpy as np
import pytest

from keras_motion.datasets import split_groups
from keras_motion.flow import average_future_flow, decode_im2flow, hflip_flow
from keras_motion.im2flow import Im2FlowPairs, pairs_from_exact_flow, pairs_from_videos


def test_pairs_from_exact_flow_average_the_next_n_flows():
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, (3, 8, 16, 16, 3), dtype=np.uint8)
    flows = rng.normal(0, 2, (3, 8, 16, 16, 2)).astype(np.float32)
    images, targets, owners, times = pairs_from_exact_flow(frames, flows, per_video=3, n=5, seed=0)
    assert images.shape == (9, 16, 16, 3) and targets.shape == (9, 16, 16, 2)
    for image, target, v, t in zip(images, targets, owners, times):
        assert t + 5 <= 8
        np.testing.assert_array_equal(image, frames[v, t])
        np.testing.assert_allclose(target, flows[v, t : t + 5].mean(0), atol=1e-6)


def test_pairs_from_videos_skip_and_count_bad_files(tmp_path, carphone_path):
    shutil.copy(carphone_path, tmp_path / "carphone.mp4")
    (tmp_path / "broken.mp4").write_bytes(os.urandom(1000))
    paths = [tmp_path / "broken.mp4", tmp_path / "carphone.mp4"]
    from keras_motion.utils import SkipLog

    skips = SkipLog("test")
    with pytest.warns(RuntimeWarning, match="broken.mp4"):
        images, flows, owners, times = pairs_from_videos(
            paths, per_video=2, n=5, size=48, max_frames=12, skips=skips, show_progress=False
        )
    assert skips.count == 1 and owners.tolist() == [1, 1]
    from keras_motion.video import read_video

    frames = read_video(paths[1], size=48, max_frames=12)
    np.testing.assert_array_equal(images[0], frames[times[0]])
    np.testing.assert_allclose(flows[0], average_future_flow(frames, times[0], 5), atol=1e-5)


def test_training_batches_flip_image_and_flow_together():
    """Every mirrored sample has its flow mirrored with u negated — never the image alone."""
    rng = np.random.default_rng(1)
    images = rng.integers(0, 255, (16, 20, 20, 3), dtype=np.uint8)
    flows = rng.uniform(-3, 3, (16, 20, 20, 2)).astype(np.float32)
    data = Im2FlowPairs(images, flows, batch_size=16, crop_size=20, max_magnitude=10.0, seed=3)
    x, y = data[0]
    batch = data.order[:16]
    decoded = decode_im2flow(y, 10.0)
    mirrored = 0
    for xi, yi, i in zip(x, decoded, batch):
        assert xi.dtype == np.uint8  # images stay uint8: the U-Net scales them inside
        if np.array_equal(xi, images[i]):
            np.testing.assert_allclose(yi, flows[i], atol=1e-4)
        else:
            np.testing.assert_array_equal(xi, images[i][:, ::-1])
            np.testing.assert_allclose(yi, hflip_flow(flows[i]), atol=1e-4)
            mirrored += 1
    assert 0 < mirrored < 16


def test_evaluation_batches_take_the_central_crop():
    images = np.arange(2 * 8 * 8 * 3, dtype=np.uint8).reshape(2, 8, 8, 3)
    flows = np.zeros((2, 8, 8, 2), np.float32)
    x, y = Im2FlowPairs(images, flows, batch_size=2, crop_size=4, training=False)[0]
    np.testing.assert_array_equal(x, images[:, 2:6, 2:6])
    assert y.shape == (2, 4, 4, 3)


def test_split_groups_keep_videos_whole():
    groups = np.repeat(np.arange(20), 3)
    parts = split_groups(groups, (0.5, 0.25, 0.25), seed=0)
    assert sorted(np.concatenate(parts).tolist()) == list(range(60))
    owners = [set(groups[p]) for p in parts]
    assert not (owners[0] & owners[1]) and not (owners[0] & owners[2]) and not (owners[1] & owners[2])


def test_pairs_from_videos_of_different_shapes_stack_as_squares(bikes_path, carphone_path):
    images, flows, owners, _ = pairs_from_videos(
        [bikes_path, carphone_path], per_video=2, n=5, size=32, max_frames=10, square=True, show_progress=False
    )
    assert images.shape == (4, 32, 32, 3) and flows.shape == (4, 32, 32, 2) and owners.tolist() == [0, 0, 1, 1]


@pytest.mark.parametrize("training", [True, False])
def test_drop_remainder_gives_full_batches_of_one_shape(training):
    rng = np.random.default_rng(2)
    images = rng.integers(0, 255, (7, 10, 10, 3), dtype=np.uint8)
    flows = rng.uniform(-2, 2, (7, 10, 10, 2)).astype(np.float32)
    default = Im2FlowPairs(images, flows, batch_size=3, crop_size=8, training=training, seed=1)
    dropped = Im2FlowPairs(images, flows, batch_size=3, crop_size=8, training=training, seed=1, drop_remainder=True)
    assert not default.drop_remainder and dropped.drop_remainder
    assert len(default) == 3 and default[2][0].shape == (1, 8, 8, 3)  # unchanged: ceil, a partial last batch
    assert len(dropped) == 2
    for i in range(len(dropped)):
        x, y = dropped[i]
        assert x.shape == (3, 8, 8, 3) and y.shape == (3, 8, 8, 3)
        np.testing.assert_array_equal(x, default[i][0])  # same order, same draws
        np.testing.assert_array_equal(y, default[i][1])
    with pytest.raises(ValueError, match="batch_size ≤ 7 or drop_remainder=False"):
        Im2FlowPairs(images, flows, batch_size=8, drop_remainder=True)


def test_pairs_from_the_flow_cache_stream_the_batches_of_the_same_pairs_in_memory(tmp_path):
    """Pairs read per batch (frames by seeking, targets from the flow cache) give the batches of the same pairs held
    in memory, and draw the frames `pairs_from_videos` draws."""
    from keras_motion.flow import FlowCache
    from keras_motion.im2flow import pairs_from_cache
    from keras_motion.video import read_video, write_video

    rng = np.random.default_rng(0)
    paths = []
    for v, length in enumerate((9, 3, 12)):  # the 3-frame video is too short for n=5: skipped by both
        base = rng.integers(0, 255, (length, 24, 32, 3), dtype=np.uint8)
        paths.append(str(tmp_path / "videos" / f"v{v}.avi"))
        write_video(paths[-1], np.roll(base, 1, axis=2))
    cache = FlowCache(tmp_path / "flows", root=tmp_path / "videos", size=16)
    cache.extract(paths, workers=1, show_progress=False)
    with pytest.warns(RuntimeWarning, match="v1.avi: 3 frame"):
        images, flows, owners, times = pairs_from_cache(paths, cache, per_video=2, n=5, seed=3, square=True)
    with pytest.warns(RuntimeWarning, match="v1.avi.* only 3 frame"):
        _, _, old_owners, old_times = pairs_from_videos(
            paths, per_video=2, n=5, size=16, seed=3, square=True, show_progress=False
        )
    np.testing.assert_array_equal(owners, old_owners)
    np.testing.assert_array_equal(times, old_times)
    assert images.shape == (4, 16, 16, 3) and flows.shape == (4, 16, 16, 2)
    for k in (0, 3):
        np.testing.assert_array_equal(images[k], read_video(paths[owners[k]], size=16)[times[k], :, 2:18])
        np.testing.assert_allclose(
            flows[k], cache.read_all(paths[owners[k]])[times[k] : times[k] + 5, :, 2:18].mean(0), atol=1e-6
        )
    streamed = Im2FlowPairs(images, flows, batch_size=3, crop_size=12, seed=1)
    held = Im2FlowPairs(np.asarray(images), np.asarray(flows), batch_size=3, crop_size=12, seed=1)
    for epoch in (0, 1):
        streamed.set_epoch(epoch), held.set_epoch(epoch)
        for index in range(len(held)):
            for a, b in zip(streamed[index], held[index]):
                np.testing.assert_array_equal(a, b)
