"""km.evaluation's few-shot finetuning (any video backbone), the labeled-video splits it draws from (UCF101, HMDB51,
class folders; bad files skipped and counted) and Grad-CAM motion mass."""

import os

import numpy as np
import pytest

from keras_motion.evaluation import (
    few_shot_finetune,
    few_shot_indices,
    grad_cam_clips,
    grad_cam_motion_mass,
    labeled_video_splits,
    open_videos,
    summarize_runs,
)
from keras_motion.utils import Run
from keras_motion.video import VideoFrames


def _official_trees(root, clip):
    """The same six real clips (two classes, 2 train + 1 test each) in UCF101's and HMDB51's official layouts."""
    classes = ["BoxingPunchingBag", "JumpRope"]
    ucf, hmdb = os.path.join(root, "ucf"), os.path.join(root, "hmdb")
    lines = {"classInd.txt": "", "trainlist01.txt": "", "testlist01.txt": ""}
    for label, cls in enumerate(classes):
        lines["classInd.txt"] += f"{label + 1} {cls}\r\n"
        hmdb_split = ""
        for group, subset in ((1, "test"), (8, "train"), (9, "train")):
            name = f"v_{cls}_g{group:02d}_c01.avi"
            for folder in (os.path.join(ucf, "UCF-101", cls), os.path.join(hmdb, cls)):
                os.makedirs(folder, exist_ok=True)
                with open(os.path.join(folder, name), "wb") as f:
                    f.write(clip)
            lines["trainlist01.txt" if subset == "train" else "testlist01.txt"] += (
                f"{cls}/{name} {label + 1}\r\n" if subset == "train" else f"{cls}/{name}\r\n"
            )
            hmdb_split += f"{name} {1 if subset == 'train' else 2} \n"
        os.makedirs(os.path.join(hmdb, "testTrainMulti_7030_splits"), exist_ok=True)
        with open(os.path.join(hmdb, "testTrainMulti_7030_splits", f"{cls}_test_split1.txt"), "w") as f:
            f.write(hmdb_split)
    os.makedirs(os.path.join(ucf, "ucfTrainTestlist"))
    for name, text in lines.items():
        with open(os.path.join(ucf, "ucfTrainTestlist", name), "w", newline="") as f:
            f.write(text)
    return ucf, hmdb, classes


def test_labeled_video_splits_from_ucf101_and_hmdb51_layouts(tmp_path):
    """The official split files give the few-shot pool (train) and the test videos (decoded lazily)."""
    from keras_motion.video.decode import write_video

    clip_path = tmp_path / "clip.avi"
    write_video(clip_path, np.random.default_rng(0).integers(0, 256, (5, 24, 32, 3), dtype=np.uint8))
    ucf, hmdb, classes = _official_trees(tmp_path, clip_path.read_bytes())
    for source in ({"ucf101": ucf}, {"hmdb51": hmdb}):
        (train_v, train_y), (test_v, test_y), names, skipped = labeled_video_splits(
            **source, shots=1, repeats=2, size=16
        )
        assert names == classes and skipped == 0
        assert sorted(train_y.tolist()) == [0, 0, 1, 1] and len(train_v) == 4  # 1 shot × 2 repeats per class
        assert all(v.shape[1:] == (16, 21, 3) and v.dtype == np.uint8 for v in train_v)  # short side → 16
        assert all(isinstance(v, VideoFrames) for v in train_v + test_v)  # lazy: decoded per batch
        assert test_y.tolist() == [0, 1] and test_v[1].shape == (5, 16, 21, 3)
        assert len(test_v[0:2]) == 2
    with pytest.raises(ValueError, match="ucf101"):
        labeled_video_splits()


def test_labeled_video_folder_skips_and_counts_bad_files(tmp_path):
    from keras_motion.datasets import VideoFolder, write_synthetic

    root = os.path.join(tmp_path, "data")
    write_synthetic(root, 12, num_frames=6, size=16, show_progress=False)
    open(os.path.join(root, "videos", "jump", "broken.mp4"), "wb").close()
    folder = VideoFolder(os.path.join(root, "videos"), labeled=True)
    with pytest.warns(RuntimeWarning, match="broken.mp4"):
        videos, kept = open_videos(folder.paths, skips=folder.skips)
    assert folder.skips.count == 1 and len(kept) == len(videos) == 12
    with pytest.warns(RuntimeWarning, match="broken.mp4"):
        # Every class keeps all its training videos (3 > its share): the broken file is decoded, wherever it is.
        pool, test, names, skipped = labeled_video_splits(labeled_videos=os.path.join(root, "videos"), shots=3, seed=0)
    assert skipped == 1 and len(names) == 6 and len(pool[0]) + len(test[0]) == 12
    assert len(pool[0]) == len(pool[1]) and len(test[0]) == len(test[1])
    _, test, _, _ = labeled_video_splits(labeled_videos=os.path.join(root, "videos"), shots=1, max_test_videos=2)
    assert len(test[1]) == 2


