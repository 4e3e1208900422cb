"""Issue 22 (items 1, 2, 4, 5, 7's labels, 9, 10): --overwrite deletes only what a job recorded that it wrote; one
job per output folder and temporaries removed only when their writer is gone; listed paths stay inside the data
set; folder walks by resolved path; a search's flags checked like a recipe's; damaged files named with the fix."""

import importlib.util
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from other_process import folder_held_by_another_process, temporary_of_a_gone_writer

from keras_motion.datasets import HMDB51, UCF101, Stanford40, VideoFolder, VOCActions, files_under
from keras_motion.datasets.synthetic.disk import SyntheticVideos
from keras_motion.errors import (
    CorruptFileError,
    DatasetLayoutError,
    FolderInUseError,
    OutputPathError,
    SettingsMismatchError,
)
from keras_motion.flow import extract_flows, load_flow
from keras_motion.utils.files import atomic_path, load_model, remove_temporaries
from keras_motion.utils.runs import Run
from keras_motion.video import read_video, write_video

ROOT = os.path.join(os.path.dirname(__file__), "..")
POSIX = pytest.mark.skipif(not hasattr(os, "fork"), reason="the other process is a forked child")
USER_FILES = ("holiday_photo.png", "my_dataset_config.json", "my_embeddings.npz", "logs/notes.txt", "README.txt")


