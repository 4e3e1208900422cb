import keras
import numpy as np
import pytest

from keras_motion.models import AlexNetEncoder
from keras_motion.vre_mra import (
    STEPS,
    MotionGRU,
    VisualMotionBatches,
    VisualMotionNet,
    VisualMotionSteps,
    predict_in_batches,
    train_step,
)

pytestmark = pytest.mark.backend_agnostic


def tiny_net(**kwargs):
    return VisualMotionNet(
        num_classes=3,
        num_motion_labels=4,
        image_size=16,
        width=0.05,
        feature_dim=8,
        stem="small",
        motion_units=6,
        motion_hidden=5,
        classifier_hidden=7,
        **kwargs,
    )


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return dict(
        images=rng.integers(0, 256, (12, 16, 16, 3), dtype=np.uint8),
        labels=rng.integers(0, 3, 12),
        clips=rng.integers(0, 256, (6, 5, 16, 16, 3), dtype=np.uint8),
        clip_labels=rng.integers(0, 4, 6),
    )


def snapshot(net):
    return {name: [np.array(w) for w in layer.get_weights()] for name, layer in net.groups.items()}


@pytest.mark.parametrize("step", [1, 2, 3, 4, 5])
def test_a_step_changes_exactly_its_groups(step, data):
    keras.utils.set_random_seed(step)
    net = tiny_net()
    images = data["images"] if step != 4 else None
    clips = data["clips"] if step in (2, 4) else None
    batches = VisualMotionBatches(
        images, data["labels"], clips, data["clip_labels"], batch_images=4, batch_clips=3, steps=3, seed=step
    )
    before = snapshot(net)
    history = train_step(net, step, batches, learning_rate=1e-2)
    after = snapshot(net)
    assert np.isfinite(history.history["loss"]).all()
    for name in net.groups:
        same = all(np.array_equal(a, b) for a, b in zip(before[name], after[name]))
        assert same == (name not in STEPS[step]["groups"]), (step, name)
    assert all(layer.trainable for layer in net.groups.values())  # restored after the step


def test_batches_carry_neighbour_sets(data):
    batches = VisualMotionBatches(
        clips=data["clips"], clip_labels=data["clip_labels"], batch_clips=3, subclip_length=3, steps=2
    )
    x = batches[1]
    assert x["clips"].shape == (3, 5, 16, 16, 3) and x["clips"].dtype == np.uint8  # the net scales them inside
    # Clips are never mirrored (a mirror flips their motion, hence their pseudo label): each is a source clip.
    assert all(any(np.array_equal(clip, s) for s in data["clips"]) for clip in x["clips"])
    assert x["clip_labels"].shape == (9,)  # three 3-frame sub-clips of each 5-frame clip
    video = np.repeat(np.arange(3), 3)
    assert (video[x["pos_pairs"][:, 0]] == video[x["pos_pairs"][:, 1]]).all()
    assert (video[x["neg_pairs"][:, 0]] != video[x["neg_pairs"][:, 1]]).all()
    assert len(x["pos_triples"]) == len(x["neg_triples"]) == 3
    assert (video[x["neg_triples"][:, 2]] != video[x["neg_triples"][:, 0]]).all()
    with pytest.raises(ValueError, match="-1"):
        VisualMotionBatches(clips=data["clips"], clip_labels=[0, 1, -1, 0, 1, 2])


def test_mra_path_is_one_gru_step_from_zero_state(data):
    net = tiny_net()
    x = data["images"][:2]  # uint8: the net scales them inside
    features = net.features(x)
    gru = keras.layers.GRU(6)
    gru.build((None, 1, 8))
    gru.set_weights(net.motion_gru.get_weights())
    expected = keras.ops.convert_to_numpy(gru(keras.ops.expand_dims(features, 1)))  # default: zero initial state
    np.testing.assert_allclose(keras.ops.convert_to_numpy(net.image_motion(x)), expected, atol=1e-6)
    # The clip path's first step is the same computation.
    clip = np.stack([x, x[::-1]], axis=1)  # (2, 2, 16, 16, 3)
    seq = MotionGRU(6, return_sequences=True)
    seq.build((None, None, 8))
    seq.set_weights(net.motion_gru.get_weights())
    steps = keras.ops.convert_to_numpy(seq(net.frame_features(clip)))
    np.testing.assert_allclose(steps[:, 0], expected, atol=1e-6)


