import keras
import numpy as np
import pytest

from keras_motion.models import VGGMFeatures
from keras_motion.pose_from_action import AppearanceClassifier, TripletVerifier

pytestmark = pytest.mark.backend_agnostic
SMALL = dict(image_size=32, width=0.0625, feature_dim=16, stem_stride=1)


def _inputs(n=3, delta=3, size=32, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "frame_a": rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8),  # uint8: scaled inside
        "frame_b": rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8),
        "flow": rng.normal(size=(n, size, size, 2 * delta)).astype("f4"),
    }


def test_vgg_m_at_paper_size_keeps_a_7x7x512_map():
    net = VGGMFeatures(image_size=224, feature_dim=8)  # the paper's FC6 is 4096; 8 keeps the test light
    assert [net.get_layer(f"conv{i}").filters for i in range(1, 6)] == [96, 256, 512, 512, 512]
    assert [net.get_layer(f"conv{i}").kernel_size[0] for i in range(1, 6)] == [7, 5, 3, 3, 3]
    assert net.get_layer("pool5").output.shape[1:] == (7, 7, 512)
    motion = VGGMFeatures(image_size=224, input_channels=24, feature_dim=8)
    assert tuple(motion.get_layer("conv1").kernel.shape) == (7, 7, 24, 96)  # 2Δ = 24 flow channels


def test_verifier_structure_shares_the_appearance_convnet():
    v = TripletVerifier(delta=3, hidden=8, **SMALL)
    assert isinstance(v.appearance, VGGMFeatures) and isinstance(v.motion, VGGMFeatures)
    assert v.motion.get_layer("conv1").kernel.shape[2] == 6
    assert tuple(v.fc7.kernel.shape) == (3 * 16, 8)  # concatenation of three FC6 features
    logits = keras.ops.convert_to_numpy(v(_inputs()))
    assert logits.shape == (3, 2) and logits.dtype == np.float32
    assert not np.allclose(logits.sum(-1), 1.0)  # logits, not probabilities
    # one Appearance ConvNet for both frames: swapping them only permutes the concatenated features
    features = [keras.ops.convert_to_numpy(f) for f in v.features(_inputs())]
    np.testing.assert_allclose(features[0], keras.ops.convert_to_numpy(v.appearance(_inputs()["frame_a"])), atol=1e-5)


def test_in_batch_pairs_equal_explicit_triplets():
    v = TripletVerifier(delta=3, hidden=8, **SMALL)
    x = _inputs(n=4)
    partners = np.array([[1, 2], [0, 3], [3, 1], [2, 0]], np.int32)
    paired = keras.ops.convert_to_numpy(v({**x, "partners": partners}))
    anchors = np.concatenate([np.arange(4), np.repeat(np.arange(4), 2)])
    stacks = np.concatenate([np.arange(4), partners.reshape(-1)])
    explicit = keras.ops.convert_to_numpy(
        v({"frame_a": x["frame_a"][anchors], "frame_b": x["frame_b"][anchors], "flow": x["flow"][stacks]})
    )
    assert paired.shape == (12, 2)
    np.testing.assert_allclose(paired, explicit, atol=1e-5)


def test_fit_with_in_batch_negatives_updates_all_parts():
    from keras_motion.pose_from_action import TripletBatches, TripletVideos

    rng = np.random.default_rng(0)
    videos = TripletVideos(
        rng.integers(0, 255, (4, 5, 32, 32, 3), np.uint8), rng.normal(size=(4, 4, 32, 32, 2)).astype("f4"), delta=3
    )
    data = TripletBatches(videos, batch_positives=4, in_batch=True, balance=True)
    v = TripletVerifier(delta=3, hidden=8, **SMALL)

    def kernels():
        towers = [getattr(v, name).get_layer("conv1").kernel for name in ("appearance", "motion")]
        return [keras.ops.convert_to_numpy(k) for k in towers + [v.fc7.kernel]]

    before = kernels()
    v.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    history = v.fit(data, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    for old, new in zip(before, kernels()):  # both ConvNets and the head learn
        assert not np.allclose(old, new)


def test_classifier_starts_from_the_appearance_convnet():
    v = TripletVerifier(delta=3, hidden=8, **SMALL)
    clf = v.classifier(6, hidden=12)
    assert isinstance(clf, AppearanceClassifier)
    image = _inputs()["frame_a"]
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(clf.appearance(image)), keras.ops.convert_to_numpy(v.appearance(image)), atol=1e-6
    )
    assert keras.ops.convert_to_numpy(clf(image)).shape == (3, 6)
    fresh = AppearanceClassifier(6, hidden=12, **SMALL)
    assert not np.allclose(
        keras.ops.convert_to_numpy(fresh.appearance(image)), keras.ops.convert_to_numpy(v.appearance(image))
    )


@pytest.mark.parametrize(
    "build",
    [
        lambda: TripletVerifier(delta=3, hidden=8, dropout=0.5, flow_scale=0.5, **SMALL),
        lambda: AppearanceClassifier(5, hidden=8, **SMALL),
        lambda: VGGMFeatures(input_channels=6, input_scale=0.25, **SMALL),
    ],
)
def test_keras_round_trip_identical_outputs(tmp_path, build):
    model = build()
    x = _inputs()
    x = x if isinstance(model, TripletVerifier) else (x["flow"] if model.input_shape[-1] == 6 else x["frame_a"])
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    assert type(restored) is type(model) and restored.get_config() == model.get_config()
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
