"""The Im2Flow method as one object: its content-loss network φ, the U-Net, flow prediction in pixels, the flow
benchmark against the zero / mean / nearest-neighbour baselines, and the two-stream recognition table."""

import os

import keras
import numpy as np

from keras_motion import distribution as distribution_lib
from keras_motion.errors import NotFittedError
from keras_motion.evaluation.recognition import class_probabilities, fit_stream, recognition_table
from keras_motion.flow import check_flow, decode_im2flow, encode_im2flow, flow_metrics
from keras_motion.flow.grid import flow_grid
from keras_motion.im2flow.baselines import MeanFlow, NearestNeighborFlow, motion_potential, zero_flow
from keras_motion.im2flow.callbacks import FlowImages
from keras_motion.im2flow.loss import EndPointError, Im2FlowLoss
from keras_motion.im2flow.pairs import Im2FlowPairs
from keras_motion.im2flow.presets import PRESETS
from keras_motion.im2flow.unet import Im2FlowUNet
from keras_motion.models import ResNet2D, StreamCNN
from keras_motion.schedules import ConstantThenLinear
from keras_motion.task import Task, distributed
from keras_motion.transforms import center_crop, check_images
from keras_motion.utils import Run, atomic_save_npz
from keras_motion.video.lazy import LazyArray, store_rows

# The recognition streams (name, seed offset, input) and the late fusions of Table 2 (name, stream a, stream b).
STREAMS = (
    ("appearance", 0, "appearance"),
    ("appearance_2", 1, "appearance"),
    ("motion_hallucinated", 0, "motion_hallucinated"),
    ("motion_true", 0, "motion_true"),
)
FUSIONS = (
    ("appearance+appearance", "appearance", "appearance_2"),
    ("appearance+motion_hallucinated", "appearance", "motion_hallucinated"),
    ("appearance+motion_true", "appearance", "motion_true"),
)


def _pairs(data, name):
    """(images uint8, flows float32) of a split dict or a tuple, under the input contracts of images and flows."""
    images, flows = (data["images"], data["flows"]) if isinstance(data, dict) else data
    if flows is None:
        raise ValueError(f"{name}: no flows (static images cannot train or score flow prediction)")
    images, flows = check_images(images, f"{name} images"), check_flow(flows, f"{name} flows")
    if len(images) != len(flows) or images.shape[1:3] != flows.shape[1:3]:
        raise ValueError(
            f"{name}: images {images.shape} and flows {flows.shape} do not pair up (one (H, W, 2) "
            "flow per image, of the image's size)"
        )
    return images, flows


def _crop(array, size):
    """The central `size` window of an array, or of a lazy one as it is read."""
    if isinstance(array, LazyArray):
        return array.map(lambda a: center_crop(a, size), (size, size, array.shape[-1]), array.dtype)
    return center_crop(array, size)


def _nanmean(values):
    """`flow_metrics`' reduction of per-image values: NaN (an empty region) left out."""
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


