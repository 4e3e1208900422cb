"""Issue 14, class 7: split files that lie (wrong, zero or out-of-range labels, non-numeric labels, UTF-16 files)
raise `DatasetLayoutError` naming the file, the line and the fix, in every loader that reads split files."""

import os

import numpy as np
import pytest

from keras_motion.datasets.hmdb51 import HMDB51
from keras_motion.datasets.stanford40 import Stanford40
from keras_motion.datasets.ucf101 import UCF101
from keras_motion.errors import DatasetLayoutError

CLASSES = ["ApplyEyeMakeup", "Basketball", "YoYo"]


@pytest.fixture(scope="module")
def clip_bytes(tmp_path_factory):
    from keras_motion.video.decode import write_video

    path = tmp_path_factory.mktemp("clip") / "clip.avi"
    write_video(path, np.random.default_rng(0).integers(0, 256, (3, 16, 16, 3), dtype=np.uint8))
    return path.read_bytes()


def _write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def _ucf(root, clip, lines=None):
    """classInd.txt, trainlist01.txt (official CRLF lines, one blank line) and the videos; `lines` replaces the list."""
    splits = os.path.join(root, "ucfTrainTestlist")
    _write(os.path.join(splits, "classInd.txt"), "".join(f"{i + 1} {c}\r\n" for i, c in enumerate(CLASSES)))
    listed = []
    for label, cls in enumerate(CLASSES):
        name = f"{cls}/v_{cls}_g08_c01.avi"
        listed.append(f"{name} {label + 1}")
        _write(os.path.join(root, "UCF-101", name), clip)
    text = "\r\n".join(lines if lines is not None else listed[:1] + [""] + listed[1:]) + "\r\n"
    _write(os.path.join(splits, "trainlist01.txt"), text)
    return os.path.join(splits, "trainlist01.txt")


def test_official_list_still_loads(tmp_path, clip_bytes):
    _ucf(tmp_path, clip_bytes)
    assert UCF101(tmp_path).labels.tolist() == [0, 1, 2]


@pytest.mark.parametrize(
    "label, message",
    [
        ("3", r"line 2 .*label 3 \(YoYo in classInd.txt\) contradicts the class folder Basketball \(label 2\)"),
        ("0", r"line 2 .*label 0 is outside 1\.\.3 \(labels are 1-based"),
        ("102", r"line 2 .*label 102 is outside 1\.\.3"),
        ("two", r"line 2 .*the label 'two' is not a number"),
        ("-1", r"line 2 .*the label '-1' is not a number"),
    ],
)
def test_ucf101_lying_label_names_file_line_and_fix(tmp_path, clip_bytes, label, message):
    path = _ucf(
        tmp_path,
        clip_bytes,
        ["ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1", f"Basketball/v_Basketball_g08_c01.avi {label}"],
    )
    with pytest.raises(DatasetLayoutError, match=message) as info:
        UCF101(tmp_path)
    assert path in str(info.value) and "restore the official split file" in str(info.value)


def test_line_numbers_count_blank_lines(tmp_path, clip_bytes):
    _ucf(
        tmp_path,
        clip_bytes,
        ["ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1", "", "", "Basketball/v_Basketball_g08_c01.avi 1"],
    )
    with pytest.raises(DatasetLayoutError, match="line 4 "):
        UCF101(tmp_path)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])  # with and without a byte-order mark
def test_utf16_split_file_names_file_and_line(tmp_path, clip_bytes, encoding):
    path = _ucf(tmp_path, clip_bytes)
    text = open(path, encoding="utf-8").read()
    _write(path, text.encode(encoding))
    with pytest.raises(DatasetLayoutError, match=r"trainlist01.txt line 1\b.*UTF-16.*iconv") as info:
        UCF101(tmp_path)
    assert path in str(info.value)


def test_non_utf8_byte_names_its_line(tmp_path, clip_bytes):
    path = _ucf(
        tmp_path, clip_bytes, ["ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1", "Basketball/v_Basketball_g08_c01.avi 2"]
    )
    _write(path, open(path, "rb").read() + "YoYo/v_Y\xf6Yo.avi 3\r\n".encode("latin-1"))
    with pytest.raises(DatasetLayoutError, match=r"line 3 is not UTF-8 text \(byte 0xf6\)"):
        UCF101(tmp_path)


def test_other_loaders_share_the_reader(tmp_path, clip_bytes):
    splits = tmp_path / "hmdb" / "testTrainMulti_7030_splits"
    _write(str(splits / "run_test_split1.txt"), "a.avi 1\n".encode("utf-16"))
    _write(str(tmp_path / "hmdb" / "run" / "a.avi"), clip_bytes)
    with pytest.raises(DatasetLayoutError, match=r"HMDB51: .*run_test_split1.txt line 1\b.*UTF-16"):
        HMDB51(tmp_path / "hmdb")
    _write(
        str(tmp_path / "s40" / "ImageSplits" / "actions.txt"),
        "action_name number_of_images\nrunning 1\n".encode("utf-16"),
    )
    with pytest.raises(DatasetLayoutError, match=r"Stanford40: .*actions.txt line 1\b.*UTF-16"):
        Stanford40(tmp_path / "s40")
