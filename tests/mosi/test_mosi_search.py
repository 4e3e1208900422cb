"""km.mosi.MoSISearch: a KerasTuner search over the static mask, the speeds K and the pretext learning rate, scored
by few-shot accuracy on validation videos, one TensorBoard run and HParams session per trial on every backend; and
the pseudo-motion clip strips it logs."""

import csv
import json
import os

import keras
import numpy as np
import pytest

import keras_motion as km
from keras_motion.mosi import DATA_PRESETS, MoSISearch, PseudoMotion, PseudoMotionClips, synthetic_splits
from keras_motion.utils.summaries import read_events

# Smaller than the "quick" preset: one epoch of each pretext phase on one batch, one finetuning epoch.
TINY = dict(
    filters=(2, 2, 2, 2, 2),
    num_frames=4,
    crop_size=16,
    source_size=32,
    pretext_epochs=1,
    unmasked_epochs=1,
    batch_images=4,
    finetune_epochs=1,
    finetune_batch_size=4,
    eval_clips=1,
)


def tiny_data():
    """4 smooth source images of 32 px, 2 classes × 2 labeled videos, 2 validation videos (16 px, 6 frames)."""
    rng = np.random.default_rng(0)
    ramp = np.linspace(0, 255, 32)
    sources = [
        np.clip(
            ramp[:, None, None] * rng.uniform(0.3, 1, 3) + ramp[None, :, None] * rng.uniform(0, 0.7, 3), 0, 255
        ).astype(np.uint8)
        for _ in range(4)
    ]
    videos = rng.integers(0, 256, (6, 6, 16, 16, 3), dtype=np.uint8)
    return dict(
        sources=sources,
        videos=videos[:4],
        labels=[0, 1, 0, 1],
        val_videos=videos[4:],
        val_labels=[0, 1],
        class_names=["a", "b"],
    )


@pytest.mark.backend_agnostic
def test_random_search_logs_trials_and_summarizes(tmp_path, tf_eager):
    search = MoSISearch(**tiny_data(), preset="quick", log_dir=tmp_path / "logs", **TINY)
    tuner = km.tuning.make_tuner(search, "random", 3, directory=tmp_path / "search", seed=1)
    search.declare_experiment(tuner)
    tuner.search(verbose=0)

    runs = read_events(tmp_path / "logs")
    sessions = {run: events for run, events in runs.items() if events["hparams"] is not None}
    assert len(sessions) == 3 and runs["."]["experiment"] == ["mask", "pretext_learning_rate", "speeds"]
    for trial, events in sessions.items():
        assert set(events["hparams"]) == {"mask", "speeds", "pretext_learning_rate"} and events["status"] == "success"
        assert "epoch_loss" in runs[f"{trial}/train"]["scalars"]
        assert "epoch_few_shot_accuracy" in runs[f"{trial}/validation"]["scalars"]  # the objective
        assert {"mosi/pseudo_motion_clips", "grad_cam/frames_heat"} <= set(runs[f"{trial}/images"]["images"])

    best = km.tuning.summarize(tuner, tmp_path / "out", verbose=False)
    with open(tmp_path / "out" / "trials.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 and all(0 <= float(row["objective"]) <= 1 for row in rows)
    with open(tmp_path / "out" / "best_hparams.json") as f:
        assert json.load(f)["objective"]["val_few_shot_accuracy"] == best["objective"]["val_few_shot_accuracy"]
    assert os.path.exists(tmp_path / "out" / "objective.png")
    model = keras.saving.load_model(tmp_path / "out" / "best_model.keras")  # keras_motion's layers registered
    speeds = best["hyperparameters"]["speeds"]
    assert tuple(model(np.zeros((1, 32, 32, 3), "uint8")).shape) == ((4 * speeds + 1),) * 2


def test_default_data_keeps_test_videos_out():
    data = MoSISearch.default_data("quick")  # one labeled video per class in the recipe's pool: more are rendered
    assert len(data["val_videos"]) == len(data["val_labels"]) == 6 and len(data["videos"]) == 6
    assert sorted(data["val_labels"].tolist()) == sorted(data["labels"].tolist()) == list(range(6))
    sizes = {**DATA_PRESETS["cpu"], **DATA_PRESETS["quick"]}
    recipe = synthetic_splits(
        sizes["synthetic_unlabeled"],
        sizes["synthetic_labeled"],
        sizes["synthetic_test"],
        num_frames=sizes["video_frames"],
        size=sizes["video_size"],
        seed=0,
    )
    searched = np.concatenate([data["videos"], data["val_videos"]])
    assert not any(np.array_equal(video, test) for video in searched for test in recipe.test.frames)
    assert any(np.array_equal(video, recipe.labeled.frames[0]) for video in searched)  # the recipe's pool
    train, validation = km.datasets.holdout_per_class([0] * 10 + [1] * 3, keep=2, seed=0)
    assert len(validation) == 3 + 1 and not set(train) & set(validation)


def test_pseudo_motion_clips_png_fallback(tmp_path):
    generator = PseudoMotion(num_frames=4, crop_size=16, source_size=32, speeds=1, seed=0)
    state = keras.ops.convert_to_numpy(generator.seed_generator.state).copy()
    backbone = km.models.R2Plus1D(depth=10, num_classes=generator.num_classes, filters=(2, 2, 2, 2, 2), stem="small")
    image = np.random.default_rng(0).integers(0, 256, (40, 48, 3), dtype=np.uint8)
    callback = PseudoMotionClips(generator, image, tmp_path, every=2, frames=3, model=backbone, use_tensorboard=False)
    callback.on_epoch_end(0)
    assert not os.path.exists(tmp_path / "images")  # every 2 epochs: epoch index 1, 3, ...
    callback.on_epoch_end(1)
    strip = callback.make_strip()
    assert strip.shape == (5 * 48, PseudoMotionClips.text_width + 3 * 48, 3) and strip.dtype == np.uint8
    assert os.listdir(tmp_path / "images") == ["pseudo_motion_0001.png"]
    assert np.array_equal(callback.clips(), callback.clips()) and callback.clips().shape == (5, 4, 16, 16, 3)
    # The training's generator draws what it would have drawn without the pictures.
    assert np.array_equal(keras.ops.convert_to_numpy(generator.seed_generator.state), state)
