"""UCF101 / HMDB51 / Stanford40 / folder loaders on fake trees in the official layouts, and few-shot subsets."""

import os

import cv2
import numpy as np
import pytest

from keras_motion.datasets.base import ImageDataset, VideoDataset
from keras_motion.datasets.few_shot import few_shot
from keras_motion.datasets.folders import ImageFolder, VideoFolder
from keras_motion.datasets.hmdb51 import HMDB51
from keras_motion.datasets.stanford40 import Stanford40
from keras_motion.datasets.ucf101 import UCF101
from keras_motion.errors import DatasetLayoutError


@pytest.fixture(scope="module")
def clip_bytes(tmp_path_factory):
    """A real 3-frame 16x16 MJPG AVI, copied wherever a decodable video is needed."""
    from keras_motion.video.decode import write_video

    path = tmp_path_factory.mktemp("clip") / "clip.avi"
    frames = np.random.default_rng(0).integers(0, 256, (3, 16, 16, 3), dtype=np.uint8)
    write_video(path, frames)
    return path.read_bytes()


def _write(path, data=b""):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


UCF_CLASSES = ["ApplyEyeMakeup", "HandstandPushups", "YoYo"]


def _ucf_tree(root, clip, nested=True, on_disk_folders=None):
    """Official files (CRLF line endings as distributed); on disk the HandstandPushups folder is spelt differently."""
    splits = os.path.join(root, "ucfTrainTestlist") if nested else str(root)
    videos = os.path.join(root, "UCF-101") if nested else str(root)
    folders = on_disk_folders or {"HandstandPushups": "HandStandPushups"}
    _write(os.path.join(splits, "classInd.txt"), "".join(f"{i + 1} {c}\r\n" for i, c in enumerate(UCF_CLASSES)))
    train, test = [], []
    for label, cls in enumerate(UCF_CLASSES):
        prefix = "HandStandPushups" if cls == "HandstandPushups" else cls  # the official lists' spelling
        for group in (8, 9):
            name = f"{cls}/v_{prefix}_g{group:02d}_c01.avi"
            train.append(f"{name} {label + 1}\r\n")
            _write(os.path.join(videos, folders.get(cls, cls), os.path.basename(name)), clip)
        name = f"{cls}/v_{prefix}_g01_c01.avi"
        test.append(f"{name}\r\n")
        _write(os.path.join(videos, folders.get(cls, cls), os.path.basename(name)), clip)
    _write(os.path.join(splits, "trainlist01.txt"), "".join(train))
    _write(os.path.join(splits, "testlist01.txt"), "".join(test))
    return videos


def test_ucf101_train_and_test(tmp_path, clip_bytes):
    videos = _ucf_tree(tmp_path, clip_bytes)
    train = UCF101(tmp_path, split=1, subset="train")
    assert train.class_names == UCF_CLASSES and train.num_classes == 3
    assert len(train) == 6 and train.labels.tolist() == [0, 0, 1, 1, 2, 2]
    assert all(os.path.isfile(p) for p in train.paths)
    # Case-insensitive match: listed as HandstandPushups/, found in HandStandPushups/.
    assert train.paths[2] == os.path.join(videos, "HandStandPushups", "v_HandStandPushups_g08_c01.avi")
    test = UCF101(tmp_path, split=1, subset="test")
    assert len(test) == 3 and test.labels.tolist() == [0, 1, 2]  # labels from the class folders
    assert train.skips.count == 0 and train.split == 1 and train.subset_name == "train"
    clip = train.load(0, size=8)
    assert clip.shape == (3, 8, 8, 3) and clip.dtype == np.uint8
    assert len(train.subset([1, 4])) == 2  # the FileDataset.subset method is not shadowed


def test_ucf101_flat_layout_and_explicit_dirs(tmp_path, clip_bytes):
    _ucf_tree(tmp_path, clip_bytes, nested=False)
    assert len(UCF101(tmp_path, subset="train")) == 6
    other = tmp_path / "elsewhere"
    videos = _ucf_tree(other, clip_bytes)
    ds = UCF101("/nonexistent", splits_dir=other / "ucfTrainTestlist", videos_dir=videos, subset="test")
    assert len(ds) == 3


def test_ucf101_missing_split_file(tmp_path, clip_bytes):
    _ucf_tree(tmp_path, clip_bytes)
    with pytest.raises(DatasetLayoutError, match="trainlist02.txt") as info:
        UCF101(tmp_path, split=2)
    assert "ucfTrainTestlist" in str(info.value)
    with pytest.raises(DatasetLayoutError, match="classInd.txt"):
        UCF101(tmp_path / "empty")
    with pytest.raises(ValueError):
        UCF101(tmp_path, split=4)


