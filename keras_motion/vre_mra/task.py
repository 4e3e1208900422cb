"""VRE + MRA as one object: pseudo-motion labels, the five-step procedure, the Table 2 ablation, and retrieval."""

import os
import re
import time

import keras
import numpy as np

from keras_motion import distribution as distribution_lib
from keras_motion.distribution import DistributionError
from keras_motion.task import Task, distributed
from keras_motion.transforms import to_uint8
from keras_motion.utils.resume import seed_states, set_seed_states
from keras_motion.vre_mra.callbacks import RetrievalImages, StepsAsEpochs
from keras_motion.vre_mra.data import few_labeled, key_frame_clips, square_crop
from keras_motion.vre_mra.labeler import MotionLabeler, label_agreement
from keras_motion.vre_mra.model import VisualMotionNet
from keras_motion.vre_mra.presets import PRESETS
from keras_motion.vre_mra.retrieval import draw_matches, nearest_clips
from keras_motion.vre_mra.training import PROXY_LOSSES, VisualMotionBatches, VisualMotionSteps, predict_in_batches

# The rows of Table 2, each with the proxy losses of its step 2 ("only MR" and "full" add steps 4 and 5).
ROWS = ("UNREG", "UNREG+motion", "UNREG+smooth1", "UNREG+smooth2", "w/o MRA", "only MR", "full")
_STEP2 = {
    "UNREG": (),
    "UNREG+motion": ("motion",),
    "UNREG+smooth1": ("smooth1",),
    "UNREG+smooth2": ("smooth2",),
    "w/o MRA": PROXY_LOSSES,
}


def ablation_rows(rows):
    """The rows a run measures: `rows`, plus "w/o MRA" where "only MR" or "full" (which continue from it) is asked.

    >>> sorted(ablation_rows(["UNREG", "full"]))
    ['UNREG', 'full', 'w/o MRA']
    """
    unknown = set(rows) - set(ROWS)
    if unknown:
        raise ValueError(f"unknown row(s) {sorted(unknown)}; choose from {ROWS}")
    return set(rows) | ({"w/o MRA"} if {"only MR", "full"} & set(rows) else set())


