"""Im2Flow's U-Net trained on one device and data-parallel on two, in one process (the device count must be set
before the backend starts): python tests/distribution_job.py OUT.json. JAX: two host devices from XLA_FLAGS;
TensorFlow: the CPU split into two logical devices. Writes both loss curves and validation EPEs; with `resume`
(python tests/distribution_job.py OUT.json resume) also the flow predicted after a data-parallel training killed
after epoch 2 and rerun, and after an uninterrupted one."""

import json
import os
import sys

if os.environ.get("KERAS_BACKEND") == "tensorflow":
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402

import keras_motion as km  # noqa: E402


def curves(distribution, dropout):
    splits, _ = km.im2flow.synthetic_splits(num_videos=12, num_frames=7, render_size=40, pairs_per_video=2)
    # 12 training pairs in batches of 4: no partial batch, so one device and two see the same global batches.
    task = km.im2flow.Im2Flow.from_preset("quick", epochs=3, batch_size=4, content_loss=False,
                                          distribution=distribution)
    with km.distribution.scope(task.distribution):
        keras.utils.set_random_seed(task.seed)
        net = km.im2flow.Im2FlowUNet(image_size=task.image_size, base_filters=task.base_filters, dropout=dropout)
    history = task.train_unet(net, splits["flow"], splits["val"]).history
    task.unet = net
    return {"loss": history["loss"], "val_epe": history["val_epe"], "replicas": km.distribution.replicas(
        task.distribution), "flow": task.predict_flow(splits["test"]["images"][:3]).tolist()}


class Killed(Exception):
    """The job dies here, after the backup of the epoch is written."""


def resumed(out, distribution, kill_after=None):
    """Predicted flow of a U-Net trained in the run `out` (killed after epoch `kill_after`, then rerun)."""
    splits, _ = km.im2flow.synthetic_splits(num_videos=12, num_frames=7, render_size=40, pairs_per_video=2)

    def fit(killer=()):
        task = km.im2flow.Im2Flow.from_preset("quick", epochs=4, batch_size=4, content_loss=False,
                                              distribution=distribution, run=km.utils.Run(out, verbose=False))
        callbacks = task.run.callbacks
        task.run.callbacks = lambda *args, **kwargs: callbacks(*args, **kwargs) + list(killer)
        task.fit(splits["flow"], splits["val"])
        return task.predict_flow(splits["test"]["images"][:3]).tolist()

    if kill_after is not None:
        class Kill(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                if epoch + 1 == kill_after:
                    raise Killed(epoch)
        try:
            fit([Kill()])
        except Killed:
            pass
    return fit()


if __name__ == "__main__":
    # TensorFlow's replicas draw their own dropout masks (JAX's DataParallel draws the global batch's): compare
    # TensorFlow without dropout.
    dropout = 0.5 if keras.backend.backend() == "jax" else 0.0
    result = {"one": curves(None, dropout), "two": curves("data_parallel", dropout)}
    if sys.argv[2:] == ["resume"]:  # a data-parallel training killed after epoch 2 and rerun, and an uninterrupted one
        folder = os.path.dirname(sys.argv[1])
        result.update(uninterrupted=resumed(os.path.join(folder, "whole"), "data_parallel"),
                      resumed=resumed(os.path.join(folder, "killed"), "data_parallel", kill_after=2))
    with open(sys.argv[1], "w") as f:
        json.dump(result, f)
