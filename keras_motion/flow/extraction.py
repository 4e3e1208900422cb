"""Data-set flow extraction: every video of a list → one compressed file of quantised flow, in parallel.

Runs over thousands of videos for hours, so it is built to be stopped and rerun:

- each output is written atomically and records the settings that made it; a rerun skips the outputs made with the
  same settings, refuses (`SettingsMismatchError`, naming the setting) to mix in outputs made with others unless
  asked to recompute them (`overwrite=True`), and removes the temporaries a killed run left (only those whose
  writer is gone);
- one extraction (of a shard) at a time per output folder (`FolderLock`: a second one is refused, naming the
  first); `overwrite=True` replaces outputs only in a folder an extraction recorded as its own (`RECORD`), never
  the files of a folder that holds other things;
- incomplete (truncated) videos are skipped and counted like undecodable ones, never stored as finished outputs;
- Ctrl-C, a write error (read-only or full output folder) or a crash ends every worker at once and keeps no partial
  output; workers whose parent was killed end by themselves;
- workers are fresh interpreters that import only NumPy, OpenCV and this module: they never re-import the caller's
  script (a script without an `if __name__ == "__main__":` guard works), never inherit the caller's TensorFlow or
  OpenCV threads (which `fork` would copy in an unsafe state), and start in a fraction of a second.
"""

import collections
import json
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
import time
import traceback

import cv2
import numpy as np

from keras_motion.errors import CorruptFileError, FlowError, KerasMotionError, SettingsMismatchError, VideoError
from keras_motion.flow.compute import METHODS, FlowEstimator, video_flow
from keras_motion.flow.encoding import dequantize, quantize
from keras_motion.utils.files import (
    LOCK,
    FolderLock,
    atomic_save_npz,
    atomic_write_text,
    check_owned,
    check_writable_folder,
    open_npz,
    remove_temporaries,
)
from keras_motion.utils.progress import progress
from keras_motion.utils.settings import check_settings
from keras_motion.utils.skips import SkipLog

_FORMAT = 1  # version of the output layout, recorded with the settings
# Marks a folder as an extraction's (what `overwrite=True` may write over); hidden, like the lock, since readers of
# the flow cache list its files.
RECORD = ".flow_extraction.json"
_FIX = "delete it, or rerun with --overwrite (overwrite=True) to recompute it"


def flow_output_path(video_path, root, out_dir):
    """`out_dir/<path of the video relative to root>.npz`, the video's extension kept.

    Keeping the extension gives `clip.avi` and `clip.mp4` of one folder two outputs.

    >>> flow_output_path("videos/a/clip.avi", "videos", "flows").replace(os.sep, "/")
    'flows/a/clip.avi.npz'
    """
    relative = os.path.relpath(os.path.abspath(video_path), os.path.abspath(root))
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        raise ValueError(f"video {video_path} is not under root {root}, so its output would land outside {out_dir}; "
                         "pass as root a folder that holds every video.")
    return os.path.join(out_dir, relative + ".npz")


def flow_settings(method="dis", size=None, step=1, max_frames=None, bound=20.0):
    """The settings that make an output, as recorded in it (JSON types), after checking them.

    >>> flow_settings(size=(64, 80))
    {'format': 1, 'method': 'dis', 'size': [64, 80], 'step': 1, 'max_frames': None, 'bound': 20.0}
    """
    from keras_motion.video.decode import _check_size

    if method not in METHODS:
        raise ValueError(f"unknown flow method {method!r}; choose one of {METHODS}")
    size = _check_size(size)
    if int(step) < 1:
        raise ValueError(f"step must be >= 1, got {step}")
    if max_frames is not None and int(max_frames) < 2:
        raise ValueError(f"max_frames must be >= 2 (a flow needs two frames) or None, got {max_frames}")
    if not float(bound) > 0:
        raise ValueError(f"bound must be a positive number of px, got {bound}")
    return {"format": _FORMAT, "method": method, "size": list(size) if isinstance(size, tuple) else size,
            "step": int(step), "max_frames": None if max_frames is None else int(max_frames), "bound": float(bound)}