def test_ucf101_missing_videos_are_skipped(tmp_path, clip_bytes):
    videos = _ucf_tree(tmp_path, clip_bytes)
    gone = os.path.join(videos, "YoYo", "v_YoYo_g09_c01.avi")
    os.remove(gone)
    with pytest.warns(RuntimeWarning, match="missing"):
        train = UCF101(tmp_path)
    assert len(train) == 5 and train.skips.count == 1 and gone in train.skips.items[0][0]
    assert "skipped 1" in train.skips.summary()

    for name in os.listdir(videos):
        for f in os.listdir(os.path.join(videos, name)):
            os.remove(os.path.join(videos, name, f))
    with pytest.raises(DatasetLayoutError, match="none of the 6"):
        UCF101(tmp_path)


def test_iter_items_skips_a_corrupt_video(tmp_path, clip_bytes):
    videos = _ucf_tree(tmp_path, clip_bytes)
    _write(os.path.join(videos, "YoYo", "v_YoYo_g08_c01.avi"), np.random.default_rng(1).bytes(2048))
    train = UCF101(tmp_path)
    with pytest.warns(RuntimeWarning, match="v_YoYo_g08_c01.avi"):
        items = list(train.iter_items(size=8))
    assert len(items) == 5 and train.skips.count == 1
    clip, label, path = items[-1]
    assert clip.shape == (3, 8, 8, 3) and label == 2 and path.endswith("v_YoYo_g09_c01.avi")


HMDB_CLASSES = ["brush_hair", "cartwheel", "ride_bike"]


def _hmdb_tree(root, clip):
    splits = os.path.join(root, "testTrainMulti_7030_splits")
    for cls in HMDB_CLASSES:
        for split in (1, 2, 3):
            # Official format: "<video>.avi <code> " with a trailing space; codes 1 train, 2 test, 0 unused.
            codes = (1, 1, 2, 0, (1, 2, 2)[split - 1])
            lines = "".join(f"{cls}_clip_{i}.avi {code} \n" for i, code in enumerate(codes))
            _write(os.path.join(splits, f"{cls}_test_split{split}.txt"), lines)
        for i in range(5):
            _write(os.path.join(root, cls, f"{cls}_clip_{i}.avi"), clip)


def test_hmdb51_splits(tmp_path, clip_bytes):
    _hmdb_tree(tmp_path, clip_bytes)
    train = HMDB51(tmp_path, split=1, subset="train")
    assert train.class_names == HMDB_CLASSES
    assert len(train) == 9 and train.labels.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert {os.path.basename(p) for p in train.paths[:3]} == {f"brush_hair_clip_{i}.avi" for i in (0, 1, 4)}
    test = HMDB51(tmp_path, split=1, subset="test")
    assert len(test) == 3 and not any("clip_3" in p for p in train.paths + test.paths)  # code 0: unused
    assert len(HMDB51(tmp_path, split=2, subset="test")) == 6
    assert test.load(0).shape == (3, 16, 16, 3)


def test_hmdb51_layout_errors_and_missing_videos(tmp_path, clip_bytes):
    with pytest.raises(DatasetLayoutError, match="_test_split1.txt") as info:
        HMDB51(tmp_path)
    assert "testTrainMulti_7030_splits" in str(info.value)
    _hmdb_tree(tmp_path, clip_bytes)
    os.remove(tmp_path / "cartwheel" / "cartwheel_clip_0.avi")
    with pytest.warns(RuntimeWarning, match="cartwheel_clip_0.avi"):
        train = HMDB51(tmp_path)
    assert len(train) == 8 and train.skips.count == 1
    # Videos elsewhere, class folders spelt in another case.
    videos = tmp_path / "videos"
    os.makedirs(videos / "Brush_Hair")
    _write(str(videos / "Brush_Hair" / "brush_hair_clip_0.avi"), clip_bytes)
    with pytest.warns(RuntimeWarning):
        ds = HMDB51(tmp_path, videos_dir=videos)
    assert len(ds) == 1 and ds.labels.tolist() == [0] and ds.skips.count == 8


def _stanford_tree(root, image, with_actions=True):
    actions = {"applauding": 3, "blowing_bubbles": 2}
    if with_actions:
        header = "action_name\tnumber_of_images\n"
        rows = "".join(f"{a}\t{n}\n" for a, n in actions.items())
        _write(os.path.join(root, "ImageSplits", "actions.txt"), header + rows)
    for action, n in actions.items():
        names = [f"{action}_{i:03d}.jpg" for i in range(1, 2 * n + 1)]
        _write(os.path.join(root, "ImageSplits", f"{action}_train.txt"), "\n".join(names[:n]) + "\n")
        _write(os.path.join(root, "ImageSplits", f"{action}_test.txt"), "\n".join(names[n:]) + "\n")
        for name in names:
            os.makedirs(os.path.join(root, "JPEGImages"), exist_ok=True)
            cv2.imwrite(os.path.join(root, "JPEGImages", name), image)


