"""Flow extraction under interruption, write errors, reruns with other settings, truncated videos and plain scripts."""

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import time
import warnings

import numpy as np
import pytest
from other_process import temporary_of_a_gone_writer

from keras_motion.errors import OutputError, SettingsMismatchError
from keras_motion.flow import extract_flows, load_flow, load_flow_settings, video_flow
from keras_motion.flow.extraction import flow_output_path
from keras_motion.video import read_video, write_video

LINUX = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads processes from /proc")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = os.path.join(ROOT, "tools", "extract_flow.py")


def _env():
    return dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _tree(root, source, names):
    """`root/<name>` for each name, each a link to the real clip `source` (as many videos as wanted, no copies)."""
    paths = []
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(source, path)
        paths.append(str(path))
    return paths


def _finished(folder):
    return sorted(p for p in folder.rglob("*.npz") if not p.name.startswith("."))  # not the hidden temporaries


def _temporaries(folder):
    return [p for p in folder.rglob("*") if ".tmp" in p.name]


def _alive(pid):
    """Whether `pid` is a running process (a zombie is not: it has ended and only waits to be reaped)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return found


def _wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


# --- class 2: outputs that overwrite or are reused wrongly --------------------------------------------------------


def test_same_name_other_extension_gets_its_own_output(tmp_path, carphone_path, bikes_path):
    root = tmp_path / "videos"
    root.mkdir()
    write_video(root / "clip.avi", read_video(carphone_path, size=(48, 64), max_frames=4))
    write_video(root / "clip.mp4", read_video(bikes_path, size=(48, 64), max_frames=4))
    videos = [str(root / "clip.avi"), str(root / "clip.mp4"), str(root / "." / "clip.mp4")]  # listed twice
    summary = extract_flows(videos, root, tmp_path / "out", workers=1, show_progress=False)
    assert summary["written"] == 2 and summary["flow_maps"] == 6
    assert sorted(p.name for p in (tmp_path / "out").glob("*.npz")) == ["clip.avi.npz", "clip.mp4.npz"]
    for name in ("clip.avi", "clip.mp4"):
        expected = np.clip(video_flow(read_video(root / name)), -20, 20)
        assert np.abs(load_flow(tmp_path / "out" / f"{name}.npz") - expected).max() <= 20 / 255 + 1e-5, name
    with pytest.raises(ValueError, match="not under root"):
        flow_output_path(carphone_path, root, tmp_path / "out")


def test_rerun_with_other_settings_is_refused_or_recomputes(tmp_path, carphone_path):
    root, out = tmp_path / "videos", tmp_path / "out"
    videos = _tree(root, carphone_path, ["a/clip.mp4"])
    saved = out / "a" / "clip.mp4.npz"
    settings = dict(size=32, max_frames=4, workers=1, show_progress=False)
    assert extract_flows(videos, root, out, **settings)["written"] == 1
    assert load_flow_settings(saved) == {
        "format": 2,
        "method": "dis",
        "size": 32,
        "step": 1,
        "max_frames": 4,
        "bound": 20.0,
    }
    again = extract_flows(videos, root, out, **settings)
    assert again["written"] == 0 and again["skipped_existing"] == 1
    for change, named in [
        (dict(size=48), "size 32 there, 48 now"),
        (dict(method="farneback"), 'method "dis" there'),
        (dict(bound=10.0), "bound 20.0 there, 10.0 now"),
        (dict(step=2), "step 1 there"),
        (dict(max_frames=None), "max_frames 4 there, (not set) now"),
    ]:
        with pytest.raises(SettingsMismatchError) as info:
            extract_flows(videos, root, out, **{**settings, **change})
        assert named in str(info.value) and str(saved) in str(info.value) and "overwrite" in str(info.value)
    recomputed = extract_flows(videos, root, out, **{**settings, "size": 48, "overwrite": True})
    assert recomputed["written"] == 1 and load_flow(saved).shape == (3, 48, 59, 2)
    assert load_flow_settings(saved)["size"] == 48
    # An output without settings (an older version wrote it) is not trusted either.
    np.savez_compressed(saved, flow=np.zeros((3, 48, 59, 2), np.uint8), bound=np.float32(20))
    with pytest.raises(SettingsMismatchError, match="records no settings"):
        extract_flows(videos, root, out, **{**settings, "size": 48})
    # An output of the previous layout (format 1: one compressed array, read whole) is named as such.
    old = {"format": 1, "method": "dis", "size": 48, "step": 1, "max_frames": 4, "bound": 20.0}
    np.savez_compressed(
        saved, flow=np.zeros((3, 48, 59, 2), np.uint8), bound=np.float32(20), settings=np.array(json.dumps(old))
    )
    with pytest.raises(SettingsMismatchError, match="format 1 there, 2 now") as info:
        extract_flows(videos, root, out, **{**settings, "size": 48})
    assert str(saved) in str(info.value) and "overwrite" in str(info.value)


@pytest.mark.slow
def test_tool_names_the_setting_that_differs(tmp_path, carphone_path):
    root, out = tmp_path / "videos", tmp_path / "out"
    _tree(root, carphone_path, ["a/clip.mp4"])
    base = [sys.executable, TOOL, "--videos", str(root), "--out", str(out), "--max-frames", "3", "--workers", "1"]
    first = subprocess.run(base + ["--size", "32"], capture_output=True, text=True, timeout=300, env=_env())
    assert first.returncode == 0, first.stderr
    other = subprocess.run(base + ["--size", "48"], capture_output=True, text=True, timeout=300, env=_env())
    assert other.returncode == 2 and "size 32 there, 48 now" in other.stderr and "--overwrite" in other.stderr
    assert "Traceback" not in other.stderr
    forced = subprocess.run(
        base + ["--size", "48", "--overwrite"], capture_output=True, text=True, timeout=300, env=_env()
    )
    assert forced.returncode == 0 and "wrote 1 videos" in forced.stdout, forced.stderr
    assert load_flow_settings(out / "a" / "clip.mp4.npz")["size"] == 48


# --- class 6: partial decodes ---------------------------------------------------------------------------------------


def test_truncated_video_is_skipped_not_stored(tmp_path, carphone_path):
    root, out = tmp_path / "videos", tmp_path / "out"
    root.mkdir()
    write_video(root / "cut.avi", read_video(carphone_path, size=(48, 64), max_frames=30))
    data = (root / "cut.avi").read_bytes()
    (root / "cut.avi").write_bytes(data[: len(data) // 2])  # the header at the front still says 30 frames
    write_video(root / "whole.avi", read_video(carphone_path, size=(48, 64), max_frames=30))
    videos = [str(root / "cut.avi"), str(root / "whole.avi")]
    for run in range(2):  # the rerun tries the truncated video again instead of taking it for done
        with pytest.warns(RuntimeWarning, match=r"cut\.avi.*header declares 30"):
            summary = extract_flows(videos, root, out, workers=1, show_progress=False)
        assert summary["failed"].count == 1 and "incomplete" in summary["failed"].items[0][1]
        assert (summary["written"], summary["skipped_existing"]) == ((1, 0) if run == 0 else (0, 1))
        assert sorted(p.name for p in out.glob("*.npz")) == ["whole.avi.npz"]


# --- class 1: interruption, write errors, killed runs ---------------------------------------------------------------


def test_write_error_stops_the_run_after_one_video(tmp_path, bikes_path):
    root, out = tmp_path / "videos", tmp_path / "out"
    # a/ sorts first; its output folder cannot be made (a file stands there), the 7 videos of b/ could be written.
    videos = _tree(root, bikes_path, ["a/first.mp4"] + [f"b/v{i}.mp4" for i in range(7)])
    out.mkdir()
    (out / "a").write_text("not a folder")
    with pytest.raises(OutputError) as info:
        extract_flows(videos, root, out, max_frames=12, workers=2, show_progress=False)
    assert str(out / "a" / "first.mp4.npz") in str(info.value) and "a file stands where a folder" in str(info.value)
    # Stopped at once: at most the videos the other worker was on, not the 7 that were left.
    assert len(_finished(out)) <= 3
    assert not _temporaries(out)


def test_rerun_removes_temporaries_of_a_killed_run(tmp_path, carphone_path):
    root, out = tmp_path / "videos", tmp_path / "out"
    videos = _tree(root, carphone_path, ["a/clip.mp4", "b/clip.mp4"])
    # A worker killed mid-write leaves its temporary (made by the real writer); so does another shard's write.
    left = temporary_of_a_gone_writer(flow_output_path(videos[0], root, out), b"half a flow")
    foreign = out / "a" / ".someone-else.avi.ab12cd34.tmp.npz"
    foreign.write_bytes(b"")
    summary = extract_flows(videos, root, out, size=32, max_frames=3, workers=1, show_progress=False)
    assert summary["removed_temporaries"] == 1 and summary["written"] == 2
    assert not os.path.exists(left) and foreign.exists()


@pytest.mark.slow
@LINUX
def test_a_crashed_worker_skips_its_video_and_the_run_goes_on(tmp_path, bikes_path):
    # What a segfault in a decoder on one damaged video does: that video is counted, the others are all extracted.
    root, out = tmp_path / "videos", tmp_path / "out"
    videos = _tree(root, bikes_path, [f"v{i}.mp4" for i in range(5)])
    before = set(_children(os.getpid()))
    killed = []

    def kill_one_worker():
        _wait_for(lambda: _finished(out), 60, "the first output")
        # Not at the moment an output appears (its worker may not have reported it yet): mid-video (~0.7 s each).
        time.sleep(0.2)
        victim = sorted(set(_children(os.getpid())) - before)[0]
        os.kill(victim, signal.SIGKILL)
        killed.append(victim)

    killer = threading.Thread(target=kill_one_worker)
    killer.start()
    with pytest.warns(RuntimeWarning, match="worker died"):
        summary = extract_flows(videos, root, out, max_frames=30, workers=2, show_progress=False)
    killer.join()
    assert killed and summary["failed"].count == 1 and summary["written"] == 4
    assert len(_finished(out)) == 4 and not _temporaries(out)


@LINUX
def test_workers_killed_as_their_outputs_appear_count_what_is_on_disk(tmp_path, bikes_path):
    # A worker killed between its atomic write and its report has finished that video; killing the last workers
    # with nothing left to do is not "every worker died with videos left".
    root, out = tmp_path / "videos", tmp_path / "out"
    videos = _tree(root, bikes_path, ["a.mp4", "b.mp4"])
    before = set(_children(os.getpid()))

    def kill_all_workers():
        _wait_for(lambda: _finished(out), 60, "the first output")
        for victim in set(_children(os.getpid())) - before:
            os.kill(victim, signal.SIGKILL)

    killer = threading.Thread(target=kill_all_workers)
    killer.start()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "worker died", for a video still in progress
        summary = extract_flows(videos, root, out, max_frames=30, workers=2, show_progress=False)
    killer.join()
    finished = _finished(out)
    assert summary["written"] == len(finished) >= 1 and summary["written"] + summary["failed"].count == 2
    assert summary["flow_maps"] == sum(len(load_flow(path)) for path in finished) and not _temporaries(out)


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o002, 0o664)])
def test_worker_outputs_follow_the_umask(tmp_path, carphone_path, mask, mode):
    root, out = tmp_path / "videos", tmp_path / "out"
    videos = _tree(root, carphone_path, ["a.mp4", "b.mp4"])
    old = os.umask(mask)
    try:
        extract_flows(videos, root, out, size=32, max_frames=3, workers=2, show_progress=False)
    finally:
        os.umask(old)
    assert sorted(stat.S_IMODE(p.stat().st_mode) for p in out.glob("*.npz")) == [mode, mode]


@pytest.mark.slow
@LINUX
def test_ctrl_c_ends_the_process_group_and_keeps_only_finished_outputs(tmp_path, bikes_path):
    root, out = tmp_path / "videos", tmp_path / "out"
    _tree(root, bikes_path, [f"v{i}.mp4" for i in range(12)])
    args = [sys.executable, TOOL, "--videos", str(root), "--out", str(out), "--max-frames", "40", "--workers", "2"]
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), start_new_session=True
    )  # its own process group, as a shell gives a job
    try:
        _wait_for(lambda: out.exists() and _finished(out), 300, "the first output")
        workers = _children(proc.pid)
        assert workers
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        _, stderr = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130 and "interrupted" in stderr
    assert not [pid for pid in workers if _alive(pid)]
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)  # nothing is left in the group
    finished = _finished(out)
    assert 1 <= len(finished) < 12 and not _temporaries(out)
    for path in finished:  # each output kept is whole
        assert load_flow(path).shape[0] == 39


@pytest.mark.slow
@LINUX
def test_workers_end_when_the_parent_is_killed(tmp_path, bikes_path):
    root, out = tmp_path / "videos", tmp_path / "out"
    videos = _tree(root, bikes_path, [f"v{i}.mp4" for i in range(12)])
    script = tmp_path / "run.py"
    script.write_text(
        textwrap.dedent(f"""
        import sys
        from keras_motion.flow import extract_flows
        extract_flows({videos!r}, {str(root)!r}, {str(out)!r}, max_frames=40, workers=2, show_progress=False)
    """)
    )
    proc = subprocess.Popen([sys.executable, str(script)], env=_env(), stderr=subprocess.DEVNULL)
    try:
        _wait_for(
            lambda: len(_children(proc.pid)) == 2 and out.exists() and _finished(out), 300, "two workers and an output"
        )
        workers = _children(proc.pid)
        proc.kill()
        proc.wait()
        _wait_for(lambda: not [pid for pid in workers if _alive(pid)], 10, "the orphaned workers to end")
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not _temporaries(out)  # they removed the outputs they were writing
    done = len(_finished(out))
    again = extract_flows(videos, root, out, max_frames=40, workers=1, show_progress=False)
    assert again["skipped_existing"] == done and again["written"] == 12 - done


# --- class 11: a plain script without a __main__ guard ---------------------------------------------------------------


@pytest.mark.slow
def test_script_without_main_guard_runs_once_and_returns(tmp_path, carphone_path):
    root = tmp_path / "videos"
    videos = _tree(root, carphone_path, ["a.mp4", "b.mp4", "c.mp4"])
    script = tmp_path / "plain.py"
    script.write_text(
        textwrap.dedent(f"""
        import keras_motion as km
        print("script body ran")
        summary = km.flow.extract_flows({videos!r}, {str(root)!r}, {str(tmp_path / "out")!r}, size=32,
                                        max_frames=3, workers=2, show_progress=False)
        print("wrote", summary["written"])
    """)
    )
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, env=_env())
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines() == ["script body ran", "wrote 3"]  # the workers never re-ran the script


def test_workers_start_without_keras():
    # A worker imports only the extraction loop and `keras_motion.utils` (the bootstrap skips the package __init__):
    # a Keras import there costs seconds and hundreds of MB per worker. The resume code once pulled it in.
    from keras_motion.flow.extraction import _BOOTSTRAP

    probe = _BOOTSTRAP.split("init = pickle.load")[0] + textwrap.dedent(f"""
        package = types.ModuleType("keras_motion")
        package.__path__ = [{os.path.join(ROOT, "keras_motion")!r}]
        sys.modules["keras_motion"] = package
        import keras_motion.flow.extraction
        print(sorted(m for m in ("keras", "tensorflow", "jax", "torch") if m in sys.modules))
        """)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, env=_env())
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "[]"  # the bootstrap sends stdout to stderr
