"""TensorBoard logs without TensorFlow: event files that TensorBoard's own loader reads back, on every backend."""

import keras
import numpy as np
import pytest

from keras_motion.callbacks import TensorBoardLogger
from keras_motion.utils import Run, SummaryWriter, read_events

pytest.importorskip("tensorboard")


def test_writer_round_trip(tmp_path):
    with SummaryWriter(tmp_path / "trial") as writer:
        writer.hparams(
            {"learning_rate": np.float32(0.5), "mask": "range", "speeds": np.int64(3), "jitter": True}, trial_id="07"
        )
        writer.scalar("epoch_loss", 0.5, step=0)
        writer.scalar("epoch_loss", 0.25, step=1)
        writer.image("clips", np.full((4, 6, 3), 200, np.uint8), step=1)
        writer.end_session("failure")
    with SummaryWriter(tmp_path) as writer:
        writer.hparams_config(
            {"learning_rate": (1e-4, 1e-2), "mask": ["range", "off"], "speeds": (1, 5)},
            [("epoch_accuracy", "validation")],
        )
    runs = read_events(tmp_path)
    trial = runs["trial"]
    assert trial["hparams"] == {"learning_rate": 0.5, "mask": "range", "speeds": 3.0, "jitter": True}
    assert trial["trial"] == "07" and trial["status"] == "failure"
    assert trial["scalars"] == {"epoch_loss": [(0, 0.5), (1, 0.25)]}
    assert trial["images"] == {"clips": [(1, (4, 6))]}
    assert runs["."]["experiment"] == ["learning_rate", "mask", "speeds"]


def test_writer_refuses_what_is_not_a_picture(tmp_path):
    with pytest.raises(ValueError, match="expected uint8"):
        SummaryWriter(tmp_path).image("x", np.zeros((4, 4, 3), np.float32), step=0)


@pytest.mark.backend_agnostic
def test_logger_writes_keras_layout_and_an_hparams_session(tmp_path):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.1), "mse", metrics=["mae"])
    x = np.random.default_rng(0).normal(size=(16, 2)).astype("float32")
    logger = TensorBoardLogger(tmp_path, hparams={"learning_rate": 0.1}, trial_id="3")
    history = model.fit(x, x[:, :1], validation_split=0.25, epochs=2, verbose=0, callbacks=[logger])
    runs = read_events(tmp_path)
    assert runs["."]["hparams"] == {"learning_rate": 0.1} and runs["."]["status"] == "success"
    train, validation = runs["train"]["scalars"], runs["validation"]["scalars"]
    np.testing.assert_allclose([v for _, v in train["epoch_loss"]], history.history["loss"], rtol=1e-6)
    np.testing.assert_allclose([v for _, v in validation["epoch_mae"]], history.history["val_mae"], rtol=1e-6)
    assert [step for step, _ in train["epoch_learning_rate"]] == [0, 1]


@pytest.mark.backend_agnostic
def test_run_logs_tensorboard_scalars_on_every_backend(tmp_path):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    run = Run(tmp_path, verbose=False)
    x = np.zeros((4, 2), "float32")
    model.fit(x, x[:, :1], epochs=1, verbose=0, callbacks=run.callbacks("toy", backup=False))
    assert "epoch_loss" in read_events(tmp_path / "logs" / "toy")["train"]["scalars"]
