"""The synthetic benchmark in the official layouts of UCF101 and HMDB51, written and read back through the official
loaders (the code path users run on the real sets)."""

import collections
import csv
import importlib.util
import os
import re

import numpy as np
import pytest

pytest.importorskip("skimage")

from keras_motion.datasets import HMDB51, UCF101  # noqa: E402
from keras_motion.datasets.synthetic import CLASS_NAMES, write_layout  # noqa: E402
from keras_motion.datasets.synthetic import layout as layout_module  # noqa: E402
from keras_motion.errors import DatasetLayoutError, InvalidArgumentError, SettingsMismatchError  # noqa: E402
from keras_motion.video import read_video, video_info  # noqa: E402

TINY = dict(size=(48, 64), num_frames=(6, 8), actions=("wave", "clap"), show_progress=False)
TOOL = os.path.join(os.path.dirname(__file__), "..", "tools", "make_synthetic.py")


@pytest.fixture(scope="module")
def ucf_tree(tmp_path_factory):
    """2 classes x 5 videos: groups 1, 8, 15, 22, 2 of each class."""
    return write_layout(tmp_path_factory.mktemp("ucf") / "root", "ucf101", 10, **TINY)


@pytest.fixture(scope="module")
def hmdb_tree(tmp_path_factory):
    """2 classes x 8 videos: groups 1, 8, 15, 22, 2, 9, 16, 23 of each class (23 is unused in split 1)."""
    return write_layout(tmp_path_factory.mktemp("hmdb") / "root", "hmdb51", 16, **TINY)


def _manifest(root):
    with open(os.path.join(root, "synthetic_videos.csv"), newline="") as f:
        return {os.path.join(root, *row["path"].split("/")): row for row in csv.DictReader(f)}


