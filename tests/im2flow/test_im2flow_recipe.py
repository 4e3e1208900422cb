"""The main job's recipe: one --quick smoke test (the logic is tested as library code in test_im2flow_task.py and
test_im2flow_data.py), and its flags' presets."""

import json

import cv2
import keras
import numpy as np
import pytest
from conftest import load_recipe


@pytest.mark.slow
def test_quick_run_writes_metrics_model_logs_and_grid(quick_run, load_in_fresh_process):
    tmp_path, printed = quick_run("im2flow")
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert {"im2flow", "zero", "mean", "nearest_neighbor"} <= set(metrics["flow"])
    assert "appearance+motion_hallucinated" in metrics["recognition"] and metrics["flow_real_clip"] is None
    assert metrics["args"]["quick"] and metrics["task"]["image_size"] == 32
    net = keras.saving.load_model(tmp_path / "im2flow_unet.keras")
    assert net.predict(np.zeros((1, 32, 32, 3), "float32"), verbose=0).shape == (1, 32, 32, 3)
    assert cv2.imread(str(tmp_path / "examples.png")) is not None
    assert (tmp_path / "logs" / "unet").is_dir()
    assert "nearest_neighbor" in printed and "appearance+motion_hallucinated" in printed
    assert "im2flow_unet.keras" in load_in_fresh_process(tmp_path)  # with its loss, φ and schedule


def test_flags_take_the_presets_unless_given():
    recipe = load_recipe("im2flow")
    paper = recipe.parse_args(["--paper"])
    assert (paper.image_size, paper.render_size, paper.base_filters, paper.max_magnitude) == (256, 286, 64, 30.0)
    assert paper.magnitude_weighting and recipe.parse_args(["--paper", "--image-size", "128"]).image_size == 128
    default = recipe.parse_args([])
    assert default.image_size == 64 and not default.magnitude_weighting and default.content_loss
    quick = recipe.parse_args(["--quick"])
    assert quick.num_videos < default.num_videos and quick.epochs < default.epochs
