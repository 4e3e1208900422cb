"""Pose from Action's hyperparameter search (per-trial TensorBoard runs, HParams sessions, triplet pictures, the
downstream validation objective, the search summary) and its triplet picture callback."""

import csv
import json

import keras
import numpy as np
import pytest

import keras_motion as km
from keras_motion.pose_from_action import PoseFromAction, PoseSearch, TripletImages, synthetic_data, validation_split
from keras_motion.utils.summaries import read_events

# Tiny sizes over the "quick" preset: one epoch of the verifier and of the finetuning per trial; 12 pretraining
# videos make 3 full batches of 4 positives (a partial last batch would make TensorFlow trace the training twice).
TINY = dict(
    delta=3,
    render_size=20,
    crop_size=16,
    width=0.0625,
    feature_dim=16,
    hidden=16,
    classifier_hidden=8,
    batch_positives=4,
    per_video=1,
    epochs=1,
    finetune_epochs=1,
    num_labeled=5,
)


@pytest.fixture(scope="module")
def data():
    return synthetic_data(num_videos=20, num_frames=5, size=20, delta=3, test_frames=2)


def test_validation_split_is_by_video_and_leaves_the_test_images_out(data):
    down = data[1]
    split = validation_split(down, fraction=0.5, frames=2)
    kept = {id(video) for video in split.pool}
    held = [video for video in down.pool if id(video) not in kept]
    assert len(split.pool) + len(held) == len(down.pool) and len(split.test_images) == 2 * len(held)
    assert split.test_images.shape[1:] == down.test_images.shape[1:]
    assert all(any((image == video).all(-1).all(-1).all(-1).any() for video in held) for image in split.test_images)
    assert split.class_names == down.class_names


@pytest.mark.backend_agnostic
def test_search_logs_a_session_per_trial_the_objective_pictures_and_a_summary(tmp_path, data, tf_eager):
    videos, down = data
    search = PoseSearch(videos, validation_split(down), preset="quick", log_dir=tmp_path / "logs", **TINY)
    assert search.max_epochs == 1
    tuner = km.tuning.make_tuner(search, "random", 3, directory=tmp_path / "search")
    search.declare_experiment(tuner)
    tuner.search(verbose=0)
    runs = read_events(tmp_path / "logs")
    trials = sorted(run for run, events in runs.items() if events["hparams"] is not None)
    assert len(trials) == 3
    for trial in trials:
        assert set(runs[trial]["hparams"]) == {"negatives", "learning_rate"} and runs[trial]["status"] == "success"
        assert "epoch_downstream_accuracy" in runs[f"{trial}/validation"]["scalars"]
        assert "epoch_accuracy" in runs[f"{trial}/validation"]["scalars"]  # the held-out verification accuracy
        assert "triplets/image_verdicts" in runs[f"{trial}/images"]["images"]
    assert runs["."]["experiment"] == ["learning_rate", "negatives"]

    best = km.tuning.summarize(tuner, tmp_path / "out", verbose=False)
    with open(tmp_path / "out" / "trials.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 and all(row["status"] == "COMPLETED" for row in rows)
    assert all(0 <= float(row["objective"]) <= 1 for row in rows)
    with open(tmp_path / "out" / "best_hparams.json") as f:
        assert json.load(f)["hyperparameters"] == best["hyperparameters"]
    assert (tmp_path / "out" / "objective.png").stat().st_size > 0
    model = keras.saving.load_model(tmp_path / "out" / "best_model.keras")
    x = {
        "frame_a": np.zeros((2, 16, 16, 3), "uint8"),
        "frame_b": np.zeros((2, 16, 16, 3), "uint8"),
        "flow": np.zeros((2, 16, 16, 6), "float32"),
    }
    assert tuple(model(x).shape) == (2, 2)


def test_triplet_images_show_positives_and_their_negatives_as_pngs(tmp_path, data):
    task = PoseFromAction(**TINY)
    held = task.triplet_batches(data[0].heldout, training=False)
    callback = TripletImages.from_batches(held, tmp_path, count=2, every=2, cell=32, use_tensorboard=False)
    assert callback.labels.tolist() == [1, 0, 1, 0]
    # a negative shows its positive's frames with another stack
    np.testing.assert_array_equal(callback.inputs["frame_a"][0], callback.inputs["frame_a"][1])
    assert not np.array_equal(callback.inputs["flow"][0], callback.inputs["flow"][1])
    callback.set_model(task.build_verifier())
    callback.on_epoch_end(0)  # every 2 epochs: nothing yet
    callback.on_epoch_end(1)
    assert sorted(p.name for p in (tmp_path / "images").iterdir()) == ["triplets_0001.png"]
    image = callback.make_image()
    assert image.dtype == np.uint8 and image.shape == (18 + 4 * 34, 3 * 34 + 128, 3)