class Im2Flow(Task):
    """Im2Flow: a U-Net hallucinates the optical flow of a single image, trained on a pixel loss plus a motion-content
    loss measured by a flow-image action classifier φ; a motion stream on hallucinated flow helps recognise actions
    in still images.

    The task takes uint8 RGB images (N, H, W, 3) with H, W ≥ `image_size`, and flows (N, H, W, 2) in pixels (u right,
    v down): it crops (random crops and mirror flips in training, central windows in evaluation) and encodes the
    flows itself; the images stay uint8 (0–255), scaled to [-1, 1] inside the networks that take them. Data come as
    split dicts (`images`, `flows`, `labels`, `masks`), e.g. from `synthetic_splits`. Their `images` and `flows` may
    be lazy arrays (`keras_motion.video.lazy.LazyArray`, e.g. `labeled_video_splits(..., flow_cache=...)`: frames and
    flows on disk): every phase then reads them per batch, and `hallucinate` keeps its output on disk.

    Args:
        image_size: the U-Net's input side, a power of 2 (images are cropped to it).
        base_filters: the U-Net's width (`Im2FlowUNet`; the paper: 64).
        dilated: the paper's dilated-convolution encoder (default: pix2pix's strided one, as the official code).
        epochs: the U-Net's epochs.
        batch_size: the batch of every network.
        learning_rate: the U-Net's Adam rate (the paper: 2e-4 over ~700k frames).
        beta_1: the U-Net's Adam β1.
        constant_epochs: epochs at the full rate before it decays linearly to 0 (pix2pix's schedule; None: half).
        content_loss: train φ and add its motion-content loss.
        content_weight: λ of the motion-content loss.
        magnitude_weighting: scale the sin/cos gradients by the true magnitude (`Im2FlowLoss`; the paper).
        max_magnitude: px at which the encoding saturates (None: 30 px at 256 px, scaled to `image_size`).
        phi_epochs: epochs of φ (a ResNet-10 on encoded true flow).
        stream_epochs: epochs of each recognition stream.
        stream_model: the recognition streams: "cnn" (`StreamCNN`: few labels, a CPU) or "resnet" (ResNet-10; the
            paper: AlexNet-BN).
        stream_filters: width of φ and the recognition streams.
        stream_learning_rate: Adam rate of the recognition streams.
        seed: initialisation and batch order of every network (each phase reseeds Keras' global generators with
            it, so a phase's figures do not depend on what ran before it).
        run: a `km.utils.Run` (logs, checkpoints, model files, progress); None writes nothing.
        distribution: train on several devices: "data_parallel" (all of them) or a Keras distribution / TensorFlow
            strategy (see `keras_motion.distribution`); the batches then drop their last partial one.

    Example:

    >>> import keras_motion as km
    >>> splits, classes = km.im2flow.synthetic_splits(num_videos=12, num_frames=7, render_size=40, pairs_per_video=1)
    >>> task = km.im2flow.Im2Flow.from_preset("quick", epochs=1, phi_epochs=1, stream_epochs=1)
    >>> phi_accuracy = task.fit_content_network(splits["flow"], splits["val"], num_classes=len(classes))
    >>> unet = task.fit(splits["flow"], splits["val"])
    >>> task.predict_flow(splits["test"]["images"][:2]).shape
    (2, 32, 32, 2)
    >>> sorted(task.evaluate_flow(splits["test"], train=splits["flow"])["zero"])[:3]
    ['ds', 'ds_edges', 'ds_fg']

    Reference:
        Gao, Xiong & Grauman, Im2Flow: Motion Hallucination from Static Images for Action Recognition (CVPR 2018):
        §3 (network, loss, training), §4.1 (flow prediction), §4.3 (two-stream recognition).
    """

    PRESETS = PRESETS

    def __init__(
        self,
        image_size=64,
        base_filters=16,
        dilated=False,
        epochs=60,
        batch_size=32,
        learning_rate=1e-3,
        beta_1=0.5,
        constant_epochs=None,
        content_loss=True,
        content_weight=0.02,
        magnitude_weighting=False,
        max_magnitude=None,
        phi_epochs=15,
        stream_epochs=30,
        stream_model="cnn",
        stream_filters=16,
        stream_learning_rate=3e-3,
        seed=0,
        run=None,
        distribution=None,
    ):
        if stream_model not in ("cnn", "resnet"):
            raise ValueError(f"stream_model must be 'cnn' or 'resnet', got {stream_model!r}")
        self.image_size, self.base_filters, self.dilated = int(image_size), int(base_filters), bool(dilated)
        self.epochs, self.batch_size = int(epochs), int(batch_size)
        self.learning_rate, self.beta_1, self.constant_epochs = learning_rate, beta_1, constant_epochs
        self.content_loss, self.content_weight = bool(content_loss), content_weight
        self.magnitude_weighting = bool(magnitude_weighting)
        self.max_magnitude = 30.0 * self.image_size / 256 if max_magnitude is None else float(max_magnitude)
        self.phi_epochs, self.stream_epochs = int(phi_epochs), int(stream_epochs)
        self.stream_model, self.stream_filters = stream_model, int(stream_filters)
        self.stream_learning_rate, self.seed = stream_learning_rate, int(seed)
        self.run = run if run is not None else Run(None, verbose=False)
        self.distribution = distribution_lib.get(distribution)
        if self.distribution is not None:
            distribution_lib.check_batch(self.batch_size, self.distribution)
        self.content_network = None  # φ, the flow-image classifier
        self.unet = None

    # ------------------------------------------------------------------------------------------------- inputs
    def _images(self, images):
        """uint8 (N, H, W, 3) → its central `image_size` window, uint8 (the networks scale it inside)."""
        images = check_images(images, "images")
        if min(images.shape[1:3]) < self.image_size:
            raise ValueError(f"images of {images.shape[1:3]} are smaller than image_size {self.image_size}")
        return _crop(images, self.image_size)

    def _encoded_flows(self, flows):
        s = self.image_size
        if isinstance(flows, LazyArray):  # lazy splits (frames and flows on disk): encoded per batch as read
            return flows.map(lambda f: encode_im2flow(center_crop(f, s), self.max_magnitude), (s, s, 3), np.float32)
        return encode_im2flow(center_crop(flows, s), self.max_magnitude)

    # ------------------------------------------------------------------------------------------------- training
    @distributed
    def fit_content_network(self, train, validation, num_classes):
        """Trains φ, a ResNet-10 classifying actions from encoded true flow (best epoch on validation); its
        stage-2 activations define the U-Net's content loss. Without `content_loss` it trains nothing.

        Args:
            train, validation: split dicts with `flows` (N, H, W, 2) px and `labels` (N,).
            num_classes: the number of action classes.

        Returns:
            φ's validation accuracy (None without `content_loss`).

        Reference:
            Im2Flow (CVPR 2018), §3.2 (the motion-content loss).
        """
        if not self.content_loss:
            return None
        x = {
            name: (self._encoded_flows(split["flows"]), split["labels"])
            for name, split in (("train", train), ("val", validation))
        }
        keras.utils.set_random_seed(self.seed)  # φ's initialisation depends on the seed only, not on what ran before
        # The ImageNet stem (stride 4) keeps φ cheap: it runs on twice every U-Net batch.
        self.content_network = ResNet2D(
            depth=10,
            num_classes=num_classes,
            base_filters=self.stream_filters,
            stem="imagenet",
            rescale=False,
            name="content_network",
        )
        # φ keeps its best epoch (early stopping), which a per-epoch backup does not capture: a killed φ trains
        # again from its seeded start; a finished one is recorded in the run and reused.
        settings = {**self.get_config(), "train": len(train["labels"]), "val": len(validation["labels"])}
        self.content_network(np.asarray(x["val"][0][:1]))  # built, so that finished weights can be loaded
        done = self.run.restore_phase("content_network", settings, {"model": self.content_network})
        if done is not None:
            return done["accuracy"]
        self.run.log(f"training the content-loss network φ on {len(train['labels'])} true flow images")
        fit_stream(
            self.content_network,
            x["train"],
            x["val"],
            epochs=self.phi_epochs,
            batch_size=self.batch_size,
            callbacks=self.run.callbacks("content_network", backup=False),
            verbose=self._verbose,
        )
        scores = class_probabilities(self.content_network, x["val"][0], batch_size=self.batch_size)
        accuracy = float((scores.argmax(-1) == np.asarray(x["val"][1])).mean())
        self.run.log(f"φ validation accuracy from true flow: {accuracy:.3f}")
        self.run.finish_phase("content_network", settings, {"accuracy": accuracy}, {"model": self.content_network})
        return accuracy

    @distributed
    def fit(self, train, validation):
        """Trains the U-Net on (image, flow) pairs with pixel + λ·content loss, random crops and flips.

        Args:
            train: a split dict with `images` uint8 and `flows` px (or an `(images, flows)` tuple).
            validation: the same, for the validation loss, the validation end-point error (`val_epe`) and the
                TensorBoard flow pictures.

        Returns:
            The trained `Im2FlowUNet` (also `self.unet`; saved as `im2flow_unet.keras` in the run).

        Reference:
            Im2Flow (CVPR 2018), §3.2 (loss, magnitude weighting) and §4 (training details).
        """
        train_images, val_images = _pairs(train, "train")[0], _pairs(validation, "validation")[0]
        keras.utils.set_random_seed(self.seed)
        net = self.build_unet()
        settings = {**self.get_config(), "train": len(train_images), "val": len(val_images)}
        if self.run.restore_phase("unet", settings, {"model": net}) is not None:
            self.unet = net
            return net
        self.train_unet(net, train, validation, settings=settings)
        self.run.save_model(net, "im2flow_unet.keras")
        self.run.finish_phase("unet", settings, {"epochs": self.epochs}, {"model": net})
        self.unet = net
        return net

    def build_unet(self):
        """A new, uncompiled `Im2FlowUNet` of these settings."""
        return Im2FlowUNet(image_size=self.image_size, base_filters=self.base_filters, dilated=self.dilated)

    @distributed
    def train_unet(
        self, net, train, validation, callbacks=None, log_dir=None, epochs=None, initial_epoch=0, settings=None
    ):
        """Compiles `net` (pixel + λ·content loss with φ = `self.content_network` where `content_loss` is on, Adam
        with pix2pix's constant-then-linear schedule, the end-point error `epe` as metric) and trains it on random
        crops and flips of `train` for `epochs` (default: `self.epochs`), validated on the central windows of
        `validation`, with the run's callbacks (`settings`: its backup's) plus `callbacks`. The flow pictures go to
        `log_dir` (default: the run's `logs/unet`).

        Returns:
            The Keras `History` (its `val_epe` is the validation end-point error in px, per epoch).
        """
        train_images, train_flows = _pairs(train, "train")
        val_images, val_flows = _pairs(validation, "validation")
        content = self.content_network.stage_features(2) if self.content_loss and self.content_network else None
        if self.content_loss and content is None:
            raise NotFittedError(
                "Im2Flow: content_loss is on but φ is not trained: call fit_content_network(train, "
                "validation, num_classes) first (or content_loss=False)"
            )
        loss = Im2FlowLoss(
            content_network=content, content_weight=self.content_weight, magnitude_weighting=self.magnitude_weighting
        )
        # Every training batch holds batch_size pairs (the last partial one of each reshuffled epoch dropped): one
        # batch shape, one compiled train step on JAX, where a partial batch compiles the step again.
        # Lazy pairs (on disk) are read in a few threads: decoding and PNG reads release the GIL (2 threads read
        # 1.2x faster than 1 on 2 busy cores); the batches stay in order and a pure function of (seed, epoch).
        workers = dict(workers=min(4, os.cpu_count() or 1)) if isinstance(train_images, LazyArray) else {}
        pairs = Im2FlowPairs(
            train_images,
            train_flows,
            self.batch_size,
            crop_size=self.image_size,
            max_magnitude=self.max_magnitude,
            seed=self.seed,
            drop_remainder=self.distribution is not None or len(train_images) >= self.batch_size,
            **workers,
        )
        epochs = self.epochs if epochs is None else int(epochs)
        constant = epochs // 2 if self.constant_epochs is None else self.constant_epochs
        schedule = ConstantThenLinear(self.learning_rate, epochs * len(pairs), constant * len(pairs))
        net.compile(
            optimizer=keras.optimizers.Adam(schedule, beta_1=self.beta_1),
            loss=loss,
            metrics=[EndPointError(self.max_magnitude)],
        )
        # Validation keeps every batch, its last one cut to a multiple of the devices (at most devices − 1 pairs out).
        shown = slice(0, distribution_lib.evenly(len(val_images), self.distribution))
        val_pairs = Im2FlowPairs(
            val_images[shown],
            val_flows[shown],
            self.batch_size,
            crop_size=self.image_size,
            training=False,
            max_magnitude=self.max_magnitude,
        )
        callbacks = self.run.callbacks("unet", data=pairs, settings=settings) + list(callbacks or ())
        log_dir = log_dir or self.run.log_dir("unet")
        if log_dir is not None:
            shown = slice(0, 6)
            callbacks.append(
                FlowImages(
                    center_crop(val_images[shown], self.image_size),
                    center_crop(val_flows[shown], self.image_size),
                    log_dir,
                    max_magnitude=self.max_magnitude,
                    batch_size=self.batch_size,
                )
            )
        self.run.log(
            f"training the Im2Flow U-Net ({net.count_params():,} parameters) on {len(train_images)} pairs, "
            f"content loss {'off' if content is None else f'λ={self.content_weight}'}"
        )
        # The pairs shuffle themselves per (seed, epoch): Keras' own shuffling of the batch order would draw on
        # Python's global random state, which a data-parallel strategy consumes differently from one device.
        return net.fit(
            pairs,
            validation_data=val_pairs,
            epochs=epochs,
            initial_epoch=initial_epoch,
            callbacks=callbacks,
            verbose=self._verbose,
            shuffle=False,
        )

    @property
    def _verbose(self):
        return 2 if self.run.verbose else 0

    # ------------------------------------------------------------------------------------------------- prediction
    def hallucinate(self, images):
        """The Im2Flow-encoded flow images (N, S, S, 3) in [-1, 1] the U-Net predicts for the central `image_size`
        windows of uint8 `images` (N, H, W, 3): the motion stream's input. For lazy `images`, a lazy array of them
        predicted a chunk at a time and stored in the run's `.scratch` folder (else the system's temporary one)."""
        unet = self.fitted("unet", "call fit(train, validation) before predicting flow")
        images, s = self._images(images), self.image_size
        if isinstance(images, LazyArray):  # predicted a chunk at a time and kept on disk (in the run's folder)
            chunks = (
                distribution_lib.predict(unet, chunk, batch_size=self.batch_size)
                for chunk in images.batches(16 * self.batch_size)
            )
            scratch = None if self.run.out is None else os.path.join(self.run.out, ".scratch")  # not /tmp: may be RAM
            return store_rows(chunks, (s, s, 3), np.float32, directory=scratch)
        return distribution_lib.predict(unet, images, batch_size=self.batch_size)

    def predict_flow(self, images):
        """Flow (N, S, S, 2) in pixels (u right, v down) hallucinated for the central `image_size` windows of uint8
        `images` (N, H, W, 3)."""
        encoded = self.hallucinate(images)
        if isinstance(encoded, LazyArray):
            return encoded.map(lambda e: decode_im2flow(e, self.max_magnitude), encoded.shape[1:3] + (2,), np.float32)
        return decode_im2flow(encoded, self.max_magnitude)

    def inference_model(self):
        """The trained U-Net as a self-contained model, `Im2FlowInference`: uint8 images of any size → flow in px
        (the decoding and its `max_magnitude` inside). The recipe saves it as `im2flow_inference.keras`."""
        from keras_motion.im2flow.inference import Im2FlowInference

        unet = self.fitted("unet", "call fit(train, validation) before asking for the inference model")
        return Im2FlowInference(unet, max_magnitude=self.max_magnitude)

    # ------------------------------------------------------------------------------------------------- evaluation
    def evaluate_flow(self, test, train):
        """The flow benchmark: EPE, DS and OS (over all pixels, Canny edges and the foreground, where `test` has
        `masks`) of Im2Flow and of the zero, mean-training-flow and nearest-neighbour (tiny images) baselines,
        plus the motion potential of the predicted and the true flow.

        Args:
            test: a split dict with `images`, `flows` and optionally `masks` (bool (N, H, W)).
            train: the flow-training pairs (split dict or `(images, flows)`): the baselines' pool.

        Returns:
            `{"im2flow" | "zero" | "mean" | "nearest_neighbor": {metric: value}, "true_flow_motion_potential": v}`.

        Reference:
            Im2Flow (CVPR 2018), §4.1 and its Table 1.
        """
        return self._evaluate_flow_in_chunks(test, train)

    def _evaluate_flow_in_chunks(self, test, train, chunk=256):
        """`evaluate_flow`, the test pairs read and scored `chunk` at a time and the baselines' pool read per batch
        (its tiny features held, its flows read per match), so that splits on disk (lazy arrays) are never read
        whole. Every metric is a mean over images (`flow_metrics`): the per-image values of the chunks give the
        table of one pass."""
        s = self.image_size
        test_images, test_flows = _pairs(test, "test")
        train_images, train_flows = (_crop(a, s) for a in _pairs(train, "train"))
        mean = MeanFlow().fit(train_flows.batches(chunk) if isinstance(train_flows, LazyArray) else train_flows)
        nearest = NearestNeighborFlow().fit(train_images, train_flows)
        masks = test.get("masks")
        values, potentials = {}, {"im2flow": [], "true": []}
        for start in range(0, len(test_images), chunk):
            rows = np.arange(start, min(start + chunk, len(test_images)))
            images, true = center_crop(test_images[rows], s), center_crop(test_flows[rows], s)  # read now
            region = None if masks is None else center_crop(np.asarray(masks[rows])[..., None], s)[..., 0]
            predicted = self.predict_flow(images)
            predictions = {
                "im2flow": predicted,
                "zero": zero_flow(images),
                "mean": mean.predict(images),
                "nearest_neighbor": nearest.predict(images),
            }
            for name, pred in predictions.items():
                for key, v in flow_metrics(pred, true, image=images, foreground=region, reduce=False).items():
                    values.setdefault(name, {}).setdefault(key, []).append(v)
            potentials["im2flow"].append(motion_potential(predicted, region))
            potentials["true"].append(motion_potential(true, region))
        table = {
            name: {key: _nanmean(np.concatenate(v)) for key, v in metrics.items()} for name, metrics in values.items()
        }
        table["im2flow"]["motion_potential"] = float(np.nanmean(np.concatenate(potentials["im2flow"])))
        table["true_flow_motion_potential"] = float(np.nanmean(np.concatenate(potentials["true"])))
        return table

    def example_grid(self, test, count=8):
        """uint8 RGB rows [image | true flow | predicted flow] for the first pair of up to `count` test videos."""
        shown = (
            np.unique(test["videos"], return_index=True)[1][:count]
            if "videos" in test
            else np.arange(min(count, len(test["images"])))
        )
        s = self.image_size
        return flow_grid(
            center_crop(test["images"][shown], s),
            center_crop(test["flows"][shown], s),
            self.predict_flow(test["images"][shown]),
        )

    def _stream(self, name, num_classes, images):
        """A stream's classifier; `images`: it takes uint8 images (scaled inside), else flow images in [-1, 1]."""
        if self.stream_model == "resnet":
            return ResNet2D(
                depth=10,
                num_classes=num_classes,
                base_filters=self.stream_filters,
                stem="small",
                dropout=0.3,
                rescale=images,
                name=f"{name}_stream",
            )
        return StreamCNN(num_classes, width=self.stream_filters, rescale=images, name=f"{name}_stream")

    @distributed
    def train_recognition(self, train, validation, test, num_classes):
        """Trains and measures two-stream static-image action recognition (Table 2): streams of one architecture
        differing only in their input — the image (appearance, twice with different seeds), the hallucinated flow
        image and, where the splits have `flows`, the true one — and their late fusions with the weight chosen on
        `validation`.

        Args:
            train, validation, test: split dicts with uint8 `images`, `labels` and optionally `flows`.
            num_classes: the number of action classes.

        Returns:
            `{stream or fusion: {"accuracy": held-out accuracy[, "weight": fusion weight]}, "chance": {...}}`.

        Reference:
            Im2Flow (CVPR 2018), §4.3 and its Table 2.
        """
        splits = {"train": train, "val": validation, "test": test}
        inputs = {
            "appearance": lambda split: self._images(splits[split]["images"]),
            "motion_hallucinated": lambda split: self.hallucinate(splits[split]["images"]),
        }
        if test.get("flows") is not None:
            inputs["motion_true"] = lambda split: self._encoded_flows(splits[split]["flows"])
        labels = {split: splits[split]["labels"] for split in splits}
        scores = {}
        for stream, seed_offset, source in STREAMS:
            if source not in inputs:
                continue
            keras.utils.set_random_seed(self.seed + 100 + seed_offset)
            # A stream keeps its best epoch, so a killed one trains again from its seeded start; a finished one's
            # scores are recorded in the run and reused.
            settings = {
                **self.get_config(),
                "stream": stream,
                "train": len(labels["train"]),
                "val": len(labels["val"]),
                "test": len(labels["test"]),
            }
            done = self.run.phase(f"{stream}_stream", settings)
            if done is not None:
                with np.load(os.path.join(self.run.out, done["result"]["scores"])) as f:
                    scores[stream] = (f["val"], f["test"])
                self.run.log(f"the {stream} stream finished in an earlier run: its scores reused")
                continue
            x = {split: inputs[source](split) for split in splits}
            model = self._stream(stream, num_classes, images=source == "appearance")
            self.run.log(f"training the {stream} stream on {len(x['train'])} labeled images")
            fit_stream(
                model,
                (x["train"], labels["train"]),
                (x["val"], labels["val"]),
                epochs=self.stream_epochs,
                batch_size=self.batch_size,
                learning_rate=self.stream_learning_rate,
                callbacks=self.run.callbacks(f"{stream}_stream", backup=False),
                verbose=self._verbose,
            )
            scores[stream] = tuple(
                class_probabilities(model, x[split], batch_size=self.batch_size) for split in ("val", "test")
            )
            path = self.run.path("phases", f"{stream}_stream_scores.npz")
            if path is not None:
                atomic_save_npz(path, val=scores[stream][0], test=scores[stream][1])
                self.run.finish_phase(f"{stream}_stream", settings, {"scores": os.path.relpath(path, self.run.out)})
        fusions = [f for f in FUSIONS if f[1] in scores and f[2] in scores]
        table = recognition_table(scores, labels["val"], labels["test"], fusions)
        table["chance"] = {"accuracy": 1.0 / num_classes}
        return table
