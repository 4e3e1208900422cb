import warnings

import numpy as np
import pytest

from keras_motion.vre_mra import (
    few_labeled,
    key_frame_clips,
    labeled_images,
    square_crop,
    synthetic_ranges,
    unlabeled_videos,
    validation_split,
)


def test_voc_actions_as_the_labeled_images(tmp_path):
    """voc=: the few labeled images are person crops of VOC's train set, the held-out ones its val persons."""
    from test_datasets_voc_actions import voc_tree

    from keras_motion.datasets import VOC_ACTIONS

    voc_tree(tmp_path)
    with warnings.catch_warnings():  # the tree's deliberately missing and multi-action persons
        warnings.simplefilter("ignore", RuntimeWarning)
        images, names = labeled_images(24, voc=str(tmp_path / "VOCdevkit"))
    assert names == list(VOC_ACTIONS)
    for part in ("pool", "test"):
        pictures, labels = images[part]
        assert pictures.shape[1:] == (24, 24, 3) and pictures.dtype == np.uint8 and len(labels) == len(pictures) > 0


def test_synthetic_validation_images_are_disjoint_from_every_other_part():
    sizes = dict(num_videos=12, pool_per_class=2, test_videos=6, validation_videos=6)
    videos = [set(part) for part in synthetic_ranges(**sizes).values()]
    assert sum(map(len, videos)) == len(set().union(*videos)) == 12 + 12 + 6 + 6  # no video in two parts
    test, _ = labeled_images(16, size=32, **sizes)
    validation, names = labeled_images(16, size=32, holdout="validation", **sizes)
    assert sorted(test) == ["pool", "test"] and sorted(validation) == ["pool", "validation"]  # test images unloaded
    np.testing.assert_array_equal(validation["pool"][0], test["pool"][0])  # the same few-shot pool either way
    images, labels = validation["validation"]
    assert images.shape == (6, 16, 16, 3) and sorted(labels) == list(range(len(names)))
    others = np.concatenate([test["pool"][0], test["test"][0]]).reshape(18, -1)
    for image in images.reshape(6, -1):
        assert not (others == image).all(1).any()
    with pytest.raises(ValueError, match="holdout"):
        labeled_images(16, holdout="val")


def test_validation_split_of_an_image_folder(tmp_path):
    import cv2

    from keras_motion.datasets import ImageFolder
    from keras_motion.vre_mra.data import split_groups_or_items

    rng = np.random.default_rng(0)
    for c in ("a", "b"):
        (tmp_path / c).mkdir()
        for i in range(12):
            cv2.imwrite(str(tmp_path / c / f"{i}.png"), rng.integers(0, 256, (20, 20, 3), dtype=np.uint8))
    everything = ImageFolder(str(tmp_path))
    train_part, test_part = split_groups_or_items(everything, (0.75, 0.25), seed=0)
    pool, validation = validation_split(everything.subset(train_part), 0.25, shots=3)
    names = [set(pool.paths), set(validation.paths), set(everything.subset(test_part).paths)]
    assert all(names) and sum(map(len, names)) == len(set().union(*names)) == 24  # three disjoint parts
    images, _ = labeled_images(8, images=str(tmp_path), shots=3, holdout="validation")
    assert len(images["pool"][1]) == len(pool) and len(images["validation"][1]) == len(validation)
    with pytest.raises(ValueError, match="validation_fraction or shots"):
        labeled_images(8, images=str(tmp_path), shots=9, holdout="validation")
    with pytest.raises(ValueError, match="in \\(0, 1\\)"):
        validation_split(everything, 1.5, shots=1)


def test_unlabeled_video_folder_keeps_classes_and_counts_bad_files(tmp_path):
    from keras_motion.datasets import write_synthetic

    write_synthetic(tmp_path, 6, num_frames=8, size=32, show_progress=False)
    (tmp_path / "videos" / "wave" / "broken.mp4").write_bytes(b"not a video")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        data = unlabeled_videos(frames=7, size=32, videos=str(tmp_path / "videos"))
    assert data.skipped == 1 and len(data.videos) == 6 and data.videos[0].shape == (7, 32, 32, 3)
    assert data.classes is not None and len(data.class_names) >= len(set(data.classes.tolist()))
    assert len(unlabeled_videos(frames=7, size=32, videos=str(tmp_path / "videos"), max_videos=3).videos) <= 3


def test_few_labeled_draw_is_seeded_and_per_class():
    pool = (np.arange(30).reshape(30, 1, 1, 1).astype(np.uint8), np.repeat(np.arange(3), 10))
    a, b, c = few_labeled(pool, 4, seed=0), few_labeled(pool, 4, seed=0), few_labeled(pool, 4, seed=1)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0]) and np.bincount(a[1]).tolist() == [4, 4, 4]
    with pytest.warns(RuntimeWarning, match="fewer than 20"):  # a small class gives all it has, with a warning
        assert np.bincount(few_labeled(pool, 20, seed=0)[1]).tolist() == [10, 10, 10]


def test_key_frame_clips_and_square_crop():
    videos = np.random.default_rng(0).integers(0, 256, (3, 10, 24, 32, 3), dtype=np.uint8)
    clips, kept = key_frame_clips(videos, [1, -1, 0], key_frames=4, interval=3, image_size=24)
    assert clips.shape == (2, 4, 24, 24, 3) and kept.tolist() == [0, 2]
    np.testing.assert_array_equal(clips[1], videos[2][[0, 3, 6, 9], :, 4:28])  # key frames, centre square
    assert square_crop(videos[0, 0], 12).shape == (12, 12, 3)
