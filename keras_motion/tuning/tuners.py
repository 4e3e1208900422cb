"""KerasTuner's tuners by name, set up the same way for every method search."""

import os

import keras_tuner as kt

from keras_motion.utils.files import read_json

TUNERS = {"random": kt.RandomSearch, "bayesian": kt.BayesianOptimization, "hyperband": kt.Hyperband}


def make_tuner(
    hypermodel,
    tuner="random",
    max_trials=10,
    directory="search",
    project_name="kt",
    overwrite=False,
    seed=0,
    max_epochs=None,
    **kwargs,
):
    """A KerasTuner tuner over `hypermodel` (a `MethodSearch`), maximising or minimising its `objective`.

    Its state lives in `directory/project_name`: with `overwrite=False` (the default) a search that was killed
    resumes there, without redoing its finished trials. For parallel tuning on many machines, KerasTuner's own
    chief/worker mode applies unchanged (`KERASTUNER_TUNER_ID`, `KERASTUNER_ORACLE_IP`, `KERASTUNER_ORACLE_PORT`; see
    the README's "Scaling out").

    Args:
        hypermodel: a `keras_motion.tuning.MethodSearch` (or any `kt.HyperModel` with an `objective`).
        tuner: "random", "bayesian" or "hyperband".
        max_trials: trials in all (Hyperband stops after that many, or earlier when its brackets end).
        directory, project_name: where KerasTuner keeps its state.
        overwrite: start afresh instead of resuming.
        seed: the tuner's sampling seed: the same seed samples the same trials.
        max_epochs: Hyperband's largest epoch budget (default: the method's `max_epochs`, else 9).
        kwargs: passed on to the tuner (e.g. `num_initial_points` of Bayesian optimisation).
    """
    if tuner not in TUNERS:
        raise ValueError(f"unknown tuner {tuner!r}: choose one of {sorted(TUNERS)}")
    if int(max_trials) < 1:
        raise ValueError(f"max_trials must be ≥ 1, got {max_trials}")
    if not overwrite:
        check_search_state(os.path.join(os.fspath(directory), project_name))
    # KerasTuner takes a seed of 0 for "none" (a random one each run): shifted, every seed is one.
    common = dict(
        objective=hypermodel.objective,
        directory=os.fspath(directory),
        project_name=project_name,
        overwrite=overwrite,
        seed=int(seed) + 1,
        **kwargs,
    )
    if tuner == "hyperband":
        max_epochs = max_epochs or getattr(hypermodel, "max_epochs", None) or 9
        made = kt.Hyperband(hypermodel, max_epochs=int(max_epochs), factor=3, **common)
        made.oracle.max_trials = int(max_trials)  # Hyperband's oracle takes no max_trials: its budget is epochs
        return made
    return TUNERS[tuner](hypermodel, max_trials=int(max_trials), **common)


def is_chief_process():
    """Whether this process writes a search's summary: always, except in the workers of KerasTuner's parallel
    (chief / worker) mode, where `KERASTUNER_TUNER_ID` names a worker."""
    if "KERASTUNER_ORACLE_IP" not in os.environ:
        return True
    return "chief" in os.environ.get("KERASTUNER_TUNER_ID", "")


def check_search_state(project_dir):
    """Reads back every JSON file of KerasTuner's state in `project_dir` (oracle.json, tuner0.json, each trial's
    trial.json) before KerasTuner resumes from it: a truncated one raises `CorruptFileError` naming it and the fix,
    where KerasTuner would stop with a bare `JSONDecodeError`."""
    fix = (
        f"rerun with --overwrite (overwrite=True) to start the search afresh, or delete {project_dir} (the "
        "finished trials are lost either way)"
    )
    for folder, _, files in os.walk(project_dir):
        for name in sorted(files):
            if name.endswith(".json"):
                read_json(os.path.join(folder, name), fix)
