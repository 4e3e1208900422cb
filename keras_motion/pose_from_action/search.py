"""Pose from Action's hyperparameter search: the negatives per positive and the verifier's learning rate, the knobs
the paper set by hand, selected on the downstream accuracy on validation images."""

import keras
import keras_tuner as kt

from keras_motion.pose_from_action.data import synthetic_data, validation_split
from keras_motion.pose_from_action.presets import DATA_PRESETS
from keras_motion.pose_from_action.task import PoseFromAction
from keras_motion.tuning import MethodSearch


class PoseSearch(MethodSearch):
    """A KerasTuner `HyperModel` over `PoseFromAction`'s verifier training: the in-batch negatives per positive
    (`negatives`, 1–4) and the verifier's learning rate (log-uniform 1e-4–3e-3). The held-out verification accuracy
    cannot compare them (its chance level, K / (K + 1), moves with K), so the objective is
    `val_downstream_accuracy`: a classifier initialised from the trial's verifier, finetuned on `num_labeled`
    images of the validation split's pool (one seed), scored on its validation images (`validate_downstream`).
    Each trial's TensorBoard run holds the verifier's scalars, its triplet pictures (`TripletImages`), the
    objective in its validation run and its HParams session.

    Args:
        videos: a `TripletSplits`: the verifier trains on `pretrain`, is validated and pictured on `heldout`.
        validation: a `DownstreamSplits` of validation images (`validation_split`), never the test images.
        preset, log_dir, fixed: of `MethodSearch` (e.g. `epochs=10`, `seed=1`).

    Example:

    >>> search = PoseSearch(**PoseSearch.default_data("quick"), preset="quick", log_dir="search/logs")  # doctest: +SKIP
    >>> tuner = km.tuning.make_tuner(search, "random", max_trials=10, directory="search")  # doctest: +SKIP
    >>> tuner.search()  # doctest: +SKIP
    >>> km.tuning.summarize(tuner, "search")  # doctest: +SKIP

    Reference:
        Purushwalkam & Gupta 2016, §3 (two negatives per positive, chance 66 %) and §4.3-4.4 (finetuning from the
        Appearance ConvNet).
    """

    task_class = PoseFromAction
    objective = kt.Objective("val_downstream_accuracy", "max")

    def __init__(self, videos, validation, preset="cpu", log_dir=None, **fixed):
        super().__init__(preset, log_dir, **fixed)
        self.videos, self.validation = videos, validation

    def space(self, hp):
        return {
            "negatives": hp.Int("negatives", 1, 4),
            "learning_rate": hp.Float("learning_rate", 1e-4, 3e-3, sampling="log"),
        }

    def build(self, hp):
        return self.make_task(hp).build_verifier(compile=False)

    def fit(self, hp, model, *args, callbacks=None, epochs=None, initial_epoch=0, **kwargs):
        task = self.make_task(hp)
        keras.utils.set_random_seed(task.seed)  # every trial draws the same batch order
        task.train_verifier(
            model,
            self.videos.pretrain,
            self.videos.heldout,
            callbacks=self.monitor(hp, callbacks),
            log_dir=self.trial_log_dir(callbacks),
            epochs=epochs,
            initial_epoch=initial_epoch,
        )
        accuracy = task.validate_downstream(self.validation)
        last_epoch = (task.epochs if epochs is None else int(epochs)) - 1
        return self.report(model, callbacks, {"val_downstream_accuracy": accuracy}, last_epoch)

    @classmethod
    def default_data(cls, preset="cpu"):
        """The recipe's embedded data at `preset`'s sizes (`synthetic_data`), with validation images split off its
        labeled pool (`validation_split`): `{"videos", "validation"}`."""
        task = PoseFromAction.from_preset(preset)
        data = {**DATA_PRESETS["cpu"], **DATA_PRESETS.get(preset, {})}
        videos, downstream = synthetic_data(size=task.render_size, delta=task.delta, **data)
        return {"videos": videos, "validation": validation_split(downstream)}