def extract_video_flow(video_path, out_path, method="dis", size=None, step=1, max_frames=None, bound=20.0,
                       estimator=None):
    """Flow between consecutive decoded frames of one video, saved as `out_path` (.npz, written atomically).

    The file holds `flow` uint8 (T-1, H, W, 2) quantised to ±`bound` px (see `quantize`), `bound` and `settings`
    (JSON: `flow_settings`); read it back with `load_flow`. An incomplete (truncated) video raises `VideoError`
    instead of storing a flow that a rerun would take for finished. Returns the number of flow maps written.
    """
    from keras_motion.video import read_video

    settings = flow_settings(method, size, step, max_frames, bound)
    frames = read_video(video_path, size=size, step=step, max_frames=max_frames, min_frames=2, strict=True)
    flows = video_flow(frames, method, estimator=estimator)
    atomic_save_npz(out_path, flow=quantize(flows, bound), bound=np.float32(bound),
                    settings=np.array(json.dumps(settings)))
    return len(flows)


def load_flow(path):
    """Flow saved by `extract_video_flow` → float32 (T-1, H, W, 2) in px; a truncated or damaged file raises
    `CorruptFileError` naming it and the fix."""
    with open_npz(path, _FIX) as data:
        return dequantize(data["flow"], float(data["bound"]))


def load_flow_settings(path):
    """The settings recorded in a file of `extract_video_flow` (a dict, see `flow_settings`), or None if it has
    none (written by keras_motion < 0.3); a damaged file raises `CorruptFileError`."""
    with open_npz(path, _FIX) as data:
        return json.loads(str(data["settings"])) if "settings" in data.files else None


def _check_existing(out_path, settings):
    """Raises `SettingsMismatchError` unless the finished output `out_path` was made with `settings`."""
    fix = ("rerun with the same settings, write to another output folder, or pass overwrite=True "
           "(--overwrite in tools/extract_flow.py) to recompute")
    try:
        recorded = load_flow_settings(out_path)
    except CorruptFileError:
        raise
    except Exception as e:  # settings that are not JSON: damaged alike
        raise CorruptFileError(f"cannot read the existing output {out_path} ({e}); {_FIX}.") from e
    if recorded is None:
        raise SettingsMismatchError(f"the existing output {out_path} records no settings (an older keras_motion "
                                    f"wrote it), so it may not match this run; {fix}.")
    check_settings(recorded, settings, f"the existing output {out_path} was made", f"{fix[0].upper()}{fix[1:]}.")


def shard(items, num_shards=1, shard_index=0):
    """Every `num_shards`-th item of the sorted list starting at `shard_index`: disjoint shards that cover it."""
    if not 0 <= shard_index < num_shards:
        raise ValueError(f"shard_index must be in [0, {num_shards}), got {shard_index}")
    return sorted(items)[shard_index::num_shards]


def extract_flows(videos, root, out_dir, method="dis", size=None, step=1, max_frames=None, bound=20.0,
                  workers=None, num_shards=1, shard_index=0, overwrite=False, show_progress=True):
    """Extracts the flow of every video (paths under `root`) into `out_dir`, mirroring the folder layout.

    `root/a/clip.avi` → `out_dir/a/clip.avi.npz` (`flow_output_path`). Outputs that exist are skipped if they were
    made with the same settings; other settings raise `SettingsMismatchError` unless `overwrite=True`, which
    recomputes every output. `workers` processes (default: all cores) extract in parallel; `num_shards` /
    `shard_index` split the list across machines. Undecodable and incomplete (truncated) videos are warned about,
    skipped and counted; they get no output, so a rerun tries them again. A write error (`OutputError`) or Ctrl-C
    stops every worker at once, keeping only finished outputs.

    One extraction of a shard at a time per `out_dir`: a second one raises `FolderInUseError` naming the first (other
    shards may run beside it). `overwrite=True` in a folder that holds files but no `.flow_extraction.json` (no
    extraction's) raises `OutputPathError` before anything is written.

    Returns a dict: `written` (videos), `flow_maps`, `skipped_existing`, `failed` (a `SkipLog`) and
    `removed_temporaries` (left by killed runs).
    """
    settings = flow_settings(method, size, step, max_frames, bound)
    unique = {}
    for video in videos:  # a video listed twice would get two workers writing one output
        unique.setdefault(os.path.abspath(os.fspath(video)), os.fspath(video))
    outputs = {video: flow_output_path(video, root, out_dir) for video in unique.values()}
    mine = shard(outputs, num_shards, shard_index)
    check_writable_folder(out_dir)
    lock = FolderLock(out_dir, LOCK if num_shards == 1 else f".keras_motion.shard{shard_index}of{num_shards}.lock",
                      what="flow extraction")
    try:
        return _extract(mine, outputs, out_dir, settings, workers, overwrite, show_progress)
    finally:
        lock.release()


