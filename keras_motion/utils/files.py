"""Atomic file writes: a job killed half-way never leaves a truncated output that a resumed run would trust.

Every file keras_motion writes goes through `atomic_path`, so every output gets the same guarantees: it appears
whole or not at all, it has the mode the umask gives (0644 under the usual umask 022, readable by the group jobs
that share the storage), and a write error names the output and the fix.
"""

import collections
import contextlib
import errno
import os
import re
import secrets

import numpy as np

from keras_motion.errors import KerasMotionError, OutputError

# `.<name>.<8 random chars>.tmp<ext>` beside the output: hidden (data-set scans skip dot files) and recognisable, so
# that a rerun can remove what a killed job left (`remove_temporaries`). The class also matches `mkstemp`'s names.
_TEMPORARY = re.compile(r"^\.(?P<base>.+)\.[0-9a-z_]{8}\.tmp(?P<ext>(\.weights)?\.[^.]*)?$")

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


def _create_temporary(directory, base, ext):
    # Not `tempfile.mkstemp`: it creates files mode 0600 whatever the umask. `os.open(..., 0o666)` lets the kernel
    # apply the umask, as for any file a program creates; reading the umask instead would race with other threads.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(4)}.tmp{ext}")
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
        base, ext = base[:-len(".weights")], ".weights" + ext
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
    """Removes the temporaries that `atomic_path` left beside any of `paths` when a job was killed mid-write.

    Only temporaries of the given outputs are touched, so a job can clean up after its own killed runs while other
    jobs (shards) write into the same folders. Returns the number removed.
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
            if match and match["base"] + (match["ext"] or "") in names:
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
