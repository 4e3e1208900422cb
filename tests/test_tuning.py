"""Searches with KerasTuner: per-trial TensorBoard runs and HParams sessions on every backend, the search summary,
resume after a kill, and KerasTuner's chief / worker mode with keras_motion's HyperModels (Im2Flow's search here;
each method's own search is tested beside the method)."""

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

import keras_motion as km
from keras_motion.utils.summaries import read_events

pytestmark = pytest.mark.slow
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JOB = os.path.join(ROOT, "tests", "tuning_job.py")


@pytest.fixture(scope="module")
def splits():
    splits, classes = km.im2flow.synthetic_splits(num_videos=12, num_frames=7, render_size=40, pairs_per_video=1)
    return {"splits": splits, "num_classes": len(classes)}


# The HParams sessions on every backend with one tuner; Hyperband (its epoch budgets) on TensorFlow only (CI time).
@pytest.mark.parametrize("tuner", [pytest.param("random", marks=pytest.mark.backend_agnostic), "hyperband"])
def test_search_logs_one_hparams_session_per_trial_and_a_summary(tmp_path, splits, tuner, tf_eager):
    search = km.im2flow.Im2FlowSearch(
        **splits, preset="quick", log_dir=tmp_path / "logs", epochs=1, phi_epochs=1, batch_size=8
    )
    made = km.tuning.make_tuner(search, tuner, max_trials=3, directory=tmp_path, max_epochs=3)
    search.declare_experiment(made)
    made.search(verbose=0)
    runs = read_events(tmp_path / "logs")
    trials = sorted(run for run, events in runs.items() if events["hparams"] is not None)
    assert len(trials) == 3
    for trial in trials:
        assert set(runs[trial]["hparams"]) == {"content_weight", "magnitude_weighting", "learning_rate"}
        assert runs[trial]["status"] == "success" and runs[trial]["trial"] == trial
        assert "epoch_epe" in runs[f"{trial}/validation"]["scalars"]
        assert "flow/image_true_pred" in runs[f"{trial}/images"]["images"]
    assert runs["."]["experiment"] == ["content_weight", "learning_rate", "magnitude_weighting"]

    best = km.tuning.summarize(made, tmp_path / "out", verbose=False)
    with open(tmp_path / "out" / "trials.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 and all(row["status"] == "COMPLETED" for row in rows)
    scores = {row["trial"]: float(row["objective"]) for row in rows}
    assert best["trial"] == min(scores, key=scores.get)  # val_epe: lower is better
    with open(tmp_path / "out" / "best_hparams.json") as f:
        assert json.load(f)["hyperparameters"] == best["hyperparameters"]
    assert os.path.getsize(tmp_path / "out" / "objective.png") > 0
    model = keras.saving.load_model(tmp_path / "out" / "best_model.keras")
    assert tuple(model(np.zeros((1, 32, 32, 3), "uint8")).shape) == (1, 32, 32, 3)


def _tune(out, env=None):
    """A 3-trial search (tests/tuning_job.py) into `out`, as its own process."""
    return subprocess.Popen(
        [sys.executable, JOB, str(out)],
        env={**os.environ, "PYTHONPATH": ROOT, **(env or {})},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _sessions(out, trial):
    """HParams sessions started in the trial's run: 1, or 2 when a killed trial ran again."""
    folder = os.path.join(out, "logs", trial)
    return len([name for name in os.listdir(folder) if "tfevents" in name])


def test_killed_search_resumes_without_redoing_finished_trials(tmp_path):
    out = tmp_path / "search"
    job = _tune(out)
    deadline = time.time() + 300
    while not os.path.isdir(out / "logs" / "1") and job.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    assert job.poll() is None, job.communicate()[0]
    job.send_signal(signal.SIGKILL)  # during trial 1: no chance to save anything
    job.wait()
    assert not os.path.exists(out / "trials.csv")
    rerun = _tune(out)
    output = rerun.communicate(timeout=600)[0]
    assert rerun.returncode == 0, output
    with open(out / "trials.csv") as f:
        rows = list(csv.DictReader(f))
    assert [row["trial"] for row in rows] == ["0", "1", "2"] and all(r["status"] == "COMPLETED" for r in rows)
    assert (_sessions(out, "0"), _sessions(out, "1"), _sessions(out, "2")) == (1, 2, 1)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_chief_and_two_workers_share_the_trials(tmp_path):
    out = tmp_path / "parallel"
    oracle = {"KERASTUNER_ORACLE_IP": "127.0.0.1", "KERASTUNER_ORACLE_PORT": str(_free_port())}
    chief = _tune(out, env={**oracle, "KERASTUNER_TUNER_ID": "chief"})
    workers = [_tune(out, env={**oracle, "KERASTUNER_TUNER_ID": f"tuner{i}"}) for i in range(2)]
    outputs = [job.communicate(timeout=900)[0] for job in workers + [chief]]
    assert all(job.returncode == 0 for job in workers + [chief]), "\n".join(outputs)
    with open(out / "trials.csv") as f:  # written by the chief only
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 and all(row["status"] == "COMPLETED" for row in rows)
    # no trial ran twice: one HParams session in each trial's run
    assert [_sessions(out, row["trial"]) for row in rows] == [1, 1, 1]
