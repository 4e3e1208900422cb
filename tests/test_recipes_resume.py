"""Exact resume of every recipe (issue 14, class 3), end to end at --quick sizes: a run killed in the middle of its
training and rerun with the same command ends with the metrics of an uninterrupted run; a rerun into the finished
folder trains nothing; a rerun with another flag is refused naming it."""

import contextlib
import glob
import io
import json
import os

import keras
import pytest
from conftest import load_recipe

from keras_motion.utils.cli import run_main
from keras_motion.utils.runs import Run

# Bookkeeping that differs between any two runs.
VARYING = {"minutes", "seconds"}
# The recipe, the training (n-th call of Run.callbacks, 1-based) whose first epoch end the kill follows, and a flag
# whose change a rerun must refuse.
CASES = [
    ("im2flow", 2, ["--epochs", "3"]),
    ("mosi", 2, ["--pretext-epochs", "3"]),
    ("vre_mra", 3, ["--seeds", "2"]),
    ("pose_from_action", 1, ["--negatives", "3"]),
]


class Killed(Exception):
    """The job dies here (the backup of the epoch is written: the kill comes after every other callback)."""


def leaves(x, prefix=""):
    if isinstance(x, dict):
        for k, v in x.items():
            if k not in VARYING:
                yield from leaves(v, f"{prefix}/{k}")
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from leaves(v, f"{prefix}[{i}]")
    else:
        yield prefix, x


def figures(folder):
    metrics = json.loads((folder / "metrics.json").read_text())
    metrics.pop("args"), metrics.pop("task", None)
    return dict(leaves(metrics))


def main(recipe, argv):
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        code = load_recipe(recipe).main(argv)
    return code, printed.getvalue()


@pytest.mark.slow
@pytest.mark.parametrize("recipe, kill_in, other_flag", CASES, ids=[c[0] for c in CASES])
def test_killed_recipe_resumes_to_the_uninterrupted_figures(
    recipe, kill_in, other_flag, quick_run, tmp_path, monkeypatch, capsys
):
    uninterrupted, _ = quick_run(recipe)
    out = tmp_path / "run"
    argv = ["--quick", "--out", str(out)]
    trainings = []
    callbacks = Run.callbacks

    def killing_callbacks(self, name, *args, **kwargs):
        found = callbacks(self, name, *args, **kwargs)
        trainings.append(name)
        if len(trainings) == kill_in:

            class KillAfterFirstEpoch(keras.callbacks.Callback):
                def on_epoch_end(self, epoch, logs=None):
                    raise Killed(name)

            found.append(KillAfterFirstEpoch())
        return found

    monkeypatch.setattr(Run, "callbacks", killing_callbacks)
    with pytest.raises(Killed):
        main(recipe, argv)
    assert not (out / "metrics.json").exists()
    monkeypatch.setattr(Run, "callbacks", callbacks)

    assert main(recipe, argv)[0] == 0  # the same command: resumes
    assert figures(out) == figures(uninterrupted)

    events = sorted(glob.glob(str(out / "logs" / "**" / "*"), recursive=True))
    code, printed = main(recipe, argv)  # into the finished folder: its figures, nothing trained
    assert code == 0 and printed.strip()
    assert sorted(glob.glob(str(out / "logs" / "**" / "*"), recursive=True)) == events
    assert figures(out) == figures(uninterrupted)

    module = load_recipe(recipe)
    capsys.readouterr()
    assert run_main(module.main, argv + other_flag) == 2
    error = capsys.readouterr().err
    assert "error: " in error and other_flag[0] in error and "--overwrite" in error
    assert os.path.exists(out / "metrics.json")  # the refused rerun touched nothing