def _extract(mine, outputs, out_dir, settings, workers, overwrite, show_progress):
    record = os.path.join(out_dir, RECORD)
    if overwrite:
        check_owned(out_dir, [] if os.path.exists(record) else None, RECORD)
    if not os.path.exists(record):
        atomic_write_text(record, json.dumps({"made_by": "keras_motion.flow.extract_flows"}) + "\n")
    removed = remove_temporaries(outputs[video] for video in mine)
    jobs, existing = [], 0
    for video in mine:
        if not overwrite and os.path.exists(outputs[video]):
            _check_existing(outputs[video], settings)
            existing += 1
        else:
            jobs.append((video, outputs[video]))

    failed = SkipLog("flow extraction")
    written = flow_maps = 0
    workers = min(workers or os.cpu_count() or 1, len(jobs))
    try:
        with (_Workers(workers, settings) if workers > 1 else _InProcess(settings)) as pool:
            results = pool.imap_unordered(jobs)
            for video, count, error in progress(results, total=len(jobs), desc="flow") if show_progress else results:
                if error:
                    failed.skip(video, error)
                else:
                    written += 1
                    flow_maps += count
    except BaseException:
        # Workers clean up their own temporaries when stopped; this catches any that were killed before they could.
        remove_temporaries(out for _, out in jobs)
        raise
    return dict(written=written, flow_maps=flow_maps, skipped_existing=existing, failed=failed,
                removed_temporaries=removed)


def _run_job(job, settings, estimator):
    """(video, flow maps, None) or, for a video that cannot be used, (video, 0, reason); other errors propagate."""
    video, out_path = job
    try:
        return video, extract_video_flow(video, out_path, estimator=estimator, **_call_args(settings)), None
    except (VideoError, FlowError) as e:
        return video, 0, str(e)


def _call_args(settings):
    return {key: value for key, value in settings.items() if key != "format"}


class _InProcess:
    """One worker: the calling process itself (an interrupted write still removes its temporary)."""

    def __init__(self, settings):
        self.settings = settings

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def imap_unordered(self, jobs):
        estimator = FlowEstimator(self.settings["method"]) if jobs else None
        for job in jobs:
            yield _run_job(job, self.settings, estimator)


# The worker's first lines: ignore Ctrl-C (the parent decides and stops it), keep stdout for the results only, take
# the parent's sys.path, and register a bare `keras_motion` package so that importing this module does not run the
# package's __init__ (which imports Keras and a backend: seconds and hundreds of MB per worker, for nothing).
_BOOTSTRAP = """\
import os, pickle, signal, sys, types
signal.signal(signal.SIGINT, signal.SIG_IGN)
results = os.fdopen(os.dup(1), "wb")
os.dup2(2, 1)
init = pickle.load(sys.stdin.buffer)
sys.path[:] = init["sys_path"]
package = types.ModuleType("keras_motion")
package.__path__ = [init["package_dir"]]
sys.modules["keras_motion"] = package
from keras_motion.flow.extraction import _worker_main
_worker_main(init, sys.stdin.buffer, results)
"""

_GRACE_S = 5.0  # how long a stopped worker has to remove its temporary before it is killed


def _worker_main(init, jobs, results):
    """A worker's loop: one job at a time from the parent (pickles on stdin), one result back (pickles on stdout)."""

    def send(message):
        try:
            pickle.dump(message, results, protocol=pickle.HIGHEST_PROTOCOL)
            results.flush()
        except BrokenPipeError:  # the parent is gone (killed): no one to report to, and no traceback to print
            os._exit(1)  # not sys.exit: flushing `results` again at exit would raise once more

    def stop(signum, frame):
        raise SystemExit(128 + signum)  # unwinds, so that the write in progress removes its temporary

    signal.signal(signal.SIGTERM, stop)
    threading.Thread(target=_watch_parent, args=(init["parent_pid"],), daemon=True).start()
    cv2.setNumThreads(1)  # one process per core already; OpenCV's own threads would oversubscribe
    settings = init["settings"]
    estimator = FlowEstimator(settings["method"])
    send(("ready",))
    while True:
        try:
            job = pickle.load(jobs)
        except EOFError:  # the parent has no more work, or is gone
            return
        try:
            video, count, reason = _run_job(job, settings, estimator)
            send(("skip", video, reason) if reason else ("done", video, count))
        except Exception as e:  # a write error, a bug: the parent stops the run with it
            try:
                pickle.loads(pickle.dumps(e))
            except Exception:  # an exception that does not survive pickling: keep its message
                e = RuntimeError(str(e))
            send(("error", job[0], e, traceback.format_exc()))
            return


