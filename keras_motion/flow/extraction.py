"""Data-set flow extraction: every video of a list → one file of quantised flow, in parallel, read per flow map.

The file of a video (`flow_output_path`: `<video>.npz`, format 2) is an uncompressed zip that `np.load` also opens:
`settings.npy` (the JSON of `flow_settings`), `bound.npy` (float32) and one member per flow map,
`flow/000000.png` ... : the map between decoded frames i and i+1, quantised to uint8 (`quantize`) and stored as one
lossless grayscale PNG of shape (2H, W), x above y. A reader (`read_flow_file`, `keras_motion.flow.FlowCache`) reads
and decodes only the maps it asks for; `load_flow` reads them all. The choice (disk against per-sample read time) is
measured by `python tools/bench.py flowcache` (docs/data.md).

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
import zipfile
import zlib

import cv2
import numpy as np

from keras_motion.errors import CorruptFileError, FlowError, KerasMotionError, SettingsMismatchError, VideoError
from keras_motion.flow.compute import METHODS, FlowEstimator, video_flow
from keras_motion.flow.encoding import dequantize, quantize
from keras_motion.utils.files import (
    LOCK,
    FolderLock,
    atomic_path,
    atomic_write_text,
    check_owned,
    check_writable_folder,
    read_json,
    remove_temporaries,
)
from keras_motion.utils.progress import progress
from keras_motion.utils.settings import check_settings
from keras_motion.utils.skips import SkipLog

# Version of the output layout, recorded with the settings. 1: one compressed (T-1, H, W, 2) array per file (read
# whole); 2: one PNG per flow map (read per map). A file of another version is refused as a settings mismatch.
_FORMAT = 2
# Marks a folder as an extraction's (what `overwrite=True` may write over); hidden, like the lock, since readers of
# the flow cache list its files.
RECORD = ".flow_extraction.json"
_FIX = "delete it, or rerun with --overwrite (overwrite=True) to recompute it"
_MAPS = "flow/"  # the members holding the flow maps: flow/000000.png, flow/000001.png, ...
# PNG with zlib's RLE strategy at level 1: as small as level 9 on quantised flow, at a twentieth of its encoding time
# (`tools/bench.py flowcache`).
_PNG = [cv2.IMWRITE_PNG_COMPRESSION, 1, cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE]


def flow_output_path(video_path, root, out_dir):
    """`out_dir/<path of the video relative to root>.npz`, the video's extension kept.

    Keeping the extension gives `clip.avi` and `clip.mp4` of one folder two outputs.

    >>> flow_output_path("videos/a/clip.avi", "videos", "flows").replace(os.sep, "/")
    'flows/a/clip.avi.npz'
    """
    relative = os.path.relpath(os.path.abspath(video_path), os.path.abspath(root))
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        raise ValueError(
            f"video {video_path} is not under root {root}, so its output would land outside {out_dir}; "
            "pass as root a folder that holds every video."
        )
    return os.path.join(out_dir, relative + ".npz")


def flow_settings(method="dis", size=None, step=1, max_frames=None, bound=20.0):
    """The settings that make an output, as recorded in it (JSON types), after checking them.

    >>> flow_settings(size=(64, 80))
    {'format': 2, 'method': 'dis', 'size': [64, 80], 'step': 1, 'max_frames': None, 'bound': 20.0}
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
    return {
        "format": _FORMAT,
        "method": method,
        "size": list(size) if isinstance(size, tuple) else size,
        "step": int(step),
        "max_frames": None if max_frames is None else int(max_frames),
        "bound": float(bound),
    }


def extract_video_flow(
    video_path, out_path, method="dis", size=None, step=1, max_frames=None, bound=20.0, estimator=None
):
    """Flow between consecutive decoded frames of one video, saved as `out_path` (written atomically).

    Flow map i is the flow from decoded frame i to i+1 of `read_video(video_path, size=size, step=step,
    max_frames=max_frames)`, quantised to ±`bound` px (see `quantize`); the file's layout is in this module's
    docstring. Read it back with `load_flow` (all maps) or `read_flow_file` (some). An incomplete (truncated) video
    raises `VideoError` instead of storing a flow that a rerun would take for finished. Returns the number of flow
    maps written.
    """
    from keras_motion.video import read_video

    settings = flow_settings(method, size, step, max_frames, bound)
    frames = read_video(video_path, size=size, step=step, max_frames=max_frames, min_frames=2, strict=True)
    flows = video_flow(frames, method, estimator=estimator)
    write_flow_file(out_path, quantize(flows, bound), settings)
    return len(flows)


