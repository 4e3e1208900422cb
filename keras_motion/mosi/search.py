"""MoSI's hyperparameter search: the static-mask size, the speed granularity K and the pretext learning rate, the
knobs the paper set by hand, selected on few-shot finetuning accuracy on validation videos."""

import keras
import keras_tuner as kt
import numpy as np

from keras_motion.datasets import holdout_per_class
from keras_motion.datasets.synthetic import synthetic_actions
from keras_motion.mosi.data import pretext_sources, synthetic_splits
from keras_motion.mosi.presets import DATA_PRESETS
from keras_motion.mosi.task import MoSI
from keras_motion.tuning import MethodSearch

# The "mask" choices as `MoSI(mask_size=...)`: one side (the middle of the paper's range), the paper's range, none.
MASKS = {"fixed": 0.4, "range": (0.3, 0.5), "off": None}


class MoSISearch(MethodSearch):
    """A KerasTuner `HyperModel` over `MoSI`'s pretext training: the static mask (`mask`: a fixed side 0.4·L, the
    paper's 0.3-0.5·L range, or off), the speeds per direction K (`speeds`, 1-3: C_T = 4K + 1 labels) and the
    pretext learning rate (`pretext_learning_rate`, log-uniform 2e-4-5e-3). The objective is
    `val_few_shot_accuracy`: the video-level accuracy on validation videos of the pretrained backbone finetuned on
    `shots` labeled videos per class (one seed, `MoSI.finetune`). The pretext accuracy cannot be the objective:
    the mask and K change the pretext task itself, so its accuracy does not compare across trials. A trial's model
    is the pretext model (`MoSI.build_pretext`, seeded: every trial starts from the same weights), trained by
    `MoSI.train_pretext`; its TensorBoard run holds the pretext scalars, the pseudo-motion clips
    (`PseudoMotionClips`), Grad-CAM strips of validation videos and the objective.

    Args:
        sources: pretext source images (see `SourceImages`); heldout_sources: pretext validation sources, or `None`.
        videos, labels: the labeled videos the few-shot sets are drawn from (decoded uint8 (T, H, W, 3)).
        val_videos, val_labels: validation videos, disjoint from `videos` and from any test set.
        class_names: the class names (default: `0..max label`).
        preset, log_dir, fixed: of `MethodSearch` (e.g. `pretext_epochs=10`, `seed=1`).

    Example:

    >>> search = MoSISearch(**MoSISearch.default_data("quick"), preset="quick", log_dir="search/logs")  # doctest: +SKIP
    >>> tuner = km.tuning.make_tuner(search, "random", max_trials=10, directory="search")  # doctest: +SKIP
    >>> tuner.search()  # doctest: +SKIP
    >>> km.tuning.summarize(tuner, "search")  # doctest: +SKIP

    Reference:
        Huang et al., "Self-supervised Motion Learning from Static Images", CVPR 2021: §3.1-3.2 (speeds, static
        masks and their sizes), §4.1 (pretext and finetuning settings) and Table 3 (few labeled videos per class).
    """

    task_class = MoSI
    objective = kt.Objective("val_few_shot_accuracy", "max")
    epochs_argument = "pretext_epochs"

    def __init__(
        self,
        sources,
        videos,
        labels,
        val_videos,
        val_labels,
        class_names=None,
        heldout_sources=None,
        preset="cpu",
        log_dir=None,
        **fixed,
    ):
        super().__init__(preset, log_dir, **fixed)
        if len(val_videos) == 0 or len(val_videos) != len(val_labels):
            raise ValueError(
                f"MoSISearch needs validation videos with one label each, got {len(val_videos)} videos "
                f"and {len(val_labels)} labels"
            )
        self.sources, self.heldout_sources = sources, heldout_sources
        self.videos, self.labels = videos, np.asarray(labels)
        self.val_videos, self.val_labels = val_videos, np.asarray(val_labels)
        self.class_names = class_names

    def space(self, hp):
        return {
            "mask_size": MASKS[hp.Choice("mask", list(MASKS))],
            "speeds": hp.Int("speeds", 1, 3),
            "pretext_learning_rate": hp.Float("pretext_learning_rate", 2e-4, 5e-3, sampling="log"),
        }

    def build(self, hp):
        task = self.make_task(hp)
        keras.utils.set_random_seed(task.seed)  # the same initial weights in every trial, as `MoSI.pretrain` seeds
        return task.build_pretext()

    def fit(self, hp, model, *args, callbacks=None, epochs=None, initial_epoch=0, **kwargs):
        task = self.make_task(hp)
        # One batch shape: on JAX each phase of each trial compiles one training step, not two.
        task.train_pretext(
            model,
            self.sources,
            self.heldout_sources,
            callbacks=self.monitor(hp, callbacks),
            log_dir=self.trial_log_dir(callbacks),
            epochs=epochs,
            initial_epoch=initial_epoch,
            grad_cam_clips=task.grad_cam_clips(self.val_videos, count=4)[0],
            drop_remainder=True,
        )
        task.backbone = task.pretext_parts(model)[1]
        report = task.finetune(
            self.videos,
            self.labels,
            self.val_videos,
            self.val_labels,
            self.class_names,
            seeds=task.finetune_seeds[:1],
            scratch=False,
        )
        last_epoch = (task.pretext_epochs if epochs is None else int(epochs)) - 1
        return self.report(
            model, callbacks, {"val_few_shot_accuracy": report["mosi"]["video_accuracy"]["mean"]}, last_epoch
        )

    @classmethod
    def default_data(cls, preset="cpu"):
        """The recipe's embedded data at `preset`'s sizes (`DATA_PRESETS`, seed 0), training side only: `{"sources",
        "videos", "labels", "val_videos", "val_labels", "class_names"}`. The pretext sources are the recipe's
        (photo crops and unlabeled synthetic videos; no held-out sources: the pretext accuracy does not
        compare across trials, so a search does not pay for it); the recipe's labeled pool is split per class
        (`km.datasets.holdout_per_class`: a third held out, `shots` kept) into the few-shot pool and the
        validation videos. The recipe's test videos are never rendered; where the pool is too small to split
        ("quick": one video per class) more labeled videos are rendered, after the recipe's test videos."""
        sizes = {**DATA_PRESETS["cpu"], **DATA_PRESETS.get(preset, {})}
        shots = MoSI.hyperparameters(preset)["shots"]
        unlabeled, labeled = sizes["synthetic_unlabeled"], sizes["synthetic_labeled"]
        render = dict(num_frames=sizes["video_frames"], size=sizes["video_size"], seed=0)
        data = synthetic_splits(unlabeled, labeled, 0, **render)
        frames, labels, names = data.labeled.frames, data.labeled.labels, data.labeled.class_names
        missing = len(names) * (shots + 1) - labeled
        if missing > 0:
            more = synthetic_actions(missing, start=unlabeled + labeled + sizes["synthetic_test"], **render)
            frames, labels = np.concatenate([frames, more.frames]), np.concatenate([labels, more.labels])
        train, validation = holdout_per_class(labels, keep=shots, seed=0)
        sources, _ = pretext_sources(
            unlabeled_videos=data.unlabeled.frames,
            heldout_photos=sizes["heldout_photos"],
            crops_per_photo=sizes["crops_per_photo"],
            seed=0,
        )
        return {
            "sources": sources,
            "videos": frames[train],
            "labels": labels[train],
            "val_videos": frames[validation],
            "val_labels": labels[validation],
            "class_names": list(names),
        }
