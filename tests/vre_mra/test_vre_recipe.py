import importlib.util
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_recipe():
    spec = importlib.util.spec_from_file_location("vre_mra_recipe", os.path.join(ROOT, "recipes", "vre_mra.py"))
    recipe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recipe)
    return recipe


def test_recipe_runs_end_to_end_and_writes_the_table(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, os.path.join(ROOT, "recipes", "vre_mra.py"), "--num-videos", "36", "--pool-per-class",
           "3", "--test-videos", "12", "--labeled-per-class", "2", "--key-frames", "4", "--codebook-size", "8",
           "--num-labels", "4", "--image-size", "16", "--width", "0.05", "--feature-dim", "8", "--motion-units", "8",
           "--motion-hidden", "8", "--classifier-hidden", "8", "--batch-clips", "4", "--iterations", "2", "2", "2",
           "2", "2", "--seeds", "3", "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    rows = ["UNREG", "UNREG+motion", "UNREG+smooth1", "UNREG+smooth2", "w/o MRA", "only MR", "full"]
    assert list(metrics["ablation"]) == rows
    for row in rows:
        entry = metrics["ablation"][row]
        assert len(entry["runs"]) == 1 and 0 <= entry["mean"] <= 1
        assert np.isclose(entry["mean"], np.mean(entry["runs"])) and np.isclose(entry["std"], np.std(entry["runs"]))
    labels = metrics["pseudo_labels"]
    assert 0 <= labels["nmi"] <= 1 and 0 < labels["purity"] <= 1 and labels["num_videos"] <= 36
    assert metrics["holdout"] == "test" and metrics["data"]["holdout_images"] == 12  # other videos than pool, clips
    accuracy = metrics["motion_classifier_accuracy"]
    assert len(accuracy["after step 2"]) == len(accuracy["after step 4"]) == 1 and 0 <= accuracy["after step 4"][0] <= 1
    assert (out / "retrieval.png").stat().st_size > 0 and (out / "pseudo_labels.npz").exists()
    assert "full" in result.stdout and "NMI" in result.stdout


def test_voc_actions_as_the_labeled_images(tmp_path):
    """--voc: the few labeled images are person crops of VOC's train set, the held-out ones its val persons."""
    from test_datasets_voc_actions import voc_tree

    from keras_motion.datasets import VOC_ACTIONS

    voc_tree(tmp_path)
    recipe = load_recipe()
    args = recipe.parse_args(["--voc", str(tmp_path / "VOCdevkit"), "--image-size", "24"])
    with warnings.catch_warnings():  # the tree's deliberately missing and multi-action persons
        warnings.simplefilter("ignore", RuntimeWarning)
        images, names = recipe.labeled_images(args)
    assert names == list(VOC_ACTIONS)
    for part in ("pool", "test"):
        pictures, labels = images[part]
        assert pictures.shape[1:] == (24, 24, 3) and pictures.dtype == np.uint8 and len(labels) == len(pictures) > 0


def test_recipe_reuses_a_fitted_labeler(tmp_path):
    from keras_motion.datasets import synthetic_actions

    recipe = load_recipe()
    data = synthetic_actions(12, num_frames=7, size=32)
    flags = ["--key-frames", "3", "--codebook-size", "4", "--num-labels", "3", "--out", str(tmp_path)]
    fitted, _, report = recipe.pseudo_labels(recipe.parse_args(flags), list(data.frames), data.labels)
    assert report["labeler"] == "fitted"
    path = str(tmp_path / "pseudo_labels.npz")
    reused, _, report = recipe.pseudo_labels(recipe.parse_args(flags + ["--labeler", path]), list(data.frames),
                                             data.labels)
    np.testing.assert_array_equal(reused, fitted)  # the same labels without fitting again
    assert report["labeler"] == path
    with pytest.raises(SystemExit, match="key_frames"):
        recipe.pseudo_labels(recipe.parse_args(["--key-frames", "4", "--num-labels", "3", "--labeler", path,
                                                "--out", str(tmp_path)]), list(data.frames), data.labels)


def test_validation_images_are_disjoint_from_every_other_part():
    recipe = load_recipe()
    flags = ["--num-videos", "12", "--pool-per-class", "2", "--test-videos", "6", "--validation-videos", "6",
             "--image-size", "16", "--render-size", "32"]
    ranges = recipe.synthetic_ranges(recipe.parse_args(flags))
    videos = [set(part) for part in ranges.values()]
    assert sum(map(len, videos)) == len(set().union(*videos)) == 12 + 12 + 6 + 6  # no video in two parts
    test, _ = recipe.labeled_images(recipe.parse_args(flags))
    validation, names = recipe.labeled_images(recipe.parse_args(flags + ["--holdout", "validation"]))
    assert sorted(test) == ["pool", "test"] and sorted(validation) == ["pool", "validation"]  # test images unloaded
    np.testing.assert_array_equal(validation["pool"][0], test["pool"][0])  # the same few-shot pool either way
    images, labels = validation["validation"]
    assert images.shape == (6, 16, 16, 3) and sorted(labels) == list(range(len(names)))
    others = np.concatenate([test["pool"][0], test["test"][0]]).reshape(18, -1)
    for image in images.reshape(6, -1):
        assert not (others == image).all(1).any()


def test_validation_split_of_an_image_folder(tmp_path):
    import cv2

    rng = np.random.default_rng(0)
    for c in ("a", "b"):
        (tmp_path / c).mkdir()
        for i in range(12):
            cv2.imwrite(str(tmp_path / c / f"{i}.png"), rng.integers(0, 256, (20, 20, 3), dtype=np.uint8))
    recipe = load_recipe()
    flags = ["--images", str(tmp_path), "--image-size", "8", "--labeled-per-class", "3", "--holdout", "validation"]
    args = recipe.parse_args(flags)
    from keras_motion.datasets import ImageFolder

    everything = ImageFolder(str(tmp_path))
    train_part, test_part = recipe.split_groups_or_items(everything, (0.75, 0.25), seed=0)
    train = everything.subset(train_part)
    pool, validation = recipe.validation_split(train, args.validation_fraction, args.labeled_per_class)
    names = [set(pool.paths), set(validation.paths), set(everything.subset(test_part).paths)]
    assert all(names) and sum(map(len, names)) == len(set().union(*names)) == 24  # three disjoint parts
    images, names = recipe.labeled_images(args)
    assert len(images["pool"][1]) == len(pool) and len(images["validation"][1]) == len(validation)
    with pytest.raises(SystemExit, match="validation-fraction"):
        recipe.labeled_images(recipe.parse_args(flags[:-2] + ["--labeled-per-class", "9", "--holdout", "validation"]))


def test_rows_flag_runs_what_the_asked_rows_need():
    recipe = load_recipe()
    assert recipe.ablation_rows(recipe.parse_args([])) == set(recipe.ROWS)
    assert recipe.ablation_rows(recipe.parse_args(["--rows", "UNREG", "full"])) == {"UNREG", "w/o MRA", "full"}
    assert recipe.ablation_rows(recipe.parse_args(["--rows", "UNREG+motion"])) == {"UNREG+motion"}


def test_paper_flag_restores_the_papers_training():
    recipe = load_recipe()
    cpu, paper = recipe.parse_args([]), recipe.parse_args(["--paper"])
    assert (paper.norm, paper.proxy_weight, paper.frame_motion, paper.distance) == ("none", 0.1, 0.0, "euclidean")
    assert (paper.learning_rate, paper.feature_dim, paper.key_frames, paper.codebook_size) == (1e-4, 4096, 12, 128)
    assert cpu.frame_motion > 0 and cpu.norm == "batch"  # the CPU default's departures (README)
    assert recipe.parse_args(["--paper", "--frame-motion", "0.5"]).frame_motion == 0.5  # explicit flags win