def _npy_bytes(array):
    import io

    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def write_flow_file(out_path, codes, settings):
    """Writes uint8 codes (T-1, H, W, 2) of `quantize` as a format-2 flow file (atomically), with `settings`."""
    with atomic_path(out_path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive:
        # PNG is compressed already: the members are stored, so that a reader seeks straight to one.
        archive.writestr("settings.npy", _npy_bytes(np.array(json.dumps(settings))))
        archive.writestr("bound.npy", _npy_bytes(np.float32(settings["bound"])))
        for i, code in enumerate(codes):
            ok, png = cv2.imencode(".png", np.concatenate([code[..., 0], code[..., 1]], axis=0), _PNG)
            if not ok:
                raise FlowError(f"OpenCV could not encode flow map {i} of {out_path} as PNG")
            archive.writestr(f"{_MAPS}{i:06d}.png", png.tobytes())


class _FlowFile:
    """One flow file opened for reading (a context): its settings, its number of maps, and the maps asked for.
    A damaged file raises `CorruptFileError` naming it and `fix`."""

    def __init__(self, path, fix=_FIX):
        self.path, self.fix = os.fspath(path), fix

    def __enter__(self):
        try:
            self.archive = zipfile.ZipFile(self.path)
        except FileNotFoundError:
            raise
        except Exception as e:  # noqa: BLE001 — BadZipFile, OSError, EOFError ...
            raise self._corrupt(e) from None
        return self

    def __exit__(self, exc_type, exc, tb):
        self.archive.close()
        if (
            exc_type is not None
            and not issubclass(exc_type, (KerasMotionError, IndexError, FileNotFoundError))
            and issubclass(
                exc_type, (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError, KeyError, cv2.error)
            )
        ):
            raise self._corrupt(exc) from None
        return False

    def _corrupt(self, error):
        return CorruptFileError(
            f"{self.path} exists but cannot be read (truncated or damaged? "
            f"{type(error).__name__}: {str(error)[:200]}); {self.fix}."
        )

    def _npy(self, name):
        import io

        with self.archive.open(name) as member:
            return np.lib.format.read_array(io.BytesIO(member.read()), allow_pickle=False)

    def settings(self):
        """The recorded settings (a dict), or None where the file has none (keras_motion < 0.3)."""
        if "settings.npy" not in self.archive.namelist():
            return None
        return json.loads(str(self._npy("settings.npy")))

    def _whole(self):
        """Whether the maps are one array (`flow.npy`: format 1 and older), read whole."""
        return "flow.npy" in self.archive.namelist()

    def bound(self):
        return float(self._npy("bound.npy"))

    def num_flows(self):
        if self._whole():
            with self.archive.open("flow.npy") as member:
                version = np.lib.format.read_magic(member)
                header = (
                    np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
                )
                return int(header(member)[0][0])
        return sum(name.startswith(_MAPS) for name in self.archive.namelist())

    def _png(self, i):
        return np.frombuffer(self.archive.read(f"{_MAPS}{i:06d}.png"), np.uint8)

    def read(self, indices=None):
        """float32 (len(indices), H, W, 2) px: the maps `indices` (all: None), each decoded into the output alone."""
        if self._whole():
            flow = self._npy("flow.npy")
            return dequantize(flow if indices is None else flow[self._check(indices, len(flow))], self.bound())
        count = self.num_flows()
        indices = range(count) if indices is None else self._check(indices, count)
        if not count:
            raise CorruptFileError(f"{self.path} holds no flow maps (damaged?); {self.fix}.")
        png = self._png(indices[0] if len(indices) else 0)
        width, height = (int(v) for v in np.frombuffer(png[16:24].tobytes(), ">u4"))  # the PNG header (IHDR)
        out = np.empty((len(indices), height // 2, width, 2), np.float32)
        bound = self.bound()
        for row, i in enumerate(indices):
            code = cv2.imdecode(png if row == 0 else self._png(i), cv2.IMREAD_UNCHANGED)
            if code is None or code.shape != (height, width):
                raise CorruptFileError(
                    f"{self.path}: flow map {i} is not a {height}x{width} grayscale PNG of x "
                    f"above y (damaged?); {self.fix}."
                )
            out[row, ..., 0] = dequantize(code[: height // 2], bound)
            out[row, ..., 1] = dequantize(code[height // 2 :], bound)
        return out

    def _check(self, indices, count):
        indices = np.asarray(indices)
        if indices.ndim != 1 or (indices.size and indices.dtype.kind not in "iu"):
            raise IndexError(f"{self.path}: flow indices must be a 1-D list of integers, got {indices!r}")
        bad = indices[(indices < 0) | (indices >= count)]
        if bad.size:
            raise IndexError(
                f"{self.path} holds {count} flow maps (indices 0..{count - 1}); index {int(bad[0])} is outside them"
            )
        return [int(i) for i in indices]


def read_flow_file(path, indices=None, settings=None, fix=_FIX):
    """The flow maps `indices` (None: all) of a file of `extract_video_flow` → float32 (len(indices), H, W, 2) px,
    reading and decoding only those maps.

    With `settings` (a dict of `flow_settings`), a file made with other settings (another format included) raises
    `SettingsMismatchError` naming the setting, instead of being read. A truncated or damaged file raises
    `CorruptFileError` naming it and `fix`.
    """
    with _FlowFile(path, fix) as flow_file:
        if settings is not None:
            _check_recorded(path, flow_file.settings(), settings, fix)
        return flow_file.read(indices)


def count_flows(path, settings=None, fix=_FIX):
    """The number of flow maps in a file of `extract_video_flow` (checked against `settings` as `read_flow_file`)."""
    with _FlowFile(path, fix) as flow_file:
        if settings is not None:
            _check_recorded(path, flow_file.settings(), settings, fix)
        return flow_file.num_flows()


def load_flow(path):
    """Flow saved by `extract_video_flow` → float32 (T-1, H, W, 2) in px; a truncated or damaged file raises
    `CorruptFileError` naming it and the fix. Reads every format (a whole-video read)."""
    return read_flow_file(path)


def load_flow_settings(path):
    """The settings recorded in a file of `extract_video_flow` (a dict, see `flow_settings`), or None if it has
    none (written by keras_motion < 0.3); a damaged file raises `CorruptFileError`."""
    with _FlowFile(path) as flow_file:
        return flow_file.settings()


def _check_recorded(path, recorded, settings, fix):
    """`SettingsMismatchError` unless the settings `recorded` in `path` are `settings` (no record: an older layout)."""
    if recorded is None:
        raise SettingsMismatchError(
            f"the existing output {path} records no settings (an older keras_motion "
            f"wrote it), so it may not match these settings; {fix}."
        )
    check_settings(
        recorded,
        settings,
        f"the existing output {path} was made",
        f"{fix[0].upper()}{fix[1:]}" + ("" if fix.endswith(".") else "."),
    )


_RERUN_FIX = (
    "rerun with the same settings, write to another output folder, or pass overwrite=True "
    "(--overwrite in tools/extract_flow.py) to recompute"
)


def _check_existing(out_path, settings):
    """Raises `SettingsMismatchError` unless the finished output `out_path` was made with `settings` (an output of
    another format included: `format 1 there, 2 now`)."""
    try:
        recorded = load_flow_settings(out_path)
    except CorruptFileError:
        raise
    except Exception as e:  # settings that are not JSON: damaged alike
        raise CorruptFileError(f"cannot read the existing output {out_path} ({e}); {_FIX}.") from e
    _check_recorded(out_path, recorded, settings, _RERUN_FIX)


def read_record(out_dir):
    """The record of an extraction folder (`RECORD`, a dict; its `settings` those of the extraction that made it),
    or None where the folder holds none."""
    path = os.path.join(os.fspath(out_dir), RECORD)
    if not os.path.exists(path):
        return None
    return read_json(path, "delete it (the flow files keep their own settings) and rerun the extraction")


def check_folder_settings(out_dir, settings, fix=_RERUN_FIX):
    """Raises `SettingsMismatchError` naming the setting when the extraction folder `out_dir` records other settings
    (folders of keras_motion < 0.4 record none: their files are checked one by one)."""
    record = read_record(out_dir)
    recorded = (record or {}).get("settings")
    if recorded is not None:
        check_settings(
            recorded,
            settings,
            f"the flow folder {out_dir} was made ({os.path.join(out_dir, RECORD)})",
            f"{fix[0].upper()}{fix[1:]}" + ("" if fix.endswith(".") else "."),
        )


def shard(items, num_shards=1, shard_index=0):
    """Every `num_shards`-th item of the sorted list starting at `shard_index`: disjoint shards that cover it."""
    if not 0 <= shard_index < num_shards:
        raise ValueError(f"shard_index must be in [0, {num_shards}), got {shard_index}")
    return sorted(items)[shard_index::num_shards]


def extract_flows(
    videos,
    root,
    out_dir,
    method="dis",
    size=None,
    step=1,
    max_frames=None,
    bound=20.0,
    workers=None,
    num_shards=1,
    shard_index=0,
    overwrite=False,
    show_progress=True,
):
    """Extracts the flow of every video (paths under `root`) into `out_dir`, mirroring the folder layout.

    `root/a/clip.avi` → `out_dir/a/clip.avi.npz` (`flow_output_path`). Outputs that exist are skipped if they were
    made with the same settings; other settings (in an output, or recorded for the folder by an extraction of another
    shard: `.flow_extraction.json`) raise `SettingsMismatchError` unless `overwrite=True`, which recomputes every
    output of the shard and records the new settings. `workers` processes (default: all cores) extract in
    parallel; `num_shards` / `shard_index` split the list across machines. Undecodable and incomplete (truncated)
    videos are warned about, skipped and counted; they get no output, so a rerun tries them again. A write error
    (`OutputError`) or Ctrl-C stops every worker at once, keeping only finished outputs.

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
    lock = FolderLock(
        out_dir,
        LOCK if num_shards == 1 else f".keras_motion.shard{shard_index}of{num_shards}.lock",
        what="flow extraction",
    )
    try:
        return _extract(mine, outputs, out_dir, settings, workers, overwrite, show_progress)
    finally:
        lock.release()


def _extract(mine, outputs, out_dir, settings, workers, overwrite, show_progress):
    record = os.path.join(out_dir, RECORD)
    if overwrite:
        check_owned(out_dir, [] if os.path.exists(record) else None, RECORD)
    jobs, existing = [], 0
    for video in mine:
        if not overwrite and os.path.exists(outputs[video]):
            _check_existing(outputs[video], settings)  # first: its message names a file of the folder
            existing += 1
        else:
            jobs.append((video, outputs[video]))
    if not overwrite:
        check_folder_settings(out_dir, settings)  # shards of one folder, on other machines, use the same settings
    if overwrite or (read_record(out_dir) or {}).get("settings") is None:
        atomic_write_text(
            record, json.dumps({"made_by": "keras_motion.flow.extract_flows", "settings": settings}) + "\n"
        )
    removed = remove_temporaries(outputs[video] for video in mine)

    failed = SkipLog("flow extraction")
    written = flow_maps = 0
    workers = min(workers or os.cpu_count() or 1, len(jobs))
    try:
        with _Workers(workers, settings) if workers > 1 else _InProcess(settings) as pool:
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
    return dict(
        written=written, flow_maps=flow_maps, skipped_existing=existing, failed=failed, removed_temporaries=removed
    )


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
        self.init = dict(
            settings=settings,
            sys_path=list(sys.path),
            parent_pid=os.getpid(),
            package_dir=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        )
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
                        yield job[0], count_flows(job[1]), None
                    else:  # it crashed on this video (e.g. a segfault in a decoder): skip it, go on
                        remove_temporaries([job[1]])  # a kill mid-write leaves one
                        yield job[0], 0, f"the flow worker died (exit code {code}) while extracting it"
                elif not proc.ready and code >= 0:  # an error at start (not a kill) would repeat in every worker
                    raise RuntimeError(
                        f"a flow-extraction worker failed to start (exit code {code}); its error is printed above"
                    )
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