class VREMRA(Task):
    """VRE + MRA (Zhang et al., AAAI 2020): static-image action recognition from a few labeled images, helped by the
    motion of unlabeled videos.

    Unlabeled videos get pseudo-motion labels (`pseudo_labels`: a `MotionLabeler`); their key-frame clips train a GRU
    motion head beside the image classifier (`train`: the five steps of Algorithm 1, and the rows of the paper's
    Table 2); `ablation` repeats that over seeds of the few-shot draw and adds `retrieval` (the clip nearest to an
    image by the motion representation f̃). Images and clips are uint8, square-cropped to `image_size` here if
    needed; scaling to the network's range happens inside.

    Args:
        key_frames: key frames per video (the paper: 12 UCF, 7 HMDB).
        interval: frames between key frames.
        codebook_size: flow codebook words (the paper: 128).
        num_labels: pseudo-motion labels (k-means clusters).
        flow_method: optical flow of the key frames: "dis", "farneback" or "tvl1".
        normalization: VLAD normalisation (see `MotionLabeler`; None or "none": the paper's raw sums).
        pooling: clip embedding from its maps' VLADs: "mean" or "concat" (the paper).
        image_size: side of the square network input.
        width: AlexNet filter scale (see `VisualMotionNet`).
        stem: AlexNet's first layers: "small" or "imagenet".
        feature_dim: f(x) size (the paper: 4096).
        motion_units: GRU size (the paper: 512).
        motion_hidden: p_m hidden size (the paper: 512).
        classifier_hidden: p_c hidden size (the paper: 4096).
        mra_hidden: p_a hidden size (None: feature + motion).
        norm: normalisation after each encoder conv: "batch" or None / "none" (the paper's AlexNet: none; from
            scratch in a short CPU run BatchNorm trains much faster).
        dropout: the classifiers' dropout (and the encoder's by default).
        encoder_dropout: dropout before the encoder's fc6 (None: `dropout`); its per-frame masks can hide the
            frame-to-frame changes the GRU learns motion from.
        learning_rate: Adam (the paper: 1e-4).
        decay_every: iterations per ×0.1 learning-rate decay.
        proxy_weight: λ of L_VRE = L_main + λ L_proxy (the paper: 0.1 over thousands of iterations; a short run
            needs the proxy weighed more).
        frame_motion: weight of L_motion on each key frame alone (the MRA path; 0 = the paper, which supervises
            only the clip's last GRU output).
        margin: δ of the smoothness losses.
        distance: the smoothness losses on the plain distance ("euclidean", the paper's) or squared ("squared",
            Hadsell et al.'s).
        batch_images: labeled images per batch.
        batch_clips: clips per batch.
        subclip_length: frames per sub-clip (None: the batcher's default, key frames − 2, the paper's).
        flip_images: mirror labeled images at random (only for mirror-invariant classes: the synthetic walk_left /
            walk_right are not).
        iterations: iterations of each of the five steps (step 2's four clip rows are most of the run).
        shots: labeled images per class in each seed's few-shot draw (VOC: 10).
        seed: the first seed of `ablation` (seeds `seed`, `seed + 1`, …) and `train`'s default: the few-shot draw,
            initialisation, dropout and batches.
        verbose: Keras `fit` verbosity of each step.
        run: a `keras_motion.utils.Run` (logs, TensorBoard, pseudo_labels.npz, retrieval.png, the model); None
            writes nothing.
        distribution: train on several devices on JAX: "data_parallel" (all of them) or a
            `keras.distribution.DataParallel` (see `keras_motion.distribution`); `batch_images` and `batch_clips`
            must divide across them. One program runs over the global batch, so the smoothness losses still pair
            sub-clips across the whole batch. TensorFlow's replicas would each see only their part of the batch:
            a `DistributionError` there.

    Example:

    >>> from keras_motion.vre_mra import labeled_images, unlabeled_videos
    >>> task = VREMRA.from_preset("quick", key_frames=4, num_labels=3, iterations=(1, 1, 1, 1, 1))
    >>> data = unlabeled_videos(task.frames_needed, size=32, num_videos=12)
    >>> labels, report = task.pseudo_labels(data.videos, data.classes)
    >>> clips, kept = task.clips(data.videos, labels)
    >>> parts, names = labeled_images(task.image_size, size=32, num_videos=12, pool_per_class=3, test_videos=6)
    >>> table = task.ablation(parts["pool"], parts["test"], clips, labels[kept], len(names), rows=["UNREG"])
    >>> sorted(table["ablation"]), clips.shape
    (['UNREG'], (12, 4, 16, 16, 3))

    Reference: [000] §3 (VRE, MRA, Algorithm 1), §4.2 (Table 2), supplementary §1 (pseudo-motion labels).
    """

    PRESETS = PRESETS

    def __init__(
        self,
        key_frames=8,
        interval=3,
        codebook_size=16,
        num_labels=16,
        flow_method="dis",
        normalization="power+l2",
        pooling="mean",
        image_size=32,
        width=0.25,
        stem="small",
        feature_dim=256,
        motion_units=128,
        motion_hidden=128,
        classifier_hidden=256,
        mra_hidden=None,
        norm="batch",
        dropout=0.5,
        encoder_dropout=None,
        learning_rate=1e-3,
        decay_every=1800,
        proxy_weight=1.0,
        frame_motion=1.0,
        margin=1.0,
        distance="euclidean",
        batch_images=30,
        batch_clips=12,
        subclip_length=None,
        flip_images=False,
        iterations=(150, 400, 100, 200, 150),
        shots=10,
        seed=0,
        verbose=0,
        run=None,
        distribution=None,
    ):
        from keras_motion.utils.runs import Run

        if len(tuple(iterations)) != 5:
            raise ValueError(f"iterations must give the five steps' iterations, got {iterations!r}")
        normalization = None if str(normalization).lower() == "none" else normalization
        norm = None if str(norm).lower() == "none" else norm
        self.config = dict(
            key_frames=key_frames,
            interval=interval,
            codebook_size=codebook_size,
            num_labels=num_labels,
            flow_method=flow_method,
            normalization=normalization,
            pooling=pooling,
            image_size=image_size,
            width=width,
            stem=stem,
            feature_dim=feature_dim,
            motion_units=motion_units,
            motion_hidden=motion_hidden,
            classifier_hidden=classifier_hidden,
            mra_hidden=mra_hidden,
            norm=norm,
            dropout=dropout,
            encoder_dropout=encoder_dropout,
            learning_rate=learning_rate,
            decay_every=decay_every,
            proxy_weight=proxy_weight,
            frame_motion=frame_motion,
            margin=margin,
            distance=distance,
            batch_images=batch_images,
            batch_clips=batch_clips,
            subclip_length=subclip_length,
            flip_images=flip_images,
            iterations=tuple(int(i) for i in iterations),
            shots=shots,
            verbose=verbose,
        )
        for name, value in self.config.items():
            setattr(self, name, value)
        self.seed = int(seed)
        self.run = Run(None, verbose=False) if run is None else run
        self.distribution = distribution_lib.get(distribution)
        if hasattr(self.distribution, "num_replicas_in_sync"):  # a tf.distribute strategy
            raise DistributionError(
                "VRE + MRA's smoothness losses pair sub-clips across the whole batch, and each tf.distribute replica "
                "sees only its part of it: train data-parallel on JAX (KERAS_BACKEND=jax, keras.distribution."
                "DataParallel), or drop --distribute / distribution="
            )
        if self.distribution is not None:
            distribution_lib.check_batch(batch_images, self.distribution, "batch_images")
            distribution_lib.check_batch(batch_clips, self.distribution, "batch_clips")
        self.labeler = self.net = None
        self._nets, self._steps = {}, {}  # per mra_features: a net kept across seeds, its compiled steps
        # Seed-generator states (dropout) of the nets after the last seed an earlier run finished: the nets carry
        # them from seed to seed, so a resumed ablation gives each new net the state it would have had.
        self._pending_seed_states = {}
        self.motion_accuracy = {"after step 2": [], "after step 4": []}

    @property
    def frames_needed(self):
        """Frames an unlabeled video needs for the key frames: interval · (key_frames − 1) + 1."""
        return self.interval * (self.key_frames - 1) + 1

    # -------------------------------------------------------------------------------------------- pseudo labels
    def pseudo_labels(self, videos, classes=None, labeler=None):
        """Pseudo-motion labels of the unlabeled videos (step 0 of the method), and a report on them.

        Args:
            videos: uint8 (T, H, W, 3) videos (a list, an array, paths or a `VideoDataset`).
            classes: their true classes, if known: the report then holds NMI and purity.
            labeler: None (fit a new `MotionLabeler`), or a fitted one or the path of a saved one (`.npz`) to label
                with (flow and VLAD only: no k-means); it must have the task's key frames, interval and labels.

        Returns:
            `(labels, report)`: int64 labels (-1: a video the labeler skipped) and a JSON-able dict. The labeler is
            `self.labeler`, saved as `pseudo_labels.npz` in the run.
        """
        start = time.time()
        if labeler is not None:
            path = isinstance(labeler, (str, os.PathLike))
            source = os.fspath(labeler) if path else "given"
            self.labeler = MotionLabeler.load(labeler) if path else labeler
            mine = dict(key_frames=self.key_frames, interval=self.interval, num_labels=self.num_labels)
            theirs = {k: getattr(self.labeler, k) for k in mine}
            if theirs != mine:
                raise ValueError(
                    f"the labeler {source} was fitted with {theirs}, but this task uses {mine}: give the "
                    "same key_frames / interval / num_labels, or no labeler to fit a new one"
                )
            labels = self.labeler.predict(videos)
        else:
            source = "fitted"
            self.labeler = MotionLabeler(
                codebook_size=self.codebook_size,
                num_labels=self.num_labels,
                key_frames=self.key_frames,
                interval=self.interval,
                flow_method=self.flow_method,
                normalization=self.normalization,
                pooling=self.pooling,
                show_progress=self.run.verbose,
            )
            labels = self.labeler.fit_predict(videos)
        seconds = time.time() - start
        path = self.run.path("pseudo_labels.npz")
        if path:
            self.labeler.save(path)
        kept = labels >= 0
        report = {
            "num_videos": int(kept.sum()),
            "skipped": int((~kept).sum()),
            "otsu_threshold_px": self.labeler.threshold_,
            "cluster_sizes": np.bincount(labels[kept], minlength=self.num_labels).tolist(),
            "seconds": round(seconds, 1),
            "labeler": source,
        }
        if classes is not None:
            report.update(label_agreement(labels, classes))
        self.run.log(
            f"pseudo labels in {seconds:.0f} s: "
            + ", ".join(f"{k} {v}" for k, v in report.items() if k in ("nmi", "purity", "otsu_threshold_px"))
        )
        return labels, report

    def clips(self, videos, labels):
        """`(clips, kept)`: the key-frame clips (uint8, `image_size` square) of the videos with a pseudo label, and
        those videos' indices (see `key_frame_clips`)."""
        return key_frame_clips(videos, labels, self.key_frames, self.interval, self.image_size)

    # ----------------------------------------------------------------------------------------------- training
    @distributed
    def build_net(self, num_classes, mra_features="both"):
        """A new `VisualMotionNet` with the task's settings (`mra_features="motion"`: p_a on f̃(x) alone)."""
        return VisualMotionNet(
            num_classes,
            self.num_labels,
            image_size=self.image_size,
            width=self.width,
            feature_dim=self.feature_dim,
            stem=self.stem,
            motion_units=self.motion_units,
            motion_hidden=self.motion_hidden,
            classifier_hidden=self.classifier_hidden,
            mra_hidden=self.mra_hidden,
            dropout=self.dropout,
            mra_features=mra_features,
            norm=self.norm,
            encoder_dropout=self.encoder_dropout,
        )

    def _fresh(self, num_classes, mra_features, given=None):
        """The net of `mra_features`, newly initialised: built once (its steps compiled once), re-initialised later.
        A `given` net (e.g. a KerasTuner trial's) replaces it, initialised as a new one would be, dropout seeds too,
        so that its figures are those of a new net."""
        fresh = self.build_net(num_classes, mra_features)
        net = self._nets.get(mra_features)
        if given is not None and given is not net:
            self._use(mra_features, given)
            set_seed_states(given, seed_states(fresh))
        elif net is None or net.visual_classifier.layers[-1].units != num_classes:
            self._use(mra_features, fresh)
            if mra_features in self._pending_seed_states:
                set_seed_states(fresh, self._pending_seed_states.pop(mra_features))
            return fresh
        net = self._nets[mra_features]
        net.set_weights(fresh.get_weights())
        return net

    def _use(self, mra_features, net):
        self._nets[mra_features] = net
        self._steps[mra_features] = VisualMotionSteps(
            net,
            learning_rate=self.learning_rate,
            decay_every=self.decay_every,
            proxy_weight=self.proxy_weight,
            margin=self.margin,
            distance=self.distance,
            frame_motion_weight=self.frame_motion,
        )

    def _batches(self, steps, train, clips, clip_labels, seed, offset, images=True, videos=True):
        return VisualMotionBatches(
            train[0] if images else None,
            train[1],
            clips if videos else None,
            clip_labels,
            batch_images=self.batch_images,
            batch_clips=self.batch_clips,
            subclip_length=self.subclip_length,
            steps=steps,
            flip_images=self.flip_images,
            seed=seed * 1000 + offset,
            drop_remainder=self.distribution is not None,
            replicas=distribution_lib.replicas(self.distribution),
        )

    @distributed
    def train(
        self, train, held, clips, clip_labels, num_classes, seed=None, rows=ROWS, net=None, callbacks=(), log_dir=None
    ):
        """The rows of Table 2 for one seed: each row's steps, then its accuracy on the held-out images.

        Step 1 trains {θn, θc} on L_main; each of the rows UNREG (no proxy), +motion, +smooth1, +smooth2 and w/o MRA
        (all three) starts again from step 1's weights and runs step 2 with its proxy losses, then step 3. "only MR"
        and "full" continue from w/o MRA: step 4, then step 5 with p_a on f̃(x) alone or on [f̃(x); f(x)].

        Args:
            train: the labeled `(images, labels)`; held: the held-out `(images, labels)` (uint8).
            clips: uint8 (N, k, S, S, 3) key-frame clips; clip_labels: their pseudo-motion labels.
            num_classes: classes of the labeled images.
            seed: initialisation, dropout and batches (default: the task's `seed`).
            rows: the rows to measure (see `ablation_rows`).
            net: the `VisualMotionNet` to train (e.g. a KerasTuner trial's, of `build_net(num_classes)`), initialised
                here as a new one; None: the task's own.
            callbacks: epoch-level Keras callbacks that see the seed's steps as one training, each step fit one
                epoch in the order run (with `rows=["full"]`: epoch s − 1 is step s); see `StepsAsEpochs`.
            log_dir: where the retrieval picture (`RetrievalImages`) is logged after every step; default the run's
                `logs/seed<seed>`, none without a run.

        Returns:
            `{row: held-out accuracy}`. `self.net` is then the seed's last-trained net (the full net with "full").
        """
        seed = self.seed if seed is None else int(seed)
        wanted = ablation_rows(rows)
        train, held = self._images(train), self._images(held)
        clips, clip_labels = self._clips(clips), np.asarray(clip_labels)
        it = self.iterations
        log_dir = log_dir or self.run.log_dir(f"seed{seed}")
        pictures = [] if log_dir is None else [RetrievalImages(*held, clips, log_dir)]
        sequence = StepsAsEpochs(list(callbacks) + pictures)

        def batches(step, **kwargs):
            return self._batches(it[step - 1], train, clips, clip_labels, seed, step, **kwargs)

        def fit(runner, step, data, name, **kwargs):
            runner(
                step,
                data,
                verbose=self.verbose,
                callbacks=self.run.callbacks(f"seed{seed}/{name}", backup=False) + [sequence],
                **kwargs,
            )
            return data

        def held_out(fn, row):
            result = float((predict_in_batches(fn, held[0]).argmax(-1) == held[1]).mean())
            self.run.log(f"seed {seed}: {row:<14} {100 * result:5.1f} %")
            return result

        keras.utils.set_random_seed(seed)
        self.net = net = self._fresh(num_classes, "both", net)
        step = self._steps["both"]
        fit(step, 1, batches(1, videos=False), "step1")
        after_step1 = net.get_weights()
        results = {}
        for row in (r for r in _STEP2 if r in wanted):
            net.set_weights(after_step1)
            keras.utils.set_random_seed(seed + 1)
            # UNREG runs the same schedule with the proxy switched off: every row sees the same L_main training.
            proxy = _STEP2[row]
            data = fit(step, 2, batches(2, videos=bool(proxy)), f"{_slug(row)}/step2", losses=("main",) + proxy)
            if row == "w/o MRA":
                subclip_length = data.subclip_length
                self._motion_accuracy(seed, "after step 2", clips, clip_labels, subclip_length)
            fit(step, 3, batches(3, videos=False), f"{_slug(row)}/step3")
            results[row] = held_out(net.visual_scores, row)
        if not {"only MR", "full"} & wanted:
            sequence.end()
            return results
        fit(step, 4, batches(4, images=False), "step4")
        self._motion_accuracy(seed, "after step 4", clips, clip_labels, subclip_length)
        only_mr = self._fresh(num_classes, "motion")
        for name in ("encoder", "visual_classifier", "motion_gru", "motion_classifier"):
            only_mr.groups[name].set_weights(net.groups[name].get_weights())
        for row, model, runner in (("only MR", only_mr, self._steps["motion"]), ("full", net, step)):
            if row in wanted:
                keras.utils.set_random_seed(seed + 5)
                fit(runner, 5, batches(5, videos=False), f"{_slug(row)}/step5")
                results[row] = held_out(model, row)
        sequence.end()
        return results

    def _motion_accuracy(self, seed, when, clips, clip_labels, subclip_length, count=384):
        """The motion classifier's accuracy on (up to `count` of) its training clips' pseudo labels: the middle
        sub-clip of each, of the batcher's length, as step 2 trains on."""
        pick = np.random.default_rng(0).choice(len(clips), min(count, len(clips)), replace=False)
        start = (clips.shape[1] - subclip_length) // 2
        scores = predict_in_batches(self.net.motion_scores, clips[pick, start : start + subclip_length], batch_size=32)
        accuracy = float((scores.argmax(-1) == clip_labels[pick]).mean())
        self.motion_accuracy[when].append(accuracy)
        self.run.log(
            f"seed {seed}: motion classifier {when}: {100 * accuracy:.1f} % of its training clips' pseudo "
            f"labels (the largest label: {100 * np.bincount(clip_labels).max() / len(clip_labels):.1f} %)"
        )

    # ------------------------------------------------------------------------------------------------- protocol
    def ablation(self, pool, held, clips, clip_labels, num_classes, seeds=None, rows=ROWS, clip_classes=None):
        """Table 2 over seeds: per seed, `shots` labeled images per class drawn from `pool`, `train`, and
        `retrieval` with the seed's last net (the first seed's matches drawn as retrieval.png in the run).

        Args:
            pool: the labeled `(images, labels)` the few-shot draws pick from; held: the held-out ones.
            clips, clip_labels: the key-frame clips and their pseudo labels (`clips`).
            num_classes: classes of the labeled images.
            seeds: one run per seed (default: the task's `seed` and the two after it).
            rows: the rows of the table (see `ablation_rows`).
            clip_classes: the clips' true classes, if known (for retrieval's same-class rate).

        Returns:
            A JSON-able dict: "ablation" {row: {mean, std, runs}}, "motion_classifier_accuracy", "retrieval"
            {same_class_rate, chance}, "chance". The last seed's net is saved in the run as vre_mra.keras.
        """
        seeds = range(self.seed, self.seed + 3) if seeds is None else seeds
        clips = self._clips(clips)
        wanted = ablation_rows(rows)
        rows = [row for row in ROWS if row in wanted]
        self.motion_accuracy = {"after step 2": [], "after step 4": []}
        runs, same_class = {row: [] for row in rows}, []
        settings = {
            **self.get_config(),
            "rows": rows,
            "num_classes": int(num_classes),
            "clips": len(clips),
            "pool": len(pool[1]),
            "held": len(held[1]),
        }
        for n, seed in enumerate(seeds):
            # A seed an earlier run finished (recorded in run.json): its figures, and the nets' random state after it.
            done = self.run.phase(f"seed{seed}", settings)
            if done is not None:
                done = done["result"]
                self.run.log(f"seed {seed}: finished in an earlier run, reused")
                results, self.motion_accuracy = done["results"], done["motion_accuracy"]
                same_class.append(done["same_class"])
                self._pending_seed_states = dict(done["seed_states"])
                for row in rows:
                    runs[row].append(results[row])
                continue
            results = self.train(few_labeled(pool, self.shots, seed), held, clips, clip_labels, num_classes, seed, rows)
            for row in rows:
                runs[row].append(results[row])
            same_class.append(
                self.retrieval(held, clips, clip_classes, path=self.run.path("retrieval.png") if n == 0 else None)
            )
            self.run.save_model(self.net, "vre_mra.keras")  # the last seed's net, saved before it is recorded
            self.run.finish_phase(
                f"seed{seed}",
                settings,
                {
                    "results": results,
                    "same_class": same_class[-1],
                    "motion_accuracy": self.motion_accuracy,
                    "seed_states": {
                        **self._pending_seed_states,
                        **{k: seed_states(net) for k, net in self._nets.items()},
                    },
                },
            )
        same_class = None if same_class[0] is None else float(np.mean(same_class))
        clip_labels = np.asarray(clip_labels)
        return {
            "ablation": {
                row: {"mean": float(np.mean(v)), "std": float(np.std(v)), "runs": v} for row, v in runs.items()
            },
            "motion_classifier_accuracy": dict(
                self.motion_accuracy, largest_label=float(np.bincount(clip_labels).max() / len(clips))
            ),
            "retrieval": {"same_class_rate": same_class, "chance": 1.0 / num_classes},
            "chance": 1.0 / num_classes,
        }

    def nearest_clips(self, images, clips):
        """Index of the clip nearest to each image by f̃ (the clip's first frame, one GRU step, as for the image)."""
        return nearest_clips(self.net, self._square(images), self._clips(clips))

    def retrieval(self, held, clips, clip_classes=None, path=None, shown=8):
        """Retrieval by the motion representation: the share of held-out `(images, labels)` whose nearest clip
        (`nearest_clips`) has the image's class (None without `clip_classes`); a PNG of `shown` matches at `path`."""
        images, labels = self._images(held)
        clips = self._clips(clips)
        nearest = self.nearest_clips(images, clips)
        if path:
            draw_matches(path, images, labels, clips, nearest, shown)
        return None if clip_classes is None else float((np.asarray(clip_classes)[nearest] == labels).mean())

    def predict(self, images):
        """Class probabilities (N, C) of uint8 images by the MRA classifier (the full net after `train`)."""
        net = self.fitted("net", "train the task first (train or ablation)")
        logits = predict_in_batches(net, self._square(images)).astype(np.float32)
        return keras.ops.convert_to_numpy(keras.ops.softmax(logits, axis=-1))

    def inference_model(self):
        """The trained net's motion path as a self-contained model, `VREMRAInference`: uint8 key-frame clips of any
        size → f̃ and the pseudo-motion logits, with the labeler's codebook (where the task labelled videos) in its
        config. The recipe saves it as `vre_mra_inference.keras`."""
        from keras_motion.vre_mra.inference import VREMRAInference

        path = self.run.path("vre_mra.keras")
        if self.net is None and path and os.path.exists(path):  # an ablation whose seeds all finished in earlier runs
            from keras_motion.utils.files import load_model

            self.net = load_model(path)
        net = self.fitted("net", "train the task first (train or ablation)")
        labeler = self.labeler if self.labeler is not None and self.labeler.codebook_ is not None else None
        return VREMRAInference(
            net,
            codebook=None if labeler is None else labeler.codebook_,
            motion_threshold=None if labeler is None else labeler.threshold_,
        )

    # ------------------------------------------------------------------------------------------------ inputs
    def _square(self, images, what="images"):
        images = to_uint8(images, name=what)
        if images.shape[-3:] != (self.image_size, self.image_size, 3):
            images = square_crop(images, self.image_size)
        return images

    def _images(self, pair):
        return self._square(pair[0]), np.asarray(pair[1])

    def _clips(self, clips):
        clips = to_uint8(clips, name="clips")
        if clips.ndim != 5:
            raise ValueError(f"clips must be (N, key_frames, H, W, 3), got shape {clips.shape}")
        return self._square(clips, "clips")


def _slug(row):
    return re.sub(r"[^a-z0-9]+", "_", row.lower()).strip("_")
