"""The four inference models (`task.inference_model()`): uint8 in, the quantity wanted out at any input size, equal to
the method object's own prediction path at the trained size, a `.keras` file that alone gives the same outputs in a
fresh process after `import keras_motion`, and float input refused. Tasks are tiny and untrained: their model
attribute is set to a freshly built network, as training would."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_motion as km
from keras_motion.errors import ImageInputError, NotFittedError
from keras_motion.im2flow.inference import ReflectPad

pytestmark = pytest.mark.backend_agnostic

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RNG = np.random.default_rng(0)


def _uint8(*shape):
    return RNG.integers(0, 256, shape).astype("uint8")


def _numpy(x):
    return keras.tree.map_structure(lambda t: np.asarray(keras.ops.convert_to_numpy(t)), x)


def _im2flow():
    task = km.im2flow.Im2Flow.from_preset("quick")  # 32 px, 5 stride-2 levels
    task.unet = task.build_unet()
    images = _uint8(2, 32, 32, 3)
    return task, images, task.predict_flow(images), _uint8(2, 45, 70, 3), {None: (45, 70, 2)}


def _mosi():
    task = km.mosi.MoSI.from_preset("quick")  # clips of 4 × 16²
    task.backbone = task.make_backbone(task.generator.num_classes)
    clips = _uint8(2, 4, 16, 16, 3)
    pooled = keras.Model(task.backbone.inputs, task.backbone.get_layer("pool").output)
    expected = {"logits": task.backbone.predict(clips, verbose=0), "features": pooled.predict(clips, verbose=0)}
    return task, clips, expected, _uint8(2, 6, 30, 40, 3), {"logits": (9,), "features": (4,)}


def _pose_from_action():
    task = km.pose_from_action.PoseFromAction.from_preset("quick")  # 16 px crops, 32-d FC6
    task.build_verifier(compile=False)
    images = _uint8(2, 16, 16, 3)
    expected = task.verifier.appearance.predict(task.preprocess(images), verbose=0)
    return task, images, expected, _uint8(2, 48, 37, 3), {None: (32,)}


def _vre_mra():
    task = km.vre_mra.VREMRA.from_preset("quick")  # 16 px, 5 key frames, 6 pseudo-motion labels, f̃ of 16
    task.net = task.build_net(num_classes=3)
    task.labeler = km.vre_mra.MotionLabeler(codebook_size=8, num_labels=6, key_frames=5)
    task.labeler.codebook_, task.labeler.threshold_ = RNG.normal(size=(8, 2)).astype("float32"), 0.25
    clips = _uint8(2, 5, 16, 16, 3)
    expected = {
        "motion": km.vre_mra.predict_in_batches(task.net.clip_motion, clips),
        "motion_logits": km.vre_mra.predict_in_batches(task.net.motion_scores, clips),
    }
    return task, clips, expected, _uint8(2, 3, 24, 20, 3), {"motion": (16,), "motion_logits": (6,)}


# method → a factory of (task, input at the trained size, the task's own prediction of it, input of another size,
# {output name (None: one output): its shape past the batch axis on that input}).
METHODS = {"im2flow": _im2flow, "mosi": _mosi, "pose_from_action": _pose_from_action, "vre_mra": _vre_mra}
UNTRAINED = {
    "im2flow": km.im2flow.Im2Flow,
    "mosi": km.mosi.MoSI,
    "pose_from_action": km.pose_from_action.PoseFromAction,
    "vre_mra": km.vre_mra.VREMRA,
}


@pytest.fixture(scope="module")
def built():
    """method → (task, its inference model, the factory's arrays), made once for the module."""
    out = {}
    for name, factory in METHODS.items():
        task, *arrays = factory()
        out[name] = (task, task.inference_model(), *arrays)
    return out


@pytest.mark.parametrize("method", sorted(METHODS))
def test_an_untrained_task_has_no_inference_model(method):
    with pytest.raises(NotFittedError, match="no trained"):
        UNTRAINED[method].from_preset("quick").inference_model()


@pytest.mark.parametrize("method", sorted(METHODS))
def test_outputs_at_another_size_and_the_tasks_prediction_at_the_trained_size(built, method):
    task, model, trained_input, expected, other_input, shapes = built[method]
    assert type(model).__name__ in km.__dict__[method].__all__  # exported beside its task
    assert [keras.backend.standardize_dtype(x.dtype) for x in model.inputs] == ["uint8"]
    got = _numpy(model.predict(other_input, verbose=0))
    for key, shape in shapes.items():
        out = got if key is None else got[key]
        assert out.shape == (len(other_input),) + shape and out.dtype == np.float32, (key, out.shape, out.dtype)
        assert np.isfinite(out).all()
    keras.tree.map_structure(
        lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5),
        _numpy(expected),
        _numpy(model.predict(trained_input, verbose=0)),
    )


