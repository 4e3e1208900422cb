"""The one atomic writer: modes that follow the umask, write errors that name the output, cleanup of killed runs."""

import contextlib
import os
import stat

import numpy as np
import pytest

from keras_motion.errors import KerasMotionError, OutputError
from keras_motion.flow import save_png
from keras_motion.utils.files import (
    atomic_path,
    atomic_save_npz,
    atomic_write_text,
    check_writable_folder,
    remove_temporaries,
)
from keras_motion.video import write_video


@contextlib.contextmanager
def umask(mask):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_outputs_get_the_umask_mode(tmp_path, mask, expected):
    with umask(mask):
        atomic_write_text(tmp_path / "metrics.json", "{}\n")
        atomic_save_npz(tmp_path / "flow.npz", flow=np.zeros(3))
        write_video(tmp_path / "clip.avi", np.zeros((2, 16, 16, 3), np.uint8))
        save_png(tmp_path / "grid.png", np.zeros((8, 8, 3), np.uint8))
    for name in ("metrics.json", "flow.npz", "clip.avi", "grid.png"):
        assert _mode(tmp_path / name) == expected, name


def test_write_errors_name_the_output_and_the_fix(tmp_path):
    (tmp_path / "taken").write_text("a file where a folder should be")
    target = tmp_path / "taken" / "flow.npz"
    with pytest.raises(OutputError, match="a file stands where a folder is needed") as info:
        atomic_save_npz(target, flow=np.zeros(3))
    assert str(target) in str(info.value) and isinstance(info.value, (KerasMotionError, OSError))
    with pytest.raises(OutputError, match="taken"):
        check_writable_folder(tmp_path / "taken")
    # An error of the block itself is left alone, and no temporary stays behind.
    with pytest.raises(ZeroDivisionError):
        with atomic_path(tmp_path / "x.txt"):
            raise ZeroDivisionError
    assert os.listdir(tmp_path) == ["taken"]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder_fails_at_once(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="not writable") as info:
            check_writable_folder(folder)
        assert str(folder) in str(info.value)
    finally:
        folder.chmod(0o755)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the killed writer is a forked child")
def test_rerun_removes_only_its_own_temporaries(tmp_path):
    from other_process import temporary_of_a_gone_writer

    mine, other = tmp_path / "a" / "clip.avi.npz", tmp_path / "a" / "other.avi.npz"
    # A write that never finished (its process was killed) leaves its temporary, with the writer's real name.
    killed = [temporary_of_a_gone_writer(target) for target in (mine, other)]
    assert all(os.path.basename(t).startswith(".") and ".tmp" in t for t in killed)
    (tmp_path / "a" / "clip.avi.npz").write_bytes(b"finished")
    assert remove_temporaries([mine, tmp_path / "b" / "missing.npz"]) == 1
    assert not os.path.exists(killed[0]) and os.path.exists(killed[1])  # another shard's output: not asked for
    assert mine.read_bytes() == b"finished"
