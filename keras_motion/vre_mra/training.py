"""VRE + MRA's five-step training procedure (Algorithm 1 of [000]) on top of Keras `fit`, on every backend.

    (1) {θn, θc} on L_main          (2) {θn, θc, θg, θm} on L_VRE = L_main + λ L_proxy     (3) {θn, θc} on L_main
    (4) {θg, θm} on L_proxy         (5) θa on L_MRA

Each step trains exactly its parameter groups: every other group is set non-trainable for the step (so neither its
weights nor any optimizer state of it change) and restored afterwards. A step is a `VisualMotionTrainer` — a Keras
model around a `VisualMotionNet` whose `compute_loss` adds the step's losses — fitted on `VisualMotionBatches`.
"""

import math

import keras
import numpy as np
from keras import ops

from keras_motion.vre_mra.losses import DISTANCES, first_order_smoothness, second_order_smoothness
from keras_motion.vre_mra.neighbours import neighbour_pairs, neighbour_triples

PROXY_LOSSES = ("motion", "smooth1", "smooth2")
INDEX_SETS = ("pos_pairs", "neg_pairs", "pos_triples", "neg_triples")  # batch indices of the smoothness losses
LOSSES = ("main",) + PROXY_LOSSES + ("mra",)
# The groups each loss reaches: a step trains only groups that one of its losses reaches (an ablation's step 2 with
# L_main alone leaves the GRU untouched instead of "training" it without a gradient).
REACHES = {
    "main": ("encoder", "visual_classifier"),
    "motion": ("encoder", "motion_gru", "motion_classifier"),
    "smooth1": ("encoder", "motion_gru"),
    "smooth2": ("encoder", "motion_gru"),
    "mra": ("encoder", "motion_gru", "mra_classifier"),
}
STEPS = {
    1: dict(groups=("encoder", "visual_classifier"), losses=("main",)),
    2: dict(
        groups=("encoder", "visual_classifier", "motion_gru", "motion_classifier"), losses=("main",) + PROXY_LOSSES
    ),
    3: dict(groups=("encoder", "visual_classifier"), losses=("main",)),
    4: dict(groups=("motion_gru", "motion_classifier"), losses=PROXY_LOSSES),
    5: dict(groups=("mra_classifier",), losses=("mra",)),
}


