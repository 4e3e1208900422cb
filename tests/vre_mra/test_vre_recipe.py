import json

import pytest
from conftest import load_recipe


@pytest.mark.slow
def test_quick_recipe_writes_metrics_and_models(quick_run, load_in_fresh_process):
    tmp_path, _ = quick_run("vre_mra")
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert len(metrics["ablation"]) == 7 and metrics["args"]["seeds"] == 1
    for name in ("pseudo_labels.npz", "vre_mra.keras", "retrieval.png"):
        assert (tmp_path / name).stat().st_size > 0
    assert load_in_fresh_process(tmp_path) == ["vre_mra.keras", "vre_mra_inference.keras"]


def test_flags_and_presets():
    recipe = load_recipe("vre_mra")
    cpu, paper = recipe.parse_args([]), recipe.parse_args(["--paper"])
    assert (paper.norm, paper.proxy_weight, paper.frame_motion, paper.render_size) == (None, 0.1, 0.0, 256)
    assert cpu.frame_motion > 0 and cpu.norm == "batch" and cpu.seeds == 3  # the CPU default's departures
    assert recipe.parse_args(["--paper", "--frame-motion", "0.5"]).frame_motion == 0.5  # explicit flags win
    quick = recipe.parse_args(["--quick", "--seeds", "2"])
    assert quick.seeds == 2 and quick.num_videos < cpu.num_videos
