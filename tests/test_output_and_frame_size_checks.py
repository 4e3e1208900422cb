"""Issue 14, class 8: `--out` naming a file, and a frame size that cannot fit in memory, are refused up front with
what is wrong and the fix (one shared check each: `keras_motion.utils.check_output_dir`,
`keras_motion.video.decode.check_allocation`)."""

import importlib.util
import os

import numpy as np
import pytest

from keras_motion.errors import FrameSizeError, KerasMotionError, OutputPathError
from keras_motion.utils import base_parser, check_output_dir
from keras_motion.video import decode
from keras_motion.video.decode import read_image, read_video, resize_frame

TOOLS = os.path.join(os.path.dirname(__file__), "..", "tools")


def _tool(name):
    spec = importlib.util.spec_from_file_location(f"tool_{name}", os.path.join(TOOLS, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "tool, extra", [("extract_flow", ["--videos", "."]), ("pseudo_labels", ["--videos", "."]), ("make_synthetic", [])]
)
def test_tools_refuse_out_naming_a_file(tmp_path, capsys, tool, extra):
    existing = tmp_path / "results.txt"
    existing.write_text("keep me")
    with pytest.raises(SystemExit) as info:
        _tool(tool).main(extra + ["--out", str(existing)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --out: {existing} is an existing file, not a folder" in err and "move the file away" in err
    assert existing.read_text() == "keep me"


def test_recipes_base_parser_refuses_out_naming_a_file(tmp_path, capsys):
    existing = tmp_path / "f"
    existing.write_text("")
    with pytest.raises(SystemExit):
        base_parser("x", out="runs/x").parse_args(["--out", str(existing / "sub")])
    assert f"{existing} is a file, not a folder" in capsys.readouterr().err
    assert base_parser("x", out="runs/x").parse_args(["--out", str(tmp_path / "new" / "deeper")]).out.endswith("deeper")


def test_check_output_dir(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(OutputPathError, match="--out .*file is an existing file") as info:
        check_output_dir(tmp_path / "file")
    assert isinstance(info.value, KerasMotionError)
    assert check_output_dir(tmp_path) == str(tmp_path) and not os.path.exists(check_output_dir(tmp_path / "a" / "b"))


def test_read_video_refuses_a_clip_that_cannot_fit_before_decoding(bikes_path, monkeypatch):
    decoded = []
    monkeypatch.setattr(decode, "_to_rgb", lambda frame: decoded.append(1) or frame)
    with pytest.raises(
        FrameSizeError,
        match=r"size=200000 \(2 frame\(s\) of 200000 x 470588 x 3 uint8 = 564\.7 GB"
        r".* GB are available; pass a smaller size",
    ):
        read_video(bikes_path, size=200000, max_frames=2)
    monkeypatch.setattr(decode, "available_memory", lambda: 10**9)  # a 1 GB machine: the whole 250-frame clip
    with pytest.raises(FrameSizeError, match=r"250 frame\(s\) of 1000 x 2353 x 3 uint8 = 1\.8 GB.*max_frames"):
        read_video(bikes_path, size=1000)
    assert not decoded  # refused from the header, before any frame was converted
    assert isinstance(FrameSizeError("x"), KerasMotionError)  # a data-set pass skips and counts such a video


def test_one_frame_that_cannot_fit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(decode, "available_memory", lambda: 10**6)
    with pytest.raises(
        FrameSizeError,
        match=r"resizing a 8 x 8 image to size=1000 \(1000 x 1000\) would need 3\.0 MB"
        r" of memory but 1\.0 MB are available",
    ):
        resize_frame(np.zeros((8, 8, 3), np.uint8), 1000)
    import cv2

    path = str(tmp_path / "a.png")
    cv2.imwrite(path, np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(FrameSizeError, match="pass a smaller size"):
        read_image(path, size=1000)
    assert read_image(path, size=16).shape == (16, 16, 3)
