"""VRE + MRA's hyperparameter search: λ, the number K of pseudo-motion labels, the flow codebook's size and the
learning rate, the knobs the paper set by hand, selected on the full method's accuracy on validation images."""

import keras_tuner as kt
import numpy as np

from keras_motion.callbacks import TensorBoardLogger
from keras_motion.tuning import MethodSearch
from keras_motion.vre_mra.data import few_labeled, labeled_images, unlabeled_videos
from keras_motion.vre_mra.presets import DATA_PRESETS
from keras_motion.vre_mra.task import VREMRA

# The choices of K and of the codebook size at each preset (each holds the preset's own value).
LABEL_CHOICES = {
    "cpu": dict(num_labels=[8, 16, 32], codebook_size=[8, 16, 32]),
    "paper": dict(num_labels=[8, 16, 32], codebook_size=[64, 128, 256]),
    "quick": dict(num_labels=[4, 6, 8], codebook_size=[4, 8]),
}
# The epochs of the preset's five-step training: an epoch is a ninth of each step's iterations, so that Hyperband
# (factor 3) tries budgets of 1/9, 1/3 and all of them.
EPOCHS = 9


class VRESearch(MethodSearch):
    """A KerasTuner `HyperModel` over `VREMRA`'s "full" row (the five steps of Algorithm 1, one seed): λ
    (`proxy_weight`, log-uniform 0.03–3), K (`num_labels`) and the codebook size (`codebook_size`), choices per
    preset (`LABEL_CHOICES`), and the learning rate (log-uniform 3e-5–3e-3). The objective is `val_accuracy`, the
    full net's accuracy on the validation images, which the few-shot draw never uses (the test images are not even
    loaded). Every trial draws the same few labeled images (`seed`) and starts from the same initial weights: its
    objective is the "full" figure of `recipes/vre_mra.py --holdout validation --rows full` with its values.

    The pseudo-motion labels depend only on (K, codebook size) among the tuned values: a `MotionLabeler` is fitted
    once per pair and its labels kept (`pseudo_label_cache`); the key-frame clips depend on none, and are made once.

    Training length is counted in epochs of a ninth of the preset's (or the fixed) iterations of every step:
    `epochs` (default 9: all of them) is every trial's length and Hyperband's largest budget, and `fit(epochs=e)`
    (Hyperband's budget) trains `round(iterations · e / 9)` of each step (at least one). With the default, Hyperband
    (factor 3) tries a ninth, a third and all of them. A Hyperband trial that continues an earlier one trains from
    scratch at its larger budget (the five steps do not resume halfway): Hyperband saves time only by dropping poor
    values early.

    Each trial's TensorBoard run shows the steps as epochs (epoch s − 1: step s, its loss that step's), the retrieval
    picture after each step (`RetrievalImages`), and the validation accuracy at epoch 4.

    Args:
        videos: the unlabeled videos (uint8 (T, H, W, 3) arrays, ≥ `VREMRA.frames_needed` frames each).
        pool: the labeled `(images, labels)` the few-shot draw picks from (`shots` per class).
        validation: the validation `(images, labels)` the objective is measured on.
        num_classes: the action classes.
        preset, log_dir: of `MethodSearch`.
        seed: the few-shot draw, initialisation, dropout and batches of every trial.
        epochs: the training's length in ninths of the iterations (`tools/tune.py --epochs`).
        fixed: other `VREMRA` arguments, kept in every trial (e.g. `iterations=(20, 40, 10, 20, 20)`).

    Example:

    >>> search = VRESearch(**VRESearch.default_data("quick"), preset="quick", log_dir="search/logs")  # doctest: +SKIP
    >>> tuner = km.tuning.make_tuner(search, "random", max_trials=10, directory="search")  # doctest: +SKIP
    >>> tuner.search()  # doctest: +SKIP
    >>> km.tuning.summarize(tuner, "search")  # doctest: +SKIP

    Reference:
        Zhang et al., AAAI 2020, §3.1 (K = 16 pseudo-motion labels), §3.2 (λ = 0.1), §4.1 (Adam, 1e-4),
        supplementary §1 (a 128-word flow codebook).
    """

    task_class = VREMRA
    objective = kt.Objective("val_accuracy", "max")
    epochs_argument = "epochs"  # the search's own: VREMRA's length is five steps' iterations, not one integer

    def __init__(
        self, videos, pool, validation, num_classes, preset="cpu", log_dir=None, seed=0, epochs=EPOCHS, **fixed
    ):
        super().__init__(preset, log_dir, **fixed)
        if int(epochs) < 1:
            raise ValueError(f"epochs must be ≥ 1 (ninths of the steps' iterations), got {epochs}")
        self.videos, self.pool, self.validation = videos, pool, validation
        self.num_classes, self.seed, self.epochs = int(num_classes), int(seed), int(epochs)
        self.iterations = VREMRA.from_preset(preset, **fixed).iterations  # the steps' iterations in EPOCHS epochs
        self.pseudo_label_cache = {}  # (K, codebook size) → (labeler, labels)
        self._clips = self._kept = None

    @property
    def max_epochs(self):
        return self.epochs

    def space(self, hp):
        choices = LABEL_CHOICES[self.preset]
        return {
            "proxy_weight": hp.Float("proxy_weight", 0.03, 3.0, sampling="log"),
            "num_labels": hp.Choice("num_labels", choices["num_labels"]),
            "codebook_size": hp.Choice("codebook_size", choices["codebook_size"]),
            "learning_rate": hp.Float("learning_rate", 3e-5, 3e-3, sampling="log"),
        }

    def make_task(self, hp, epochs=None):
        """The trial's `VREMRA`, with `epochs` (default `self.epochs`) ninths of the iterations of every step."""
        scale = (self.epochs if epochs is None else int(epochs)) / EPOCHS
        iterations = tuple(max(1, round(i * scale)) for i in self.iterations)
        return self.task_class.from_preset(self.preset, **{**self.fixed, **self.space(hp), "iterations": iterations})

    def build(self, hp):
        return self.make_task(hp).build_net(self.num_classes)

    def pseudo_labels(self, task):
        """`(clips, clip_labels)` for `task`'s (K, codebook size), the labeler fitted by the first trial that asks."""
        key = (task.num_labels, task.codebook_size)
        if key not in self.pseudo_label_cache:
            labels, _ = task.pseudo_labels(self.videos)
            self.pseudo_label_cache[key] = (task.labeler, labels)
        labels = self.pseudo_label_cache[key][1]
        kept = np.flatnonzero(labels >= 0)
        if self._kept is None or not np.array_equal(kept, self._kept):
            # The labeler skips a video for its length, whatever the pair: in practice the clips are made once.
            self._clips, self._kept = task.clips(self.videos, labels)
        return self._clips, labels[kept]

    def fit(self, hp, model, *args, callbacks=None, epochs=None, initial_epoch=0, **kwargs):
        task = self.make_task(hp, epochs)
        clips, clip_labels = self.pseudo_labels(task)
        # Only the logger watches the steps (each fits a `VisualMotionTrainer` around the net): KerasTuner's callbacks
        # checkpoint the net on its objective, which exists after the last step, when `report` hands it to them.
        loggers = [c for c in self.monitor(hp, callbacks) if isinstance(c, TensorBoardLogger)]
        results = task.train(
            few_labeled(self.pool, task.shots, self.seed),
            self.validation,
            clips,
            clip_labels,
            self.num_classes,
            seed=self.seed,
            rows=["full"],
            net=model,
            callbacks=loggers,
            log_dir=self.trial_log_dir(callbacks),
        )
        return self.report(model, callbacks, {"val_accuracy": results["full"]}, len(task.iterations) - 1)

    @classmethod
    def default_data(cls, preset="cpu"):
        """The recipe's embedded synthetic data at `preset`'s sizes (`DATA_PRESETS`), with validation images (frames
        of videos of their own, as `--holdout validation` makes): `{"videos", "pool", "validation",
        "num_classes"}`."""
        sizes = {**DATA_PRESETS["cpu"], **DATA_PRESETS.get(preset, {})}
        task = VREMRA.from_preset(preset)
        videos = unlabeled_videos(task.frames_needed, sizes["render_size"], num_videos=sizes["num_videos"]).videos
        images, names = labeled_images(
            task.image_size,
            sizes["render_size"],
            "validation",
            **{k: sizes[k] for k in ("num_videos", "pool_per_class", "test_videos", "validation_videos")},
        )
        return {"videos": videos, "pool": images["pool"], "validation": images["validation"], "num_classes": len(names)}