def test_stanford40(tmp_path, astronaut):
    _stanford_tree(tmp_path, astronaut[::16, ::16])
    train = Stanford40(tmp_path, subset="train")
    assert train.class_names == ["applauding", "blowing_bubbles"]
    assert len(train) == 5 and train.labels.tolist() == [0, 0, 0, 1, 1]
    assert os.path.basename(train.paths[3]) == "blowing_bubbles_001.jpg"
    test = Stanford40(tmp_path, subset="test")
    assert len(test) == 5 and not set(train.paths) & set(test.paths)
    image = test.load(0, size=(8, 12))
    assert isinstance(test, ImageDataset) and image.shape == (8, 12, 3) and image.dtype == np.uint8

    os.remove(tmp_path / "ImageSplits" / "actions.txt")
    os.remove(tmp_path / "JPEGImages" / "applauding_002.jpg")
    with pytest.warns(RuntimeWarning, match="applauding_002.jpg"):
        train = Stanford40(tmp_path)  # classes from the *_train.txt names
    assert train.class_names == ["applauding", "blowing_bubbles"] and len(train) == 4 and train.skips.count == 1


def test_stanford40_layout_errors(tmp_path, astronaut):
    with pytest.raises(DatasetLayoutError, match="ImageSplits"):
        Stanford40(tmp_path)
    _stanford_tree(tmp_path, astronaut[::16, ::16])
    os.remove(tmp_path / "ImageSplits" / "blowing_bubbles_test.txt")
    with pytest.raises(DatasetLayoutError, match="blowing_bubbles_test.txt"):
        Stanford40(tmp_path, subset="test")


def test_video_folder(tmp_path, clip_bytes):
    for rel in ("walk/b.avi", "walk/deeper/a.MP4", "run/c.mkv", "run/notes.txt", "run/.d.tmp.avi", "x.webm"):
        _write(str(tmp_path / rel), clip_bytes)
    unlabeled = VideoFolder(tmp_path)
    rel = [os.path.relpath(p, tmp_path) for p in unlabeled.paths]
    assert rel == sorted(rel) and set(rel) == {"walk/b.avi", "walk/deeper/a.MP4", "run/c.mkv", "x.webm"}
    assert unlabeled.labels.tolist() == [-1] * 4 and unlabeled.num_classes == 0
    assert isinstance(unlabeled, VideoDataset) and unlabeled.load(0).shape == (3, 16, 16, 3)

    with pytest.warns(RuntimeWarning, match="x.webm"):  # a video outside any class folder
        labeled = VideoFolder(tmp_path, labeled=True)
    assert labeled.class_names == ["run", "walk"]
    assert [os.path.relpath(p, tmp_path) for p in labeled.paths] == ["run/c.mkv", "walk/b.avi", "walk/deeper/a.MP4"]
    assert labeled.labels.tolist() == [0, 1, 1]


def test_folder_layout_errors(tmp_path):
    with pytest.raises(DatasetLayoutError, match="nope"):
        VideoFolder(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetLayoutError, match="empty") as info:
        VideoFolder(tmp_path / "empty")
    assert ".avi" in str(info.value)
    _write(str(tmp_path / "flat" / "a.jpg"))
    with pytest.warns(RuntimeWarning), pytest.raises(DatasetLayoutError, match="class"):
        ImageFolder(tmp_path / "flat")


def test_image_folder(tmp_path, astronaut):
    for rel in ("cat/1.jpg", "cat/2.PNG", "dog/sub/3.png"):
        os.makedirs(os.path.dirname(tmp_path / rel), exist_ok=True)
        cv2.imwrite(str(tmp_path / rel), astronaut[::32, ::32])
    for rel in ("dog/readme.md", "empty_class/.keep"):  # not images: ignored
        _write(str(tmp_path / rel))
    images = ImageFolder(tmp_path)
    assert images.class_names == ["cat", "dog"] and images.labels.tolist() == [0, 0, 1]
    assert images.load(2).shape == (16, 16, 3)


def _toy(counts):
    labels = np.concatenate([np.full(n, c) for c, n in enumerate(counts)])
    names = [f"class{c}" for c in range(len(counts))]
    return ImageDataset([f"img_{i}.jpg" for i in range(len(labels))], labels, names, name="toy")


def test_few_shot_counts_and_determinism():
    ds = _toy([20, 15, 30])
    sub = few_shot(ds, 10, seed=0)
    assert len(sub) == 30 and np.bincount(sub.labels).tolist() == [10, 10, 10]
    assert len(set(sub.paths)) == 30 and set(sub.paths) <= set(ds.paths)
    assert sub.paths == sorted(sub.paths, key=ds.paths.index)  # dataset order kept
    assert sub.class_names == ds.class_names
    assert few_shot(ds, 10, seed=0).paths == sub.paths
    assert few_shot(ds, 10, seed=1).paths != sub.paths
    for i, path in enumerate(sub.paths):  # labels travel with their paths
        assert sub.labels[i] == ds.labels[ds.paths.index(path)]


def test_few_shot_small_class_and_unlabeled():
    with pytest.warns(RuntimeWarning, match="class1"):
        sub = few_shot(_toy([5, 2, 5]), 3)
    assert np.bincount(sub.labels).tolist() == [3, 2, 3]
    with pytest.raises(ValueError, match="labeled"):
        few_shot(VideoDataset(["a.avi", "b.avi"]), 1)
    with pytest.raises(ValueError):
        few_shot(_toy([3]), 0)
