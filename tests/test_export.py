"""Export for serving (`keras_motion.export`, `tools/export.py`): every method's tiny inference model as a SavedModel
(made on TensorFlow and on JAX, loaded with `tf.saved_model.load`) and as ONNX (made on TensorFlow, run with
`onnxruntime`), called on uint8 input of another size than the trained one where the format allows, equal to
`model.predict`; and the clear errors of a bad format, an existing path, a model that is not an inference model."""

import importlib.util
import os

import keras
import numpy as np
import pytest
from test_inference_models import METHODS

from keras_motion.errors import InvalidArgumentError, OutputPathError, UnsupportedSetupError
from keras_motion.export import export_model, serving_input_shape
from keras_motion.utils.cli import run_main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BACKEND = keras.backend.backend()
NO_SAVED_MODEL = "Keras exports SavedModels from TensorFlow and JAX only"


@pytest.fixture(scope="module")
def built():
    """method → (inference model, an input of another size than the trained one)."""
    out = {}
    for name, factory in METHODS.items():
        task, _, _, other_input, _ = factory()
        out[name] = (task.inference_model(), other_input)
    return out


def _numpy(x):
    x = x if isinstance(x, dict) else {"output_0": x}
    return {k: np.asarray(keras.ops.convert_to_numpy(v)) for k, v in x.items()}


def _assert_close(got, want):
    assert sorted(got) == sorted(want)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-4, atol=1e-4, err_msg=key)


@pytest.mark.backend_agnostic
@pytest.mark.parametrize("method", sorted(METHODS))
def test_saved_model_serves_uint8_of_another_size(built, method, tmp_path):
    if BACKEND not in ("tensorflow", "jax"):
        pytest.skip(f"{BACKEND}: {NO_SAVED_MODEL}")
    tf = pytest.importorskip("tensorflow")
    model, x = built[method]
    shape = None
    if BACKEND == "jax" and method != "im2flow":  # JAX fixes H and W of a resizing model (and MoSI's T): ours
        shape = x.shape[1:]
    path = export_model(model, tmp_path / "saved", input_shape=shape)
    serve = tf.saved_model.load(path).signatures["serving_default"]
    spec = serve.structured_input_signature[1][model.inputs[0].name]
    assert spec.dtype == tf.uint8 and spec.shape[0] is None
    if BACKEND == "tensorflow":
        assert spec.shape.rank == x.ndim and all(s is None for s in spec.shape[:-1])  # free B, (T,) H, W
    _assert_close(_numpy(serve(**{model.inputs[0].name: tf.constant(x)})), _numpy(model.predict(x, verbose=0)))


@pytest.mark.backend_agnostic
def test_jax_names_input_shape_where_its_symbolic_shapes_cannot_follow(built, tmp_path):
    if BACKEND != "jax":
        pytest.skip("the limit of jax2tf's symbolic shapes")
    model, x = built["mosi"]
    assert serving_input_shape(model) == (None, 16, 16, 3)  # H and W: the size MoSI resizes frames to
    with pytest.raises(UnsupportedSetupError, match=r"input_shape.*\(8, 16, 16, 3\)"):
        export_model(model, tmp_path / "saved")  # free T: MoSI's factorised Conv3D pads time by a traced amount
    assert not os.path.exists(tmp_path / "saved")


@pytest.mark.backend_agnostic
def test_a_backend_that_cannot_export_says_which_can(built, tmp_path):
    model, _ = built["pose_from_action"]
    if BACKEND == "tensorflow":
        pytest.skip("TensorFlow exports both formats")
    for format in ("onnx",) + (("saved_model",) if BACKEND == "torch" else ()):
        with pytest.raises(UnsupportedSetupError, match="KERAS_BACKEND=tensorflow"):
            export_model(model, tmp_path / "out", format)


@pytest.mark.parametrize("method", sorted(METHODS))
def test_onnx_runs_in_onnxruntime_like_predict(built, method, tmp_path):
    if BACKEND != "tensorflow":
        pytest.skip("ONNX is made on TensorFlow (tf2onnx)")
    ort = pytest.importorskip("onnxruntime")
    model, x = built[method]
    shape = x.shape[1:] if method == "im2flow" else None  # ONNX fixes H, W: Im2Flow at another size than trained
    if shape is None:  # the resizing models: H, W fixed to their trained size; batch (and T) still free
        size = serving_input_shape(model, "onnx")[-2]
        x = x[..., :size, :size, :] if min(x.shape[-3:-1]) >= size else np.resize(x, x.shape[:-3] + (size, size, 3))
        x = np.ascontiguousarray(x[:1])  # another batch size too
    path = export_model(model, tmp_path / "model.onnx", "onnx", input_shape=shape)
    session = ort.InferenceSession(path)
    (spec,) = session.get_inputs()
    assert spec.type == "tensor(uint8)" and spec.name == model.inputs[0].name
    got = dict(zip((o.name for o in session.get_outputs()), session.run(None, {spec.name: x})))
    want = _numpy(model.predict(x, verbose=0))
    if len(want) == 1:
        got = {"output_0": next(iter(got.values()))}
    _assert_close(got, want)


@pytest.mark.backend_agnostic
def test_bad_format_existing_path_and_other_models_are_named(built, tmp_path):
    model, _ = built["pose_from_action"]
    with pytest.raises(InvalidArgumentError, match="format: 'tflite'.*'saved_model'"):
        export_model(model, tmp_path / "a", "tflite")
    with pytest.raises(InvalidArgumentError, match="input_shape: .*does not fit"):
        serving_input_shape(model, input_shape=(16, 16))
    if BACKEND in ("tensorflow", "jax"):
        (tmp_path / "taken").mkdir()
        with pytest.raises(OutputPathError, match="path: .*taken already exists"):
            export_model(model, tmp_path / "taken")
        plain = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
        with pytest.raises(InvalidArgumentError, match="model: .*not a keras_motion inference model"):
            export_model(plain, tmp_path / "plain")


def _tool(name):
    spec = importlib.util.spec_from_file_location(f"{name}_tool", os.path.join(ROOT, "tools", f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_export_tool_writes_once_and_ends_errors_with_exit_2(built, tmp_path, capsys):
    if BACKEND != "tensorflow":
        pytest.skip("the tool is tested on the default backend")
    model, _ = built["pose_from_action"]
    model.save(tmp_path / "pose_inference.keras")
    tool = _tool("export")
    argv = [str(tmp_path / "pose_inference.keras"), "--out", str(tmp_path / "served")]
    assert run_main(tool.main, argv) == 0
    assert os.path.isfile(tmp_path / "served" / "saved_model.pb")
    assert run_main(tool.main, argv) == 2
    assert "error: path: " in capsys.readouterr().err
    assert run_main(tool.main, argv[:1] + ["--out", str(tmp_path), "--format", "onnx"]) == 0
    assert os.path.isfile(tmp_path / "pose_inference.onnx")
    with pytest.raises(SystemExit) as exit_:
        tool.main(argv[:1] + ["--out", str(tmp_path / "b"), "--format", "tflite"])
    assert exit_.value.code == 2
