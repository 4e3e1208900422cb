"""The Pose-from-Action recipe end to end at toy size, and its handling of bad videos."""

import importlib.util
import json
import os
import shutil

import cv2
import numpy as np
import pytest

TINY = ["--num-videos", "30", "--render-size", "24", "--crop-size", "16", "--width", "0.0625", "--feature-dim", "16",
        "--hidden", "16", "--classifier-hidden", "8", "--batch-positives", "4", "--per-video", "1", "--epochs", "1",
        "--finetune-epochs", "1", "--seeds", "2", "--labeled", "5", "--test-frames", "2"]


def load_recipe():
    path = os.path.join(os.path.dirname(__file__), "..", "..", "recipes", "pose_from_action.py")
    spec = importlib.util.spec_from_file_location("pose_from_action_recipe", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_recipe_writes_metrics_model_and_logs(tmp_path, capsys):
    import keras

    import keras_motion.models  # noqa: F401  (registers the classes for loading)

    out = tmp_path / "run"
    assert load_recipe().main(TINY + ["--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    verification = metrics["verification"]
    assert verification["chance"] == 2 / 3 and 0 <= verification["heldout_accuracy"] <= 1
    assert verification["triplets"] == 3 * metrics["data"]["heldout_videos"]  # per-video 1, two negatives each
    down = metrics["downstream"]
    for init in ("verifier_init", "random_init"):
        assert len(down[init]["runs"]) == 2
        assert down[init]["mean"] == np.mean(down[init]["runs"]) and down[init]["std"] == np.std(down[init]["runs"])
    assert down["labeled"] == 5 and down["chance"] == 1 / 6  # 30 videos → 6 held out: 5 of them, a frame each
    assert metrics["flow"] == "exact"
    # test images come from videos that neither the verifier nor the classifiers saw
    assert metrics["data"]["test_images"] == 2 * 6
    verifier = keras.saving.load_model(out / "triplet_verifier.keras")
    x = {"frame_a": np.zeros((2, 16, 16, 3), "f4"), "frame_b": np.zeros((2, 16, 16, 3), "f4"),
         "flow": np.zeros((2, 16, 16, 24), "f4")}
    assert verifier.predict(x, verbose=0).shape == (2, 2)
    assert {p.name for p in (out / "logs").iterdir()} >= {"verifier", "downstream_verifier_init_seed0",
                                                         "downstream_random_init_seed1"}
    assert list((out / "logs" / "verifier").rglob("events.out.tfevents.*"))
    printed = capsys.readouterr().out
    assert "Held-out verification" in printed and "verifier_init" in printed


def test_unlabeled_video_folder_short_and_corrupt_videos_are_skipped_and_counted(tmp_path, carphone_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    for i in range(8):
        shutil.copy(carphone_path, videos / f"carphone_{i}.mp4")
    writer = cv2.VideoWriter(str(videos / "short.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 25, (32, 24))
    for i in range(4):  # fewer than Δ + 1 = 6 frames
        writer.write(np.full((24, 32, 3), 50 * i, np.uint8))
    writer.release()
    (videos / "corrupt.avi").write_bytes(os.urandom(4096))
    out = tmp_path / "run"
    args = TINY + ["--videos", str(videos), "--delta", "5", "--max-frames", "8", "--seeds", "1", "--out", str(out)]
    assert load_recipe().main(args) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["skipped"]["videos"] == 2 and metrics["flow"] == "dis"
    assert metrics["data"]["pretrain_videos"] + metrics["data"]["heldout_videos"] == 8
    assert 0 <= metrics["verification"]["heldout_accuracy"] <= 1


def test_paper_flag_restores_the_paper_sizes_unless_given():
    recipe = load_recipe()
    args = recipe.parse_args(["--paper", "--epochs", "3"])
    assert (args.crop_size, args.width, args.feature_dim, args.hidden, args.classifier_hidden) == (224, 1.0, 4096,
                                                                                                  4096, 2048)
    assert (args.delta, args.negatives, args.stem_stride, args.dropout, args.epochs) == (12, 2, 2, 0.5, 3)
    assert recipe.parse_args([]).flow == "exact" and recipe.parse_args(["--videos", "v"]).flow == "dis"


def test_voc_actions_downstream_labeled_from_train_tested_on_val(tmp_path):
    from test_datasets_voc_actions import voc_tree

    from keras_motion.datasets import VOC_ACTIONS

    voc_tree(tmp_path)  # train: 3 usable persons (4 listed ones skipped or left out), val: 3 persons
    out = tmp_path / "run"
    args = TINY + ["--voc", str(tmp_path / "VOCdevkit"), "--num-videos", "10", "--seeds", "1", "--out", str(out)]
    assert load_recipe().main(args) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["classes"] == list(VOC_ACTIONS) and metrics["downstream"]["chance"] == 0.1
    assert metrics["downstream"]["labeled"] == 3 and metrics["data"]["test_images"] == 3  # all train / val persons
    assert metrics["skipped"]["images"] == 4  # the train set's missing and bad files and its multi-action person
    assert 0 <= metrics["downstream"]["verifier_init"]["mean"] <= 1
    recipe = load_recipe()
    assert recipe.parse_args(["--voc", "v"]).flow == "exact"  # the pretraining videos stay the synthetic ones
    with pytest.raises(SystemExit):
        recipe.parse_args(["--voc", "v", "--images", "i"])
