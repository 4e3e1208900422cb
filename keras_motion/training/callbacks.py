"""Training callbacks that show what a model predicts, as TensorBoard images (or PNGs where TensorFlow is absent)."""

import importlib.util
import os

import keras
import numpy as np

from keras_motion.flow.encoding import decode_im2flow
from keras_motion.flow.grid import flow_grid, save_png


def tensorflow_available():
    """Whether TensorFlow can be imported (it is not on the JAX GPU machine)."""
    return importlib.util.find_spec("tensorflow") is not None


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


class FlowImages(ImageLogger):
    """Every `every` epochs, logs rows of [image | true flow | predicted flow] for a few validation images.

    The model must output Im2Flow-encoded flow (sin θ, cos θ, magnitude in [-1, 1]); it is decoded with
    `max_magnitude` and coloured with one shared scale (`display_magnitude`, default the true flows' 99th
    percentile magnitude) by `flow_grid`. With TensorFlow installed it writes the TensorBoard image summary
    `name` into `log_dir/images` (beside `keras.callbacks.TensorBoard`'s train/ and validation/ runs); without it
    (or with `use_tensorflow=False`) it writes PNGs such as `log_dir/images/epoch_0007.png`. Steps and file numbers
    are the 0-based epoch, as Keras' TensorBoard callback numbers its scalars.

    Args:
        images: (N, H, W, 3) validation images as displayed; `to_model_input(images)` (if given) makes the model
            input from them, e.g. `lambda x: x / 127.5 - 1` for uint8 images.
        true_flows: (N, H, W, 2) their true flow, px.

    >>> cb = FlowImages(val_images[:4], val_flows[:4], "logs/run1", every=5,  # doctest: +SKIP
    ...                 to_model_input=lambda x: x / 127.5 - 1)
    >>> model.fit(ds, epochs=50, callbacks=[cb])  # doctest: +SKIP
    """

    def __init__(self, images, true_flows, log_dir, max_magnitude=30.0, every=1, to_model_input=None,
                 display_magnitude=None, name="flow/image_true_pred", use_tensorflow=None):
        super().__init__(log_dir, every, name, use_tensorflow)
        self.images = np.asarray(images)
        self.true_flows = np.asarray(true_flows, np.float32)
        if len(self.images) != len(self.true_flows):
            raise ValueError(f"{len(self.images)} images but {len(self.true_flows)} true flows")
        self.max_magnitude, self.to_model_input = float(max_magnitude), to_model_input
        self.display_magnitude = display_magnitude

    def predict_flows(self):
        """The model's decoded flow (N, H, W, 2) px for the callback's images."""
        x = self.images if self.to_model_input is None else self.to_model_input(self.images)
        encoded = np.asarray(self.model.predict(x, verbose=0), np.float32)
        return decode_im2flow(encoded, self.max_magnitude)

    def make_grid(self):
        """The uint8 RGB grid of the current model's predictions."""
        return flow_grid(self.images, self.true_flows, self.predict_flows(), self.display_magnitude)

    make_image = make_grid
