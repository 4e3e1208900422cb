"""Hyperparameter searches with KerasTuner on every Keras backend: the base of the method searches (each trial its
own TensorBoard run and HParams session, written by keras_motion where KerasTuner does not), the tuners by name,
and the summary a search ends with (table, trials.csv, plot, best_hparams.json, best model)."""

from keras_motion.tuning.report import summarize, trial_rows
from keras_motion.tuning.search import MethodSearch, hyperparameter_values
from keras_motion.tuning.tuners import TUNERS, is_chief_process, make_tuner

__all__ = [
    "TUNERS",
    "MethodSearch",
    "hyperparameter_values",
    "is_chief_process",
    "make_tuner",
    "summarize",
    "trial_rows",
]
