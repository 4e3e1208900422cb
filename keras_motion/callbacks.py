"""Training callbacks that show what a model predicts, as TensorBoard images (or PNGs where TensorFlow is absent)."""

import os

import keras

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
