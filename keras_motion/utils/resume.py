"""Exact resume of a killed training: the backup of a phase, written atomically with the model's random state, and
the callback that tells a data set which epoch the fit is at.

A killed fit resumed by Keras' `BackupAndRestore` starts at the right epoch, but (1) a data set whose order and
augmentation depend on an epoch counter restarts that counter at 0, (2) the `SeedGenerator`s of the model (Dropout,
`PseudoMotion`) are not in Keras' weights files, and (3) the backup is written in place, so a kill during the write
leaves a file that breaks every rerun. `EpochSync` sets each data set's epoch from the fit's own epoch number
(`dataset.set_epoch(epoch)` before the epoch's first batch is drawn, on every backend), and `ResumableBackup` saves
weights, optimizer state and seed-generator states per epoch, each file renamed into place only once complete; a
backup that cannot be read is discarded with a warning and the phase restarts from its first epoch.
"""

import json
import os
import random
import shutil
import warnings

import keras
import numpy as np

from keras_motion.utils.files import atomic_path, atomic_write_text
from keras_motion.utils.settings import canonical, check_settings

STATE = "state.json"


def seed_variables(model):
    """The state variables of `model`'s `SeedGenerator`s (Dropout, `PseudoMotion` ...), in Keras' order: what
    `model.variables` holds beyond `model.weights`, i.e. the random state that Keras' weights files leave out."""
    weights = {id(w) for w in model.weights}
    return [v for v in model.variables if id(v) not in weights]


def seed_states(model):
    """The states of `seed_variables(model)` as lists of ints (JSON-able)."""
    return [np.asarray(keras.ops.convert_to_numpy(v.value)).astype(np.int64).tolist() for v in seed_variables(model)]


def set_seed_states(model, states):
    """Restores `seed_states`' output into `model`'s seed generators."""
    variables = seed_variables(model)
    if len(variables) != len(states):
        raise ValueError(f"{len(states)} seed states for the {len(variables)} seed generators of {model.name}")
    for variable, state in zip(variables, states):
        variable.assign(np.asarray(state, dtype=variable.dtype))


def global_random_state():
    """Python's and NumPy's global random states (and PyTorch's on that backend), JSON-able. Keras shuffles the batch
    order of a `PyDataset` with Python's `random` (`fit(shuffle=True)`, the default) and draws default seeds from it;
    on PyTorch a Dropout without a seed of its own draws from PyTorch's global generator."""
    version, state, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state()
    saved = {
        "python": [version, list(state), gauss],
        "numpy": [name, keys.tolist(), int(pos), int(has_gauss), float(cached)],
    }
    if keras.backend.backend() == "torch":
        import torch

        saved["torch"] = torch.get_rng_state().tolist()
    return saved


def set_global_random_state(saved):
    """Restores `global_random_state()`'s output."""
    if not saved:
        return
    version, state, gauss = saved["python"]
    random.setstate((version, tuple(state), gauss))
    name, keys, pos, has_gauss, cached = saved["numpy"]
    np.random.set_state((name, np.asarray(keys, np.uint32), pos, has_gauss, cached))
    if "torch" in saved and keras.backend.backend() == "torch":
        import torch

        torch.set_rng_state(torch.tensor(saved["torch"], dtype=torch.uint8))


class EpochSeeded:
    """Mixin of a `keras.utils.PyDataset` whose batches in an epoch are a pure function of (its seed, `self.epoch`),
    a counter its `on_epoch_end` advances (Keras calls `on_epoch_end` once before the first epoch and after each).
    `set_epoch(e)` (called by `EpochSync` at the start of every epoch) puts the counter where an uninterrupted fit
    has it in epoch e, so a fit resumed at epoch e draws the batches an uninterrupted one does. `epoch_offset`: the
    counter's value after construction (1 where the constructor already calls `on_epoch_end`)."""

    epoch_offset = 1

    def set_epoch(self, epoch):
        self.epoch = int(epoch) + self.epoch_offset
        self.on_epoch_end()


class EpochSync(keras.callbacks.Callback):
    """Calls `set_epoch(epoch)` on each data set at the start of every epoch of the fit, with the fit's own epoch
    number: a fit resumed at epoch e then draws exactly the batches an uninterrupted one draws in epoch e.

    Keras calls `on_epoch_begin` before the epoch's iterator draws its first batch (TensorFlow, JAX and PyTorch;
    with `workers > 1` the enqueuer starts after it too).
    """

    def __init__(self, *datasets):
        super().__init__()
        self.datasets = [d for d in datasets if d is not None]

    def on_epoch_begin(self, epoch, logs=None):
        for dataset in self.datasets:
            dataset.set_epoch(epoch)


