"""Pose-from-Action data preparation: the split by video, the few labeled images, real videos and images with bad
items skipped and counted."""

import os
import shutil

import cv2
import numpy as np
import pytest

from keras_motion.pose_from_action import (
    frames_of,
    image_data,
    labeled_images,
    labeled_video_data,
    synthetic_data,
    unlabeled_video_data,
)


def _names(videos):
    return {id(f) for f in videos.frames}


def test_synthetic_splits_are_disjoint_by_video_and_test_frames_come_from_test_videos():
    videos, down = synthetic_data(num_videos=20, num_frames=6, size=24, delta=4, test_frames=3, seed=1)
    assert (len(videos.pretrain), len(videos.heldout), len(down.pool)) == (12, 4, 4)
    assert down.test_images.shape == (3 * 4, 24, 24, 3) and down.test_labels.shape == (12,)
    assert videos.skips is None and down.skipped is None and len(down.class_names) == 6
    pretrain = {f.tobytes() for f in videos.pretrain.frames}
    heldout = [f.tobytes() for f in videos.heldout.frames]
    assert not pretrain & set(heldout)
    assert [f.tobytes() for f in down.pool] == heldout  # the labeled pool = the held-out videos
    seen = {frame.tobytes() for v in videos.pretrain.frames + videos.heldout.frames for frame in v}
    assert not any(image.tobytes() in seen for image in down.test_images)
    # the renderer's exact flow: flows[t] is frame t → t + 1
    assert videos.pretrain.flows[0].shape == (5, 24, 24, 2) and videos.pretrain.flows[0].dtype == np.float16
    again, _ = synthetic_data(num_videos=20, num_frames=6, size=24, delta=4, test_frames=3, seed=1)
    np.testing.assert_array_equal(again.heldout.flows[2], videos.heldout.flows[2])


def test_frames_of_even_and_random_times_central_squares():
    video = np.arange(6)[:, None, None, None] * np.ones((6, 4, 6, 3), np.uint8)
    images, owners = frames_of([video, video + 10], 3)
    assert images.shape == (6, 4, 4, 3) and owners.tolist() == [0, 0, 0, 1, 1, 1]
    assert images[:3, 0, 0, 0].tolist() == [0, 2, 5] and images[3:, 0, 0, 0].tolist() == [10, 12, 15]
    drawn, _ = frames_of([video], 10, seed=0)  # at most T frames, without replacement
    assert sorted(drawn[:, 0, 0, 0].tolist()) == list(range(6))


def test_labeled_images_one_frame_per_video_else_any_frames():
    pool = [np.full((3, 8, 8, 3), i, np.uint8) for i in range(10)]
    labels = np.arange(10) % 5
    x, y = labeled_images(pool, labels, 6, seed=3)
    owners = x[:, 0, 0, 0]
    assert len(set(owners.tolist())) == 6 and y.tolist() == (owners % 5).tolist()
    again, _ = labeled_images(pool, labels, 6, seed=3)
    np.testing.assert_array_equal(again, x)
    x, y = labeled_images(pool[:4], labels[:4], 6, seed=0)  # 4 videos: 6 of their 12 frames
    assert len(x) == 6 and set(x[:, 0, 0, 0].tolist()) <= {0, 1, 2, 3}
    with pytest.warns(RuntimeWarning, match="fewer than the 50"):  # fewer than asked: all of them, in pool order
        x, _ = labeled_images(pool[:2], labels[:2], 50, seed=0)
    assert x[:, 0, 0, 0].tolist() == [0, 0, 0, 1, 1, 1]


def test_unlabeled_video_folder_short_and_corrupt_videos_are_skipped_and_counted(tmp_path, carphone_path):
    folder = tmp_path / "videos"
    folder.mkdir()
    for i in range(5):
        shutil.copy(carphone_path, folder / f"carphone_{i}.mp4")
    writer = cv2.VideoWriter(str(folder / "short.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 25, (32, 24))
    for i in range(4):  # fewer than Δ + 1 = 6 frames
        writer.write(np.full((24, 32, 3), 50 * i, np.uint8))
    writer.release()
    (folder / "corrupt.avi").write_bytes(os.urandom(4096))
    with pytest.warns(RuntimeWarning):
        splits = unlabeled_video_data(str(folder), delta=5, size=24, max_frames=8, fractions=(0.6, 0.4))
    assert splits.skips.count == 2 and (len(splits.pretrain), len(splits.heldout)) == (3, 2)
    assert splits.pretrain.flows[0].shape == (7, 24, 29, 2) and np.abs(splits.pretrain.flows[0]).max() > 0


def test_labeled_video_data_from_ucf101_train_and_test_splits(tmp_path, carphone_path):
    from test_datasets_loaders import UCF_CLASSES, _ucf_tree

    from keras_motion.datasets import UCF101

    with open(carphone_path, "rb") as f:
        _ucf_tree(tmp_path, f.read())  # 2 train and 1 test video per class, all copies of the real carphone clip
    train, test = (UCF101(tmp_path, split=1, subset=s) for s in ("train", "test"))
    videos, down = labeled_video_data(train, test, delta=4, size=24, max_frames=6, fractions=(0.5, 0.5), test_frames=2)
    assert (len(videos.pretrain), len(videos.heldout), videos.skips.count) == (3, 3, 0)
    assert down.class_names == UCF_CLASSES and len(down.pool) == 3 and down.pool[0].shape == (6, 24, 29, 3)
    label_of = dict(zip(train.paths, train.labels))
    assert down.pool_labels.tolist() == [label_of[name] for name in videos.heldout.names]
    assert down.test_images.shape == (6, 24, 24, 3) and down.test_labels.tolist() == [0, 0, 1, 1, 2, 2]
    small, _ = labeled_video_data(train, test, delta=4, size=24, max_frames=6, max_videos=3)  # 1 per class
    assert len(small.pretrain) + len(small.heldout) == 3


def test_voc_actions_pool_from_train_test_from_val_bad_items_counted(tmp_path):
    from test_datasets_voc_actions import voc_tree

    from keras_motion.datasets import VOC_ACTIONS

    voc_tree(tmp_path)  # train: 3 usable persons (4 listed ones skipped or left out), val: 3 persons
    with pytest.warns(RuntimeWarning):
        down = image_data(voc=str(tmp_path / "VOCdevkit"), size=24)
    assert down.class_names == list(VOC_ACTIONS) and down.skipped == 4
    assert len(down.pool) == 3 and down.pool[0].shape == (1, 24, 24, 3) and down.test_images.shape == (3, 24, 24, 3)
    with pytest.raises(ValueError, match="exactly one"):
        image_data(images="a", voc="b")


def test_image_folder_split_into_pool_and_test(tmp_path, astronaut):
    for c in ("jumping", "running"):
        (tmp_path / c).mkdir()
        for i in range(5):
            cv2.imwrite(str(tmp_path / c / f"{i}.jpg"), astronaut[::4, ::4, ::-1])
    (tmp_path / "running" / "bad.jpg").write_bytes(b"not an image")
    with pytest.warns(RuntimeWarning):
        down = image_data(images=str(tmp_path), size=20, seed=0)
    assert down.class_names == ["jumping", "running"] and down.skipped == 1
    assert (len(down.pool), len(down.test_labels)) == (6, 4) and down.test_images.shape == (4, 20, 20, 3)