def _tiny(name, num_classes=2):
    from keras_motion.models import R2Plus1D

    return R2Plus1D(depth=10, num_classes=num_classes, filters=(4, 4, 4, 4, 4), stem="small", name=name)


@pytest.mark.slow
def test_few_shot_finetune_compares_inits_and_resumes(tmp_path):
    import keras

    videos = [np.full((6, 16, 16, 3), 60 * (i % 2), np.uint8) for i in range(6)]
    labels = np.arange(6) % 2
    built = []

    def init(name):  # the protocol does not care which video model: the smallest one
        built.append(name)
        clips = keras.Input((None, None, None, 3))
        return keras.Model(clips, keras.layers.Dense(2)(keras.layers.GlobalAveragePooling3D()(clips)), name=name)

    run = Run(tmp_path, verbose=False)
    settings = dict(shots=2, seeds=(3, 4), clip_len=4, crop_size=16, epochs=1, eval_clips=2, run=run)
    report = few_shot_finetune({"pre": init, "scratch": init}, videos, labels, videos, labels, **settings)
    assert built == ["finetune_pre_seed3", "finetune_scratch_seed3", "finetune_pre_seed4", "finetune_scratch_seed4"]
    assert len(report["pre"]["video_accuracy"]["runs"]) == 2 and "video_accuracy_gain" in report
    assert (report["shots_per_class"], report["test_videos"], report["clips_per_video"]) == (2, 6, 2)
    assert os.path.exists(tmp_path / "finetune_scratch_seed4.keras")
    again = few_shot_finetune({"pre": init, "scratch": init}, videos, labels, videos, labels, **settings)
    assert len(built) == 4 and again == report  # every run was recorded: nothing retrained


def test_few_shot_indices_and_summaries():
    labels = np.array([0, 1, 2] * 4)
    chosen = few_shot_indices(labels, 2, seed=7)
    assert np.bincount(labels[chosen]).tolist() == [2, 2, 2]
    np.testing.assert_array_equal(chosen, few_shot_indices(labels, 2, seed=7))
    runs = {
        f"{init}_seed{s}": {"init": init, "video_accuracy": v, "clip_accuracy": v / 2}
        for init, s, v in (("a", 1, 0.5), ("scratch", 1, 0.2), ("a", 2, 0.7), ("scratch", 2, 0.4))
    }
    summary = summarize_runs(runs)
    assert summary["a"]["video_accuracy"]["mean"] == pytest.approx(0.6)
    assert summary["a"]["clip_accuracy"]["runs"] == [0.25, 0.35]
    assert summary["video_accuracy_gain"] == pytest.approx(0.3)
    assert "video_accuracy_gain" not in summarize_runs({**runs, "b_seed1": {**runs["a_seed1"], "init": "b"}})


def test_grad_cam_clips_and_motion_mass():
    videos = [np.zeros((8, 20, 24, 3), np.uint8) for _ in range(3)]
    flows = [np.zeros((8, 20, 24, 2), np.float32) for _ in range(3)]
    for f in flows:
        f[:, 5:15, 7:17, 0] = 2.0  # a moving square in the centre
    clips, regions = grad_cam_clips(videos, 4, flows=flows, count=2)
    assert clips.shape == (2, 4, 20, 20, 3) and clips.dtype == np.float32
    assert regions.shape == (2, 4, 20, 20) and regions.mean() == pytest.approx(0.25)
    clips, none = grad_cam_clips(videos, 4, crop_size=16)
    assert clips.shape == (3, 4, 16, 16, 3) and none is None
    report = grad_cam_motion_mass(
        _tiny("cam", 3),
        np.asarray(videos, np.float32)[:, :4, :16, :16],
        np.ones((3, 4, 16, 16), bool),
        layers={"c5": "conv5_out"},
    )
    assert set(report) == {"c5", "map_size_c5", "clip_size", "moving_area_share"}
    assert report["moving_area_share"] == 1.0 and (np.isnan(report["c5"]) or report["c5"] == pytest.approx(1.0))
