"""VRE + MRA's hyperparameter search (per-trial TensorBoard runs and HParams sessions, the steps as epochs, the
retrieval picture, the objective on validation images, the labeler cache, the search summary) and its callbacks."""

import csv
import json

import keras
import keras_tuner as kt
import numpy as np
import pytest

import keras_motion as km
from keras_motion.utils.summaries import read_events
from keras_motion.vre_mra import (
    MotionLabeler,
    RetrievalImages,
    StepsAsEpochs,
    VisualMotionNet,
    VRESearch,
    labeled_images,
    match_grid,
    nearest_clips,
    unlabeled_videos,
)

# Tiny sizes over the "quick" preset: one iteration of each step, no BatchNorm nor per-frame motion loss (fewer ops
# to trace: compiling the four distinct steps is most of a trial).
TINY = dict(
    key_frames=4,
    image_size=16,
    width=0.05,
    feature_dim=8,
    motion_units=8,
    motion_hidden=8,
    classifier_hidden=8,
    batch_images=6,
    batch_clips=4,
    iterations=(1, 1, 1, 1, 1),
    shots=2,
    frame_motion=0.0,
    norm="none",
)
TUNED = ["codebook_size", "learning_rate", "num_labels", "proxy_weight"]


@pytest.fixture(scope="module")
def data():
    videos = unlabeled_videos(frames=10, size=32, num_videos=16).videos
    parts, names = labeled_images(
        16, size=32, holdout="validation", num_videos=16, pool_per_class=2, test_videos=0, validation_videos=8
    )
    assert "test" not in parts  # the objective never sees a test image
    return {"videos": videos, "pool": parts["pool"], "validation": parts["validation"], "num_classes": len(names)}


@pytest.mark.backend_agnostic
def test_search_logs_the_steps_a_session_per_trial_pictures_and_a_summary(tmp_path, data, monkeypatch, tf_eager):
    fits = []
    fit_flows = MotionLabeler.fit_flows
    monkeypatch.setattr(MotionLabeler, "fit_flows", lambda self, flows: fits.append(1) or fit_flows(self, flows))
    search = VRESearch(**data, preset="quick", log_dir=tmp_path / "logs", **TINY)
    same_labels = kt.HyperParameters()  # the three trials share (K, codebook size): one labeler for them all
    same_labels.Fixed("num_labels", 4)
    same_labels.Fixed("codebook_size", 4)
    tuner = km.tuning.make_tuner(search, "random", 3, directory=tmp_path / "search", hyperparameters=same_labels)
    search.declare_experiment(tuner)
    tuner.search(verbose=0)
    assert len(fits) == 1 and list(search.pseudo_label_cache) == [(4, 4)]

    runs = read_events(tmp_path / "logs")
    trials = sorted(run for run, events in runs.items() if events["hparams"] is not None)
    assert len(trials) == 3 and runs["."]["experiment"] == TUNED
    for trial in trials:
        assert sorted(runs[trial]["hparams"]) == TUNED and runs[trial]["status"] == "success"
        assert [step for step, _ in runs[f"{trial}/train"]["scalars"]["epoch_loss"]] == [0, 1, 2, 3, 4]  # steps 1–5
        assert [step for step, _ in runs[f"{trial}/validation"]["scalars"]["epoch_accuracy"]] == [4]
        assert [step for step, _ in runs[f"{trial}/images"]["images"]["vre_mra/retrieval"]] == [0, 1, 2, 3, 4]

    best = km.tuning.summarize(tuner, tmp_path / "out", verbose=False)
    with open(tmp_path / "out" / "trials.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 and all(row["status"] == "COMPLETED" for row in rows)
    for row in rows:  # the objective is the accuracy logged in the trial's validation run
        assert float(row["objective"]) == pytest.approx(
            runs[row["trial"] + "/validation"]["scalars"]["epoch_accuracy"][0][1]
        )
    with open(tmp_path / "out" / "best_hparams.json") as f:
        assert json.load(f)["hyperparameters"] == best["hyperparameters"]
    assert (tmp_path / "out" / "objective.png").stat().st_size > 0
    model = keras.saving.load_model(tmp_path / "out" / "best_model.keras")
    images, labels = data["validation"]
    accuracy = (keras.ops.convert_to_numpy(model(images)).argmax(-1) == labels).mean()
    assert accuracy == pytest.approx(best["objective"]["val_accuracy"])  # the checkpoint is the trained net


def test_an_epoch_is_a_ninth_of_the_steps_iterations(data):
    search = VRESearch(**data, preset="quick")  # the quick preset's iterations: (8, 8, 4, 8, 4)
    hp = kt.HyperParameters()
    assert search.max_epochs == 9 and search.make_task(hp).iterations == (8, 8, 4, 8, 4)
    assert search.make_task(hp, epochs=3).iterations == (3, 3, 1, 3, 1)  # Hyperband's smaller budgets
    assert search.make_task(hp, epochs=1).iterations == (1, 1, 1, 1, 1)  # at least one iteration a step
    doubled = VRESearch(**data, preset="quick", epochs=18)  # tools/tune.py --epochs 18: twice the iterations
    assert doubled.max_epochs == 18 and doubled.make_task(hp).iterations == (16, 16, 8, 16, 8)
    assert sorted(search.space(hp)) == TUNED and hp.values["num_labels"] in (4, 6, 8)


def _net():
    return VisualMotionNet(
        3,
        4,
        image_size=16,
        width=0.05,
        feature_dim=8,
        stem="small",
        motion_units=8,
        motion_hidden=8,
        classifier_hidden=8,
    )


def test_retrieval_images_draw_the_nearest_clip_of_one_image_per_class(tmp_path):
    import cv2

    rng = np.random.default_rng(0)
    clips = rng.integers(0, 256, (5, 4, 16, 16, 3), dtype=np.uint8)
    images, labels = clips[[3, 1, 4, 0], 0], np.array([2, 0, 2, 1])  # each image is the first frame of a clip
    net = _net()
    logger = RetrievalImages(images, labels, clips, tmp_path, every=2, shown=2, net=net, use_tensorboard=False)
    assert logger.labels.tolist() == [0, 1]  # the first image of each class, up to `shown` classes
    np.testing.assert_array_equal(nearest_clips(net, logger.images, clips), [1, 0])
    logger.on_epoch_end(0)
    logger.on_epoch_end(1)
    assert sorted(path.name for path in (tmp_path / "images").iterdir()) == ["retrieval_0001.png"]
    picture = cv2.imread(str(tmp_path / "images" / "retrieval_0001.png"))[..., ::-1]
    np.testing.assert_array_equal(picture, match_grid(images[[1, 3]], [0, 1], clips, [1, 0]))


def test_steps_as_epochs_shows_the_step_fits_as_one_training():
    class Record(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.events = []

        def on_train_begin(self, logs=None):
            self.events.append("begin")

        def on_epoch_end(self, epoch, logs=None):
            self.events.append(epoch)

        def on_train_end(self, logs=None):
            self.events.append("end")

    record = Record()
    sequence = StepsAsEpochs([record])
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    for _ in range(3):  # three steps, each one epoch of its own fit
        model.fit(np.zeros((2, 1)), np.zeros((2, 1)), epochs=1, verbose=0, callbacks=[sequence])
    sequence.end()
    sequence.end()
    assert record.events == ["begin", 0, 1, 2, "end"]