def test_ucf101_tree_reads_back_with_the_official_split_rule(ucf_tree):
    root = ucf_tree.root
    assert sorted(os.listdir(os.path.join(root, "ucfTrainTestlist"))) == [
        "classInd.txt",
        "testlist01.txt",
        "testlist02.txt",
        "testlist03.txt",
        "trainlist01.txt",
        "trainlist02.txt",
        "trainlist03.txt",
    ]
    with open(os.path.join(root, "ucfTrainTestlist", "classInd.txt"), newline="") as f:
        assert f.read() == "1 HandClapping\r\n2 HandWaving\r\n"  # alphabetical, CRLF: as the official file
    manifest = _manifest(root)
    expected = {1: (6, 4), 2: (8, 2), 3: (8, 2)}  # (train, test) over both classes
    for split, (n_train, n_test) in expected.items():
        for subset, count in (("train", n_train), ("test", n_test)):
            ds = UCF101(root, split=split, subset=subset)
            assert len(ds) == count and ds.class_names == ["HandClapping", "HandWaving"]
            assert np.bincount(ds.labels).tolist() == [count // 2] * 2
            for path, label in ds:
                name = os.path.basename(path)
                folder = os.path.basename(os.path.dirname(path))
                match = re.fullmatch(rf"v_{folder}_g(\d\d)_c(\d\d)\.avi", name)
                assert match and ds.class_names[label] == folder, path
                # Groups 1-7 are split 1's test side, 8-14 split 2's, 15-21 split 3's.
                in_test = 7 * (split - 1) < int(match[1]) <= 7 * split
                assert in_test == (subset == "test"), (split, subset, name)
                assert CLASS_NAMES["ucf101"][manifest[path]["action"]] == folder


def test_hmdb51_tree_reads_back_with_its_marks(hmdb_tree):
    root = hmdb_tree.root
    splits = os.path.join(root, "testTrainMulti_7030_splits")
    assert sorted(os.listdir(splits)) == [f"{c}_test_split{s}.txt" for c in ("clap", "wave") for s in (1, 2, 3)]
    with open(os.path.join(splits, "wave_test_split1.txt")) as f:
        marks = collections.Counter(line.split()[1] for line in f)
    assert marks == {"1": 5, "2": 2, "0": 1}
    manifest = _manifest(root)
    for split, (n_train, n_test) in {1: (10, 4), 2: (12, 4), 3: (12, 4)}.items():
        train, test = HMDB51(root, split=split, subset="train"), HMDB51(root, split=split, subset="test")
        assert (len(train), len(test)) == (n_train, n_test) and train.class_names == ["clap", "wave"]
        assert not set(train.paths) & set(test.paths)
        for path, label in list(train) + list(test):
            assert manifest[path]["action"] == train.class_names[label]
            assert re.fullmatch(
                rf"synthetic_g\d\d_{train.class_names[label]}_f_nm_np1_fr_goo_\d+\.avi", os.path.basename(path)
            )
        # A group ('source video') never lies on both sides of a split.
        groups = {
            subset: {(manifest[p]["class"], manifest[p]["group"]) for p in ds.paths}
            for subset, ds in (("train", train), ("test", test))
        }
        assert not groups["train"] & groups["test"]


def test_videos_are_xvid_avis_of_the_asked_size_length_and_rate(ucf_tree, hmdb_tree):
    for tree, fps in ((ucf_tree, 25.0), (hmdb_tree, 30.0)):
        video = tree.videos[3]
        path = os.path.join(tree.root, *video.path.split("/"))
        with open(path, "rb") as f:
            head = f.read(4096)
        assert head[:4] == b"RIFF" and head[8:12] == b"AVI " and b"vidsXVID" in head
        frames = read_video(path)
        assert frames.shape == (video.num_frames, 48, 64, 3) and 6 <= video.num_frames <= 8
        assert video_info(path)["fps"] == fps
        assert frames.std() > 10  # a real picture, not a blank
    lengths = {v.num_frames for v in hmdb_tree.videos}
    assert len(lengths) > 1  # each video draws its length from the range


def test_rerun_resumes_extends_and_refuses_other_settings(tmp_path, monkeypatch):
    root = tmp_path / "tree"
    real_write = layout_module._write_avi
    calls = []

    def interrupted(path, *args):
        calls.append(path)
        if len(calls) == 3:
            raise KeyboardInterrupt  # Ctrl-C while the third video is being written
        real_write(path, *args)

    monkeypatch.setattr(layout_module, "_write_avi", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_layout(root, "ucf101", 8, **TINY)
    monkeypatch.setattr(layout_module, "_write_avi", real_write)
    written = [os.path.join(d, n) for d, _, names in os.walk(root) for n in names if n.endswith(".avi")]
    assert len(written) == 2 and not os.path.exists(root / "ucfTrainTestlist")
    before = {p: os.stat(p).st_mtime_ns for p in written}

    tree = write_layout(root, "ucf101", 8, **TINY)
    assert tree.num_written == 6 and {p: os.stat(p).st_mtime_ns for p in written} == before
    assert len(UCF101(root, split=1, subset="train")) + len(UCF101(root, split=1, subset="test")) == 8
    assert write_layout(root, "ucf101", 8, **TINY).num_written == 0
    extended = write_layout(root, "ucf101", 12, **TINY)  # two more videos per class: groups 2 and 9
    assert extended.num_written == 4 and extended.videos[:8] == tree.videos
    assert len(UCF101(root, split=2, subset="test")) == 4

    # The same seed writes the same bytes in another root.
    again = write_layout(tmp_path / "again", "ucf101", 8, **TINY)
    first = os.path.join(root, *again.videos[5].path.split("/"))
    with open(first, "rb") as a, open(os.path.join(again.root, *again.videos[5].path.split("/")), "rb") as b:
        assert a.read() == b.read()

    with pytest.raises(SettingsMismatchError, match="num_frames"):
        write_layout(root, "ucf101", 8, **dict(TINY, num_frames=9))


def test_bad_arguments_name_the_argument_and_the_fix(tmp_path):
    with pytest.raises(ValueError, match="write_synthetic"):
        write_layout(tmp_path / "a", "synthetic", 8, **TINY)
    with pytest.raises(InvalidArgumentError, match=r"num_videos=7 is too few.* at least 4 videos per class \(8"):
        write_layout(tmp_path / "a", "hmdb51", 7, **TINY)
    with pytest.raises(InvalidArgumentError, match="must be even"):
        write_layout(tmp_path / "a", "ucf101", 8, **dict(TINY, size=(47, 64)))
    with pytest.raises(InvalidArgumentError, match="low end exceeds"):
        write_layout(tmp_path / "a", "ucf101", 8, **dict(TINY, num_frames=(8, 6)))
    assert not os.path.exists(tmp_path / "a")  # refused before writing anything
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(DatasetLayoutError, match="not a tree that write_layout made"):
        write_layout(tmp_path / "busy", "ucf101", 8, **TINY)


def _tool():
    spec = importlib.util.spec_from_file_location("make_synthetic_tool", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tool_writes_each_layout_and_refuses_bad_flags(tmp_path, capsys):
    tool = _tool()
    tree = tool.main(
        [
            "--out",
            str(tmp_path / "ucf"),
            "--layout",
            "ucf101",
            "--num-videos",
            "24",
            "--size",
            "64x48",
            "--num-frames",
            "4-5",
        ]
    )
    out = capsys.readouterr().out
    assert tree.size == (48, 64) and "24 ucf101 videos (24 written now" in out and "split 1: 18 train, 6 test" in out
    assert (
        len(
            HMDB51(
                tool.main(
                    [
                        "--out",
                        str(tmp_path / "hmdb"),
                        "--layout",
                        "hmdb51",
                        "--num-videos",
                        "24",
                        "--size",
                        "32",
                        "--num-frames",
                        "4",
                    ]
                ).root,
                split=3,
                subset="test",
            )
        )
        == 6
    )
    # The flat synthetic layout (the default) as before: videos/, flows/, labels.csv; --size H W still works.
    flat = tool.main(["--out", str(tmp_path / "flat"), "--num-videos", "6", "--num-frames", "3", "--size", "32", "48"])
    assert len(flat) == 6 and flat.load(0).shape == (3, 32, 48, 3) and (tmp_path / "flat" / "labels.csv").exists()
    capsys.readouterr()
    for flags, message in [
        (["--size", "64x47"], "argument --size: 64x47 (width x height): both must be even"),
        (["--size", "64x"], "argument --size: invalid size '64x': give WxH (e.g. 320x240)"),
        (["--num-frames", "4-6"], "argument --num-frames: a range LO-HI is for --layout ucf101 or hmdb51"),
        (["--num-frames", "1"], "argument --num-frames: 1 is out of range: an integer ≥ 2"),
        (["--layout", "ucf101", "--num-videos", "10"], "argument --num-videos: 10 is too few for --layout ucf101"),
    ]:
        with pytest.raises(SystemExit) as info:
            tool.main(["--out", str(tmp_path / "refused")] + flags)
        assert info.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "refused").exists()


def test_flows_are_optional_and_resumed(tmp_path):
    tree = write_layout(tmp_path / "tree", "hmdb51", 8, **dict(TINY, num_frames=4), flows=True)
    stems = [os.path.splitext(v.name)[0] for v in tree.videos]
    flow_files = sorted(os.listdir(tmp_path / "tree" / "flows"))
    assert flow_files == sorted(s + ".npz" for s in stems)
    with np.load(tmp_path / "tree" / "flows" / flow_files[0]) as data:
        assert data["flow"].shape == (4, 48, 64, 2) and data["mask"].shape == (4, 48, 64) and data["mask"].any()
    os.remove(tmp_path / "tree" / "flows" / flow_files[0])
    assert write_layout(tmp_path / "tree", "hmdb51", 8, **dict(TINY, num_frames=4), flows=True).num_written == 1
    assert write_layout(tmp_path / "plain", "hmdb51", 8, **dict(TINY, num_frames=4)).num_written == 8
    assert not os.path.exists(tmp_path / "plain" / "flows")  # off by default
