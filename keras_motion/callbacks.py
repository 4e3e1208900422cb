"""Training callbacks that show what a model predicts, as TensorBoard images (or PNGs where TensorFlow is absent),
and the guard that stops a training whose loss has become NaN / inf."""

import math
import os

import keras

from keras_motion.errors import NonFiniteLossError
from keras_motion.flow.grid import save_png
from keras_motion.utils.runs import tensorflow_available


def _import_tf_for_summaries():
    """Imports TensorFlow for `tf.summary` only. Under another Keras backend, hide the GPUs from it first, so that it
    does not reserve GPU memory beside JAX or PyTorch (it is only writing event files)."""
    import tensorflow as tf

    if keras.backend.backend() != "tensorflow":
        try:
            tf.config.set_visible_devices([], "GPU")
        except RuntimeError:  # TensorFlow already initialised its devices in this process: nothing left to do
            pass
    return tf


class ImageLogger(keras.callbacks.Callback):
    """Base of the callbacks that log one picture every `every` epochs: a TensorBoard image summary `name` in
    `log_dir/images` where TensorFlow is installed (or `use_tensorflow=True`), else PNGs
    `log_dir/images/<file_prefix>_0007.png`. Steps and file numbers are the 0-based epoch, as Keras' TensorBoard
    callback numbers its scalars. Subclasses define `make_image()` (uint8 RGB)."""

    file_prefix = "epoch"

    def __init__(self, log_dir, every=1, name="image", use_tensorflow=None):
        super().__init__()
        if int(every) < 1:
            raise ValueError(f"every must be ≥ 1 epoch, got {every}")
        self.log_dir, self.every, self.name = os.fspath(log_dir), int(every), name
        self.use_tensorflow = tensorflow_available() if use_tensorflow is None else bool(use_tensorflow)
        self._writer = None

    @property
    def image_dir(self):
        return os.path.join(self.log_dir, "images")

    def write(self, epoch, image=None):
        """Log `image` (default: a fresh `make_image()`) for `epoch`; returns the PNG path, or None for a summary."""
        image = self.make_image() if image is None else image
        if self.use_tensorflow:
            tf = _import_tf_for_summaries()
            if self._writer is None:
                self._writer = tf.summary.create_file_writer(self.image_dir)
            with self._writer.as_default():
                tf.summary.image(self.name, image[None], step=int(epoch), max_outputs=1)
            self._writer.flush()  # readable while training runs, and nothing lost if the job is killed
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
                    "high, or mixed precision (rerun without --mixed-precision).")