def test_net_round_trip_and_custom_encoder(tmp_path, data):
    x = data["images"][:3]
    for net in (
        tiny_net(),
        tiny_net(mra_features="motion", encoder_dropout=0.0),
        VisualMotionNet(
            3,
            4,
            encoder=keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(4, 3)]),
            image_size=16,
            motion_units=4,
            motion_hidden=4,
            classifier_hidden=4,
        ),
    ):
        path = tmp_path / f"{net.name}_{net.get_config()['mra_features']}.keras"
        net.save(path)
        restored = keras.saving.load_model(path)
        for fn in ("__call__", "visual_scores", "image_motion"):
            np.testing.assert_allclose(
                keras.ops.convert_to_numpy(getattr(restored, fn)(x)),
                keras.ops.convert_to_numpy(getattr(net, fn)(x)),
                atol=1e-6,
            )
    assert predict_in_batches(net.visual_scores, data["images"], batch_size=5).shape == (12, 3)


def test_alexnet_default_is_4096_d():
    enc = AlexNetEncoder()
    assert enc.output.shape == (None, 4096) and [l.filters for l in enc.layers if hasattr(l, "filters")] == [
        96,
        256,
        384,
        384,
        256,
    ]


def test_ablation_step_trains_only_groups_its_losses_reach(data):
    net = tiny_net()
    batches = VisualMotionBatches(
        data["images"], data["labels"], data["clips"], data["clip_labels"], batch_images=4, batch_clips=3, steps=2
    )
    before = snapshot(net)
    train_step(net, 2, batches, losses=("main", "smooth1"), learning_rate=1e-2)  # no motion classification
    after = snapshot(net)
    changed = {n for n in net.groups if not all(np.array_equal(a, b) for a, b in zip(before[n], after[n]))}
    assert changed == {"encoder", "visual_classifier", "motion_gru"}


