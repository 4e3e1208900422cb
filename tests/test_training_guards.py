"""Issue 14, class 12: mixed_bfloat16 is refused where it diverges (TensorFlow on CPU), and every method's training
stops on a NaN / inf loss with an error naming the step (the guard every `Run.callbacks` includes)."""

import argparse

import keras
import numpy as np
import pytest

from keras_motion.callbacks import StopOnNonFiniteLoss
from keras_motion.errors import KerasMotionError, NonFiniteLossError, UnsupportedSetupError
from keras_motion.utils import Run, start_run
from keras_motion.utils.cli import mixed_precision_policy

pytestmark = pytest.mark.backend_agnostic


def _model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


@pytest.mark.parametrize("out", [None, "run"])
def test_nan_loss_stops_training_naming_the_step(tmp_path, out):
    x = np.ones((16, 3), np.float32)
    y = np.zeros((16, 1), np.float32)
    y[8] = np.nan  # the 3rd batch of 4 of the 2nd epoch... first reached in epoch 1, batch 3
    run = Run(None if out is None else tmp_path / out, verbose=False, tensorboard=False)
    callbacks = run.callbacks("pretext/train", backup=False)
    assert isinstance(callbacks[0], StopOnNonFiniteLoss)
    model = _model()
    with pytest.raises(
        NonFiniteLossError,
        match=r"pretext/train: the training loss became nan at epoch 1, batch 3 "
        r"\(step 3 of this fit\).*--mixed-precision",
    ) as info:
        model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0, callbacks=callbacks)
    assert isinstance(info.value, KerasMotionError) and model.stop_training


def test_finite_training_is_untouched():
    x = np.random.default_rng(0).normal(size=(16, 3)).astype(np.float32)
    history = _model().fit(x, x[:, :1], batch_size=4, epochs=2, verbose=0, callbacks=Run(None).callbacks("t"))
    assert len(history.history["loss"]) == 2


def test_inf_in_a_named_loss_is_caught_at_epoch_end():
    guard = StopOnNonFiniteLoss("vre")
    guard.set_model(_model())
    guard.on_epoch_begin(1)
    guard.on_train_batch_end(0, {"loss": 1.0, "val_loss": float("nan")})  # validation is not training
    with pytest.raises(NonFiniteLossError, match=r"vre: the training motion_loss became inf at the end of epoch 2"):
        guard.on_epoch_end(1, {"loss": 1.0, "motion_loss": float("inf")})


def test_mixed_bfloat16_is_refused_on_tensorflow_cpu(monkeypatch):
    backend = keras.backend.backend()
    args = argparse.Namespace(mixed_precision=True, seed=0, out=None)
    try:
        if backend == "torch":
            assert mixed_precision_policy() == "mixed_float16"
        elif backend == "jax":
            assert mixed_precision_policy() == "mixed_bfloat16"
        else:
            import tensorflow as tf

            if tf.config.list_physical_devices("GPU"):
                pytest.skip("a GPU: mixed_bfloat16 is allowed")
            monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
            with pytest.raises(
                UnsupportedSetupError,
                match=r"refused on TensorFlow without a GPU.*2 frames.*"
                r"Drop --mixed-precision.*TF_ENABLE_ONEDNN_OPTS=0",
            ):
                start_run(args, verbose=False)
            assert keras.mixed_precision.global_policy().name == "float32"  # nothing was changed
            monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")  # oneDNN off: the gradient is right
            assert mixed_precision_policy() == "mixed_bfloat16"
        start_run(argparse.Namespace(mixed_precision=False, seed=0, out=None), verbose=False)
        assert keras.mixed_precision.global_policy().name == "float32"
    finally:
        keras.mixed_precision.set_global_policy("float32")