@pytest.mark.parametrize("method", sorted(METHODS))
def test_float_pixels_are_refused_and_integers_taken_as_uint8(built, method):
    _, model, trained_input, *_ = built[method]
    floats = trained_input.astype("float32") / 255.0  # [0, 1]: a uint8 cast would make it black, silently
    with pytest.raises(ImageInputError, match="to_uint8"):
        model(floats)
    with pytest.raises(ImageInputError, match="to_uint8"):
        model.predict(floats, verbose=0)
    keras.tree.map_structure(
        np.testing.assert_array_equal, _numpy(model(trained_input.astype("int64"))), _numpy(model(trained_input))
    )


def test_the_vre_model_carries_the_labelers_codebook(built):
    task, model, *_ = built["vre_mra"]
    np.testing.assert_array_equal(model.codebook, task.labeler.codebook_)
    assert model.get_config()["motion_threshold"] == 0.25


def test_reflect_padding_matches_numpys_and_crops_back():
    pad = ReflectPad(8)
    for shape in ((1, 5, 6, 2), (1, 8, 13, 1), (1, 2, 3, 1)):  # the last one mirrored several times over
        x = RNG.normal(size=shape).astype("float32")
        padded = _numpy(pad(x))
        th, tw = (-shape[1]) % 8, (-shape[2]) % 8
        if th < shape[1] and tw < shape[2]:
            reference = np.pad(x, ((0, 0), (th // 2, th - th // 2), (tw // 2, tw - tw // 2), (0, 0)), mode="reflect")
            np.testing.assert_array_equal(padded, reference)
        assert padded.shape[1] % 8 == padded.shape[2] % 8 == 0
        np.testing.assert_array_equal(_numpy(pad([padded, x])), x)


def test_saved_inference_models_give_the_same_outputs_in_a_fresh_process(built, tmp_path):
    inputs, expected = {}, {}
    for method, (_, model, _, _, other_input, _) in built.items():
        path = str(tmp_path / f"{method}_inference.keras")
        model.save(path)
        inputs[path] = other_input
        expected[path] = _numpy(model.predict(other_input, verbose=0))
    np.savez(tmp_path / "inputs.npz", **{str(i): x for i, x in enumerate(inputs.values())})
    script = (
        "import sys, keras, numpy as np, keras_motion\n"
        "xs = np.load(sys.argv[1])\n"
        "outs = {}\n"
        "for i, path in enumerate(sys.argv[3:]):\n"
        "    y = keras.saving.load_model(path).predict(xs[str(i)], verbose=0)\n"
        "    y = y if isinstance(y, dict) else {'': y}\n"
        "    outs.update({f'{i}/{k}': keras.ops.convert_to_numpy(v) for k, v in y.items()})\n"
        "np.savez(sys.argv[2], **outs)\n"
    )
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "inputs.npz"), str(tmp_path / "out.npz"), *inputs],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    with np.load(tmp_path / "out.npz") as got:
        for i, want in enumerate(expected.values()):
            for key, value in (want if isinstance(want, dict) else {"": want}).items():
                np.testing.assert_allclose(got[f"{i}/{key}"], value, rtol=1e-6, atol=1e-6)
