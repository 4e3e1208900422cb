"""`tools/bench_gpu.py --tiny` runs end to end on the CPU as the GPU machine runs it: Keras on JAX, PyTorch beside it,
and no TensorFlow (a `sitecustomize` on the children's path makes `import tensorflow` fail in every process)."""

import os
import subprocess
import sys

import pytest
from no_tensorflow import HIDE_TENSORFLOW

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = os.path.join(ROOT, "tools", "bench_gpu.py")


def _env(tmp_path):
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(HIDE_TENSORFLOW)
    path = os.pathsep.join([str(hook), ROOT, os.environ.get("PYTHONPATH", "")])
    return dict(os.environ, KERAS_BACKEND="jax", PYTHONPATH=path, PYTHONUNBUFFERED="1")


def test_hook_hides_tensorflow(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", "import tensorflow"], env=_env(tmp_path), capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0 and "hidden by the test" in done.stderr


@pytest.mark.slow
def test_tiny_run_prints_figures_and_ratios_without_tensorflow(tmp_path):
    pytest.importorskip("jax")
    pytest.importorskip("torch")
    # torch.compile is left out here (it costs ~20 s more on a loaded 2-core CPU); `--tiny` alone times it too.
    done = subprocess.run(
        [sys.executable, TOOL, "--tiny", "--no-compile"],
        env=_env(tmp_path),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = done.stdout
    assert done.returncode == 0, out[-3000:] + done.stderr[-3000:]
    for case in (
        "mosi-keras-conv3d",
        "r2p1d-keras-conv3d",
        "r2p1d-torch-eager",
        "mosi-keras-factorized",
        "unet-keras",
        "unet-torch-eager",
    ):
        assert any(line.startswith(case) and "/s" in line for line in out.splitlines()), case
    assert "device: jax cpu" in out and "device: torch cpu" in out and "float32" in out
    for ratio in (
        "R(2+1)D Keras-JAX (conv3d) ÷ torch eager",
        "MoSI step Keras-JAX conv3d ÷ factorized",
        "U-Net Keras-JAX ÷ torch eager",
    ):
        line = next(line for line in out.splitlines() if ratio in line)
        assert float(line.split(ratio)[1].split()[0]) > 0
    assert "torchvision eager 439 clips/s" in out  # the anchors beside the ratios
    assert "TensorFlow imported: no" in out
