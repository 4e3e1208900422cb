"""Training callbacks: TensorBoard scalars and HParams sessions on every backend, pictures of what a model predicts
(TensorBoard images, or PNGs where tensorboard is not installed), and the guard that stops a training whose loss has
become NaN / inf."""

import math
import os
import time
import warnings

import keras

from keras_motion.errors import NonFiniteLossError
from keras_motion.flow.grid import save_png
from keras_motion.utils.summaries import MISSING, SummaryWriter, tensorboard_available


class TensorBoardLogger(keras.callbacks.Callback):
    """Per-epoch TensorBoard scalars on every Keras backend (Keras' `TensorBoard` callback needs TensorFlow): the
    training logs as `epoch_<name>` in `log_dir/train` (with the optimizer's `epoch_learning_rate`), the validation
    logs (`val_<name>`) as `epoch_<name>` in `log_dir/validation`, Keras' own layout. With `hparams`, `log_dir` is
    also an HParams session (one trial of a search: its values, `trial_id`, and a status when the fit ends), whose
    metrics are those scalars. Steps are the 0-based epoch.

    Args:
        log_dir: the run's folder.
        hparams: {name: value} of this run's hyperparameters, or `None`.
        trial_id: the session's name in the HParams dashboard (default: a hash of `hparams`).

    Example:

    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> logger = TensorBoardLogger(log_dir, hparams={"learning_rate": 0.01}, trial_id="0")  # doctest: +SKIP
    >>> model.fit(x, y, validation_split=0.5, epochs=2, callbacks=[logger])  # doctest: +SKIP
    """

    def __init__(self, log_dir, hparams=None, trial_id=None):
        super().__init__()
        if not tensorboard_available():
            raise ImportError(f"TensorBoardLogger: {MISSING}")
        self.log_dir, self.hparams, self.trial_id = os.fspath(log_dir), hparams, trial_id
        self._writers = {}

    def _writer(self, name):
        if name not in self._writers:
            self._writers[name] = SummaryWriter(self.log_dir if name == "." else os.path.join(self.log_dir, name))
        return self._writers[name]

    def on_train_begin(self, logs=None):
        if self.hparams is not None and "." not in self._writers:
            self._writer(".").hparams(self.hparams, self.trial_id, start_time=time.time())

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        rate = _learning_rate(self.model)
        if rate is not None and "learning_rate" not in logs:
            logs["learning_rate"] = rate
        for key, value in logs.items():
            try:
                value = float(value)
            except (TypeError, ValueError):
                continue
            split, name = ("validation", key[4:]) if key.startswith("val_") else ("train", key)
            self._writer(split).scalar(f"epoch_{name}", value, epoch)

    def on_train_end(self, logs=None):
        if self.hparams is not None:
            self._writer(".").end_session("success")
        self.close()

    def close(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}


def _learning_rate(model):
    """The optimizer's current learning rate as a float, or None."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    try:
        return float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    except (TypeError, ValueError, AttributeError):
        return None


class ImageLogger(keras.callbacks.Callback):
    """Base of the callbacks that log one picture every `every` epochs: a TensorBoard image `name` in
    `log_dir/images` where tensorboard is installed (any backend; TensorFlow is not needed), else PNGs
    `log_dir/images/<file_prefix>_0007.png` (also with `use_tensorboard=False`). Steps and file numbers are the
    0-based epoch, as `TensorBoardLogger` numbers its scalars. Subclasses define `make_image()` (uint8 RGB)."""

    file_prefix = "epoch"

    def __init__(self, log_dir, every=1, name="image", use_tensorboard=None):
        super().__init__()
        if int(every) < 1:
            raise ValueError(f"every must be ≥ 1 epoch, got {every}")
        self.log_dir, self.every, self.name = os.fspath(log_dir), int(every), name
        available = tensorboard_available()
        if use_tensorboard and not available:
            warnings.warn(f"{type(self).__name__}: {MISSING}", stacklevel=2)
        self.use_tensorboard = available if use_tensorboard is None else bool(use_tensorboard) and available
        self._writer = None

    @property
    def image_dir(self):
        return os.path.join(self.log_dir, "images")

    def write(self, epoch, image=None):
        """Log `image` (default: a fresh `make_image()`) for `epoch`; returns the PNG path, or None for a summary."""
        image = self.make_image() if image is None else image
        if self.use_tensorboard:
            if self._writer is None:
                self._writer = SummaryWriter(self.image_dir)
            self._writer.image(self.name, image, int(epoch))
            return None
        path = os.path.join(self.image_dir, f"{self.file_prefix}_{int(epoch):04d}.png")
        save_png(path, image)
        return path

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            self.write(epoch)

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Raises `NonFiniteLossError` naming the phase, epoch and batch as soon as a training loss (every logged value
    whose name contains "loss", validation excluded) is NaN or inf. Keras' `TerminateOnNaN` only stops, so a recipe
    would go on to evaluate and save a broken model; every `Run.callbacks` includes this one.

    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> x = np.array([[1.0], [float("nan")]])
    >>> try:
    ...     model.fit(x, x, batch_size=1, shuffle=False, verbose=0, callbacks=[StopOnNonFiniteLoss("demo")])
    ... except NonFiniteLossError as e:
    ...     print(str(e)[:60])
    demo: the training loss became nan at epoch 1, batch 2 (step
    """

    def __init__(self, name=None):
        super().__init__()
        self.name, self._epoch, self._steps = name, 0, 0

    def on_train_begin(self, logs=None):
        self._steps = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self._steps += 1
        self._check(logs, f"epoch {self._epoch + 1}, batch {batch + 1} (step {self._steps} of this fit)")

    def on_epoch_end(self, epoch, logs=None):  # trainers that log only per epoch
        self._check(logs, f"the end of epoch {epoch + 1}")

    def _check(self, logs, where):
        for key, value in (logs or {}).items():
            if "loss" not in key or key.startswith("val_") or value is None:
                continue
            try:
                value = float(value)
            except (TypeError, ValueError):
                continue
            if not math.isfinite(value):
                self.model.stop_training = True
                prefix = f"{self.name}: " if self.name else ""
                raise NonFiniteLossError(
                    f"{prefix}the training {key if key != 'loss' else 'loss'} became {value} at {where}; stopped "
                    "rather than train on. Usual causes: NaN / inf in the inputs or targets, a learning rate too "
                    "high, or mixed precision (rerun without --mixed-precision)."
                )
