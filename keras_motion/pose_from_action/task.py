"""Pose from Action as one object: the triplet verifier's training and held-out report, and the downstream
few-shot finetuning of a static-image classifier from its Appearance ConvNet against random initialisation."""

import keras

from keras_motion import distribution as distribution_lib
from keras_motion.pose_from_action.callbacks import TripletImages
from keras_motion.pose_from_action.data import labeled_images
from keras_motion.pose_from_action.finetune import compare_initialisations
from keras_motion.pose_from_action.presets import PRESETS
from keras_motion.pose_from_action.triplets import TripletBatches
from keras_motion.pose_from_action.verification import verification_report
from keras_motion.pose_from_action.verifier import AppearanceClassifier, TripletVerifier
from keras_motion.task import Task, distributed
from keras_motion.transforms import center_crop, check_images
from keras_motion.utils.runs import Run

INITIALISATIONS = ("verifier_init", "random_init")


class PoseFromAction(Task):
    """Pose from Action (Purushwalkam & Gupta 2016): pretrain a triplet verifier — "does this flow stack explain
    the change between these two frames?" — on unlabeled videos, then initialise a static-image action classifier
    from its Appearance ConvNet and finetune it on few labeled images, against random initialisation.

    Inputs are uint8: videos as `TripletVideos` (triplets are cropped and paired with in-batch negatives from other
    videos by `TripletBatches`), images as (N, H, W, 3) arrays (centre-cropped to `crop_size`); frames and images
    stay uint8 (0–255), scaled to [-1, 1] inside the networks. Every run is seeded by `seed`: the verifier's
    initialisation and batches, and, for the downstream runs, seeds `seed`, `seed + 1`, … `seed + seeds − 1` (labeled
    draw and initialisation).

    Args:
        delta: Δ, the frames between the two frames of a triplet (its stack holds 2Δ flow channels).
        render_size: short side of the frames the crops are taken from (the data functions' `size`).
        crop_size: side of the crops of frames and stacks, the networks' input size.
        width: the VGG-M ConvNets' filter multiplier.
        feature_dim: FC6 size of each ConvNet.
        stem_stride: stride of conv1 and conv2.
        dropout: dropout after FC6 and FC7.
        hidden: FC7 of the verifier.
        negatives: in-batch negatives per positive (chance = K / (K + 1)).
        batch_positives: positives a batch (each with K negatives).
        per_video: triplets drawn from each video an epoch.
        epochs: verifier epochs.
        learning_rate: the verifier's Adam rate.
        flip: random horizontal flips of the training triplets.
        reverse: random time reversals of the training triplets.
        balance: positives and negatives weigh equally in the loss (without it, short runs stall at the
            all-negative answer, which already scores the chance level).
        num_labeled: labeled images of each downstream run.
        seeds: downstream runs (seeds `seed`, `seed + 1`, …), each with its own labeled images and initialisation.
        classifier_hidden: FC7 of the downstream classifier.
        finetune_epochs: downstream finetuning epochs (Adam, all layers).
        finetune_learning_rate: the downstream finetuning's Adam rate.
        finetune_batch_size: the downstream finetuning batch.
        seed: the first seed.
        run: a `km.utils.Run` (logs, checkpoints, the saved verifier); None writes nothing.
        distribution: train on several devices: "data_parallel" or a Keras distribution / TensorFlow strategy (see
            `keras_motion.distribution`); triplet batches then drop their last partial one (evaluation too).

    Example:

    >>> import keras_motion as km
    >>> videos, images = km.pose_from_action.synthetic_data(num_videos=12, num_frames=5, size=24, delta=3)
    >>> task = PoseFromAction.from_preset("quick", delta=3, epochs=1, finetune_epochs=1, seeds=1, num_labeled=3)
    >>> task.fit_verifier(videos.pretrain, videos.heldout).history["loss"][0] > 0
    True
    >>> round(task.evaluate_verifier(videos.heldout)["chance"], 3)
    0.667
    >>> sorted(task.finetune_downstream(images)["verifier_init"])
    ['mean', 'runs', 'std']

    Reference:
        Purushwalkam & Gupta 2016, §3 (the verifier, its triplets and negatives) and §4.3-4.4 (finetuning from the
        Appearance ConvNet against random initialisation).
    """

    PRESETS = PRESETS

    def __init__(
        self,
        delta=12,
        render_size=40,
        crop_size=32,
        width=0.25,
        feature_dim=256,
        hidden=256,
        stem_stride=1,
        dropout=0.0,
        negatives=2,
        batch_positives=16,
        per_video=4,
        epochs=18,
        learning_rate=3e-4,
        flip=True,
        reverse=True,
        balance=True,
        num_labeled=50,
        seeds=3,
        classifier_hidden=256,
        finetune_epochs=60,
        finetune_learning_rate=3e-4,
        finetune_batch_size=16,
        seed=0,
        run=None,
        distribution=None,
    ):
        if crop_size > render_size:
            raise ValueError(f"crop_size {crop_size} exceeds render_size {render_size}: crops come from the frames")
        self.delta, self.render_size, self.crop_size = int(delta), int(render_size), int(crop_size)
        self.convnet = dict(
            image_size=self.crop_size, width=width, feature_dim=feature_dim, stem_stride=stem_stride, dropout=dropout
        )
        self.hidden, self.negatives, self.batch_positives = hidden, negatives, batch_positives
        self.per_video, self.epochs, self.learning_rate = per_video, epochs, learning_rate
        self.flip, self.reverse, self.balance = flip, reverse, balance
        self.num_labeled, self.seeds, self.classifier_hidden = num_labeled, seeds, classifier_hidden
        self.finetune_epochs, self.finetune_learning_rate = finetune_epochs, finetune_learning_rate
        self.finetune_batch_size, self.seed = finetune_batch_size, seed
        self.run = run or Run(None, verbose=False)
        self.distribution = distribution_lib.get(distribution)
        if self.distribution is not None:
            distribution_lib.check_batch(self.batch_positives, self.distribution, "batch_positives")
            distribution_lib.check_batch(self.finetune_batch_size, self.distribution, "finetune_batch_size")
        self.verifier = None

    @property
    def chance(self):
        """Held-out verification accuracy of always answering "negative"."""
        return self.negatives / (1 + self.negatives)

    def triplet_batches(self, videos, training=True):
        """`TripletBatches` of `videos` with this task's settings: augmented and redrawn every epoch for training
        (seed `seed`), fixed and unaugmented for evaluation (seed `seed + 1`)."""
        common = dict(
            batch_positives=self.batch_positives,
            negatives=self.negatives,
            crop_size=self.crop_size,
            per_video=self.per_video,
            in_batch=True,
            drop_remainder=self.distribution is not None,
        )
        if not training:
            return TripletBatches(videos, training=False, seed=self.seed + 1, **common)
        return TripletBatches(
            videos, flip=self.flip, reverse=self.reverse, balance=self.balance, seed=self.seed, **common
        )

    def build_verifier(self, compile=True):
        """A fresh `TripletVerifier` (seeded by `seed`), compiled with the task's optimizer (`compile_verifier`)
        unless `compile=False`; also `self.verifier`."""
        keras.utils.set_random_seed(self.seed)
        self.verifier = TripletVerifier(delta=self.delta, hidden=self.hidden, **self.convnet)
        if compile:
            self.compile_verifier(self.verifier)
        return self.verifier

    def compile_verifier(self, verifier):
        """Compiles `verifier` for training: Adam at `learning_rate`, cross-entropy on its logits, accuracy."""
        verifier.compile(
            optimizer=keras.optimizers.Adam(self.learning_rate),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        return verifier

    @distributed
    def fit_verifier(self, pretrain, heldout=None, epochs=None):
        """Trains a fresh verifier on triplets of `pretrain` (`TripletVideos`), validated on `heldout` each epoch,
        with the run's callbacks (logs `verifier`, resumable), and saves it as `triplet_verifier.keras`.

        Returns the Keras `History`.
        """
        verifier = self.build_verifier()
        settings = {
            **self.get_config(),
            "epochs": epochs or self.epochs,
            "videos": len(pretrain),
            "heldout": None if heldout is None else len(heldout),
        }
        if self.run.phase("verifier", settings) is not None:  # finished in an earlier run: its weights back
            verifier(self.triplet_batches(pretrain)[0][0])
            history = self.run.restore_phase("verifier", settings, {"model": verifier})["history"]
            return _History(history)
        history = self.train_verifier(verifier, pretrain, heldout, epochs=epochs or self.epochs, settings=settings)
        self.run.save_model(verifier, "triplet_verifier.keras")
        self.run.finish_phase("verifier", settings, {"history": history.history}, {"model": verifier})
        return history

    @distributed
    def train_verifier(
        self,
        verifier,
        pretrain,
        heldout=None,
        callbacks=None,
        log_dir=None,
        epochs=None,
        initial_epoch=0,
        settings=None,
    ):
        """Trains `verifier` (a `TripletVerifier` of these settings; compiled here by `compile_verifier` unless it
        already is) on triplets of `pretrain` from `initial_epoch` to `epochs` (default: `self.epochs`), validated
        on `heldout`, with the run's callbacks (`settings`: its backup's) plus `callbacks`. With `heldout`, a few of
        its triplets and the verifier's verdicts are pictured every epoch (`TripletImages`) in `log_dir` (default:
        the run's `logs/verifier`). Sets `self.verifier`; used by `fit_verifier` and by `PoseSearch`'s trials.

        Returns:
            The Keras `History` (its `val_accuracy` is the held-out verification accuracy, per epoch).
        """
        train = self.triplet_batches(pretrain)
        held = None if heldout is None else self.triplet_batches(heldout, training=False)
        if not verifier.compiled:
            self.compile_verifier(verifier)
        self.verifier = verifier
        self.run.log(
            f"training the verifier ({verifier.count_params():,} parameters) on {len(pretrain)} videos: "
            f"{len(train)} batches of {self.batch_positives} positives × (1 + {self.negatives}) an epoch"
        )
        callbacks = self.run.callbacks("verifier", data=train, settings=settings) + list(callbacks or ())
        log_dir = log_dir or self.run.log_dir("verifier")
        if log_dir is not None and held is not None:
            callbacks.append(TripletImages.from_batches(held, log_dir))
        # Every batch is a seeded draw of its own; Keras' shuffling would draw on Python's global random state.
        return verifier.fit(
            train,
            validation_data=held,
            epochs=self.epochs if epochs is None else int(epochs),
            initial_epoch=initial_epoch,
            callbacks=callbacks,
            shuffle=False,
            verbose=2 if self.run.verbose else 0,
        )

    @distributed
    def evaluate_verifier(self, heldout):
        """The held-out verification report (`verification_report`) on triplets of `heldout` videos: accuracy
        (`heldout_accuracy`) against chance, per-label accuracies, ranking, and the two probes."""
        report = verification_report(self._trained(), self.triplet_batches(heldout, training=False))
        self.run.log(
            f"held-out verification accuracy {100 * report['accuracy']:.1f} % (chance {100 * report['chance']:.1f} %)"
        )
        return {"heldout_accuracy": report.pop("accuracy"), **report}

    def preprocess(self, images):
        """uint8 (N, H, W, 3) images → the classifier's input: central `crop_size` crops, uint8 (scaled inside)."""
        return center_crop(check_images(images, "images"), self.crop_size)

    def classifier(self, num_classes, init="verifier_init"):
        """An `AppearanceClassifier` with its Appearance ConvNet from the verifier (`"verifier_init"`) or at random
        (`"random_init"`)."""
        if init == "verifier_init":
            return self._trained().classifier(num_classes, hidden=self.classifier_hidden)
        if init != "random_init":
            raise ValueError(f"init must be one of {INITIALISATIONS}, got {init!r}")
        return AppearanceClassifier(num_classes, hidden=self.classifier_hidden, **self.convnet)

    @distributed
    def finetune_downstream(self, downstream):
        """Few-shot static-image action recognition: per seed, `num_labeled` images of the labeled pool finetune a
        classifier initialised from the verifier and one initialised at random; accuracy on the test images.

        Args:
            downstream: a `DownstreamSplits` (from `synthetic_data`, `labeled_video_data` or `image_data`).

        Returns:
            `{"verifier_init": {"mean", "std", "runs"}, "random_init": {...}, "chance", "labeled", "test_images"}`.
        """
        num_classes = len(downstream.class_names)
        table = self._finetune(
            downstream,
            {init: lambda init=init: self.classifier(num_classes, init) for init in INITIALISATIONS},
            range(self.seed, self.seed + self.seeds),
            "downstream_runs.json",
        )
        return {**table, "chance": 1.0 / num_classes}

    @distributed
    def validate_downstream(self, validation):
        """The downstream accuracy on validation images, a model-selection score that, unlike the held-out
        verification accuracy (chance K / (K + 1)), compares verifiers trained with different numbers of negatives:
        one run (seed `seed`) finetunes a classifier initialised from the verifier on `num_labeled` images of
        `validation.pool` and scores it on `validation.test_images`, which must be validation images, never the
        test images (e.g. `km.pose_from_action.validation_split(downstream)`).

        Returns:
            The accuracy (a float).
        """
        num_classes = len(validation.class_names)
        table = self._finetune(
            validation, {"validation": lambda: self.classifier(num_classes)}, (self.seed,), "downstream_validation.json"
        )
        return table["validation"]["mean"]

    def _finetune(self, downstream, builders, seeds, runs_file):
        """`compare_initialisations` of `builders` with the task's finetuning settings, per seed on `num_labeled`
        images of `downstream.pool`, scored on `downstream.test_images`."""

        def draw(seed):
            x, y = labeled_images(downstream.pool, downstream.pool_labels, self.num_labeled, seed)
            return self.preprocess(x), y

        return compare_initialisations(
            builders,
            draw,
            self.preprocess(downstream.test_images),
            downstream.test_labels,
            seeds,
            epochs=self.finetune_epochs,
            learning_rate=self.finetune_learning_rate,
            batch_size=self.finetune_batch_size,
            run=self.run,
            runs_file=runs_file,
        )

    def inference_model(self):
        """The verifier's Appearance ConvNet as a self-contained model, `PoseFromActionInference`: uint8 images of
        any size → FC6 appearance features (resized to `crop_size` inside). The recipe saves it as
        `pose_from_action_inference.keras`."""
        from keras_motion.pose_from_action.inference import PoseFromActionInference

        return PoseFromActionInference(self._trained().appearance)

    def _trained(self):
        return self.fitted("verifier", "call fit_verifier first (or set task.verifier to a trained one)")


class _History:
    """The `history` of a fit an earlier run finished (what `fit_verifier` returns when it reuses one)."""

    def __init__(self, history):
        self.history = history
