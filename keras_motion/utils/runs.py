"""A run: the folder a method writes into, and everything it writes there the same way for every method.

A method object takes `run=Run(out)` and asks it for its training callbacks (TensorBoard scalars where tensorboard
is installed, on every backend, else a CSV history; `ResumableBackup`, so that a killed job resumes its epoch
exactly; `EpochSync`, so that its data sets draw the batches of that epoch), for the paths of its checkpoints and
models, and for its progress messages. `Run(None)` writes nothing: what a test or a quick look in a notebook wants.

Reruns into the same folder. `out/run.json` records the settings of the run (a recipe's flags and the backend),
every finished phase (with the settings of the task that ran it, its result, its models' weights under
`out/phases/`) and whether the run finished. A rerun with the same settings reuses the finished phases instead of
training them again, resumes the killed one from its last epoch, and when the run had finished redoes nothing
(`finished`); a rerun with other settings raises `SettingsMismatchError` naming each differing setting, unless
`overwrite=True` (a recipe's `--overwrite`), which deletes what earlier runs recorded (in run.json's "written")
that they wrote there, and nothing else, and starts afresh; a folder holding files but no run.json is refused. One
run at a time: a `Run` holds its folder (`FolderLock`), so a second job on it is refused, naming the first.
"""

import json
import os
import re
import shutil
import sys
import time
import warnings

from keras_motion.errors import CorruptFileError, SettingsMismatchError
from keras_motion.utils.files import (
    FolderLock,
    atomic_path,
    atomic_write_text,
    check_owned,
    check_readable,
    read_json,
    remove_written,
)
from keras_motion.utils.settings import check_settings

RECORD = "run.json"
_FIX = "rerun with --overwrite to start afresh there, or delete the file"
# run.json lists what the run wrote: without it --overwrite cannot clear the folder either.
_RECORD_FIX = (
    "it records what earlier runs wrote there, so --overwrite cannot clear the folder either: delete "
    "the folder (keep any files of yours) or choose another --out"
)
_CHECKED = (".npz", ".h5", ".json", ".keras")  # files of a finished phase read back before it is trusted


