"""recipes/mosi.py end to end at toy size: metrics.json, Grad-CAM PNG, checkpoints, resumed finetuning runs."""

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "recipes"))

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
