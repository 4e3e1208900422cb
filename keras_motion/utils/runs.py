"""A run: the folder a method writes into, and everything it writes there the same way for every method.

A method object takes `run=Run(out)` and asks it for its training callbacks (TensorBoard where TensorFlow is
installed, else a CSV history; `BackupAndRestore`, so that a killed job resumes its epoch), for the paths of its
checkpoints and models, and for its progress messages. `Run(None)` writes nothing: what a test or a quick look
in a notebook wants.
"""

import json
import os
import sys
import time

from keras_motion.utils.files import atomic_path, atomic_write_text


def tensorflow_available():
    """Whether TensorFlow can be imported (it is not on a JAX or PyTorch GPU machine)."""
    import importlib.util

    return importlib.util.find_spec("tensorflow") is not None


class Run:
    """Where and how a method writes: `out` (a folder, or `None` for nothing on disk), progress messages on stderr.

    Args:
        out: output folder, made on first use; `None` writes nothing (callbacks are then only the NaN guard).
        verbose: print `log` messages (with the time) on stderr.
        tensorboard: `True`/`False` forces TensorBoard event files on or off; `None` writes them where TensorFlow
            is installed and a CSV history elsewhere.

    Example:

    >>> run = Run(None, verbose=False)
    >>> [type(c).__name__ for c in run.callbacks("train")], run.path("model.keras")
    (['StopOnNonFiniteLoss'], None)
    """

    def __init__(self, out=None, verbose=True, tensorboard=None):
        self.out, self.verbose = (None if out is None else os.fspath(out)), bool(verbose)
        self.tensorboard = tensorflow_available() if tensorboard is None else bool(tensorboard)
        self.start = time.time()

    def log(self, message):
        """Prints `[HH:MM:SS] message` on stderr (stdout stays for the result tables)."""
        if self.verbose:
            print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    def path(self, *parts):
        """`out/parts...` (its folder made), or `None` when the run writes nothing."""
        if self.out is None:
            return None
        path = os.path.join(self.out, *parts)
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        return path

    @property
    def minutes(self):
        return round((time.time() - self.start) / 60, 2)

    def callbacks(self, name, backup=True):
        """Training callbacks of the phase `name`: `StopOnNonFiniteLoss` (a NaN / inf loss raises, naming the epoch
        and batch), logs in `out/logs/<name>` (TensorBoard, or `history.csv` without TensorFlow) and, with `backup`,
        `BackupAndRestore` in `out/backup/<name>` so that a killed run resumes."""
        import keras

        from keras_motion.callbacks import StopOnNonFiniteLoss

        guard = StopOnNonFiniteLoss(name)  # a NaN loss ends the run with its step, written or not
        if self.out is None:
            return [guard]
        logs = os.path.join(self.out, "logs", name)
        os.makedirs(logs, exist_ok=True)
        callbacks = [keras.callbacks.TensorBoard(logs) if self.tensorboard
                     else keras.callbacks.CSVLogger(os.path.join(logs, "history.csv"), append=True)]
        if backup:
            callbacks.append(keras.callbacks.BackupAndRestore(os.path.join(self.out, "backup", name)))
        return [guard] + callbacks

    def log_dir(self, name):
        """`out/logs/<name>` for image callbacks, or `None`."""
        return None if self.out is None else os.path.join(self.out, "logs", name)

    def save_model(self, model, name):
        """Saves `model` atomically as `out/<name>` (a `.keras` file); returns the path, or `None`."""
        path = self.path(name)
        if path is not None:
            with atomic_path(path) as tmp:
                model.save(tmp)
        return path

    def load_json(self, name, default=None):
        """The JSON `out/<name>` written by an earlier (interrupted) run, or `default`."""
        path = self.path(name)
        if path is None or not os.path.exists(path):
            return default
        with open(path, encoding="utf-8") as f:
            return json.load(f)

    def write_json(self, name, obj):
        """Writes `obj` atomically as `out/<name>`; returns the path, or `None`."""
        path = self.path(name)
        if path is not None:
            atomic_write_text(path, json.dumps(obj, indent=2, default=_jsonable) + "\n")
        return path

    def write_metrics(self, metrics, **extra):
        """`out/metrics.json`: `metrics` plus the backend, the wall time in minutes and `extra` (e.g. the settings)."""
        import keras

        return self.write_json("metrics.json", {**metrics, "backend": keras.backend.backend(),
                                                "minutes": self.minutes, **extra})


def _jsonable(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)
