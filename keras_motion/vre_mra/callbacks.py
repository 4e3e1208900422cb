"""VRE + MRA's training callbacks: the retrieval picture (TensorBoard image, or PNGs), and the adapter that shows the
one-epoch fits of Algorithm 1's steps to epoch-level callbacks as one training."""

import keras
import numpy as np

from keras_motion.callbacks import ImageLogger
from keras_motion.vre_mra.retrieval import match_grid, nearest_clips


class RetrievalImages(ImageLogger):
    """Logs the retrieval picture every `every` epochs: for one held-out image of each of up to `shown` classes, the
    first frames of the unlabeled clip nearest to it by the motion representation f̃ (`match_grid`). A TensorBoard
    image `name` in `log_dir/images`, or PNGs `log_dir/images/retrieval_0004.png` (see `ImageLogger`).

    In `VREMRA.train` each step of Algorithm 1 is one epoch (`StepsAsEpochs`), so the picture shows how f̃ changes
    step by step: steps 2 and 4 train it, the others leave it as it is.

    Args:
        images, labels: held-out uint8 (N, S, S, 3) images at the net's input size, and their classes.
        clips: the unlabeled uint8 (M, k, S, S, 3) key-frame clips searched.
        log_dir: the run's folder.
        every: epochs between pictures.
        shown: classes drawn (one image each: the first of its class).
        net: the `VisualMotionNet` (default: the fitted model's `net`, as a `VisualMotionTrainer` holds it, or the
            fitted model itself).
        name, use_tensorboard: of `ImageLogger`.

    Example:

    >>> logger = RetrievalImages(held_images, held_labels, clips, "logs/seed0")  # doctest: +SKIP
    >>> steps(1, batches, callbacks=[logger])  # doctest: +SKIP

    Reference: [000] §4.4 (qualitative results: the clip nearest to an image by f̃).
    """

    file_prefix = "retrieval"

    def __init__(
        self, images, labels, clips, log_dir, every=1, shown=8, net=None, name="vre_mra/retrieval", use_tensorboard=None
    ):
        super().__init__(log_dir, every, name, use_tensorboard)
        # The images drawn are picked once: f̃ of the few shown images and of the clips is all a picture costs.
        picked = np.unique(np.asarray(labels), return_index=True)[1][: int(shown)]
        self.images, self.labels = np.asarray(images)[picked], np.asarray(labels)[picked]
        self.clips, self.net = clips, net

    def make_image(self):
        net = self.net or getattr(self.model, "net", self.model)
        return match_grid(self.images, self.labels, self.clips, nearest_clips(net, self.images, self.clips))


class StepsAsEpochs(keras.callbacks.Callback):
    """Shows the separate fits of Algorithm 1's steps (each one Keras epoch, of a `VisualMotionTrainer`) to
    epoch-level `callbacks` (loggers, pictures) as the epochs of one training: their `on_train_begin` at the first
    fit, epoch n at the (n + 1)-th fit, and their `on_train_end` once, at `end()`. Without it, a `TensorBoardLogger`
    would log every step at epoch 0 and open (and close) an HParams session per step. Batch hooks are not passed on.

    Args:
        callbacks: the Keras callbacks to pass the steps' epochs to.

    Example:

    >>> sequence = StepsAsEpochs([TensorBoardLogger("logs/trial")])  # doctest: +SKIP
    >>> for step in (1, 2, 3, 4, 5):  # doctest: +SKIP
    ...     steps(step, batches[step], callbacks=[sequence])  # epochs 0 to 4
    >>> sequence.end()  # doctest: +SKIP
    """

    def __init__(self, callbacks):
        super().__init__()
        self.callbacks = list(callbacks)
        self.epoch, self._begun, self._ended = 0, False, False

    def set_model(self, model):
        super().set_model(model)
        for callback in self.callbacks:
            callback.set_model(model)

    def set_params(self, params):
        super().set_params(params)
        for callback in self.callbacks:
            callback.set_params(params)

    def on_train_begin(self, logs=None):
        if not self._begun:
            self._begun = True
            for callback in self.callbacks:
                callback.on_train_begin(logs)

    def on_epoch_begin(self, epoch, logs=None):
        for callback in self.callbacks:
            callback.on_epoch_begin(self.epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        for callback in self.callbacks:
            callback.on_epoch_end(self.epoch, logs)

    def on_train_end(self, logs=None):
        self.epoch += 1  # the next fit is the next epoch

    def end(self, logs=None):
        """Ends the training for `callbacks` (once; nothing when no fit began)."""
        if self._begun and not self._ended:
            self._ended = True
            for callback in self.callbacks:
                callback.on_train_end(logs)
