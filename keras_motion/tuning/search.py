"""The base of the method searches: a `keras_tuner.HyperModel` whose trials build a method object from a preset plus
the trial's values, train it, and report a validation metric the method already computes."""

import os

import keras
import keras_tuner as kt

from keras_motion.callbacks import TensorBoardLogger
from keras_motion.utils.summaries import SummaryWriter, tensorboard_available


def hyperparameter_values(hp):
    """The trial's own values of `hp` (a `kt.HyperParameters`), without KerasTuner's bookkeeping ("tuner/epochs",
    "tuner/trial_id" ... of Hyperband)."""
    return {name: value for name, value in hp.values.items() if not name.startswith("tuner/")}


class MethodSearch(kt.HyperModel):
    """A search over the constructor arguments of a method object (`task_class`), usable with any KerasTuner tuner
    (RandomSearch, BayesianOptimization, Hyperband) on TensorFlow, JAX and PyTorch.

    A subclass defines `space(hp)` (declares the tuned knobs on `hp`, returns them as the method's arguments), the
    `objective` (a validation metric, never a test figure), `build(hp)` (the trained model, uncompiled: cheap, since
    KerasTuner calls it to learn the search space), `fit(hp, model, ...)` and a classmethod `default_data(preset)`
    (the method's embedded data, the keyword arguments of its constructor besides these). Every trial starts from
    the same seed, so that two trials differ by their values only. With `log_dir`, each trial is a TensorBoard run
    `log_dir/<trial id>` (its scalars, its pictures, and an HParams session with its values and objective, on every
    backend: KerasTuner writes HParams only on TensorFlow and only for a Keras `TensorBoard` callback, which needs
    TensorFlow).

    Args:
        preset: the method's preset the trials start from ("cpu", "quick", "paper").
        log_dir: TensorBoard logs of the trials, or `None`.
        fixed: other constructor arguments of the method, kept in every trial (e.g. `seed=1`, `epochs=10`).
    """

    task_class = None
    objective = None
    epochs_argument = "epochs"  # the method argument that sets the tuned training's length (Hyperband's budget)

    def __init__(self, preset="cpu", log_dir=None, **fixed):
        super().__init__(name=type(self).__name__)
        if preset not in self.task_class.PRESETS:
            raise ValueError(
                f"{type(self).__name__}: unknown preset {preset!r}; choose one of {sorted(self.task_class.PRESETS)}"
            )
        self.preset, self.fixed = preset, fixed
        self.log_dir = None if log_dir is None else os.fspath(log_dir)

    @property
    def max_epochs(self):
        """The preset's epochs of the tuned training: Hyperband's largest budget."""
        return int(getattr(self.task_class.from_preset(self.preset, **self.fixed), self.epochs_argument))

    def declare_experiment(self, tuner):
        """Writes the HParams experiment (the tuned values' domains and the objective) at the root of `log_dir`, so
        that TensorBoard's HParams dashboard lists every knob before the first trial ends. Call it from one process
        (the chief of a parallel search)."""
        if self.log_dir is None or not tensorboard_available():
            return
        domains = {}
        for hp in tuner.oracle.get_space().space:
            if hp.name.startswith("tuner/"):
                continue
            kind = type(hp).__name__
            domains[hp.name] = (
                [False, True]
                if kind == "Boolean"
                else list(hp.values)
                if kind == "Choice"
                else [hp.value]
                if kind == "Fixed"
                else (hp.min_value, hp.max_value)
            )
        name = self.objective.name
        with SummaryWriter(self.log_dir) as writer:
            writer.hparams_config(
                domains, [(f"epoch_{name.removeprefix('val_')}", "validation" if name.startswith("val_") else "train")]
            )

    def make_task(self, hp):
        """The method object of this trial: the preset, the fixed arguments, the trial's values."""
        return self.task_class.from_preset(self.preset, **{**self.fixed, **self.space(hp)})

    @staticmethod
    def trial_of(callbacks):
        """The `kt.engine.trial.Trial` a KerasTuner tuner passes (through its `TunerCallback`) to `fit`, or None
        when `fit` is called outside a search."""
        for callback in callbacks or ():
            if hasattr(callback, "trial") and hasattr(callback, "tuner"):
                return callback.trial
        return None

    def trial_log_dir(self, callbacks):
        """`log_dir/<trial id>` of the trial running `fit`, or None (no `log_dir`, no tensorboard, no search)."""
        trial = self.trial_of(callbacks)
        if self.log_dir is None or trial is None or not tensorboard_available():
            return None
        return os.path.join(self.log_dir, str(trial.trial_id))

    def monitor(self, hp, callbacks):
        """`callbacks` (KerasTuner's) plus the trial's `TensorBoardLogger` (scalars and HParams session) first, so
        that a metric a method callback adds to the logs reaches KerasTuner's checkpointing too."""
        log_dir, trial = self.trial_log_dir(callbacks), self.trial_of(callbacks)
        logger = [] if log_dir is None else [TensorBoardLogger(log_dir, hyperparameter_values(hp), trial.trial_id)]
        return logger + list(callbacks or ())

    def report(self, model, callbacks, metrics, epoch):
        """For a method whose objective is measured after its training (e.g. a finetuning on validation videos):
        hands `metrics` to KerasTuner's callbacks as the logs of the last epoch (its best-model checkpoint is then
        this model's weights), logs them as `epoch_<name>` in the trial's validation run, and returns `metrics`."""
        metrics = {name: float(value) for name, value in metrics.items()}
        callbacks = keras.callbacks.CallbackList(list(callbacks or ()), model=model)
        callbacks.on_epoch_end(int(epoch), dict(metrics))
        log_dir = self.trial_log_dir(callbacks.callbacks)
        if log_dir is not None:
            with SummaryWriter(os.path.join(log_dir, "validation")) as writer:
                for name, value in metrics.items():
                    writer.scalar(f"epoch_{name.removeprefix('val_')}", value, epoch)
        return metrics
