"""Im2Flow's hyperparameter search: the motion-content loss weight λ, magnitude weighting and the learning rate, the
knobs the paper set by hand, selected on the validation end-point error."""

import keras
import keras_tuner as kt

from keras_motion.im2flow.data import synthetic_splits
from keras_motion.im2flow.presets import DATA_PRESETS
from keras_motion.im2flow.task import Im2Flow
from keras_motion.tuning import MethodSearch


class Im2FlowSearch(MethodSearch):
    """A KerasTuner `HyperModel` over `Im2Flow`'s U-Net training: λ (`content_weight`, log-uniform 0.002–0.2),
    `magnitude_weighting` (on / off) and the learning rate (log-uniform 1e-4–3e-3). The objective is `val_epe`, the
    U-Net's end-point error (px) on the validation pairs, which does not depend on the loss weights it compares.
    φ, the content network, does not depend on the tuned values: it is trained once, on the first trial, and shared.

    Args:
        splits: split dicts `{"flow", "val", ...}` (e.g. `synthetic_splits`): the U-Net trains on "flow" and is
            scored on "val"; φ trains on "flow" and selects its epoch on "val".
        num_classes: the action classes (φ's head).
        preset, log_dir, fixed: of `MethodSearch` (e.g. `epochs=10`, `seed=1`).

    Example:

    >>> search = Im2FlowSearch(splits, num_classes=6, preset="quick", log_dir="search/logs")  # doctest: +SKIP
    >>> tuner = km.tuning.make_tuner(search, "bayesian", max_trials=20, directory="search")  # doctest: +SKIP
    >>> tuner.search()  # doctest: +SKIP
    >>> km.tuning.summarize(tuner, "search")  # doctest: +SKIP

    Reference:
        Gao, Xiong & Grauman, Im2Flow (CVPR 2018), §3.2 (λ = 0.02, magnitude weighting) and §4.1 (EPE).
    """

    task_class = Im2Flow
    objective = kt.Objective("val_epe", "min")

    def __init__(self, splits, num_classes, preset="cpu", log_dir=None, **fixed):
        super().__init__(preset, log_dir, **fixed)
        self.splits, self.num_classes = splits, int(num_classes)
        self._content_network = None

    def space(self, hp):
        return {
            "content_weight": hp.Float("content_weight", 0.002, 0.2, sampling="log"),
            "magnitude_weighting": hp.Boolean("magnitude_weighting"),
            "learning_rate": hp.Float("learning_rate", 1e-4, 3e-3, sampling="log"),
        }

    def build(self, hp):
        return self.make_task(hp).build_unet()

    def fit(self, hp, model, *args, callbacks=None, epochs=None, initial_epoch=0, **kwargs):
        task = self.make_task(hp)
        if task.content_loss:
            if self._content_network is None:
                task.fit_content_network(self.splits["flow"], self.splits["val"], self.num_classes)
                self._content_network = task.content_network
            task.content_network = self._content_network
        keras.utils.set_random_seed(task.seed)  # every trial draws the same batches
        return task.train_unet(
            model,
            self.splits["flow"],
            self.splits["val"],
            callbacks=self.monitor(hp, callbacks),
            log_dir=self.trial_log_dir(callbacks),
            epochs=epochs,
            initial_epoch=initial_epoch,
        )

    @classmethod
    def default_data(cls, preset="cpu"):
        """The main job's embedded data at `preset`'s sizes: `{"splits", "num_classes"}`."""
        splits, classes = synthetic_splits(**{**DATA_PRESETS["cpu"], **DATA_PRESETS.get(preset, {})})
        return {"splits": splits, "num_classes": len(classes)}
