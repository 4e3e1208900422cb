"""recipes/mosi.py end to end at toy size: metrics.json, Grad-CAM PNG, checkpoints, resumed finetuning runs."""

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "recipes"))

TOY = ["--pretext-epochs", "1", "--unmasked-epochs", "0", "--seeds", "1", "--finetune-epochs", "1",
       "--synthetic-test", "6", "--synthetic-labeled", "6", "--synthetic-unlabeled", "6", "--crops-per-photo", "1",
       "--source-size", "32", "--crop-size", "16", "--num-frames", "4", "--video-size", "16", "--video-frames", "6",
       "--filters", "4", "4", "4", "4", "4", "--gradcam-size", "24", "--shots", "1", "--eval-clips", "2",
       "--batch-images", "4"]


@pytest.mark.slow
def test_recipe_end_to_end(tmp_path):
    import keras

    import mosi
    import keras_motion.models  # noqa: F401  (registers the classes for loading)

    out = os.path.join(tmp_path, "run")
    assert mosi.main(TOY + ["--out", out]) == 0
    with open(os.path.join(out, "metrics.json")) as f:
        metrics = json.load(f)
    assert 0.0 <= metrics["pretext"]["heldout_accuracy"] <= 1.0
    for init in ("mosi", "scratch"):
        assert set(metrics["finetune"][init]) == {"video_accuracy", "clip_accuracy"}
        assert len(metrics["finetune"][init]["video_accuracy"]["runs"]) == 1
    assert metrics["gradcam"]["motion_mass_ratio"] > 0
    assert set(metrics["gradcam"]["at_gradcam_size"]) >= {"conv5", "conv4", "map_size_conv5", "moving_area_share"}
    assert os.path.getsize(os.path.join(out, "gradcam.png")) > 0
    backbone = keras.saving.load_model(os.path.join(out, "pretext_backbone.keras"))
    assert backbone.output_shape[-1] == 9
    assert os.path.isdir(os.path.join(out, "logs"))

    # A rerun reuses the pretext checkpoint and keeps the finished finetuning runs.
    before = os.path.getmtime(os.path.join(out, "finetune_mosi_seed1000.keras"))
    assert mosi.main(TOY + ["--out", out, "--skip-pretext"]) == 0
    assert os.path.getmtime(os.path.join(out, "finetune_mosi_seed1000.keras")) == before


@pytest.mark.slow
def test_recipe_on_a_labeled_video_folder(tmp_path):
    """--labeled: real video files (decoded lazily for evaluation, unreadable ones skipped and counted)."""
    import mosi
    from keras_motion.datasets import write_synthetic

    root = os.path.join(tmp_path, "data")
    write_synthetic(root, 12, num_frames=6, size=16, show_progress=False)
    open(os.path.join(root, "videos", "jump", "broken.mp4"), "wb").close()
    out = os.path.join(tmp_path, "run")
    args = list(TOY)
    for flag in ("--synthetic-test", "--synthetic-labeled", "--synthetic-unlabeled"):
        del args[args.index(flag):args.index(flag) + 2]
    assert mosi.main(args + ["--labeled", os.path.join(root, "videos"), "--out", out]) == 0
    with open(os.path.join(out, "metrics.json")) as f:
        metrics = json.load(f)
    assert metrics["gradcam"] is None and metrics["finetune"]["test_videos"] >= 1
    assert os.path.getsize(os.path.join(out, "gradcam.png")) > 0
    from keras_motion.datasets import VideoFolder

    with pytest.warns(RuntimeWarning, match="broken.mp4"):
        kept, skipped = mosi.readable(VideoFolder(os.path.join(root, "videos"), labeled=True))
    assert skipped == 1 and len(kept) == 12


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
                f"{cls}/{name} {label + 1}\r\n" if subset == "train" else f"{cls}/{name}\r\n")
            hmdb_split += f"{name} {1 if subset == 'train' else 2} \n"
        os.makedirs(os.path.join(hmdb, "testTrainMulti_7030_splits"), exist_ok=True)
        with open(os.path.join(hmdb, "testTrainMulti_7030_splits", f"{cls}_test_split1.txt"), "w") as f:
            f.write(hmdb_split)
    os.makedirs(os.path.join(ucf, "ucfTrainTestlist"))
    for name, text in lines.items():
        with open(os.path.join(ucf, "ucfTrainTestlist", name), "w", newline="") as f:
            f.write(text)
    return ucf, hmdb, classes


def test_finetuning_data_from_ucf101_and_hmdb51_layouts(tmp_path):
    """--ucf101 / --hmdb51: the official split files give the few-shot pool (train) and the test videos."""
    import numpy as np

    import mosi
    from keras_motion.video.decode import write_video

    clip_path = tmp_path / "clip.avi"
    write_video(clip_path, np.random.default_rng(0).integers(0, 256, (5, 24, 32, 3), dtype=np.uint8))
    ucf, hmdb, classes = _official_trees(tmp_path, clip_path.read_bytes())
    for flag, root in (("--ucf101", ucf), ("--hmdb51", hmdb)):
        args = mosi.parse_args([flag, root, "--shots", "1", "--seeds", "2", "--video-size", "16"])
        (train_v, train_y), (test_v, test_y), names, skipped = mosi.labeled_splits(args)
        assert names == classes and skipped == 0
        assert sorted(train_y.tolist()) == [0, 0, 1, 1] and len(train_v) == 4  # 1 shot × 2 seeds per class
        assert all(v.shape[1:] == (16, 21, 3) and v.dtype == np.uint8 for v in train_v)  # short side → 16
        assert test_y.tolist() == [0, 1] and test_v[1].shape == (5, 16, 21, 3)