class Run:
    """Where and how a method writes: `out` (a folder, or `None` for nothing on disk), progress messages on stderr.

    Args:
        out: output folder, made on first use; `None` writes nothing (callbacks are then only the NaN guard), and
            so does every process but process 0 of a multi-process run (`keras_motion.distribution.is_chief`).
        verbose: print `log` messages (with the time) on stderr.
        tensorboard: `True`/`False` forces TensorBoard event files on or off; `None` writes them where tensorboard
            is installed (TensorFlow is not needed) and a CSV history elsewhere.
        settings: JSON-able settings of the whole run (a recipe's flags): recorded in `out/run.json`; a folder
            recorded with other settings is refused (`SettingsMismatchError`). `None`: not checked.
        overwrite: delete what earlier runs recorded that they wrote into `out` first (nothing else; a folder with
            files but no run.json is refused, `OutputPathError`).
        what: what holds the folder, for the message a second job gets ("run", "search").

    Example:

    >>> run = Run(None, verbose=False)
    >>> [type(c).__name__ for c in run.callbacks("train")], run.path("model.keras")
    (['StopOnNonFiniteLoss'], None)
    """

    def __init__(self, out=None, verbose=True, tensorboard=None, settings=None, overwrite=False, what="run"):
        from keras_motion.distribution import is_chief

        self.out, self.verbose = (None if out is None or not is_chief() else os.fspath(out)), bool(verbose)
        from keras_motion.utils.summaries import MISSING, tensorboard_available

        available = tensorboard_available()
        if tensorboard and not available:
            raise ImportError(f"Run(tensorboard=True): {MISSING}")
        if tensorboard is None and not available and self.out is not None:
            self.log(MISSING)
        self.tensorboard = available if tensorboard is None else bool(tensorboard)
        self.start = time.time()
        self.settings = None if settings is None else json.loads(json.dumps(settings, default=_jsonable))
        self.record = {"settings": self.settings, "phases": {}, "finished": False, "written": []}
        self._lock, self._verified = None, set()
        if self.out is not None:
            self._lock = FolderLock(self.out, what=what)  # before reading or clearing anything there
            if overwrite:
                self.clear()
            self._open()

    def close(self):
        """Frees the folder for other jobs (also done by `finish`, when the object is collected and at exit)."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # ---------------------------------------------------------------------------------- the record of the run
    def _open(self):
        stored = self.load_json(RECORD)
        if stored is None:
            if self.settings is not None and os.path.exists(os.path.join(self.out, "metrics.json")):
                raise SettingsMismatchError(
                    f"{self.out} holds the results of an earlier run whose settings were not recorded (no "
                    f"{RECORD}): rerun with --overwrite to start afresh there, or choose another --out"
                )
            if self.settings is not None:
                self._write_record()
            return
        if self.settings is not None:
            check_settings(
                stored.get("settings"),
                self.settings,
                f"{self.out} was made by a run",
                "Rerun with the same flags to resume (or to reuse) it, choose another --out, or add "
                "--overwrite to start afresh there.",
                key=_flag,
            )
        self.record = {
            "settings": stored.get("settings"),
            "phases": stored.get("phases", {}),
            "finished": bool(stored.get("finished")),
            "written": list(stored.get("written", [])),
        }

    def _write_record(self):
        if self.out is not None:
            self.write_json(RECORD, self.record)

    def _wrote(self, *parts):
        """Records `out/parts...` (a file or a folder) as written by this run, before it is written: what
        --overwrite may delete later."""
        relative = "/".join(p.replace(os.sep, "/") for p in parts)
        if self.out is not None and relative != RECORD and relative not in self.record["written"]:
            self.record["written"].append(relative)
            self._write_record()

    def clear(self):
        """Deletes what earlier runs recorded in run.json that they wrote into `out` (and run.json); other files are
        kept. A folder with files but no run.json (or one from before runs listed their files) is refused with
        `OutputPathError`: nothing says which files a run made."""
        if self.out is None or not os.path.isdir(self.out):
            return
        stored = self.load_json(RECORD)
        written = None if stored is None else stored.get("written", False)
        check_owned(self.out, written, RECORD)
        if written:
            remove_written(self.out, list(written) + [RECORD])
            self.log(f"--overwrite: deleted what the earlier run wrote in {self.out} ({len(written)} entries)")
        elif stored is not None:
            remove_written(self.out, [RECORD])

    @property
    def finished(self):
        """Whether an earlier run with these settings finished in `out` (its metrics.json is there)."""
        return (
            bool(self.record.get("finished"))
            and self.out is not None
            and os.path.exists(os.path.join(self.out, "metrics.json"))
        )

    def report_finished(self, report):
        """When an earlier run with these settings finished in `out`: says so, calls `report(metrics)` with its
        stored metrics.json and returns True (a rerun into a finished folder redoes nothing); else False."""
        if not self.finished:
            return False
        self.log(
            f"{self.out} holds a finished run with these settings: its results, nothing retrained "
            "(--overwrite redoes it)"
        )
        report(self.load_json("metrics.json"))
        self.close()
        return True

    def phase(self, name, settings=None):
        """The result of the finished phase `name` recorded in `out/run.json`, or `None` (not finished, or no
        `out`). A phase recorded with other `settings` raises `SettingsMismatchError`."""
        entry = self.record["phases"].get(name)
        if entry is None or self.out is None:
            return None
        check_settings(
            entry.get("settings"),
            settings,
            f"{self.out}: phase {name!r} was trained",
            "Use the same settings, another output folder, or --overwrite to start afresh.",
        )
        # The backups' rule for finished phases too: a file of the phase that cannot be read back (truncated, lost)
        # discards the phase, which is then trained again.
        files = [saved["weights"] for saved in entry.get("models", {}).values()] + _named_files(
            entry.get("result"), self.out
        )
        for relative in files:
            path = os.path.join(self.out, relative)
            if path in self._verified:
                continue
            try:
                check_readable(path)
            except (CorruptFileError, FileNotFoundError) as e:
                message = (
                    f"{self.out}: discarded the finished phase {name!r}, because {path} cannot be read "
                    f"({type(e).__name__}); the phase is trained again"
                )
                warnings.warn(message, RuntimeWarning, stacklevel=2)
                self.log(message)
                del self.record["phases"][name]
                self._write_record()
                remove_written(self.out, files)
                return None
            self._verified.add(path)
        return entry

    def finish_phase(self, name, settings=None, result=None, models=None):
        """Records phase `name` as finished in `out/run.json` with its `settings` and JSON-able `result`; the
        weights and seed-generator states of `models` ({label: model}) go to `out/phases/<name>/<label>.weights.h5`
        (restored by `restore_phase`, with Python's and NumPy's global random states as the phase left them).
        Deletes the phase's backup. No-op without `out`."""
        if self.out is None:
            return
        from keras_motion.utils.resume import global_random_state, seed_states  # Keras: only once training

        saved = {}
        for label, model in (models or {}).items():
            path = self.path("phases", _slug(name), f"{label}.weights.h5")
            with atomic_path(path) as tmp:
                model.save_weights(tmp)
            saved[label] = {"weights": os.path.relpath(path, self.out), "seed_states": seed_states(model)}
        self.record["phases"][name] = json.loads(
            json.dumps(
                {"settings": settings, "result": result, "models": saved, "random": global_random_state()},
                default=_jsonable,
            )
        )
        self._write_record()
        shutil.rmtree(os.path.join(self.out, "backup", name), ignore_errors=True)

    def restore_phase(self, name, settings=None, models=None):
        """Loads the weights and seed states `finish_phase` saved into `models` ({label: model}, built like the
        phase's); returns the phase's result. `None` when the phase is not recorded."""
        entry = self.phase(name, settings)
        if entry is None:
            return None
        from keras_motion.utils.resume import set_global_random_state, set_seed_states

        for label, model in (models or {}).items():
            saved = entry["models"][label]
            model.load_weights(os.path.join(self.out, saved["weights"]))
            set_seed_states(model, saved["seed_states"])
        set_global_random_state(entry.get("random"))  # what the phase's fit left: later phases draw on
        self.log(f"phase {name}: finished in an earlier run, reused")
        return entry.get("result")

    def log(self, message):
        """Prints `[HH:MM:SS] message` on stderr (stdout stays for the result tables)."""
        if self.verbose:
            print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    def path(self, *parts):
        """`out/parts...` (its folder made), or `None` when the run writes nothing; recorded in run.json as written
        by the run (what `--overwrite` deletes)."""
        if self.out is None:
            return None
        self._wrote(*parts)
        return self._file(*parts)

    def _file(self, *parts):
        path = os.path.join(self.out, *parts)
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        return path

    @property
    def minutes(self):
        return round((time.time() - self.start) / 60, 2)

    def callbacks(self, name, backup=True, data=None, settings=None):
        """Training callbacks of the phase `name`: `EpochSync` of the data sets `data` (one or a tuple: each gets
        `set_epoch(epoch)` from the fit, so that a resumed fit draws the batches of its epoch), `StopOnNonFiniteLoss`
        (a NaN / inf loss raises, naming the epoch and batch), logs in `out/logs/<name>` (TensorBoard scalars, or
        `history.csv` without tensorboard) and, with `backup`, `ResumableBackup` in `out/backup/<name>` (with
        `settings`) so that a killed run resumes exactly."""
        import keras

        from keras_motion.callbacks import StopOnNonFiniteLoss, TensorBoardLogger
        from keras_motion.utils.resume import EpochSync, ResumableBackup

        data = data if isinstance(data, (tuple, list)) else (data,)
        sync = [EpochSync(*data)] if any(d is not None for d in data) else []
        guard = StopOnNonFiniteLoss(name)  # a NaN loss ends the run with its step, written or not
        if self.out is None:
            return sync + [guard]
        logs = self.log_dir(name)
        os.makedirs(logs, exist_ok=True)
        callbacks = [
            TensorBoardLogger(logs)
            if self.tensorboard
            else keras.callbacks.CSVLogger(os.path.join(logs, "history.csv"), append=True)
        ]
        if backup:
            self._wrote("backup", name)
            callbacks.append(ResumableBackup(os.path.join(self.out, "backup", name), settings, log=self.log))
        return sync + [guard] + callbacks

    def log_dir(self, name):
        """`out/logs/<name>` for image callbacks (recorded as written by the run), or `None`."""
        if self.out is None:
            return None
        self._wrote("logs", name)
        return os.path.join(self.out, "logs", name)

    def save_model(self, model, name):
        """Saves `model` atomically as `out/<name>` (a `.keras` file); returns the path, or `None`."""
        path = self.path(name)
        if path is not None:
            with atomic_path(path) as tmp:
                model.save(tmp)
        return path

    def load_json(self, name, default=None):
        """The JSON `out/<name>` written by an earlier (interrupted) run, or `default`. A truncated or damaged file
        raises `CorruptFileError` naming it and the fix."""
        if self.out is None:
            return default
        path = self._file(name)
        if not os.path.exists(path):
            return default
        return read_json(path, _RECORD_FIX if name == RECORD else _FIX)

    def write_json(self, name, obj):
        """Writes `obj` atomically as `out/<name>`; returns the path, or `None`."""
        path = self.path(name)
        if path is not None:
            atomic_write_text(path, json.dumps(obj, indent=2, default=_jsonable) + "\n")
        return path

    def write_metrics(self, metrics, **extra):
        """`out/metrics.json`: `metrics` plus the backend, the wall time in minutes and `extra` (e.g. the settings);
        the run is then recorded as finished in `out/run.json`."""
        import keras

        path = self.write_json(
            "metrics.json", {**metrics, "backend": keras.backend.backend(), "minutes": self.minutes, **extra}
        )
        self.record["finished"] = True
        self._write_record()
        return path

    def finish(self, metrics, report=None, **extra):
        """Ends a run: `write_metrics(metrics, **extra)`, then `report(metrics)` with the metrics as stored (what a
        rerun into the finished folder prints again), then a last line naming the folder, what is in it and the
        wall time. Returns the metrics.json path."""
        path = self.write_metrics(metrics, **extra)
        if report is not None:
            report(self.load_json("metrics.json") if path else metrics)
        if path:
            written = sorted(name for name in os.listdir(self.out) if not name.startswith("."))
            print(f"\nwrote {', '.join(written)} in {self.out} ({self.minutes} min)")
        self.close()
        return path


def _named_files(value, out):
    """The files under `out` that a phase's result names (e.g. Im2Flow's stream scores), found in nested values."""
    if isinstance(value, dict):
        return [f for v in value.values() for f in _named_files(v, out)]
    if isinstance(value, list):
        return [f for v in value for f in _named_files(v, out)]
    if isinstance(value, str) and value.lower().endswith(_CHECKED) and os.path.isfile(os.path.join(out, value)):
        return [value]
    return []


def _slug(name):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def _flag(key):
    return key if key == "backend" else "--" + key.replace("_", "-")


def _jsonable(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)