def _tool(name):
    spec = importlib.util.spec_from_file_location(f"tool_{name}", os.path.join(ROOT, "tools", name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _user_folder(folder):
    for name in USER_FILES:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"the user's {name}")
    return folder


def _user_files_intact(folder):
    return all((folder / name).read_text() == f"the user's {name}" for name in USER_FILES)


@pytest.fixture(scope="module")
def tiny_videos(tmp_path_factory, carphone_path):
    root = tmp_path_factory.mktemp("videos")
    frames = read_video(carphone_path, size=(32, 48), max_frames=3)
    for name in ("a/clip.mp4", "b/clip.mp4"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        write_video(root / name, frames)
    return root


def _extract(videos, out, **kwargs):
    return extract_flows(
        VideoFolder(videos).paths, videos, out, size=32, max_frames=3, workers=1, show_progress=False, **kwargs
    )


# --- item 1: --overwrite deletes only what a run recorded ----------------------------------------------------------
def test_overwrite_refuses_a_folder_that_no_run_recorded(tmp_path):
    folder = _user_folder(tmp_path / "thatfolder")
    with pytest.raises(OutputPathError, match="no run.json records") as info:
        Run(folder, verbose=False, settings={"epochs": 1}, overwrite=True)
    assert str(folder) in str(info.value) and "holiday_photo.png" in str(info.value)
    assert _user_files_intact(folder) and not (folder / "run.json").exists()


def test_overwrite_deletes_only_what_the_run_recorded(tmp_path):
    folder = _user_folder(tmp_path / "out")
    run = Run(folder, verbose=False, settings={"epochs": 1})  # a run into a folder with the user's files
    run.write_json("metrics.json", {"accuracy": 0.5})
    run.write_json("model.keras", {})  # stands for a model
    os.makedirs(run.log_dir("train"))
    (folder / "logs" / "train" / "events").write_text("scalars")
    os.makedirs(os.path.join(folder, "backup", "train"))
    run._wrote("backup", "train")  # what `callbacks` records for its ResumableBackup
    run.close()
    Run(folder, verbose=False, settings={"epochs": 2}, overwrite=True).close()
    assert _user_files_intact(folder)
    assert not any((folder / name).exists() for name in ("metrics.json", "model.keras", "logs/train", "backup"))
    assert json.loads((folder / "run.json").read_text())["settings"] == {"epochs": 2}


def test_overwrite_refuses_a_run_record_that_lists_nothing(tmp_path):
    # run.json of a keras_motion that did not record its files: nothing says which *.png are the run's.
    folder = _user_folder(tmp_path / "old")
    (folder / "run.json").write_text(json.dumps({"settings": {"epochs": 1}, "phases": {}, "finished": True}))
    with pytest.raises(OutputPathError, match="older keras_motion"):
        Run(folder, verbose=False, settings={"epochs": 1}, overwrite=True)
    assert _user_files_intact(folder)


def test_extraction_overwrite_refuses_a_folder_of_other_files(tmp_path, tiny_videos):
    out = _user_folder(tmp_path / "out")
    with pytest.raises(OutputPathError, match=r"\.flow_extraction\.json"):
        _extract(tiny_videos, out, overwrite=True)
    assert _user_files_intact(out) and not list(out.rglob("*.mp4.npz"))
    _extract(tiny_videos, tmp_path / "flows")  # an extraction's own folder: --overwrite recomputes there
    assert _extract(tiny_videos, tmp_path / "flows", overwrite=True)["written"] == 2


def test_tune_overwrite_refuses_a_folder_of_other_files(tmp_path):
    tune = _tool("tune")
    folder = _user_folder(tmp_path / "search")
    with pytest.raises(OutputPathError, match="no run.json records"):
        tune.open_run(tune.parse_args(["im2flow", "--quick", "--out", str(folder), "--overwrite"]))
    assert _user_files_intact(folder)


@pytest.mark.slow
def test_recipe_overwrite_keeps_the_users_files(tmp_path):
    folder = _user_folder(tmp_path / "thatfolder")
    done = subprocess.run(
        [sys.executable, "recipes/pose_from_action.py", "--quick", "--overwrite", "--out", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2 and "error: --overwrite" in done.stderr and str(folder) in done.stderr
    assert "cleared" not in done.stderr and _user_files_intact(folder)


# --- item 2: two jobs on one folder --------------------------------------------------------------------------------
@POSIX
def test_temporaries_are_removed_only_when_their_writer_is_gone(tmp_path):
    target = tmp_path / "clip.avi.npz"
    gone = temporary_of_a_gone_writer(target)
    with atomic_path(target) as live:  # a write in progress: its writer (this process) is alive
        assert remove_temporaries([target]) == 1  # the gone writer's only
        assert os.path.exists(live) and not os.path.exists(gone)


@POSIX
def test_a_second_job_on_a_folder_is_refused_naming_the_holder(tmp_path, tiny_videos):
    out = tmp_path / "out"
    with folder_held_by_another_process(out) as pid:
        for start in (lambda: Run(out, verbose=False), lambda: _extract(tiny_videos, out)):
            with pytest.raises(FolderInUseError, match=f"in use by another .*process {pid} on ") as info:
                start()
            assert str(out) in str(info.value)
        assert not list(out.rglob("*.npz"))
    # The holder was killed: its lock ended with it, the next job takes the folder over.
    assert _extract(tiny_videos, out)["written"] == 2


@POSIX
def test_other_shards_may_share_the_folder(tmp_path, tiny_videos):
    out = tmp_path / "out"
    with folder_held_by_another_process(out, name=".keras_motion.shard0of2.lock"):
        with pytest.raises(FolderInUseError):
            _extract(tiny_videos, out, num_shards=2, shard_index=0)
        assert _extract(tiny_videos, out, num_shards=2, shard_index=1)["written"] == 1


@pytest.mark.slow
@POSIX
@pytest.mark.parametrize(
    "command",
    [
        ["recipes/pose_from_action.py", "--quick"],
        ["tools/extract_flow.py", "--videos", "VIDEOS"],
        ["tools/tune.py", "im2flow", "--quick", "--max-trials", "1"],
    ],
    ids=["recipe", "extract_flow", "tune"],
)
def test_second_recipe_tool_or_search_on_one_out_exits_2_naming_the_first(tmp_path, tiny_videos, command):
    out = tmp_path / "out"
    command = [str(tiny_videos) if c == "VIDEOS" else c for c in command]
    with folder_held_by_another_process(out) as pid:
        done = subprocess.run(
            [sys.executable] + command + ["--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300
        )
    assert done.returncode == 2 and f"error: {out} is in use by another" in done.stderr
    assert f"process {pid}" in done.stderr and "Traceback" not in done.stderr
    assert not [p for p in out.rglob("*") if not p.name.startswith(".")]


# --- item 4: listed paths stay inside the data set -----------------------------------------------------------------
@pytest.fixture()
def secret(tmp_path):
    path = tmp_path / "secret" / "private.avi"
    path.parent.mkdir()
    path.write_bytes(b"not for the data set")
    (tmp_path / "secret" / "face.jpg").write_bytes(b"not for the data set")
    return path


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_ucf101_line_leaving_the_root_is_refused(tmp_path, secret):
    root = tmp_path / "data" / "ucf101"
    _write(root / "ucfTrainTestlist" / "classInd.txt", "1 Basketball\n")
    _write(root / "UCF-101" / "Basketball" / "v_Basketball_g01_c01.avi", "x")
    _write(
        root / "ucfTrainTestlist" / "trainlist01.txt",
        "Basketball/v_Basketball_g01_c01.avi 1\nBasketball/../../../../secret/private.avi 1\n",
    )
    with pytest.raises(DatasetLayoutError, match=r"trainlist01.txt line 2 .*leads outside"):
        UCF101(root)


def test_hmdb51_line_leaving_its_class_folder_is_refused(tmp_path, secret):
    root = tmp_path / "hmdb51"
    _write(root / "testTrainMulti_7030_splits" / "run_test_split1.txt", "a.avi 1\n../../secret/private.avi 1\n")
    _write(root / "run" / "a.avi", "x")
    with pytest.raises(DatasetLayoutError, match=r"run_test_split1.txt line 2 .*leads outside"):
        HMDB51(root)


def test_stanford40_line_leaving_the_root_is_refused(tmp_path, secret):
    root = tmp_path / "Stanford40"
    _write(root / "ImageSplits" / "running_train.txt", "running_001.jpg\n../../secret/face.jpg\n")
    _write(root / "JPEGImages" / "running_001.jpg", "x")
    with pytest.raises(DatasetLayoutError, match=r"running_train.txt line 2 .*leads outside"):
        Stanford40(root)


def test_voc_image_id_leaving_the_devkit_is_refused(tmp_path):
    root = tmp_path / "VOC2012"
    _write(root / "ImageSets" / "Action" / "jumping_train.txt", "2010_000001 1 1\n../../secret/face 1 1\n")
    (root / "Annotations").mkdir()
    (root / "JPEGImages").mkdir()
    with pytest.raises(DatasetLayoutError, match=r"jumping_train.txt line 2 .*leads outside"):
        VOCActions(root)


def _labels_csv(root, rows):
    _write(root / "labels.csv", "path,label,class\n" + "".join(f"{p},{label},walk\n" for p, label in rows))
    return root / "labels.csv"


def test_labels_csv_row_leaving_the_root_is_refused(tmp_path, secret):
    path = _labels_csv(tmp_path / "synthetic", [("videos/walk/a.mp4", 0), ("../secret/private.avi", 0)])
    with pytest.raises(DatasetLayoutError, match=r"labels.csv line 3 .*leads outside") as info:
        SyntheticVideos(path.parent)
    assert str(path) in str(info.value)


# --- item 7 (the data-set part): labels.csv labels ----------------------------------------------------------------
@pytest.mark.parametrize("label", ["-3", "two", "1.5", ""])
def test_labels_csv_label_that_is_no_class_index_is_refused(tmp_path, label):
    path = _labels_csv(tmp_path, [("videos/walk/a.mp4", 0), ("videos/walk/b.mp4", label)])
    with pytest.raises(DatasetLayoutError, match=rf"labels.csv line 3 .*the label '{label}' is not a class index"):
        SyntheticVideos(path.parent)


# --- item 5: a link loop under --videos ----------------------------------------------------------------------------
@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_link_loop_lists_each_video_once(tmp_path, tiny_videos):
    root = tmp_path / "videos"
    (root / "a").mkdir(parents=True)
    (root / "a" / "clip.mp4").write_bytes((tiny_videos / "a" / "clip.mp4").read_bytes())
    (root / "b").mkdir()
    (root / "b" / "clip.mp4").write_bytes((tiny_videos / "b" / "clip.mp4").read_bytes())
    os.symlink("..", root / "a" / "up")  # a/up/a/up/... and a/up/b: the same two videos again and again
    assert files_under(root, ("mp4",)) == [str(root / "a" / "clip.mp4"), str(root / "b" / "clip.mp4")]
    labeled = VideoFolder(root, labeled=True)  # a/up/b/clip.mp4 must not become a second "a" video
    assert labeled.paths == [str(root / "a" / "clip.mp4"), str(root / "b" / "clip.mp4")]
    assert labeled.labels.tolist() == [0, 1]
    summary = extract_flows(
        VideoFolder(root).paths, root, tmp_path / "out", size=32, max_frames=3, workers=1, show_progress=False
    )
    assert summary["written"] == 2 and len(list((tmp_path / "out").rglob("*.npz"))) == 2


# --- item 9: a search rerun with other flags -----------------------------------------------------------------------
def test_search_rerun_with_other_flags_is_refused(tmp_path):
    tune = _tool("tune")
    out = str(tmp_path / "search")
    tune.open_run(tune.parse_args(["im2flow", "--quick", "--epochs", "2", "--out", out])).close()
    with pytest.raises(SettingsMismatchError, match=r"--epochs 2 there, 1 now; --seed 0 there, 7 now") as info:
        tune.open_run(tune.parse_args(["im2flow", "--quick", "--epochs", "1", "--seed", "7", "--out", out]))
    assert "--overwrite" in str(info.value)
    # More trials grow the same search; --overwrite starts afresh with the new flags.
    tune.open_run(tune.parse_args(["im2flow", "--quick", "--epochs", "2", "--max-trials", "9", "--out", out])).close()
    tune.open_run(tune.parse_args(["im2flow", "--quick", "--epochs", "1", "--out", out, "--overwrite"])).close()


# --- item 10: damaged files named with the fix ---------------------------------------------------------------------
def _cut(path):
    data = open(path, "rb").read()
    with open(path, "wb") as f:
        f.write(data[: len(data) // 2])


def test_a_damaged_flow_file_is_named_with_the_fix(tmp_path, tiny_videos):
    out = tmp_path / "out"
    _extract(tiny_videos, out)
    damaged = out / "a" / "clip.mp4.npz"
    _cut(damaged)
    with pytest.raises(CorruptFileError, match="--overwrite") as info:
        load_flow(damaged)
    assert str(damaged) in str(info.value)
    with pytest.raises(CorruptFileError, match="--overwrite"):
        _extract(tiny_videos, out)
    assert _extract(tiny_videos, out, overwrite=True)["written"] == 2 and load_flow(damaged).shape == (2, 32, 48, 2)


def test_a_damaged_keras_file_is_not_called_missing(tmp_path):
    import keras

    path = tmp_path / "model.keras"
    keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]).save(path)
    assert load_model(path).output_shape == (None, 2)
    _cut(path)
    with pytest.raises(CorruptFileError, match="exists but cannot be read") as info:
        load_model(path)
    assert str(path) in str(info.value) and "not found" not in str(info.value).lower()


def test_truncated_run_and_metrics_json_are_named_with_the_fix(tmp_path):
    run = Run(tmp_path, verbose=False, settings={"epochs": 1})
    run.write_metrics({"accuracy": 0.5})
    _cut(tmp_path / "metrics.json")
    with pytest.raises(CorruptFileError, match=r"metrics.json exists but cannot be read .*--overwrite"):
        Run(tmp_path, verbose=False, settings={"epochs": 1}).report_finished(print)
    Run(tmp_path, verbose=False, settings={"epochs": 1}, overwrite=True).close()  # the fix works
    _cut(tmp_path / "run.json")
    with pytest.raises(CorruptFileError, match=r"run.json exists but cannot be read .*delete the folder"):
        Run(tmp_path, verbose=False, settings={"epochs": 1})


def test_truncated_search_state_is_named_with_the_fix(tmp_path):
    from keras_motion.tuning import make_tuner

    oracle = tmp_path / "kt" / "oracle.json"
    oracle.parent.mkdir()
    oracle.write_text('{"ongoing_trials": {}, "tried_so_far": ["a')
    with pytest.raises(CorruptFileError, match=r"oracle.json exists but cannot be read .*--overwrite"):
        make_tuner(None, directory=tmp_path)


def test_truncated_finished_phase_is_discarded_and_trained_again(tmp_path):
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    run = Run(tmp_path, verbose=False)
    run.finish_phase("pretext", {"lr": 1}, {"accuracy": 0.75}, {"model": model})
    weights = tmp_path / "phases" / "pretext" / "model.weights.h5"
    assert Run(tmp_path, verbose=False).phase("pretext", {"lr": 1}) is not None
    _cut(weights)
    again = Run(tmp_path, verbose=False)
    with pytest.warns(RuntimeWarning, match=r"discarded the finished phase 'pretext'.*model.weights.h5"):
        assert again.restore_phase("pretext", {"lr": 1}, {"model": model}) is None  # the caller trains it again
    assert not weights.exists() and "pretext" not in json.loads((tmp_path / "run.json").read_text())["phases"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Run(tmp_path, verbose=False).phase("pretext", {"lr": 1}) is None


def test_pseudo_labels_with_a_damaged_labeler_is_named(tmp_path, capsys):
    from keras_motion.utils.cli import run_main

    labeler = tmp_path / "labeler.npz"
    np.savez(labeler, codebook=np.zeros((4, 2)))
    _cut(labeler)
    code = run_main(
        _tool("pseudo_labels").main,
        ["--videos", str(tmp_path), "--out", str(tmp_path / "out"), "--labeler", str(labeler)],
    )
    err = capsys.readouterr().err
    assert code == 2 and f"error: {labeler} exists but cannot be read" in err and "--labeler" in err
