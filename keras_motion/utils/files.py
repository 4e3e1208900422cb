"""Files a job writes: atomically, owned by the process that writes them, in folders one job at a time.

Every file keras_motion writes goes through `atomic_path`, so every output gets the same guarantees: it appears
whole or not at all, it has the mode the umask gives (0644 under the usual umask 022, readable by the group jobs
that share the storage), and a write error names the output and the fix. A temporary's name carries its writer
(host, pid, process start time), so a rerun removes only the temporaries of writers that are provably gone, never
those of a job still writing (`remove_temporaries`). A job takes its output folder with `FolderLock` (a second job
on the same folder is refused, naming the holder), and `--overwrite` deletes only what a job recorded that it wrote
(`check_owned`, `remove_written`). A file that cannot be read back (truncated, damaged) raises `CorruptFileError`
naming it and the fix (`read_json`, `open_npz`, `check_readable`).
"""

import collections
import contextlib
import datetime
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import sys
import weakref
import zipfile
import zlib

import numpy as np

from keras_motion.errors import CorruptFileError, FolderInUseError, KerasMotionError, OutputError, OutputPathError

# `.<name>.<host>-<pid>-<start>-<4 random>.tmp<ext>` beside the output: hidden (data-set scans skip dot files), and
# naming its writer, so that a rerun removes only what a gone writer left (`remove_temporaries`).
_TEMPORARY = re.compile(
    r"^\.(?P<base>.+)\.(?P<host>[0-9a-f]{8})-(?P<pid>\d+)-(?P<start>\d+)-[0-9a-f]{4}"
    r"\.tmp(?P<ext>(\.weights)?\.[^.]*)?$"
)

_HINTS = {
    errno.ENOSPC: "the disk is full: free space or choose another output folder",
    errno.EDQUOT: "the disk quota is exceeded: free space or choose another output folder",
    errno.EACCES: "the folder is not writable: fix its permissions or choose another output folder",
    errno.EPERM: "the folder is not writable: fix its permissions or choose another output folder",
    errno.EROFS: "the file system is read-only: choose another output folder",
    errno.EEXIST: "a file stands where a folder is needed: move it or choose another output folder",
    errno.ENOTDIR: "a file stands where a folder is needed: move it or choose another output folder",
    errno.EISDIR: "a folder stands where the file should go: move it or choose another output path",
}


def _output_error(path, error):
    reason = error.strerror or str(error)
    hint = _HINTS.get(error.errno, "check the output folder")
    # Only the message: setting errno or filename would make OSError.__str__ replace it. The cause keeps them.
    return OutputError(f"cannot write {path}: {reason}; {hint}.")


# ------------------------------------------------------------------------------------------ process identity
def _host():
    return hashlib.sha1(socket.gethostname().encode()).hexdigest()[:8]


def process_start(pid):
    """The start time of process `pid` in clock ticks since boot (Linux), 0 where unknown, None if it is gone. With
    the pid it names one process: a pid reused by a later process has another start time."""
    try:
        with open(f"/proc/{int(pid)}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return None if fields[0] == b"Z" else int(fields[19])  # a zombie has ended
    except FileNotFoundError:
        return None
    except (OSError, IndexError, ValueError):  # no /proc (macOS, Windows): liveness by pid only
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return None
        except (PermissionError, OSError):
            pass
        return 0


def writer_gone(host, pid, start):
    """Whether the process (`host`, `pid`, `start`) has provably ended: on this host only (another host's process
    cannot be checked, so it is never taken for gone)."""
    if host != _host():
        return False
    now = process_start(pid)
    return now is None or (bool(now) and bool(int(start)) and now != int(start))


_SELF = None


def _self_tag():
    global _SELF
    if _SELF is None or _SELF[1] != os.getpid():  # a forked child is another writer
        _SELF = (_host(), os.getpid(), process_start(os.getpid()) or 0)
    return "{}-{}-{}".format(*_SELF)


# ----------------------------------------------------------------------------------------------- atomic writes
def _create_temporary(directory, base, ext):
    # Not `tempfile.mkstemp`: it creates files mode 0600 whatever the umask. `os.open(..., 0o666)` lets the kernel
    # apply the umask, as for any file a program creates; reading the umask instead would race with other threads.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(directory, f".{base}.{_self_tag()}-{secrets.token_hex(2)}.tmp{ext}")
        try:
            fd = os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise FileExistsError(errno.EEXIST, "no free temporary name", os.path.join(directory, f".{base}.*.tmp{ext}"))


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path beside `path`; renames it onto `path` only if the block finishes without error.

    The temporary name keeps the extension of `path`, so writers that choose a format by extension
    (OpenCV, NumPy, Keras) still do. The file gets the mode the umask gives (like `open(path, "w")`). An `OSError`
    while creating, writing or renaming it (read-only or full disk, a file where a folder should be) is raised as
    `keras_motion.errors.OutputError` naming `path` and the fix.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    base, ext = os.path.splitext(os.path.basename(path))
    if base.endswith(".weights"):  # Keras' save_weights wants a name that ends in ".weights.h5"
        base, ext = base[: -len(".weights")], ".weights" + ext
    try:
        os.makedirs(directory, exist_ok=True)
        tmp = _create_temporary(directory, base, ext)
    except OSError as e:
        raise _output_error(path, e) from e
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as e:
        if isinstance(e, KerasMotionError):  # e.g. a VideoError of the block: already names its file
            raise
        raise _output_error(path, e) from e
    finally:
        with contextlib.suppress(OSError):  # a failed cleanup must not hide the error that caused it
            if os.path.exists(tmp):
                os.remove(tmp)


def check_writable_folder(folder):
    """Makes `folder` if needed and checks that a file can be created in it; raises `OutputError` naming it if not.

    A long job calls this first, so that a read-only `--out` fails at once instead of after the first result.
    """
    folder = os.fspath(folder)
    try:
        os.makedirs(folder, exist_ok=True)
        os.remove(_create_temporary(folder, "write-check", ""))
    except OSError as e:
        raise _output_error(folder, e) from e


def remove_temporaries(paths):
    """Removes the temporaries that `atomic_path` left beside any of `paths` when their writer was killed mid-write.

    Only temporaries of the given outputs, and only those whose writer has provably ended (`writer_gone`): a job can
    clean up after its own killed runs while other jobs (shards, a second run) write into the same folders. Returns
    the number removed.
    """
    wanted = collections.defaultdict(set)
    for path in paths:
        directory, name = os.path.split(os.path.abspath(os.fspath(path)))
        wanted[directory].add(name)
    removed = 0
    for directory, names in wanted.items():
        try:
            entries = list(os.scandir(directory))
        except OSError:  # not made yet
            continue
        for entry in entries:
            match = _TEMPORARY.match(entry.name)
            if (
                match
                and match["base"] + (match["ext"] or "") in names
                and writer_gone(match["host"], match["pid"], match["start"])
            ):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(entry.path)
                    removed += 1
    return removed


def atomic_write_text(path, text):
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)


