"""Helpers of the reliability tests: what another process leaves or holds (a temporary of a writer killed
mid-write, a folder lock held by a second job), made in a forked child, so no new interpreter is started."""

import contextlib
import os
import signal

from keras_motion.utils.files import FolderLock, atomic_path


def temporary_of_a_gone_writer(target, data=b"half a file"):
    """The temporary `atomic_path(target)` leaves when its process dies mid-write (here: a child that ends)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child writes half a file and ends without renaming or removing it
        try:
            tmp = atomic_path(target).__enter__()
            with open(tmp, "wb") as f:
                f.write(data)
            os.write(write, tmp.encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as f:
        name = f.read().decode()
    os.waitpid(pid, 0)
    return name


@contextlib.contextmanager
def folder_held_by_another_process(folder, **lock_args):
    """Yields the pid of a child process that holds `folder` (`FolderLock`) until the block ends (then SIGKILLed)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            lock = FolderLock(folder, **lock_args)  # held while referenced
            os.write(write, b"held")
            signal.pause()
            lock.release()
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as f:
        assert f.read(4) == b"held"
    try:
        yield pid
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
