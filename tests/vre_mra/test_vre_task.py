import inspect

import numpy as np
import pytest

from keras_motion.errors import NotFittedError
from keras_motion.task import Task
from keras_motion.utils import Run
from keras_motion.vre_mra import VREMRA, ablation_rows, labeled_images, unlabeled_videos

TINY = dict(
    key_frames=4,
    codebook_size=8,
    num_labels=4,
    image_size=16,
    width=0.05,
    feature_dim=8,
    motion_units=8,
    motion_hidden=8,
    classifier_hidden=8,
    batch_images=6,
    batch_clips=4,
    iterations=(2, 2, 2, 2, 2),
    shots=2,
)


@pytest.fixture(scope="module")
def data():
    unlabeled = unlabeled_videos(frames=10, size=32, num_videos=24)
    parts, names = labeled_images(16, size=32, num_videos=24, pool_per_class=3, test_videos=12)
    return unlabeled, parts, names


def test_the_whole_method_writes_its_table_labeler_picture_and_net(tmp_path, data):
    import keras

    unlabeled, parts, names = data
    task = VREMRA(**dict(TINY, subclip_length=3), run=Run(tmp_path, verbose=False))
    labels, report = task.pseudo_labels(unlabeled.videos, unlabeled.classes)
    assert report["labeler"] == "fitted" and 0 <= report["nmi"] <= 1 and 0 < report["purity"] <= 1
    clips, kept = task.clips(unlabeled.videos, labels)
    table = task.ablation(
        parts["pool"],
        parts["test"],
        clips,
        labels[kept],
        len(names),
        seeds=(3,),
        rows=["full"],
        clip_classes=unlabeled.classes[kept],
    )
    assert list(table["ablation"]) == ["w/o MRA", "full"]  # all seven rows: the recipe's --quick test
    for entry in table["ablation"].values():
        assert len(entry["runs"]) == 1 and 0 <= entry["mean"] <= 1 and entry["std"] == 0
    accuracy = table["motion_classifier_accuracy"]
    assert len(accuracy["after step 2"]) == len(accuracy["after step 4"]) == 1
    assert 0 <= table["retrieval"]["same_class_rate"] <= 1 and table["chance"] == 1 / len(names)
    for name in ("pseudo_labels.npz", "retrieval.png", "vre_mra.keras"):
        assert (tmp_path / name).stat().st_size > 0
    assert (tmp_path / "logs" / "seed3" / "w_o_mra" / "step2").is_dir()
    assert {key[2] for key in task._steps["both"].trainers} == {None, 3}  # clip steps: the batcher's sub-clips
    loaded = keras.saving.load_model(tmp_path / "vre_mra.keras")
    images = parts["test"][0][:4]
    logits = keras.ops.softmax(loaded.predict(images, verbose=0), axis=-1)  # uint8 in: the saved net is the contract
    np.testing.assert_allclose(task.predict(images), keras.ops.convert_to_numpy(logits), atol=1e-5)
    # Retrieval: an image that is a clip's first frame finds that clip.
    np.testing.assert_array_equal(task.nearest_clips(clips[:5, 0], clips), np.arange(5))


def test_a_fitted_labeler_is_reused_and_checked(tmp_path, data):
    unlabeled, _, _ = data
    task = VREMRA(**TINY, run=Run(tmp_path, verbose=False))
    fitted, _ = task.pseudo_labels(unlabeled.videos)
    path = str(tmp_path / "pseudo_labels.npz")
    reused, report = VREMRA(**TINY).pseudo_labels(unlabeled.videos, unlabeled.classes, labeler=path)
    np.testing.assert_array_equal(reused, fitted)  # the same labels without fitting again
    assert report["labeler"] == path and "nmi" in report
    with pytest.raises(ValueError, match="key_frames"):
        VREMRA(**dict(TINY, key_frames=3)).pseudo_labels(unlabeled.videos, labeler=task.labeler)


def test_a_subset_of_rows(data):
    unlabeled, parts, names = data
    task = VREMRA(**TINY)
    labels, _ = task.pseudo_labels(unlabeled.videos)
    clips, kept = task.clips(unlabeled.videos, labels)
    results = task.train(parts["pool"], parts["test"], clips, labels[kept], len(names), seed=0, rows=["UNREG"])
    assert list(results) == ["UNREG"] and list(task._nets) == ["both"]
    assert len(task._steps["both"].trainers) == 1  # UNREG's step 2 is step 1's L_main: one compiled trainer
    assert task.motion_accuracy == {"after step 2": [], "after step 4": []}
    assert ablation_rows(["UNREG", "full"]) == {"UNREG", "w/o MRA", "full"}
    assert ablation_rows(["UNREG+motion"]) == {"UNREG+motion"}
    with pytest.raises(ValueError, match="unknown row"):
        ablation_rows(["UNREG", "nope"])


def test_inputs_are_uint8_and_squared_inside(data):
    _, parts, names = data
    task = VREMRA(**TINY)
    with pytest.raises(NotFittedError, match="train the task first"):
        task.predict(parts["test"][0])
    task.net = task.build_net(len(names))
    assert task.predict(np.zeros((2, 20, 30, 3), np.uint8)).shape == (2, len(names))
    with pytest.raises(ValueError, match="uint8"):
        task.predict(np.zeros((2, 16, 16, 3), np.float32))


def test_presets():
    defaults = {k: p.default for k, p in inspect.signature(VREMRA).parameters.items() if k not in Task.RUN_ARGUMENTS}
    assert VREMRA.hyperparameters() == defaults  # "cpu" is the constructor's defaults, every one of them
    paper = VREMRA.from_preset("paper")
    assert (paper.norm, paper.proxy_weight, paper.frame_motion, paper.distance) == (None, 0.1, 0.0, "euclidean")
    assert (paper.learning_rate, paper.feature_dim, paper.key_frames, paper.codebook_size) == (1e-4, 4096, 12, 128)
    assert VREMRA.from_preset("paper", frame_motion=0.5).frame_motion == 0.5
    assert VREMRA.from_preset("cpu").get_config()["iterations"] == [150, 400, 100, 200, 150]
    with pytest.raises(ValueError, match="unknown preset"):
        VREMRA.from_preset("gpu")