def _file_identity(path):
    """What tells a file replaced by an atomic rename from the one before it (None: no file)."""
    try:
        info = os.stat(path)
    except OSError:  # none there, or its folder cannot be (a file stands there: the write reports that)
        return None
    return info.st_ino, info.st_mtime_ns


def _watch_parent(parent_pid):
    # A parent killed with SIGKILL cannot stop its workers; they notice that they were re-parented and stop.
    while os.getppid() == parent_pid:
        time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(_GRACE_S)
    os._exit(1)


class _Workers:
    """`n` worker processes, each extracting one video at a time; `imap_unordered` yields results as they finish.

    Leaving the `with` block on an exception (Ctrl-C, a write error) stops every worker at once (SIGTERM, then
    SIGKILL after a grace period); on success the workers are told that there is no more work and end.
    """

    def __init__(self, n, settings):
        FlowEstimator(settings["method"])  # a missing dependency (TV-L1's contrib build) is reported here, once
        self.n = n
        self.init = dict(settings=settings, sys_path=list(sys.path), parent_pid=os.getpid(),
                         package_dir=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        self.messages = queue.Queue()
        self.procs = []
        self.starts = 0

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            for proc in self.procs:
                self._close(proc)
            self._reap(30.0)
        else:
            for proc in self.procs:
                if proc.poll() is None:
                    proc.terminate()
            self._reap(_GRACE_S)
        return False

    def _reap(self, timeout):
        deadline = time.monotonic() + timeout
        for proc in self.procs:
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs = []

    def _start(self):
        self.starts += 1
        code = [sys.executable, "-c", _BOOTSTRAP]
        # Same process group as the parent: a Ctrl-C reaches the workers too (they ignore it; the parent stops them).
        proc = subprocess.Popen(code, stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True)
        proc.ready = False
        self.procs.append(proc)
        threading.Thread(target=self._read, args=(proc,), daemon=True).start()
        self._send(proc, self.init)
        return proc

    def _read(self, proc):
        try:
            while True:
                self.messages.put((proc, pickle.load(proc.stdout)))
        except Exception:  # EOF or a cut stream: the worker has ended
            self.messages.put((proc, None))

    @staticmethod
    def _send(proc, message):
        try:
            pickle.dump(message, proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            proc.stdin.flush()
            return True
        except OSError:  # the worker has died; its reader reports it
            return False

    @staticmethod
    def _close(proc):
        try:
            proc.stdin.close()
        except OSError:
            pass

    def imap_unordered(self, jobs):
        todo = collections.deque(jobs)
        busy = {}  # worker -> the job it is on
        remaining = len(todo)
        for _ in range(min(self.n, remaining)):
            self._start()
        while remaining:
            try:
                # A timeout, so that Ctrl-C is handled promptly on every platform.
                proc, message = self.messages.get(timeout=0.2)
            except queue.Empty:
                continue
            if message is None:  # a worker ended
                self.procs.remove(proc)
                code = proc.wait()
                job, before = busy.pop(proc, (None, None))
                if job is not None:
                    remaining -= 1
                    if _file_identity(job[1]) not in (before, None):  # died after its atomic write: it is done
                        with open_npz(job[1], _FIX) as data:
                            yield job[0], len(data["flow"]), None
                    else:  # it crashed on this video (e.g. a segfault in a decoder): skip it, go on
                        remove_temporaries([job[1]])  # a kill mid-write leaves one
                        yield job[0], 0, f"the flow worker died (exit code {code}) while extracting it"
                elif not proc.ready and code >= 0:  # an error at start (not a kill) would repeat in every worker
                    raise RuntimeError(f"a flow-extraction worker failed to start (exit code {code}); its error is "
                                       "printed above")
                if todo and self.starts < self.n + len(jobs):
                    self._start()
                elif remaining and not self.procs:
                    raise RuntimeError(f"every flow-extraction worker died with {remaining} video(s) left")
                continue
            kind = message[0]
            if kind == "ready":
                proc.ready = True
            else:
                busy.pop(proc, None)
                remaining -= 1
                if kind == "error":
                    _, video, error, trace = message
                    if isinstance(error, (KerasMotionError, OSError)):
                        raise error  # an OutputError names the output and the fix
                    raise RuntimeError(f"flow extraction of {video} failed in a worker:\n{trace}")
                yield message[1], (message[2] if kind == "done" else 0), (message[2] if kind == "skip" else None)
            if todo:
                job = todo.popleft()
                busy[proc] = job, _file_identity(job[1])
                if not self._send(proc, job):
                    busy.pop(proc)
                    todo.appendleft(job)
            else:
                self._close(proc)
