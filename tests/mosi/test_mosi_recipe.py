"""recipes/mosi.py --quick end to end: metrics.json, Grad-CAM PNG, the pretext and finetuned models."""

import json
import os

import pytest


@pytest.mark.slow
def test_recipe_quick(quick_run, load_in_fresh_process):
    import keras

    import keras_motion  # noqa: F401  (registers the classes for loading)

    tmp_path, _ = quick_run("mosi")
    with open(tmp_path / "metrics.json") as f:
        metrics = json.load(f)
    assert 0.0 <= metrics["pretext"]["heldout_accuracy"] <= 1.0
    for init in ("mosi", "scratch"):
        assert set(metrics["finetune"][init]) == {"video_accuracy", "clip_accuracy"}
    assert metrics["gradcam"]["motion_mass_ratio"] > 0
    assert set(metrics["gradcam"]["at_gradcam_size"]) >= {"conv5", "conv4", "map_size_conv5", "moving_area_share"}
    assert os.path.getsize(tmp_path / "gradcam.png") > 0 and os.path.getsize(tmp_path / "gradcam_fine.png") > 0
    assert keras.saving.load_model(tmp_path / "pretext_backbone.keras").output_shape[-1] == 9
    for name in ("finetune_mosi_seed1000.keras", "finetune_scratch_seed1000.keras", "finetune_runs.json"):
        assert os.path.exists(tmp_path / name)
    assert os.path.isdir(tmp_path / "logs" / "pretext" / "unmasked")
    assert {"pretext_backbone.keras", "finetune_mosi_seed1000.keras"} <= set(load_in_fresh_process(tmp_path))