def atomic_save_npz(path, compressed=True, **arrays):
    with atomic_path(path) as tmp:
        (np.savez_compressed if compressed else np.savez)(tmp, **arrays)


# ------------------------------------------------------------------------------------------ one job per folder
LOCK = ".keras_motion.lock"
_HELD = {}  # lock path -> [file descriptor, holders in this process]: a process may open one folder many times


def _try_lock(fd):
    try:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except ImportError:  # Windows
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)


class FolderLock:
    """Holds `folder` for one job: a second job asking for it (another process, here or on a machine sharing the
    storage) gets `FolderInUseError` naming the holder (pid, host, since when, its command).

    The lock is the kernel's (`flock`) on `folder/<name>`, which also records the holder: a killed job's lock ends
    with its process, so a rerun takes it over without anyone deleting a file. Re-entrant within one process. Held
    until `release()` (or the object is collected, or the process ends).
    """

    def __init__(self, folder, name=LOCK, what="job"):
        folder = os.fspath(folder)
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as e:
            raise _output_error(folder, e) from e
        self.path = os.path.realpath(os.path.join(folder, name))
        held = _HELD.get(self.path)
        if held is not None:
            held[1] += 1
        else:
            _HELD[self.path] = [self._acquire(folder, what), 1]
        self._finalizer = weakref.finalize(self, _release, self.path)

    def _acquire(self, folder, what):
        for _ in range(10):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            except OSError as e:
                raise _output_error(self.path, e) from e
            try:
                _try_lock(fd)
            except OSError:
                holder = _read_holder(fd)
                os.close(fd)
                raise FolderInUseError(
                    f"{folder} is in use by another {what}: {holder}. Two jobs writing into one folder would break "
                    f"each other; wait for it to end (or stop it), or choose another output folder. ({self.path} "
                    "is freed when that process ends.)"
                ) from None
            # The holder before us may have deleted the file between our open and our lock: lock the file in place.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            holder = {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "start": process_start(os.getpid()) or 0,
                "since": datetime.datetime.now().isoformat(timespec="seconds"),
                "command": " ".join(sys.argv),
            }
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, (json.dumps(holder) + "\n").encode())
            return fd
        raise FolderInUseError(f"{folder}: cannot take {self.path} (it keeps being replaced by other jobs)")

    def release(self):
        self._finalizer()


def _release(path):
    held = _HELD.get(path)
    if held is None:
        return
    held[1] -= 1
    if held[1] <= 0:
        del _HELD[path]
        with contextlib.suppress(OSError):
            os.remove(path)  # while still locked, so nobody locks the removed file (see `_acquire`)
        os.close(held[0])


def _read_holder(fd):
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        holder = json.loads(os.read(fd, 4096).decode() or "{}")
        return f"process {holder['pid']} on {holder['host']} since {holder['since']} (`{holder.get('command', '?')}`)"
    except (OSError, ValueError, KeyError, TypeError):
        return "a process that has not yet written its name"


# ----------------------------------------------------------------------------- --overwrite: what a job wrote
def _ours(name):
    return (name.startswith(".keras_motion") and name.endswith(".lock")) or bool(_TEMPORARY.match(name))