class VisualMotionBatches(keras.utils.PyDataset):
    """Batches for one step: labeled images and/or clips with pseudo-motion labels, as the dict a
    `VisualMotionTrainer` takes (no TensorFlow needed).

    Each of `steps` batches draws `batch_images` labeled images (cycling through seeded permutations) and
    `batch_clips` distinct clips. A k-frame clip yields every `subclip_length`-frame sub-clip (k − Δt + 1 of them; the
    paper's Δt = k − 2 gives three), and the batch carries the neighbour index sets of the smoothness losses over
    them: positive pairs (same clip, starts ≤ ⌈Δt/2⌉ apart), negative pairs (different clips), positive triples and
    one negative triple per positive. Sizes are fixed, so compiled steps never retrace.

    Clips are never mirrored: a mirrored clip's motion is mirrored too, and its pseudo-motion label (clusters of
    direction-sensitive VLAD) would no longer hold. `flip_images=True` mirrors labeled images at random — only for
    classes a mirror preserves (not walk_left / walk_right).

    Images and clips stay uint8 (0–255), as given: `VisualMotionNet` scales them inside.

    Args:
        images, labels: labeled uint8 images (N, H, W, 3) and their classes, or None.
        clips, clip_labels: uint8 clips (M, k, H, W, 3) and their pseudo-motion labels, or None.
        batch_images, batch_clips: images and clips a batch (at most N and M: larger values are lowered to them).
        subclip_length: Δt, frames of a sub-clip (default k − 2).
        steps: the number of batches (`len`); images cycle through fresh permutations, so no batch is partial.
        flip_images: mirror labeled images at random.
        seed: the seed of every draw.
        drop_remainder: every batch holds exactly the `batch_images` images and `batch_clips` clips asked for (a
            batch size above N or M raises instead of being lowered), so that batches divide evenly across devices
            (`keras.distribution.DataParallel`) and every batch has one shape. The batches are the same either way
            (none is partial); count `steps` with `steps_for(..., drop_remainder=True)`.
        replicas: the devices a `keras.distribution.DataParallel` splits every input over. The neighbour index sets
            index the whole batch, so with more than one they come as `replicas` identical copies (R, P, 2) and
            (R, P, 3): every input's first axis then divides across the devices, and `VisualMotionTrainer` reads
            the first copy (one program over the global batch: the losses are one device's).

    >>> batches = VisualMotionBatches(images=np.zeros((4, 8, 8, 3), np.uint8), labels=[0, 1, 0, 1], batch_images=2,
    ...                               clips=np.zeros((3, 6, 8, 8, 3), np.uint8), clip_labels=[0, 1, 2], batch_clips=2,
    ...                               subclip_length=4, steps=5)
    >>> x = batches[0]
    >>> x["images"].shape, x["clips"].shape, x["clip_labels"].shape, x["pos_pairs"].shape
    ((2, 8, 8, 3), (2, 6, 8, 8, 3), (6,), (6, 2))
    """

    def __init__(
        self,
        images=None,
        labels=None,
        clips=None,
        clip_labels=None,
        batch_images=32,
        batch_clips=16,
        subclip_length=None,
        steps=100,
        flip_images=False,
        seed=0,
        drop_remainder=False,
        replicas=1,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if images is None and clips is None:
            raise ValueError("VisualMotionBatches needs labeled images, clips, or both")
        self.images, self.clips = images, clips
        self.drop_remainder = bool(drop_remainder)
        for name, size, items, what in (
            ("batch_images", batch_images, images, "labeled images"),
            ("batch_clips", batch_clips, clips, "clips"),
        ):
            if self.drop_remainder and items is not None and len(items) < int(size):
                raise ValueError(
                    f"VisualMotionBatches: {name}={int(size)} exceeds the {len(items)} {what} given, "
                    f"and drop_remainder=True keeps every batch at {name}; use {name} ≤ {len(items)} "
                    "or drop_remainder=False (which lowers it)"
                )
        self.steps, self.flip_images, self.seed, self.replicas = int(steps), flip_images, seed, int(replicas)
        if images is not None:
            self.labels = np.asarray(labels, np.int64)
            if len(self.labels) != len(images):
                raise ValueError(f"{len(images)} images but {len(self.labels)} labels")
            self.batch_images = min(int(batch_images), len(images))
        if clips is not None:
            self.clip_labels = np.asarray(clip_labels, np.int64)
            if len(self.clip_labels) != len(clips) or clips.ndim != 5:
                raise ValueError(
                    f"clips must be (N, k, H, W, 3) with N clip labels, got {clips.shape} and {self.clip_labels.shape}"
                )
            if (self.clip_labels < 0).any():
                raise ValueError("clip_labels hold -1 (skipped videos): drop those clips first")
            k = clips.shape[1]
            self.subclip_length = int(subclip_length or max(k - 2, 1))
            if not 1 <= self.subclip_length <= k:
                raise ValueError(f"subclip_length must be in [1, {k}] for {k}-frame clips, got {subclip_length}")
            self.starts = np.arange(k - self.subclip_length + 1)
            self.batch_clips = min(int(batch_clips), len(clips))
            if self.batch_clips < 2:
                raise ValueError("smoothness negatives need at least two clips per batch")
            videos = np.repeat(np.arange(self.batch_clips), len(self.starts))
            times = np.tile(self.starts, self.batch_clips)
            self.pos_pairs, self.neg_pairs = neighbour_pairs(videos, times, self.subclip_length)
            self._videos, self._times = videos, times

    def __len__(self):
        return self.steps

    def _rng(self, index):
        return np.random.default_rng([int(self.seed), int(index)])

    def __getitem__(self, index):
        rng = self._rng(index)
        x = {}
        if self.images is not None:
            epoch, offset = divmod(index * self.batch_images, len(self.images))
            order = np.concatenate(
                [np.random.default_rng([int(self.seed), 7, epoch + e]).permutation(len(self.images)) for e in range(2)]
            )
            pick = order[offset : offset + self.batch_images]
            images = self.images[pick]  # a copy, uint8: the net scales it inside
            if self.flip_images:
                mirror = rng.random(len(pick)) < 0.5
                images[mirror] = images[mirror, :, ::-1]
            x["images"], x["labels"] = images, self.labels[pick]
        if self.clips is not None:
            pick = rng.choice(len(self.clips), self.batch_clips, replace=False)
            x["clips"] = self.clips[pick]
            x["clip_labels"] = np.repeat(self.clip_labels[pick], len(self.starts))
            x["pos_pairs"], x["neg_pairs"] = self.pos_pairs, self.neg_pairs
            x["pos_triples"], x["neg_triples"] = neighbour_triples(
                self._videos, self._times, self.subclip_length, rng=rng
            )
            if self.replicas > 1:
                for key in INDEX_SETS:
                    x[key] = np.repeat(x[key][None], self.replicas, axis=0)
        return x


class VisualMotionTrainer(keras.Model):
    """One step of the procedure: `net`'s forward passes for a batch of `VisualMotionBatches`, and the sum of the
    step's `losses` (a subset of "main", "motion", "smooth1", "smooth2", "mra") in `compute_loss`.

    With "main" among them the proxy losses are weighted by `proxy_weight` (λ, 0.1): L_VRE; without it they are
    summed unweighted: L_proxy (step 4). Sub-clips of `subclip_length` frames (the batches' Δt) go through the GRU.
    The smoothness losses use margin δ = `margin` and `distance` "euclidean" (the paper's) or "squared" (Hadsell et
    al.'s; see `keras_motion.vre_mra.contrastive`).

    `frame_motion_weight` w > 0 adds w · L_motion of every key frame alone (not in the paper): f̃ of one frame, one
    GRU step from the zero state — the MRA path of a static image — classified by p_m against its clip's pseudo
    label. The paper supervises only the clip's last GRU output, so nothing asks f̃ of a single frame, which MRA
    feeds to p_a, to carry motion.

    >>> net = VisualMotionNet(6, 4, image_size=16, width=0.1, feature_dim=8, stem="small", motion_units=8,
    ...                       motion_hidden=8, classifier_hidden=8)                # doctest: +SKIP
    >>> train_step(net, 1, VisualMotionBatches(images, labels, steps=50), learning_rate=1e-3)   # doctest: +SKIP
    """

    def __init__(
        self,
        net,
        losses=("main",),
        proxy_weight=0.1,
        margin=1.0,
        subclip_length=None,
        distance="euclidean",
        frame_motion_weight=0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        unknown = set(losses) - set(LOSSES)
        if unknown or not losses:
            raise ValueError(f"unknown loss(es) {sorted(unknown)}; choose from {LOSSES}")
        if distance not in DISTANCES:
            raise ValueError(f"distance must be one of {DISTANCES}, got {distance!r}")
        self.distance, self.frame_motion_weight = distance, float(frame_motion_weight)
        self.net, self.step_losses = net, tuple(losses)
        self.proxy_weight, self.margin, self.subclip_length = float(proxy_weight), float(margin), subclip_length
        self._needs_clips = any(name in PROXY_LOSSES for name in self.step_losses)

    def call(self, x, training=False):
        net, out = self.net, {}
        if "images" in x and ("main" in self.step_losses or "mra" in self.step_losses):
            features = net.features(x["images"], training)
            if "main" in self.step_losses:
                out["visual"] = net.visual_classifier(features, training=training)
            if "mra" in self.step_losses:
                out["mra"] = net.mra_classifier(net.mra_inputs(features, training), training=training)
        if "clips" in x and self._needs_clips:
            frames = net.frame_features(x["clips"], training)  # each frame through the encoder once
            k = frames.shape[1]
            length = self.subclip_length or max(k - 2, 1)
            # Every length-frame sub-clip, clip-major: row b·S + s is sub-clip s of clip b (the batches' order).
            sub = ops.stack([frames[:, s : s + length] for s in range(k - length + 1)], axis=1)
            sub = ops.reshape(sub, (-1, length, net.feature_dim))
            motion = net.motion_gru(sub, training=training)
            out["motion_features"] = motion
            if "motion" in self.step_losses:
                out["motion"] = net.motion_classifier(motion, training=training)
                if self.frame_motion_weight:  # each key frame alone, one GRU step from zero: the MRA path f̃(x)
                    still = net.motion_gru(ops.reshape(frames, (-1, net.feature_dim)), training=training)
                    scores = net.motion_classifier(still, training=training)
                    out["frame_motion"] = ops.reshape(scores, (-1, k, scores.shape[-1]))
        return out

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        def ce(labels, logits):
            return keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)

        main = proxy = 0.0
        if "main" in self.step_losses:
            main = ops.mean(ce(x["labels"], y_pred["visual"]))
        if "mra" in self.step_losses:
            main = main + ops.mean(ce(x["labels"], y_pred["mra"]))
        if "motion" in self.step_losses:
            proxy = proxy + ops.mean(ce(x["clip_labels"], y_pred["motion"]))
            if self.frame_motion_weight:
                scores = y_pred["frame_motion"]  # (B, k, labels); a clip's sub-clips share its label
                per_clip = ops.reshape(x["clip_labels"], (ops.shape(scores)[0], -1))[:, :1]
                labels = ops.repeat(per_clip, scores.shape[1], axis=1)
                proxy = proxy + self.frame_motion_weight * ops.mean(ce(labels, scores))
        # Copies per device (R, P, k) under data parallelism (see `VisualMotionBatches`): the first one.
        index = {key: x[key][0] if len(x[key].shape) == 3 else x[key] for key in INDEX_SETS if key in x}
        if "smooth1" in self.step_losses:
            proxy = proxy + first_order_smoothness(
                y_pred["motion_features"], index["pos_pairs"], index["neg_pairs"], self.margin, self.distance
            )
        if "smooth2" in self.step_losses:
            proxy = proxy + second_order_smoothness(
                y_pred["motion_features"], index["pos_triples"], index["neg_triples"], self.margin, self.distance
            )
        weight = self.proxy_weight if "main" in self.step_losses else 1.0
        total = main + weight * proxy
        return total + ops.sum(self.losses) if self.losses else total


def set_trainable_groups(net, groups):
    """Makes exactly `groups` (names of `net.groups`) trainable; returns the previous flags to restore."""
    unknown = set(groups) - set(net.groups)
    if unknown:
        raise ValueError(f"unknown parameter group(s) {sorted(unknown)}; choose from {sorted(net.groups)}")
    previous = {name: layer.trainable for name, layer in net.groups.items()}
    for name, layer in net.groups.items():
        layer.trainable = name in groups
    return previous


def step_losses_and_groups(step, losses=None, groups=None):
    """The (losses, groups) step `step` trains: the step's own, or `losses` / `groups` overrides; groups that none of
    the losses reaches are dropped (see `REACHES`)."""
    if step not in STEPS and (losses is None or groups is None):
        raise ValueError(f"step must be one of {sorted(STEPS)} (or give both losses and groups), got {step!r}")
    spec = STEPS.get(step, {})
    losses = tuple(losses if losses is not None else spec["losses"])
    groups = tuple(groups if groups is not None else spec["groups"])
    return losses, tuple(g for g in groups if any(g in REACHES[name] for name in losses))


class VisualMotionSteps:
    """Runs steps of Algorithm 1 on one `net`, compiling each distinct step once.

    A step is a `VisualMotionTrainer` fitted with Adam (learning rate ×`decay_rate` every `decay_every` iterations;
    the paper: 1e-4, ×0.1 every 1800); its smoothness losses use `margin` and `distance` ("euclidean", the paper's,
    or "squared"); `frame_motion_weight` as in `VisualMotionTrainer`. Steps that train the same losses and groups
    (steps 1 and 3, or the rows of an ablation that start again from the same weights) reuse one compiled trainer:
    its Adam state and iteration count are reset to zero, so a reused step trains exactly as a freshly compiled one,
    without tracing again. Only the step's groups change: the others are non-trainable during the step and restored
    after it.

    >>> from keras_motion.vre_mra import VisualMotionNet
    >>> net = VisualMotionNet(3, 4, image_size=16, width=0.05, feature_dim=8, stem="small", motion_units=4,
    ...                       motion_hidden=4, classifier_hidden=4)
    >>> images, labels = np.zeros((6, 16, 16, 3), np.uint8), [0, 1, 2, 0, 1, 2]
    >>> steps = VisualMotionSteps(net, learning_rate=1e-3)
    >>> _ = steps(1, VisualMotionBatches(images, labels, batch_images=3, steps=2))
    >>> _ = steps(3, VisualMotionBatches(images, labels, batch_images=3, steps=2))  # step 1's compiled trainer
    >>> len(steps.trainers)
    1
    """

    def __init__(
        self,
        net,
        learning_rate=1e-4,
        decay_every=1800,
        decay_rate=0.1,
        proxy_weight=0.1,
        margin=1.0,
        distance="euclidean",
        frame_motion_weight=0.0,
        jit_compile="auto",
    ):
        if distance not in DISTANCES:
            raise ValueError(f"distance must be one of {DISTANCES}, got {distance!r}")
        self.net, self.distance, self.frame_motion_weight = net, distance, frame_motion_weight
        self.learning_rate, self.decay_every, self.decay_rate = learning_rate, decay_every, decay_rate
        self.proxy_weight, self.margin, self.jit_compile = proxy_weight, margin, jit_compile
        self.trainers = {}  # (losses, groups, subclip length) → compiled VisualMotionTrainer

    def __call__(self, step, batches, losses=None, groups=None, verbose=0, callbacks=()):
        """Runs step `step` (1–5) for one pass over `batches`; `losses` / `groups` override the step's (e.g. an
        ablation's step 2 with only "main" and "motion"). Returns the Keras History."""
        losses, groups = step_losses_and_groups(step, losses, groups)
        subclip = getattr(batches, "subclip_length", None)
        key = (losses, groups, subclip)
        previous = set_trainable_groups(self.net, groups)
        try:
            trainer = self.trainers.get(key)
            if trainer is None:
                trainer = VisualMotionTrainer(
                    self.net,
                    losses,
                    proxy_weight=self.proxy_weight,
                    margin=self.margin,
                    subclip_length=subclip,
                    distance=self.distance,
                    frame_motion_weight=self.frame_motion_weight,
                )
                schedule = keras.optimizers.schedules.ExponentialDecay(
                    self.learning_rate, self.decay_every, self.decay_rate, staircase=True
                )
                trainer.compile(optimizer=keras.optimizers.Adam(schedule), jit_compile=self.jit_compile)
                self.trainers[key] = trainer
            else:  # a fresh Adam: zero moments, iteration 0 (the schedule starts again)
                for variable in trainer.optimizer.variables:
                    variable.assign(ops.zeros(variable.shape, variable.dtype))
            # No shuffling: the batches are seeded draws already, and a step reruns exactly.
            return trainer.fit(batches, epochs=1, shuffle=False, verbose=verbose, callbacks=list(callbacks))
        finally:
            for name, layer in self.net.groups.items():
                layer.trainable = previous[name]


def train_step(
    net,
    step,
    batches,
    learning_rate=1e-4,
    decay_every=1800,
    decay_rate=0.1,
    losses=None,
    groups=None,
    proxy_weight=0.1,
    margin=1.0,
    distance="euclidean",
    frame_motion_weight=0.0,
    jit_compile="auto",
    verbose=0,
    callbacks=(),
):
    """Runs step `step` (1–5) of Algorithm 1 on `net` for one pass over `batches` (`VisualMotionBatches`): a one-off
    `VisualMotionSteps` (use one of those to run many steps without compiling each again).

    `losses` / `groups` override the step's (e.g. the ablations' step 2 with only "main" and "motion"); groups that
    none of the losses reaches stay frozen (see `REACHES`). `margin` / `distance`: the smoothness losses';
    `frame_motion_weight`: see `VisualMotionTrainer`. Adam with the learning rate ×`decay_rate` every
    `decay_every` iterations (the paper: 1e-4, ×0.1 every 1800). Returns the Keras History. Only the step's groups
    change: the others are non-trainable during the step and restored after it.
    """
    runner = VisualMotionSteps(
        net,
        learning_rate=learning_rate,
        decay_every=decay_every,
        decay_rate=decay_rate,
        proxy_weight=proxy_weight,
        margin=margin,
        distance=distance,
        frame_motion_weight=frame_motion_weight,
        jit_compile=jit_compile,
    )
    return runner(step, batches, losses=losses, groups=groups, verbose=verbose, callbacks=callbacks)


def predict_in_batches(fn, images, batch_size=128):
    """`fn` (e.g. `net.visual_scores`) over uint8 images in batches (the net scales them inside) → NumPy."""
    out = [ops.convert_to_numpy(fn(images[i : i + batch_size])) for i in range(0, len(images), batch_size)]
    return np.concatenate(out)


def steps_for(num_items, batch_size, epochs, drop_remainder=False):
    """Iterations of `epochs` passes over `num_items` at `batch_size`; with `drop_remainder`, ⌊num_items /
    batch_size⌋ full batches a pass (as `drop_remainder=True` batchers have)."""
    if drop_remainder:
        if num_items < batch_size:
            raise ValueError(
                f"{num_items} item(s) do not fill one batch of {batch_size}, and drop_remainder=True "
                f"drops partial batches; use a batch size ≤ {num_items} or drop_remainder=False"
            )
        return max(1, int(num_items // max(batch_size, 1) * epochs))
    return max(1, int(math.ceil(num_items / max(batch_size, 1) * epochs)))
