"""Training past one device: data-parallel Im2Flow gives one device's loss curve for the same global batch (JAX on
two host devices, TensorFlow on two logical CPUs), a killed data-parallel training resumes exactly (JAX), MoSI and
VRE + MRA train data-parallel as on one device, PyTorch is refused naming what works, and batches that do not divide
are refused naming the argument."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_motion as km
from keras_motion.distribution import DistributionError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JOB = os.path.join(ROOT, "tests", "distribution_job.py")


def _job(tmp_path, backend, *extra):
    """Runs tests/distribution_job.py on `backend` with two devices; returns its JSON."""
    out = tmp_path / "result.json"
    env = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "PYTHONPATH": ROOT,
        "XLA_FLAGS": f"{os.environ.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count=2".strip(),
    }
    done = subprocess.run(
        [sys.executable, JOB, str(out), *extra], env=env, cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(out.read_text())


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "tensorflow"])
def test_data_parallel_gives_the_loss_curve_of_one_device(tmp_path, backend):
    """JAX also: a data-parallel training killed after epoch 2 and rerun ends as an uninterrupted one."""
    pytest.importorskip(backend)
    result = _job(tmp_path, backend, "im2flow", *(["resume"] if backend == "jax" else []))
    one, two = result["one"], result["two"]
    assert (one["replicas"], two["replicas"]) == (1, 2)
    np.testing.assert_allclose(two["loss"], one["loss"], rtol=1e-4)
    np.testing.assert_allclose(two["val_epe"], one["val_epe"], rtol=1e-4)
    np.testing.assert_allclose(two["flow"], one["flow"], atol=1e-3)
    if backend != "jax":
        return
    np.testing.assert_allclose(result["resumed"], result["uninterrupted"], atol=1e-5)
    # the killed run did die after epoch 2: its training logs come from two fits, the killed one and the rerun
    runs = km.utils.read_events(tmp_path / "killed" / "logs" / "unet")
    assert [step for step, _ in runs["train"]["scalars"]["epoch_loss"]] == [0, 1, 2, 3]
    assert len(os.listdir(tmp_path / "killed" / "logs" / "unet" / "train")) == 2


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "tensorflow"])
def test_data_parallel_mosi_gives_the_pretext_and_finetuning_of_one_device(tmp_path, backend):
    # Each device generates the pseudo motions of its own images, those one device makes for them; every batch,
    # picture and evaluation divides across the devices.
    pytest.importorskip(backend)
    result = _job(tmp_path, backend, "mosi")
    one, two = result["one"], result["two"]
    assert (one["replicas"], two["replicas"]) == (1, 2)
    assert (one["heldout"], two["heldout"]) == (5, 4)  # an even share of the 5 held-out sources
    np.testing.assert_allclose(two["loss"], one["loss"], rtol=1e-4)
    np.testing.assert_allclose(two["val_loss"], one["val_loss"], rtol=1e-4)
    np.testing.assert_allclose(two["finetune"], one["finetune"], atol=1e-3)  # class probabilities of 9 clips
    if backend == "tensorflow":  # each replica draws the global batch's numbers and keeps its own rows
        assert result["replica_draws"] == 0.0
    pictures = km.utils.read_events(tmp_path / "two" / "logs" / "pretext" / "masked")["images"]["images"]
    assert {"mosi/pseudo_motion_clips", "grad_cam/frames_heat"} <= set(pictures), sorted(pictures)


@pytest.mark.slow
def test_data_parallel_vre_mra_gives_the_steps_of_one_device(tmp_path):
    # One program over the global batch: the smoothness losses (step 2) still pair sub-clips across all of it.
    pytest.importorskip("jax")
    result = _job(tmp_path, "jax", "vre")
    one, two = result["one"], result["two"]
    assert (one["replicas"], two["replicas"]) == (1, 2)
    np.testing.assert_allclose(two["weights"], one["weights"], rtol=1e-5)
    assert two["accuracy"] == one["accuracy"]


@pytest.mark.backend_agnostic
def test_data_parallel_on_this_backend():
    if keras.backend.backend() == "torch":
        with pytest.raises(DistributionError, match="KERAS_BACKEND=jax"):
            km.distribution.data_parallel()
        return
    distribution = km.distribution.data_parallel()
    assert km.distribution.replicas(distribution) >= 1
    with km.distribution.scope(distribution):
        layer = km.models.BatchNormalization()
    assert "synchronized" not in layer.get_config()


@pytest.mark.backend_agnostic
def test_arguments_are_checked():
    with pytest.raises(DistributionError, match="data_parallel"):
        km.distribution.get("mirrored")
    assert km.distribution.get(None) is None
    task = km.im2flow.Im2Flow.from_preset("quick")
    assert "distribution" not in task.get_config()

    class Two:  # a distribution over two devices, as far as the checks see it
        num_replicas_in_sync = 2

        def scope(self):
            raise AssertionError

    assert km.distribution.evenly(7, Two()) == 6
    assert km.distribution.check_batch(8, Two()) == 8
    with pytest.raises(DistributionError, match="batch_size=5 does not divide across the 2 devices"):
        km.distribution.check_batch(5, Two())
    with pytest.raises(DistributionError, match="each tf.distribute replica sees only its part"):
        km.vre_mra.VREMRA(distribution=Two())
    with pytest.raises(DistributionError, match="batch_images=5 does not divide across the 2 devices"):
        km.mosi.MoSI(batch_images=5, distribution=Two())


def test_only_process_zero_writes(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_DISTRIBUTION_PROCESS_ID", "1")
    run = km.utils.Run(tmp_path / "run", verbose=False)
    assert run.out is None and run.path("metrics.json") is None
    monkeypatch.setenv("KERAS_DISTRIBUTION_PROCESS_ID", "0")
    assert km.utils.Run(tmp_path / "run", verbose=False).out == str(tmp_path / "run")