def test_a_reused_compiled_step_trains_as_a_fresh_one(data):
    keras.utils.set_random_seed(0)
    net = tiny_net(dropout=0.0)  # no random draws: a rerun from the same weights is exact
    start = net.get_weights()
    batches = VisualMotionBatches(
        data["images"],
        data["labels"],
        data["clips"],
        data["clip_labels"],
        batch_images=4,
        batch_clips=3,
        steps=3,
        seed=1,
    )
    steps = VisualMotionSteps(net, learning_rate=1e-2)
    runs = []
    for _ in range(2):
        net.set_weights(start)
        steps(2, batches, losses=("main", "motion"))
        steps(3, batches)  # the same losses and groups as step 1: one trainer for both
        runs.append(net.get_weights())
    assert len(steps.trainers) == 2
    net.set_weights(start)
    train_step(net, 2, batches, losses=("main", "motion"), learning_rate=1e-2)  # freshly compiled
    train_step(net, 3, batches, learning_rate=1e-2)
    for reused, first, fresh in zip(runs[1], runs[0], net.get_weights()):
        np.testing.assert_allclose(reused, first, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(reused, fresh, rtol=1e-5, atol=1e-6)
    assert any(not np.allclose(a, b) for a, b in zip(start, runs[0]))


def test_batch_norm_encoder_is_frozen_outside_its_steps(tmp_path, data):
    keras.utils.set_random_seed(0)
    net = tiny_net(norm="batch")
    assert any(isinstance(l, keras.layers.BatchNormalization) for l in net.encoder.layers)
    encoder_state = [np.array(w) for w in net.encoder.get_weights()]  # kernels and moving statistics
    train_step(
        net,
        4,
        VisualMotionBatches(clips=data["clips"], clip_labels=data["clip_labels"], batch_clips=3, steps=2),
        learning_rate=1e-2,
    )
    assert all(np.array_equal(a, b) for a, b in zip(encoder_state, net.encoder.get_weights()))
    train_step(net, 1, VisualMotionBatches(data["images"], data["labels"], batch_images=4, steps=2), learning_rate=1e-2)
    moving = [w for w in net.encoder.non_trainable_weights if "moving" in w.path]
    assert moving and not all(np.array_equal(a, b) for a, b in zip(encoder_state, net.encoder.get_weights()))
    x = data["images"][:3]
    net.save(tmp_path / "bn.keras")
    restored = keras.saving.load_model(tmp_path / "bn.keras")
    assert restored.encoder.get_config()["norm"] == "batch"
    np.testing.assert_allclose(keras.ops.convert_to_numpy(restored(x)), keras.ops.convert_to_numpy(net(x)), atol=1e-5)


def test_distance_reaches_the_smoothness_losses(data):
    from keras_motion.vre_mra import VisualMotionTrainer, first_order_smoothness, second_order_smoothness

    net = tiny_net()
    x = VisualMotionBatches(None, None, data["clips"], data["clip_labels"], batch_clips=3, steps=1, seed=2)[0]
    losses = {}
    for distance in ("euclidean", "squared"):
        trainer = VisualMotionTrainer(net, ("smooth1", "smooth2"), margin=2.0, distance=distance)
        y_pred = trainer(x)
        loss = trainer.compute_loss(x, None, y_pred)
        f = y_pred["motion_features"]
        expected = first_order_smoothness(f, x["pos_pairs"], x["neg_pairs"], 2.0, distance) + second_order_smoothness(
            f, x["pos_triples"], x["neg_triples"], 2.0, distance
        )
        losses[distance] = float(keras.ops.convert_to_numpy(loss))
        assert losses[distance] == pytest.approx(float(keras.ops.convert_to_numpy(expected)), rel=1e-5)
    assert losses["euclidean"] != pytest.approx(losses["squared"])
    steps = VisualMotionSteps(net, learning_rate=1e-2, distance="squared")
    steps(4, VisualMotionBatches(None, None, data["clips"], data["clip_labels"], batch_clips=3, steps=1))
    assert [t.distance for t in steps.trainers.values()] == ["squared"]
    with pytest.raises(ValueError, match="distance"):
        VisualMotionSteps(net, distance="l1")


def test_encoder_dropout_is_separate_from_the_classifiers():
    def rates(model):
        return [l.rate for l in model.layers if isinstance(l, keras.layers.Dropout)]

    net = tiny_net(dropout=0.5, encoder_dropout=0.0)
    assert rates(net.encoder) == [0.0] and set(rates(net.visual_classifier)) == {0.5}
    assert rates(tiny_net(dropout=0.3).encoder) == [0.3]  # by default the encoder's follows `dropout`
    assert VisualMotionNet.from_config(net.get_config()).get_config()["encoder_dropout"] == 0.0


def test_frame_motion_adds_each_key_frame_through_the_mra_path(data):
    from keras_motion.vre_mra import VisualMotionTrainer

    net = tiny_net()
    x = VisualMotionBatches(None, None, data["clips"], data["clip_labels"], batch_clips=3, steps=1, seed=4)[0]
    plain = VisualMotionTrainer(net, ("motion",))
    weighted = VisualMotionTrainer(net, ("motion",), frame_motion_weight=0.5)
    base = float(keras.ops.convert_to_numpy(plain.compute_loss(x, None, plain(x))))
    total = float(keras.ops.convert_to_numpy(weighted.compute_loss(x, None, weighted(x))))
    # By hand: every key frame alone → f(frame) → one GRU step from zero (f̃, as for a static image) → p_m, scored
    # against its clip's pseudo label (the label of the clip's first sub-clip: all of a clip's share it).
    frames = x["clips"].reshape((-1,) + x["clips"].shape[2:])
    logits = keras.ops.convert_to_numpy(net.motion_classifier(net.image_motion(frames))).astype(np.float64)
    scores = np.exp(logits - logits.max(-1, keepdims=True))
    scores /= scores.sum(-1, keepdims=True)
    per_clip = x["clip_labels"].reshape(3, -1)[:, 0]
    labels = np.repeat(per_clip, x["clips"].shape[1])
    expected = -np.log(scores[np.arange(len(labels)), labels]).mean()
    assert total - base == pytest.approx(0.5 * expected, rel=1e-4)
    steps = VisualMotionSteps(net, learning_rate=1e-2, frame_motion_weight=0.5)
    steps(4, VisualMotionBatches(None, None, data["clips"], data["clip_labels"], batch_clips=3, steps=1))
    assert [t.frame_motion_weight for t in steps.trainers.values()] == [0.5]


def test_drop_remainder_keeps_the_batch_sizes_asked_for(data):
    from keras_motion.vre_mra.training import steps_for

    kwargs = dict(batch_images=5, batch_clips=4, subclip_length=3, steps=4, seed=2)
    default = VisualMotionBatches(data["images"], data["labels"], data["clips"], data["clip_labels"], **kwargs)
    dropped = VisualMotionBatches(
        data["images"], data["labels"], data["clips"], data["clip_labels"], drop_remainder=True, **kwargs
    )
    assert not default.drop_remainder and dropped.drop_remainder and len(dropped) == len(default) == 4
    for i in range(len(dropped)):  # 12 images at 5 a batch: never a partial batch, and the same batches
        x = dropped[i]
        assert x["images"].shape == (5, 16, 16, 3) and x["labels"].shape == (5,)
        assert x["clips"].shape == (4, 5, 16, 16, 3) and x["clip_labels"].shape == (12,)
        for name, value in default[i].items():
            np.testing.assert_array_equal(value, x[name])
    # the default lowers a batch size above the data; drop_remainder=True refuses it
    assert VisualMotionBatches(data["images"], data["labels"], batch_images=13, steps=1)[0]["images"].shape[0] == 12
    with pytest.raises(ValueError, match="batch_images ≤ 12 or drop_remainder=False"):
        VisualMotionBatches(data["images"], data["labels"], batch_images=13, drop_remainder=True)
    with pytest.raises(ValueError, match="batch_clips ≤ 6 or drop_remainder=False"):
        VisualMotionBatches(clips=data["clips"], clip_labels=data["clip_labels"], batch_clips=7, drop_remainder=True)
    assert steps_for(7, 3, 2) == 5 and steps_for(7, 3, 2, drop_remainder=True) == 4
    with pytest.raises(ValueError, match="drop_remainder=False"):
        steps_for(2, 3, 1, drop_remainder=True)


def test_index_sets_come_once_per_device_and_give_the_same_loss(data):
    from keras_motion.vre_mra import VisualMotionTrainer
    from keras_motion.vre_mra.training import INDEX_SETS

    kwargs = dict(batch_clips=4, subclip_length=3, steps=1, seed=2, drop_remainder=True)
    one = VisualMotionBatches(None, None, data["clips"], data["clip_labels"], **kwargs)[0]
    two = VisualMotionBatches(None, None, data["clips"], data["clip_labels"], replicas=2, **kwargs)[0]
    for key in INDEX_SETS:  # a first axis that divides across two devices: one copy each
        assert two[key].shape == (2,) + one[key].shape
        np.testing.assert_array_equal(two[key][1], one[key])
    trainer = VisualMotionTrainer(tiny_net(), ("motion", "smooth1", "smooth2"), subclip_length=3)
    y_pred = trainer(one)
    losses = [float(keras.ops.convert_to_numpy(trainer.compute_loss(x, None, y_pred))) for x in (one, two)]
    assert losses[1] == pytest.approx(losses[0], rel=1e-6)
