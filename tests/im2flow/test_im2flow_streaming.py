"""Im2Flow's real-data path streams: labeled splits over a flow cache are lazy arrays read per batch, give the pairs
and the training of the same splits in memory, and the recipe runs on a UCF101-layout tree, reusing its cache."""

import keras
import numpy as np
import pytest
from conftest import load_recipe

from keras_motion.datasets import write_layout
from keras_motion.errors import FrameSizeError, SettingsMismatchError
from keras_motion.flow import FlowCache
from keras_motion.im2flow import Im2Flow, Im2FlowPairs, labeled_video_splits
from keras_motion.video.lazy import LazyArray

SETTINGS = dict(pairs_per_video=2, future=3, render_size=40, fractions=(0.5, 0.25, 0.25), seed=0)


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """A UCF101-layout tree of 12 real encoded videos (3 classes, 12–16 frames of 64 × 48) and its flow cache."""
    root = tmp_path_factory.mktemp("ucf101")
    write_layout(
        root, "ucf101", 12, size=(48, 64), num_frames=(12, 16), actions=("wave", "clap", "jump"), show_progress=False
    )
    cache = tmp_path_factory.mktemp("cache") / "flow"
    lazy, classes = labeled_video_splits(root, flow_cache=cache, **SETTINGS)
    return root, cache, lazy, classes


def materialised(splits):
    return {
        name: {k: (np.asarray(v) if isinstance(v, LazyArray) else v) for k, v in split.items()}
        for name, split in splits.items()
    }


def test_lazy_splits_read_nothing_and_give_the_pairs_and_batches_of_the_same_splits_in_memory(tree, monkeypatch):
    root, cache, lazy, classes = tree
    assert len(classes) == 3 and sum(len(s["labels"]) for s in lazy.values()) == 24
    reads = []
    for cls in ("VideoFrames", "CachedFlows"):
        import keras_motion.video.lazy as lazy_module

        original = getattr(lazy_module, cls)._read
        monkeypatch.setattr(
            getattr(lazy_module, cls),
            "_read",
            lambda self, rows, original=original: reads.append(rows) or original(self, rows),
        )
    again, _ = labeled_video_splits(root, flow_cache=FlowCache(cache, root, size=40), **SETTINGS)
    assert not reads  # building and splitting read no frame and no flow map
    held = materialised(again)
    for name, split in again.items():
        assert isinstance(split["images"], LazyArray) and isinstance(split["flows"], LazyArray)
        assert isinstance(split["labels"], np.ndarray) and isinstance(split["videos"], np.ndarray)
        np.testing.assert_array_equal(split["videos"], lazy[name]["videos"])
        others = [set(s["videos"]) for n, s in again.items() if n not in (name, "test")]  # test: other indices
        assert name == "test" or not set(split["videos"]) & set().union(*others)  # splits never share a video
        streamed = Im2FlowPairs(split["images"], split["flows"], batch_size=3, crop_size=32, seed=1)
        in_memory = Im2FlowPairs(held[name]["images"], held[name]["flows"], batch_size=3, crop_size=32, seed=1)
        for index in range(len(in_memory)):
            for a, b in zip(streamed[index], in_memory[index]):
                np.testing.assert_array_equal(a, b)
    assert reads  # the batches were read per batch


def test_a_second_call_computes_no_flow_and_another_setting_is_refused_naming_it(tree, monkeypatch):
    root, cache, _, _ = tree

    def refuse(*args, **kwargs):
        raise AssertionError("flow recomputed")

    monkeypatch.setattr(FlowCache, "extract", refuse)
    labeled_video_splits(root, flow_cache=cache, **SETTINGS)
    with pytest.raises(SettingsMismatchError, match="size"):
        labeled_video_splits(root, flow_cache=cache, **{**SETTINGS, "render_size": 36})
    with pytest.raises(SettingsMismatchError, match="method"):
        labeled_video_splits(root, flow_cache=cache, flow_method="farneback", **SETTINGS)


def test_a_plan_that_does_not_fit_is_refused_before_any_decoding(tree, monkeypatch):
    import keras_motion.datasets.plan as plan
    import keras_motion.im2flow.data as data
    import keras_motion.video.decode as decode

    root, cache, _, _ = tree
    monkeypatch.setattr(decode, "available_memory", lambda: 1000)
    monkeypatch.setattr(plan, "available_memory", lambda: 1000)
    monkeypatch.setattr(data, "pairs_from_videos", lambda *a, **k: pytest.fail("decoded before the plan"))
    with pytest.raises(FrameSizeError, match="in-memory part.*lower --max-videos"):
        labeled_video_splits(root, plan_fix="lower --max-videos", **SETTINGS)


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="bit-equality of two fits checked on TensorFlow")
def test_the_unet_fits_and_evaluates_on_lazy_splits_as_on_the_same_splits_in_memory(tree):
    _, _, lazy, _ = tree
    held = materialised(lazy)
    weights, tables = [], []
    for splits in (lazy, held):  # two epochs: the second's reshuffled batches are read by the worker threads too
        task = Im2Flow(image_size=32, base_filters=4, epochs=2, batch_size=4, content_loss=False, seed=0)
        weights.append(task.fit(splits["flow"], splits["val"]).get_weights())
        tables.append(
            task._evaluate_flow_in_chunks(splits["test"], splits["flow"], chunk=4)
            if splits is lazy
            else task.evaluate_flow(splits["test"], splits["flow"])
        )
        assert task.example_grid(splits["test"]).dtype == np.uint8
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)
    for name, metrics in tables[1].items():
        if isinstance(metrics, dict):
            for key, value in metrics.items():
                np.testing.assert_allclose(tables[0][name][key], value, rtol=1e-5, atol=1e-6, err_msg=f"{name} {key}")


@pytest.mark.slow
def test_the_recipe_streams_a_ucf101_tree_and_a_second_run_reuses_the_cache(tree, tmp_path, capsys):
    root = tree[0]
    flags = [
        "--quick",
        "--ucf101",
        str(root),
        "--pairs-per-video",
        "2",
        "--future",
        "3",
        "--epochs",
        "1",
        "--phi-epochs",
        "1",
        "--stream-epochs",
        "1",
        "--flow-cache",
        str(tmp_path / "cache"),
    ]
    printed = []
    for out in ("first", "second"):
        assert load_recipe("im2flow").main(flags + ["--out", str(tmp_path / out)]) == 0
        printed.append("".join(capsys.readouterr()))
    assert "data plan: videos train 9, test 3" in printed[0] and "12 video(s) to compute" in printed[0]
    assert "0 video(s) to compute" in printed[1] and "computing the flow" not in printed[1]
    assert "nearest_neighbor" in printed[1] and "appearance+motion_hallucinated" in printed[1]
