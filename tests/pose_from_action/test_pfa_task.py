"""The Pose-from-Action method object: presets, verifier training and report, downstream finetuning."""

import json
import os
import runpy

import keras
import numpy as np
import pytest

from keras_motion.errors import NotFittedError
from keras_motion.pose_from_action import PoseFromAction, compare_initialisations, synthetic_data
from keras_motion.utils import Run

TINY = dict(
    delta=3,
    render_size=20,
    crop_size=16,
    width=0.0625,
    feature_dim=16,
    hidden=16,
    classifier_hidden=8,
    batch_positives=4,
    per_video=1,
    epochs=1,
    finetune_epochs=1,
    seeds=1,
    num_labeled=5,
)


@pytest.fixture(scope="module")
def data():
    return synthetic_data(num_videos=18, num_frames=5, size=20, delta=3, test_frames=2)


def test_presets_layer_on_the_cpu_settings_and_take_overrides():
    paper = PoseFromAction.from_preset("paper", epochs=3)
    assert (paper.crop_size, paper.render_size, paper.convnet["width"], paper.convnet["feature_dim"]) == (
        224,
        256,
        1.0,
        4096,
    )
    assert (paper.hidden, paper.classifier_hidden, paper.delta, paper.negatives, paper.epochs) == (4096, 2048, 12, 2, 3)
    assert paper.num_labeled == PoseFromAction.hyperparameters()["num_labeled"] == 50  # not in "paper": the default
    with pytest.raises(ValueError, match="unknown preset"):
        PoseFromAction.from_preset("gpu")
    with pytest.raises(ValueError, match="crop_size"):
        PoseFromAction(crop_size=64, render_size=32)


def test_verifier_training_report_and_downstream(tmp_path, data):
    videos, down = data
    task = PoseFromAction(**TINY, seed=4, run=Run(tmp_path, verbose=False))
    with pytest.raises(NotFittedError, match="fit_verifier"):
        task.evaluate_verifier(videos.heldout)
    initial = keras.ops.convert_to_numpy(task.build_verifier().fc7.kernel)  # seeded: the same weights every time
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(task.build_verifier().fc7.kernel), initial)
    history = task.fit_verifier(videos.pretrain, videos.heldout)
    assert {"loss", "val_accuracy"} <= set(history.history)
    restored = keras.saving.load_model(tmp_path / "triplet_verifier.keras")
    assert restored.get_config() == task.verifier.get_config()
    report = task.evaluate_verifier(videos.heldout)
    assert report["chance"] == task.chance == 2 / 3 and 0 <= report["heldout_accuracy"] <= 1
    assert report["triplets"] == 3 * len(videos.heldout)  # one positive per held-out video, two negatives each
    assert set(report) >= {"ranking_accuracy", "static_frames_accuracy", "reversed_rejected"}
    # the verifier-initialised classifier starts from the Appearance ConvNet, the other does not
    image = task.preprocess(down.test_images[:2])
    features = keras.ops.convert_to_numpy(task.verifier.appearance(image))
    assert np.allclose(keras.ops.convert_to_numpy(task.classifier(6).appearance(image)), features, atol=1e-6)
    assert not np.allclose(keras.ops.convert_to_numpy(task.classifier(6, "random_init").appearance(image)), features)
    table = task.finetune_downstream(down)
    for init in ("verifier_init", "random_init"):
        runs = table[init]["runs"]
        assert len(runs) == 1 and table[init]["mean"] == np.mean(runs) and table[init]["std"] == np.std(runs)
    assert (table["labeled"], table["test_images"], table["chance"]) == (5, len(down.test_labels), 1 / 6)
    json.dumps({**report, **table})  # plain JSON
    assert {p.name for p in (tmp_path / "logs").iterdir()} >= {
        "verifier",
        "downstream_verifier_init_seed4",
        "downstream_random_init_seed4",
    }
    with pytest.raises(ValueError, match="init must be"):
        task.classifier(6, "imagenet")


def test_compare_initialisations_draws_per_seed_and_seeds_each_build():
    drawn, weights = [], []

    def draw(seed):
        drawn.append(seed)
        return np.eye(4, dtype="float32"), np.array([0, 1, 0, 1])

    def build():
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
        weights.append(keras.ops.convert_to_numpy(model.layers[-1].kernel))
        return model

    table = compare_initialisations(
        {"a": build, "b": build}, draw, np.eye(4, dtype="float32"), np.array([0, 1, 0, 1]), seeds=(7, 8), epochs=1
    )
    assert drawn == [7, 8] and len(table["a"]["runs"]) == len(table["b"]["runs"]) == 2
    np.testing.assert_array_equal(weights[0], weights[1])  # same seed, same initialisation
    assert not np.array_equal(weights[0], weights[2])


def _recipe():
    """The recipe's functions by name (its `main` does not run on loading)."""
    return runpy.run_path(os.path.join(os.path.dirname(__file__), "..", "..", "recipes", "pose_from_action.py"))


def test_recipe_flags_presets_and_flow_default():
    recipe = _recipe()
    args = recipe["parse_args"](["--paper", "--epochs", "3"])
    assert (args.crop_size, args.width, args.feature_dim, args.hidden, args.classifier_hidden) == (
        224,
        1.0,
        4096,
        4096,
        2048,
    )
    assert (args.delta, args.negatives, args.stem_stride, args.dropout, args.epochs) == (12, 2, 2, 0.5, 3)
    assert recipe["parse_args"]([]).flow == "exact" and recipe["parse_args"](["--videos", "v"]).flow == "dis"
    assert recipe["parse_args"](["--voc", "v"]).flow == "exact"  # the pretraining videos stay the synthetic ones
    with pytest.raises(SystemExit):
        recipe["parse_args"](["--voc", "v", "--images", "i"])


@pytest.mark.slow
def test_recipe_quick_writes_metrics_and_model(quick_run, load_in_fresh_process):
    out, printed = quick_run("pose_from_action")
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["verification"]["chance"] == 2 / 3 and len(metrics["downstream"]["verifier_init"]["runs"]) == 2
    assert metrics["flow"] == "exact" and metrics["args"]["quick"]
    assert keras.saving.load_model(out / "triplet_verifier.keras").count_params() > 0
    assert "Held-out verification" in printed
    assert load_in_fresh_process(out) == ["pose_from_action_inference.keras", "triplet_verifier.keras"]
