"""Pose from Action's hyperparameter search: the negatives per positive and the verifier's learning rate, the knobs
the paper set by hand, selected on the downstream accuracy on validation images."""

import keras
import keras_tuner as kt
import numpy as np

from keras_motion.pose_from_action.data import DownstreamSplits, frames_of, synthetic_data
from keras_motion.pose_from_action.presets import DATA_PRESETS
from keras_motion.pose_from_action.task import PoseFromAction
from keras_motion.tuning import MethodSearch


def validation_split(downstream, fraction=0.3, frames=4, seed=0):
    """Validation images split off the labeled pool of `downstream`, for model selection without the test images.

    `fraction` of the pool videos (at least one, never all) become validation videos, spread over the classes: each
    next one is taken from the class that would then have the smallest share of its videos held out, so that a
    class keeps videos in the pool as long as possible. `frames` evenly spaced frames of each (fewer where the
    videos are shorter: one of an image) are the validation images; the other pool videos stay the pool the few
    labeled images are drawn from. The test images are left out.

    Args:
        downstream: a `DownstreamSplits` (pool videos, or single images as T = 1 videos).
        fraction: share of the pool videos held out for validation.
        frames: validation images taken from each validation video.
        seed: the split's seed.

    Returns:
        A `DownstreamSplits` whose `pool` is the rest of the pool and whose `test_images` / `test_labels` are the
        validation images (what `PoseFromAction.validate_downstream` scores on).

    Example:

    >>> pool = [np.zeros((5, 8, 8, 3), np.uint8)] * 6
    >>> split = validation_split(DownstreamSplits(pool, np.arange(6) % 2, None, None, ["a", "b"]), frames=2)
    >>> len(split.pool), split.test_images.shape, sorted(split.test_labels.tolist())
    (4, (4, 8, 8, 3), [0, 0, 1, 1])
    """
    labels = np.asarray(downstream.pool_labels)
    if len(labels) < 2:
        raise ValueError(f"validation_split: the pool has {len(labels)} video(s); at least 2 are needed")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(labels))
    share = np.empty(len(labels))  # the share of its class held out once this video is
    for c in np.unique(labels):
        members = order[labels[order] == c]
        share[members] = np.arange(1, len(members) + 1) / len(members)
    count = int(np.clip(round(fraction * len(labels)), 1, len(labels) - 1))
    held = np.sort(order[np.argsort(share[order], kind="stable")[:count]])
    kept = np.setdiff1d(np.arange(len(labels)), held)
    videos = [downstream.pool[i] for i in held]
    images, owners = frames_of(videos, min(frames, *(len(video) for video in videos)))
    return DownstreamSplits([downstream.pool[i] for i in kept], labels[kept], images, labels[held][owners],
                            list(downstream.class_names))


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
        return {"negatives": hp.Int("negatives", 1, 4),
                "learning_rate": hp.Float("learning_rate", 1e-4, 3e-3, sampling="log")}

    def build(self, hp):
        return self.make_task(hp).build_verifier(compile=False)

    def fit(self, hp, model, *args, callbacks=None, epochs=None, initial_epoch=0, **kwargs):
        task = self.make_task(hp)
        keras.utils.set_random_seed(task.seed)  # every trial draws the same batch order
        task.train_verifier(model, self.videos.pretrain, self.videos.heldout, callbacks=self.monitor(hp, callbacks),
                            log_dir=self.trial_log_dir(callbacks), epochs=epochs, initial_epoch=initial_epoch)
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