class ResumableBackup(keras.callbacks.Callback):
    """Backs up a fit after every epoch in `folder` and resumes a killed fit from the last backed-up epoch.

    The backup holds the weights and the optimizer state (Keras' `save_weights`), the `SeedGenerator` states of
    the model (Dropout, `PseudoMotion`: not in Keras' weights files), Python's and NumPy's global random states
    (Keras shuffles a `PyDataset`'s batch order with Python's), the number of finished epochs and `settings`.
    Each file is written beside the backup and renamed into place when complete (the weights first, then
    `state.json`, which names them), so a kill at any moment leaves the previous epoch's backup intact.

    On `fit`: a backup whose files cannot be read (truncated, from another model) is discarded with a warning that
    names the folder, and the fit starts from its first epoch (the model's initial state is kept); a backup made
    with other `settings` raises `SettingsMismatchError` naming them. A fit that ends normally deletes its backup.
    """

    def __init__(self, folder, settings=None, log=None):
        super().__init__()
        self.folder, self.settings, self.log = os.fspath(folder), settings, log

    # ------------------------------------------------------------------------------------------------ restore
    def on_train_begin(self, logs=None):
        self.model._initial_epoch = None
        if not os.path.isdir(self.folder):
            return
        state_path = os.path.join(self.folder, STATE)
        if not os.path.exists(state_path):
            self._discard(
                "it has no state.json (a backup of an older keras_motion, or killed before its first "
                "epoch was complete)"
            )
            return
        try:
            with open(state_path, encoding="utf-8") as f:
                state = json.load(f)
            epoch, weights = int(state["epoch"]), os.path.join(self.folder, state["weights"])
        except (OSError, ValueError, KeyError, TypeError) as e:
            self._discard(f"its state.json cannot be read ({type(e).__name__}: {e})")
            return
        check_settings(
            state.get("settings"),
            self.settings,
            f"{self.folder}: the backup of this training was made",
            "Rerun with the same settings to resume it, use another output folder, or delete this folder "
            "(a recipe's --overwrite) to start afresh.",
        )
        model = self.model
        if model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        variables = list(model.variables) + (list(model.optimizer.variables) if model.optimizer else [])
        initial = [keras.ops.convert_to_numpy(v.value) for v in variables]
        try:
            model.load_weights(weights)
            set_seed_states(model, state.get("seed_states", []))
            set_global_random_state(state.get("random"))
        except Exception as e:  # noqa: BLE001 — any unreadable backup: h5py's OSError, Keras' ValueError ...
            for variable, value in zip(variables, initial):  # a partial load must not leak into the fresh start
                variable.assign(value)
            self._discard(f"it cannot be loaded ({type(e).__name__}: {str(e)[:300]})")
            return
        # The hook Keras' own BackupAndRestore sets: fit starts at `_initial_epoch` when a callback sets it.
        model._initial_epoch = epoch
        self._say(f"{self.folder}: resuming after epoch {epoch}")

    def _discard(self, why):
        message = (
            f"{self.folder}: discarded the backup of this training, because {why}; the training starts "
            "again from its first epoch"
        )
        warnings.warn(message, RuntimeWarning, stacklevel=3)
        self._say(message)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _say(self, message):
        if self.log is not None:
            self.log(message)

    # --------------------------------------------------------------------------------------------------- save
    def on_epoch_end(self, epoch, logs=None):
        os.makedirs(self.folder, exist_ok=True)
        name = f"epoch{epoch + 1:05d}.weights.h5"
        with atomic_path(os.path.join(self.folder, name)) as tmp:
            self.model.save_weights(tmp)
        state = {
            "epoch": epoch + 1,
            "weights": name,
            "seed_states": seed_states(self.model),
            "random": global_random_state(),
            "settings": canonical(self.settings),
        }
        atomic_write_text(os.path.join(self.folder, STATE), json.dumps(state) + "\n")
        for other in os.listdir(self.folder):  # older epochs: only once state.json names the new one
            if other.endswith(".weights.h5") and not other.startswith(".") and other != name:
                os.remove(os.path.join(self.folder, other))

    def on_train_end(self, logs=None):
        self.model._initial_epoch = None  # Keras never resets it: a later fit of this model would skip epochs
        shutil.rmtree(self.folder, ignore_errors=True)
