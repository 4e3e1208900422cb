"""Im2Flow's TensorBoard pictures: true against predicted flow on a few validation images, every few epochs."""

import numpy as np

from keras_motion import distribution
from keras_motion.callbacks import ImageLogger
from keras_motion.flow.encoding import decode_im2flow
from keras_motion.flow.grid import flow_grid


class FlowImages(ImageLogger):
    """Every `every` epochs, logs rows of [image | true flow | predicted flow] for a few validation images.

    The model must output Im2Flow-encoded flow (sin θ, cos θ, magnitude in [-1, 1]); it is decoded with
    `max_magnitude` and coloured with one shared scale (`display_magnitude`, default the true flows' 99th
    percentile magnitude) by `flow_grid`. Where tensorboard is installed it writes the TensorBoard image `name`
    into `log_dir/images` (beside the train/ and validation/ scalar runs), on every backend; without it (or with
    `use_tensorboard=False`) it writes PNGs such as `log_dir/images/epoch_0007.png`. Steps and file numbers are the
    0-based epoch, as the scalars' are.

    Args:
        images: (N, H, W, 3) validation images as displayed (uint8: the model input of keras_motion's models,
            which scale them inside); `to_model_input(images)` (if given) makes the model input from them.
        true_flows: (N, H, W, 2) their true flow, px.
        batch_size: of the predictions (None: Keras' 32); the training's batch size reuses its compiled predict
            step (`keras_motion.distribution.predict` pads to whole batches).

    >>> cb = FlowImages(val_images[:4], val_flows[:4], "logs/run1", every=5)  # doctest: +SKIP
    >>> model.fit(ds, epochs=50, callbacks=[cb])  # doctest: +SKIP
    """

    def __init__(
        self,
        images,
        true_flows,
        log_dir,
        max_magnitude=30.0,
        every=1,
        to_model_input=None,
        display_magnitude=None,
        name="flow/image_true_pred",
        use_tensorboard=None,
        batch_size=None,
    ):
        super().__init__(log_dir, every, name, use_tensorboard)
        self.images = np.asarray(images)
        self.true_flows = np.asarray(true_flows, np.float32)
        if len(self.images) != len(self.true_flows):
            raise ValueError(f"{len(self.images)} images but {len(self.true_flows)} true flows")
        self.max_magnitude, self.to_model_input = float(max_magnitude), to_model_input
        self.display_magnitude, self.batch_size = display_magnitude, batch_size

    def predict_flows(self):
        """The model's decoded flow (N, H, W, 2) px for the callback's images."""
        x = self.images if self.to_model_input is None else self.to_model_input(self.images)
        encoded = np.asarray(distribution.predict(self.model, x, batch_size=self.batch_size), np.float32)
        return decode_im2flow(encoded, self.max_magnitude)

    def make_grid(self):
        """The uint8 RGB grid of the current model's predictions."""
        return flow_grid(self.images, self.true_flows, self.predict_flows(), self.display_magnitude)

    make_image = make_grid
