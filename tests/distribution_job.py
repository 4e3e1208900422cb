"""Method objects trained on one device and data-parallel on two, in one process (the device count must be set
before the backend starts). JAX: two host devices from XLA_FLAGS; TensorFlow: the CPU split into two logical
devices.

python tests/distribution_job.py OUT.json im2flow [resume]: Im2Flow's U-Net, both loss curves and validation EPEs;
with `resume` also the flow predicted after a data-parallel training killed after epoch 2 and rerun, and after an
uninterrupted one. python tests/distribution_job.py OUT.json mosi: MoSI's pretext curves, held-out pretext
evaluation and few-shot finetuning on one device and on two (and on TensorFlow the pseudo motions of one
device and of two replicas). python tests/distribution_job.py OUT.json vre: VRE + MRA's steps 1-3 on one device
and on two (JAX)."""

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
    task = km.im2flow.Im2Flow.from_preset(
        "quick", epochs=3, batch_size=4, content_loss=False, distribution=distribution
    )
    with km.distribution.scope(task.distribution):
        keras.utils.set_random_seed(task.seed)
        net = km.im2flow.Im2FlowUNet(image_size=task.image_size, base_filters=task.base_filters, dropout=dropout)
    history = task.train_unet(net, splits["flow"], splits["val"]).history
    task.unet = net
    return {
        "loss": history["loss"],
        "val_epe": history["val_epe"],
        "replicas": km.distribution.replicas(task.distribution),
        "flow": task.predict_flow(splits["test"]["images"][:3]).tolist(),
    }


class Killed(Exception):
    """The job dies here, after the backup of the epoch is written."""


def resumed(out, distribution, kill_after=None):
    """Predicted flow of a U-Net trained in the run `out` (killed after epoch `kill_after`, then rerun)."""
    splits, _ = km.im2flow.synthetic_splits(num_videos=12, num_frames=7, render_size=40, pairs_per_video=2)

    def fit(killer=()):
        task = km.im2flow.Im2Flow.from_preset(
            "quick",
            epochs=4,
            batch_size=4,
            content_loss=False,
            distribution=distribution,
            run=km.utils.Run(out, verbose=False),
        )
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


def mosi(out, distribution, dropout):
    """MoSI end to end on `distribution`: pretext curves (8 sources in batches of 4: no partial batch), the held-out
    pretext accuracy of 5 sources and a finetuning of 6 videos (below its batch of 8: one batch of 6 either way)
    evaluated on 9 clips (3 videos × 3), written to `out` (with the Grad-CAM pictures of the pretext)."""
    train, heldout = km.mosi.pretext_sources(
        photos=km.datasets.synthetic.default_backgrounds()[:4], heldout_photos=2, crops_per_photo=4
    )
    data = km.mosi.synthetic_splits(6, 6, 3, num_frames=6, size=16)
    task = km.mosi.MoSI.from_preset(
        "quick",
        unmasked_epochs=0,
        pretext_epochs=2,
        dropout=dropout,
        finetune_batch_size=8,
        finetune_epochs=1,
        eval_clips=3,
        distribution=distribution,
        run=km.utils.Run(out, verbose=False),
    )
    keras.utils.set_random_seed(task.seed)
    model = task.build_pretext()
    history = task.train_pretext(model, train[:8], heldout[:4], grad_cam_clips=task.grad_cam_clips(data.test.frames)[0])
    task.backbone = task.pretext_parts(model)[1]
    task.finetune(data.labeled.frames, data.labeled.labels, data.test.frames, data.test.labels, scratch=False)
    finetuned = keras.saving.load_model(os.path.join(out, f"finetune_mosi_seed{task.finetune_seeds[0]}.keras"))
    probabilities = km.evaluation.multi_clip_predict(finetuned, data.test.frames, task.num_frames, task.crop_size, 3)
    return {
        "loss": history.history["loss"],
        "val_loss": history.history["val_loss"],
        "replicas": km.distribution.replicas(task.distribution),
        "heldout": task.evaluate_pretext(heldout[:5])["heldout_sources"],
        "finetune": probabilities.tolist(),
    }


def vre(out, distribution):
    """VRE + MRA's steps 1-3 with every proxy loss (the "w/o MRA" row) on `distribution` (JAX): the held-out accuracy
    and the net's weights."""
    task = km.vre_mra.VREMRA.from_preset(
        "quick",
        key_frames=4,
        num_labels=3,
        iterations=(2, 2, 1, 2, 1),
        batch_images=4,
        batch_clips=4,
        distribution=distribution,
        run=km.utils.Run(out, verbose=False),
    )
    data = km.vre_mra.unlabeled_videos(task.frames_needed, size=32, num_videos=12)
    labels, _ = task.pseudo_labels(data.videos, data.classes)
    clips, kept = task.clips(data.videos, labels)
    parts, names = km.vre_mra.labeled_images(task.image_size, size=32, num_videos=12, pool_per_class=3, test_videos=6)
    result = task.train(parts["pool"], parts["test"], clips, labels[kept], len(names), rows=["w/o MRA"])
    return {
        "accuracy": result["w/o MRA"],
        "weights": [float(abs(w).sum()) for w in task.net.get_weights()],
        "replicas": km.distribution.replicas(task.distribution),
    }


def replica_draws():
    """The largest difference between the pseudo motions of 4 images made on one device and those made by two
    tf.distribute replicas of 2 images each, over two steps (TensorFlow)."""
    import numpy as np
    import tensorflow as tf

    images = np.random.default_rng(0).integers(0, 255, (4, 40, 48, 3)).astype("uint8")
    make = lambda: km.mosi.PseudoMotion(num_frames=4, crop_size=16, source_size=32, seed=5)  # noqa: E731
    one = make()
    strategy = km.distribution.data_parallel()
    with strategy.scope():
        two = make()
    alone = tf.function(lambda x: one(x)[0])
    split = tf.function(lambda x: strategy.run(lambda part: two(part)[0], args=(x,)))
    batches = strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensors(images).repeat(2))
    return max(
        float(np.abs(np.concatenate([p.numpy() for p in split(batch).values]) - alone(images).numpy()).max())
        for batch in batches
    )


if __name__ == "__main__":
    # TensorFlow's replicas draw their own dropout masks (JAX's DataParallel draws the global batch's): compare
    # TensorFlow without dropout.
    dropout = 0.5 if keras.backend.backend() == "jax" else 0.0
    folder = os.path.dirname(sys.argv[1])
    if sys.argv[2] == "vre":
        result = {
            "one": vre(os.path.join(folder, "one"), None),
            "two": vre(os.path.join(folder, "two"), "data_parallel"),
        }
    elif sys.argv[2] == "mosi":
        result = {
            "one": mosi(os.path.join(folder, "one"), None, dropout),
            "two": mosi(os.path.join(folder, "two"), "data_parallel", dropout),
        }
        if keras.backend.backend() == "tensorflow":
            result["replica_draws"] = replica_draws()
    else:
        result = {"one": curves(None, dropout), "two": curves("data_parallel", dropout)}
    if sys.argv[3:] == ["resume"]:  # a data-parallel training killed after epoch 2 and rerun, and an uninterrupted one
        result.update(
            uninterrupted=resumed(os.path.join(folder, "whole"), "data_parallel"),
            resumed=resumed(os.path.join(folder, "killed"), "data_parallel", kill_after=2),
        )
    with open(sys.argv[1], "w") as f:
        json.dump(result, f)
