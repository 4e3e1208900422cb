"""The Im2Flow task as library code: φ, the U-Net, predict_flow, the flow benchmark, the two-stream table, presets."""

import json

import keras
import numpy as np
import pytest

import keras_motion as km
from keras_motion.errors import NotFittedError
from keras_motion.im2flow import DATA_PRESETS, PRESETS, Im2Flow, synthetic_splits

TINY = dict(image_size=32, base_filters=4, stream_filters=4, epochs=1, phi_epochs=1, stream_epochs=1, batch_size=8)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny task trained once on a tiny synthetic set, writing into a run folder."""
    out = tmp_path_factory.mktemp("run")
    splits, classes = synthetic_splits(num_videos=24, num_frames=8, render_size=40, pairs_per_video=2)
    task = Im2Flow(**TINY, run=km.utils.Run(out, verbose=False))
    phi_accuracy = task.fit_content_network(splits["flow"], splits["val"], num_classes=len(classes))
    task.fit(splits["flow"], splits["val"])
    return task, splits, classes, phi_accuracy, out


def test_training_writes_the_model_and_logs(trained):
    task, _, _, phi_accuracy, out = trained
    assert 0.0 <= phi_accuracy <= 1.0 and task.content_network is not None
    net = keras.saving.load_model(out / "im2flow_unet.keras")
    assert net.predict(np.zeros((1, 32, 32, 3), "float32"), verbose=0).shape == (1, 32, 32, 3)
    assert list((out / "logs" / "unet").rglob("events.out.tfevents.*"))
    assert list((out / "logs" / "content_network").rglob("events.out.tfevents.*"))


def test_predict_flow_gives_pixels_of_the_central_window(trained):
    task, splits, _, _, _ = trained
    images = splits["test"]["images"][:3]
    flow = task.predict_flow(images)
    assert flow.shape == (3, 32, 32, 2) and flow.dtype == np.float32
    # decoded flow is bounded by the encoding's saturation magnitude
    assert np.linalg.norm(flow, axis=-1).max() <= task.max_magnitude * 1.001
    np.testing.assert_allclose(km.flow.decode_im2flow(task.hallucinate(images), task.max_magnitude), flow)


def test_predict_flow_input_contract(trained):
    task = trained[0]
    with pytest.raises(ValueError, match="uint8"):
        task.predict_flow(np.zeros((1, 40, 40, 3), np.float32))
    with pytest.raises(ValueError, match="smaller than image_size"):
        task.predict_flow(np.zeros((1, 16, 16, 3), np.uint8))
    with pytest.raises(NotFittedError, match="fit"):
        Im2Flow(**TINY).predict_flow(np.zeros((1, 32, 32, 3), np.uint8))


def test_flow_benchmark_against_the_baselines(trained):
    task, splits, _, _, _ = trained
    table = task.evaluate_flow(splits["test"], train=splits["flow"])
    for name in ("im2flow", "zero", "mean", "nearest_neighbor"):
        assert {"epe", "ds", "os", "epe_edges", "ds_edges", "os_edges", "epe_fg", "ds_fg", "os_fg"} <= set(table[name])
    assert table["zero"]["ds"] == 0.0 and table["zero"]["os"] == 0.0
    assert table["im2flow"]["motion_potential"] >= 0.0 and table["true_flow_motion_potential"] > 0.0
    json.dumps(table)  # a plain JSON-able dict
    # without foreground masks (real videos) the table has no foreground columns
    no_masks = task.evaluate_flow(
        {"images": splits["test"]["images"], "flows": splits["test"]["flows"]},
        train=(splits["flow"]["images"], splits["flow"]["flows"]),
    )
    assert "epe_fg" not in no_masks["im2flow"] and "epe_edges" in no_masks["im2flow"]
    grid = task.example_grid(splits["test"], count=3)
    assert grid.dtype == np.uint8 and grid.shape[1] > 3 * 32


def test_two_stream_table_with_true_flow_and_without(trained):
    task, splits, classes, _, _ = trained
    table = task.train_recognition(splits["recog"], splits["val"], splits["test"], num_classes=len(classes))
    assert set(table) == {
        "appearance",
        "appearance_2",
        "motion_hallucinated",
        "motion_true",
        "appearance+appearance",
        "appearance+motion_hallucinated",
        "appearance+motion_true",
        "chance",
    }
    assert all(0.0 <= entry["accuracy"] <= 1.0 for entry in table.values())
    assert 0.0 <= table["appearance+motion_hallucinated"]["weight"] <= 1.0
    assert table["chance"]["accuracy"] == pytest.approx(1 / len(classes))
    # static images have no true flow: no motion_true stream nor fusion
    images_only = {
        name: {"images": splits[name]["images"], "labels": splits[name]["labels"]} for name in ("recog", "val", "test")
    }
    table = task.train_recognition(images_only["recog"], images_only["val"], images_only["test"], len(classes))
    assert "motion_true" not in table and "appearance+motion_true" not in table


def test_no_content_loss_trains_no_phi():
    splits, classes = synthetic_splits(num_videos=12, num_frames=7, render_size=32, pairs_per_video=1)
    task = Im2Flow(**TINY, content_loss=False)
    assert task.fit_content_network(splits["flow"], splits["val"], len(classes)) is None
    assert task.content_network is None
    with pytest.raises(ValueError, match="no flows"):
        task.fit({"images": splits["flow"]["images"], "flows": None}, splits["val"])


def test_presets():
    paper = Im2Flow.from_preset("paper")
    assert (paper.image_size, paper.base_filters, paper.learning_rate, paper.max_magnitude) == (256, 64, 2e-4, 30.0)
    assert paper.magnitude_weighting and paper.content_weight == 0.02 and paper.beta_1 == 0.5
    assert Im2Flow.from_preset("paper", image_size=128).image_size == 128
    # "cpu" is the constructor's defaults; the magnitude bound scales with the crop (30 px at 256 px)
    assert Im2Flow.from_preset("cpu").get_config() == Im2Flow().get_config()
    assert Im2Flow().max_magnitude == 7.5 and not Im2Flow().magnitude_weighting
    assert DATA_PRESETS["paper"]["render_size"] >= PRESETS["paper"]["image_size"]
    assert DATA_PRESETS["quick"]["render_size"] >= PRESETS["quick"]["image_size"]
    with pytest.raises(ValueError, match="unknown preset"):
        Im2Flow.from_preset("gpu")
    with pytest.raises(ValueError, match="stream_model"):
        Im2Flow(stream_model="alexnet")