def check_owned(folder, written, record, flag="--overwrite"):
    """`--overwrite`'s rule, before anything is deleted: a folder whose record (`record`, e.g. run.json) says what a
    job wrote there (`written`, a list) may be cleared of exactly that; a folder with no record (`written=None`)
    must hold nothing else (only our lock and temporaries), else `OutputPathError` naming the folder, some of its
    files and the fix. `written=False`: a record from before keras_motion listed its files, refused the same way."""
    folder = os.fspath(folder)
    if written not in (None, False) or not os.path.isdir(folder):
        return
    others = sorted(name for name in os.listdir(folder) if not _ours(name))
    if written is None and not others:
        return
    why = (
        f"no {record} records what a keras_motion job wrote there"
        if written is None
        else f"its {record} was written by an older keras_motion that did not record which files it wrote"
    )
    shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
    raise OutputPathError(
        f"{flag}: {folder} holds files ({shown}) but {why}, so {flag} cannot tell them from yours and deletes "
        f"nothing; choose another output folder (a new or empty one), or move the files away (delete the folder "
        f"yourself if none of them is yours)."
    )


def remove_written(folder, written):
    """Deletes the entries `written` (paths relative to `folder`, files or whole folders, as a job recorded them),
    the temporaries their gone writers left, and the folders left empty between them and `folder`. Nothing outside
    `folder` is touched, whatever the record says. Returns the number of entries removed."""
    folder = os.path.abspath(os.fspath(folder))
    removed, parents = 0, set()
    for relative in written:
        path = os.path.normpath(os.path.join(folder, relative))
        if os.path.commonpath([folder, path]) != folder or path == folder:
            continue  # a damaged or edited record never reaches outside (or all of) the folder
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
        elif os.path.lexists(path):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
                removed += 1
        remove_temporaries([path])
        parent = os.path.dirname(path)
        while parent != folder and os.path.commonpath([folder, parent]) == folder:
            parents.add(parent)
            parent = os.path.dirname(parent)
    for parent in sorted(parents, key=len, reverse=True):  # deepest first
        with contextlib.suppress(OSError):
            os.rmdir(parent)  # only if empty: a user's file there keeps it
    return removed


# ------------------------------------------------------------------------------------ files that must read back
def _corrupt(path, error, fix):
    reason = f"{type(error).__name__}: {str(error)[:200]}" if error is not None else "not a valid file"
    return CorruptFileError(f"{path} exists but cannot be read (truncated or damaged? {reason}); {fix}.")


def read_json(path, fix="delete it, or rerun with --overwrite to start afresh"):
    """The JSON in `path`; a truncated or damaged file raises `CorruptFileError` naming it and `fix`."""
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (ValueError, UnicodeDecodeError) as e:  # JSONDecodeError is a ValueError
        raise _corrupt(path, e, fix) from None


def check_readable(path, fix="delete it, or rerun with --overwrite to recompute it"):
    """Reads all of `path` by its kind (.json, .npz, .h5, .keras) and raises `CorruptFileError` naming it and `fix`
    when it is truncated or damaged: what a job checks before it trusts a file it wrote earlier."""
    path = os.fspath(path)
    name = path.lower()
    try:
        if name.endswith(".json"):
            read_json(path, fix)
        elif name.endswith(".npz"):
            with np.load(path, allow_pickle=False) as data:
                for key in data.files:
                    data[key]
        elif name.endswith(".h5"):
            import h5py

            with h5py.File(path, "r") as f:
                f.visititems(lambda _, item: item[()] if isinstance(item, h5py.Dataset) else None)
        elif name.endswith(".keras"):
            with zipfile.ZipFile(path) as archive:
                if archive.testzip() is not None or "config.json" not in archive.namelist():
                    raise _corrupt(path, None, fix)
    except CorruptFileError:
        raise
    except FileNotFoundError:
        raise
    except Exception as e:  # noqa: BLE001 — zip, HDF5, NumPy and OS errors all mean "cannot be read"
        raise _corrupt(path, e, fix) from None


@contextlib.contextmanager
def open_npz(path, fix="delete it, or rerun with --overwrite to recompute it"):
    """`np.load(path)` as a context; a truncated or damaged archive (or member) raises `CorruptFileError`."""
    path = os.fspath(path)
    try:
        data = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except Exception as e:  # noqa: BLE001 — BadZipFile, EOFError, ValueError ...
        raise _corrupt(path, e, fix) from None
    with data:
        try:
            yield data
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError) as e:
            if isinstance(e, KerasMotionError):
                raise
            raise _corrupt(path, e, fix) from None


def load_model(path, fix="delete it, or rerun with --overwrite to make it again", **kwargs):
    """`keras.saving.load_model(path)`, with a damaged `.keras` file named as such (Keras says "File not found"
    for it) and a missing one as missing."""
    import keras

    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(errno.ENOENT, "no such model file", path)
    if path.lower().endswith(".keras"):
        check_readable(path, fix)
    return keras.saving.load_model(path, **kwargs)
