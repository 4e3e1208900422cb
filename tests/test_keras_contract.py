"""The one Keras contract of every public keras_motion layer and model, on every backend: config round trip,
`.keras` round trip with identical outputs, a per-layer dtype policy honoured, loadable in a fresh process after
`import keras_motion` alone; and every registered class is covered here."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_motion as km

pytestmark = pytest.mark.backend_agnostic

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, (2, 32, 32, 3)).astype("uint8")  # the image models scale uint8 inside
CLIPS = RNG.integers(0, 256, (2, 4, 16, 16, 3)).astype("float32")
CODEBOOK = RNG.normal(size=(4, 2)).astype("float32")
TINY_VGGM = dict(image_size=32, width=0.05, feature_dim=8, stem_stride=1)


def _triplet_inputs():
    return {"frame_a": IMAGES, "frame_b": IMAGES[::-1], "flow": RNG.normal(size=(2, 32, 32, 4)).astype("float32")}


# name → (factory(**extra constructor arguments), example input). Every public layer and model.
CASES = {
    "R2Plus1D": (lambda **kw: km.models.R2Plus1D(depth=10, num_classes=3, filters=(4, 4, 4, 4, 4), **kw), CLIPS),
    "R2D3D": (lambda **kw: km.models.R2D3D(depth=10, num_classes=3, filters=(4, 4, 4, 4, 4), **kw), CLIPS),
    "ResNet2D": (lambda **kw: km.models.ResNet2D(depth=10, num_classes=3, base_filters=4, stem="small", **kw), IMAGES),
    "StreamCNN": (lambda **kw: km.models.StreamCNN(num_classes=3, width=4, **kw), IMAGES),
    "AlexNetEncoder": (
        lambda **kw: km.models.AlexNetEncoder(image_size=32, width=0.05, feature_dim=8, stem="small", **kw),
        IMAGES,
    ),
    "VGGMFeatures": (lambda **kw: km.models.VGGMFeatures(**TINY_VGGM, **kw), IMAGES),
    "Im2FlowUNet": (lambda **kw: km.im2flow.Im2FlowUNet(image_size=32, base_filters=4, **kw), IMAGES),
    "TripletVerifier": (
        lambda **kw: km.pose_from_action.TripletVerifier(delta=2, hidden=8, **TINY_VGGM, **kw),
        _triplet_inputs(),
    ),
    "AppearanceClassifier": (
        lambda **kw: km.pose_from_action.AppearanceClassifier(3, hidden=8, **TINY_VGGM, **kw),
        IMAGES,
    ),
    "VisualMotionNet": (
        lambda **kw: km.vre_mra.VisualMotionNet(
            3,
            4,
            image_size=32,
            width=0.05,
            feature_dim=8,
            stem="small",
            motion_units=8,
            motion_hidden=8,
            classifier_hidden=8,
            **kw,
        ),
        IMAGES,
    ),
    "ImageScaling": (lambda **kw: km.models.ImageScaling(**kw), IMAGES),
    "Conv3D": (
        lambda **kw: km.models.Conv3D(4, (3, 3, 3), strides=2, padding="same", implementation="factorized", **kw),
        CLIPS,
    ),
    "BatchNormalization": (lambda **kw: km.models.BatchNormalization(momentum=0.9, **kw), IMAGES),
    "MotionGRU": (lambda **kw: km.vre_mra.MotionGRU(units=8, **kw), RNG.normal(size=(2, 5, 6)).astype("float32")),
    "VLADEncoder": (
        lambda **kw: km.vre_mra.VLADEncoder(CODEBOOK, normalization="power+l2", **kw),
        RNG.normal(size=(2, 10, 2)).astype("float32"),
    ),
    "PseudoMotion": (
        lambda **kw: km.mosi.PseudoMotion(num_frames=4, crop_size=16, source_size=24, seed=0, **kw),
        RNG.integers(0, 256, (2, 30, 40, 3)).astype("uint8"),
    ),
    # The inference models (uint8 only) around the tiny networks above, and their layers.
    "SquareResize": (lambda **kw: km.models.inference.SquareResize(8, **kw), CLIPS),
    "ReflectPad": (lambda **kw: km.im2flow.inference.ReflectPad(16, **kw), IMAGES[:, :20, :27]),
    "ClipMotion": (
        lambda **kw: km.vre_mra.inference.ClipMotion(CASES["VisualMotionNet"][0](**kw), **kw),
        np.stack([IMAGES, IMAGES[:, ::-1], IMAGES[:, :, ::-1]], axis=1),
    ),  # clips of the net's 32 px
    "Im2FlowInference": (
        lambda **kw: km.im2flow.Im2FlowInference(CASES["Im2FlowUNet"][0](**kw), max_magnitude=3.75, **kw),
        IMAGES[:, :20, :27],
    ),
    "MoSIInference": (
        lambda **kw: km.mosi.MoSIInference(CASES["R2Plus1D"][0](**kw), crop_size=12, **kw),
        CLIPS.astype("uint8"),
    ),
    "PoseFromActionInference": (
        lambda **kw: km.pose_from_action.PoseFromActionInference(CASES["VGGMFeatures"][0](**kw), **kw),
        IMAGES[:, :20, :27],
    ),
    "VREMRAInference": (
        lambda **kw: km.vre_mra.VREMRAInference(
            CASES["VisualMotionNet"][0](**kw), codebook=CODEBOOK, motion_threshold=0.5, **kw
        ),
        CLIPS.astype("uint8"),
    ),
}
# Registered classes that are not layers: saved inside a compiled model (see the fresh-process test), and the kernel
# initialisers saved in every model's layer configs (tests/test_compilations.py).
NOT_LAYERS = {"Im2FlowLoss", "EndPointError", "ConstantThenLinear", "WarmupCosine", "GlorotUniform", "HeNormal"}


def _numpy(x):
    return keras.tree.map_structure(keras.ops.convert_to_numpy, x)


def _outputs(obj, x):
    if isinstance(obj, km.mosi.PseudoMotion):  # random draws: compare what is fixed by the config
        clips, labels = obj(x, training=False)
        return keras.ops.shape(clips), _numpy(labels)
    return _numpy(obj(x, training=False)) if isinstance(obj, keras.Model) else _numpy(obj(x))


def _saveable(obj, x):
    """The object itself if it is a model, else a one-layer functional model around it."""
    if isinstance(obj, keras.Model):
        return obj
    inputs = keras.Input(x.shape[1:], dtype=str(x.dtype))
    return keras.Model(inputs, obj(inputs))


def test_every_registered_class_is_covered():
    registered = {key.split(">")[1] for key in keras.saving.get_custom_objects() if key.startswith("keras_motion>")}
    assert registered == set(CASES) | NOT_LAYERS


@pytest.mark.parametrize("name", sorted(CASES))
def test_config_round_trip(name):
    factory, _ = CASES[name]
    obj = factory()
    config = obj.get_config()
    assert type(obj).from_config(config).get_config() == config


@pytest.mark.parametrize("name", sorted(CASES))
def test_keras_file_round_trip_gives_identical_outputs(name, tmp_path):
    factory, x = CASES[name]
    obj = factory()
    model = _saveable(obj, x)
    path = str(tmp_path / f"{name}.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    if model is obj:
        expected, got = _outputs(obj, x), _outputs(loaded, x)
    else:
        expected, got = _outputs(obj, x), _outputs(loaded.layers[-1], x)
    keras.tree.map_structure(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5), expected, got)


@pytest.mark.parametrize("name", sorted(set(CASES) - {"PseudoMotion", "VLADEncoder"}))
def test_per_layer_dtype_policy_is_honoured(name):
    # The global policy stays float32: only the policy given to the object can make its layers half precision.
    factory, x = CASES[name]
    obj = factory(dtype="mixed_bfloat16")
    inner = [
        layer
        for layer in getattr(obj, "_flatten_layers", lambda: [])(include_self=False)
        if layer.weights and not layer.name.startswith(("predictions", "verification", "fc2"))
    ]
    assert keras.config.dtype_policy().name == "float32"
    assert obj.dtype_policy.name == "mixed_bfloat16"
    assert all(layer.dtype_policy.compute_dtype == "bfloat16" for layer in inner), [
        (layer.name, layer.dtype_policy.name) for layer in inner if layer.dtype_policy.compute_dtype != "bfloat16"
    ]
    out = keras.tree.flatten(_numpy(obj(x, training=False) if isinstance(obj, keras.Model) else obj(x)))
    assert all(np.isfinite(np.asarray(o, np.float32)).all() for o in out)


def test_vlad_assigns_in_float32_and_answers_in_the_policy_dtype():
    factory, x = CASES["VLADEncoder"]
    half, full = factory(dtype="mixed_bfloat16"), factory()
    a, b = keras.ops.convert_to_numpy(half(x)), keras.ops.convert_to_numpy(full(x))
    assert str(a.dtype) == "bfloat16" and str(b.dtype) == "float32"
    np.testing.assert_allclose(a.astype(np.float32), b, rtol=1e-2, atol=1e-2)


def test_saved_files_load_in_a_fresh_process_after_importing_keras_motion_only(tmp_path):
    paths = []
    for name in ("R2Plus1D", "Im2FlowUNet", "VisualMotionNet", "TripletVerifier", "PseudoMotion"):
        factory, x = CASES[name]
        path = str(tmp_path / f"{name}.keras")
        _saveable(factory(), x).save(path)
        paths.append(path)
    # A compiled U-Net carries its loss (with φ) and its learning-rate schedule, as the main job saves it.
    unet = km.im2flow.Im2FlowUNet(image_size=32, base_filters=4)
    phi = km.models.ResNet2D(depth=10, num_classes=3, base_filters=4, stem="small", rescale=False)  # flow images
    schedule = km.schedules.ConstantThenLinear(1e-3, total_steps=10, constant_steps=5)
    unet.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss=km.im2flow.Im2FlowLoss(content_network=phi.stage_features(2), content_weight=0.02),
        metrics=[km.im2flow.EndPointError(max_magnitude=30.0)],
    )
    unet.fit(IMAGES, RNG.uniform(-1, 1, (2, 32, 32, 3)).astype("float32"), epochs=1, verbose=0)
    path = str(tmp_path / "compiled_unet.keras")
    unet.save(path)
    paths.append(path)
    script = (
        "import sys, keras, keras_motion\n"
        "for p in sys.argv[1:]:\n"
        "    keras.saving.load_model(p)\n"
        "print('loaded', len(sys.argv) - 1)\n"
    )
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run(
        [sys.executable, "-c", script, *paths], env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith(f"loaded {len(paths)}")
