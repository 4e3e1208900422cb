"""Exact resume (issue 14, class 3): a fit killed after an epoch and rerun ends with the figures of an uninterrupted
one (data order and augmentation from the fit's epoch, the model's seed generators in the backup), a truncated
backup is discarded with a warning naming its folder, a rerun into a finished or differently-made folder does
nothing or is refused."""

import json

import keras
import numpy as np
import pytest

from keras_motion.errors import SettingsMismatchError
from keras_motion.utils.resume import EpochSync, ResumableBackup, seed_states
from keras_motion.utils.runs import Run

# Every test here passes on TensorFlow, JAX and PyTorch (CI runs them on all three).
pytestmark = pytest.mark.backend_agnostic


class Killed(Exception):
    pass


class KillAfter(keras.callbacks.Callback):
    """Raises at the end of epoch `epoch` (after the backup of that epoch is written): a job killed there."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise Killed(epoch)


class Toy(keras.utils.PyDataset):
    """A data set whose order and noise come from an epoch counter, as the method's data sets do."""

    def __init__(self, seed=0):
        super().__init__()
        self.seed, self.epoch = seed, 0
        self.x = np.random.default_rng(1).normal(size=(24, 4)).astype("float32")
        self.y = self.x @ np.arange(1, 5, dtype="float32")[:, None]
        self.on_epoch_end()

    def set_epoch(self, epoch):
        self.epoch = epoch + 1
        self.on_epoch_end()

    def on_epoch_end(self):
        self.order = np.random.default_rng((self.seed, self.epoch)).permutation(len(self.x))
        self.epoch += 1

    def __len__(self):
        return 3

    def __getitem__(self, i):
        pick = self.order[i * 8 : (i + 1) * 8]
        noise = np.random.default_rng((self.seed, self.epoch, i)).normal(0, 0.1, (len(pick), 4))
        return self.x[pick] + noise.astype("float32"), self.y[pick]


def toy_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(8), keras.layers.Dropout(0.3), keras.layers.Dense(1)]
    )
    model.compile(keras.optimizers.Adam(0.01), "mse")
    return model


def toy_fit(run, epochs=4, kill=None, settings=None):
    model, data = toy_model(), Toy()
    callbacks = run.callbacks("toy", data=data, settings=settings) + ([KillAfter(kill)] if kill is not None else [])
    model.fit(data, epochs=epochs, verbose=0, callbacks=callbacks)
    return [w.copy() for w in model.get_weights()], seed_states(model)


def same(a, b):
    return all(np.allclose(x, y, rtol=1e-5, atol=1e-6) for x, y in zip(a, b))


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    return toy_fit(Run(tmp_path_factory.mktemp("whole"), verbose=False, tensorboard=False))


def test_killed_fit_resumes_with_the_uninterrupted_figures(tmp_path, uninterrupted):
    run = Run(tmp_path, verbose=False, tensorboard=False)
    with pytest.raises(Killed):
        toy_fit(run, kill=1)
    state = json.loads((tmp_path / "backup" / "toy" / "state.json").read_text())
    assert state["epoch"] == 2 and state["seed_states"]  # the dropout's random state is in the backup
    weights, seeds = toy_fit(Run(tmp_path, verbose=False, tensorboard=False))
    assert same(weights, uninterrupted[0]) and seeds == uninterrupted[1]
    assert not (tmp_path / "backup" / "toy").exists()  # a finished fit removes its backup


def test_without_epoch_sync_the_resumed_fit_differs(tmp_path, uninterrupted):
    """The control: the same kill with a data set that is not told its epoch ends elsewhere."""
    model, data = toy_model(), Toy()
    with pytest.raises(Killed):
        model.fit(data, epochs=4, verbose=0, callbacks=[ResumableBackup(tmp_path / "b"), KillAfter(1)])
    model, data = toy_model(), Toy()
    model.fit(data, epochs=4, verbose=0, callbacks=[ResumableBackup(tmp_path / "b")])
    assert not same(model.get_weights(), uninterrupted[0])


def test_truncated_backup_is_discarded_with_a_warning_and_the_phase_restarts(tmp_path, uninterrupted):
    with pytest.raises(Killed):
        toy_fit(Run(tmp_path, verbose=False, tensorboard=False), kill=1)
    folder = tmp_path / "backup" / "toy"
    weights = folder / json.loads((folder / "state.json").read_text())["weights"]
    weights.write_bytes(weights.read_bytes()[:300])  # a kill during a (non-atomic) write
    with pytest.warns(RuntimeWarning, match=str(folder).replace("\\", "\\\\") + ".*starts again"):
        result = toy_fit(Run(tmp_path, verbose=False, tensorboard=False))
    assert same(result[0], uninterrupted[0]) and result[1] == uninterrupted[1]


def test_kill_during_the_backup_write_keeps_the_previous_epoch(tmp_path, uninterrupted, monkeypatch):
    """A kill between writing the weights and state.json: the earlier epoch's backup stays complete."""
    run = Run(tmp_path, verbose=False, tensorboard=False)
    import keras_motion.utils.resume as resume

    real = resume.atomic_write_text

    def dies_at_epoch_2(path, text):
        if json.loads(text)["epoch"] == 2:
            raise Killed("during the write")
        return real(path, text)

    monkeypatch.setattr(resume, "atomic_write_text", dies_at_epoch_2)
    with pytest.raises(Killed):
        toy_fit(run)
    monkeypatch.setattr(resume, "atomic_write_text", real)
    assert json.loads((tmp_path / "backup" / "toy" / "state.json").read_text())["epoch"] == 1
    result = toy_fit(Run(tmp_path, verbose=False, tensorboard=False))
    assert same(result[0], uninterrupted[0])


def test_backup_from_other_settings_is_refused(tmp_path):
    with pytest.raises(Killed):
        toy_fit(Run(tmp_path, verbose=False, tensorboard=False), kill=0, settings={"epochs": 4})
    with pytest.raises(SettingsMismatchError, match="epochs 4 there, 6 now"):
        toy_fit(Run(tmp_path, verbose=False, tensorboard=False), epochs=6, settings={"epochs": 6})


def test_run_settings_are_recorded_checked_and_overwritten(tmp_path):
    run = Run(tmp_path, verbose=False, settings={"epochs": 3, "seed": 0})
    assert not run.finished
    run.write_json("model.keras", {})  # stands for a model file
    run.write_metrics({"accuracy": 0.5})
    again = Run(tmp_path, verbose=False, settings={"epochs": 3, "seed": 0})
    assert again.finished
    with pytest.raises(SettingsMismatchError) as e:
        Run(tmp_path, verbose=False, settings={"epochs": 5, "seed": 0})
    assert "--epochs 3 there, 5 now" in str(e.value) and "--overwrite" in str(e.value)
    (tmp_path / "notes.txt").write_text("mine")
    fresh = Run(tmp_path, verbose=False, settings={"epochs": 5, "seed": 0}, overwrite=True)
    assert not fresh.finished and not (tmp_path / "metrics.json").exists()
    assert not (tmp_path / "model.keras").exists() and (tmp_path / "notes.txt").exists()
    assert json.loads((tmp_path / "run.json").read_text())["settings"]["epochs"] == 5


def test_finished_phase_is_reused_with_its_weights_and_random_state(tmp_path):
    run = Run(tmp_path, verbose=False, tensorboard=False)
    model = toy_model()
    model.fit(Toy(), epochs=1, verbose=0)
    run.finish_phase("pretext/a", {"lr": 1}, {"accuracy": 0.75}, {"model": model})
    other = toy_model()
    again = Run(tmp_path, verbose=False)
    assert again.restore_phase("pretext/a", {"lr": 1}, {"model": other}) == {"accuracy": 0.75}
    assert same(other.get_weights(), model.get_weights()) and seed_states(other) == seed_states(model)
    with pytest.raises(SettingsMismatchError, match="lr 1 there, 2 now"):
        again.phase("pretext/a", {"lr": 2})


def test_epoch_sync_keeps_an_uninterrupted_fit_unchanged():
    """`set_epoch(e)` puts a data set where Keras' own calls put it in epoch e, on every backend: the figures of an
    uninterrupted run do not change."""

    class Seen(Toy):
        def __getitem__(self, i):
            self.seen.add((self.epoch, i))
            return super().__getitem__(i)

    runs = []
    for sync in (False, True):
        data = Seen()
        data.seen = set()
        model = toy_model()
        model.fit(data, epochs=3, verbose=0, callbacks=[EpochSync(data)] if sync else [])
        runs.append(sorted(s for s in data.seen if s[0] >= 2))  # (counter 1: Keras' look at the first batch)
    assert runs[0] == runs[1] == [(e, i) for e in (2, 3, 4) for i in range(3)]


def test_method_data_sets_follow_the_fit_epoch():
    """Each method's training data set: set_epoch(e) gives the batches of epoch e of a fit, whatever ran before."""
    from keras_motion.evaluation.clips import VideoClips
    from keras_motion.im2flow.pairs import Im2FlowPairs
    from keras_motion.pose_from_action.triplets import TripletBatches, TripletVideos

    rng = np.random.default_rng(0)
    videos = rng.integers(0, 255, (6, 6, 20, 20, 3), np.uint8)
    sets = [
        lambda: VideoClips(list(videos), [0, 1] * 3, clip_len=4, crop_size=16, batch_size=3),
        lambda: Im2FlowPairs(videos[:, 0], np.zeros((6, 20, 20, 2), np.float32), batch_size=3, crop_size=16),
        lambda: TripletBatches(TripletVideos(videos, delta=2), batch_positives=3, crop_size=16),
    ]
    for make in sets:
        a, b = make(), make()
        for _ in range(3):
            a.on_epoch_end()  # Keras' calls up to epoch 2 of a fit: one before the first epoch, one after each
        b.set_epoch(2)
        xa, xb = a[0][0], b[0][0]
        for k in xa if isinstance(xa, dict) else {"x": xa}:
            assert np.array_equal(
                (xa if isinstance(xa, dict) else {"x": xa})[k], (xb if isinstance(xb, dict) else {"x": xb})[k]
            )


def test_mosi_source_images_follow_the_fit_epoch():
    from keras_motion.mosi.data import SourceImages

    class Generator:
        source_size = 16

        def labels_for(self, n):
            return np.zeros(n, np.int32)

    images = [np.random.default_rng(i).integers(0, 255, (20, 24, 3), np.uint8) for i in range(5)]
    a, b = SourceImages(images, Generator(), 2), SourceImages(images, Generator(), 2)
    for _ in range(2):
        a.on_epoch_end()
    b.set_epoch(1)
    assert np.array_equal(a[1][0], b[1][0])


def test_kill_inside_the_weights_write_keeps_the_previous_epoch(tmp_path, uninterrupted, monkeypatch):
    """A kill while Keras writes the weights file (half a file on disk): state.json still names epoch 1, whole."""
    real, calls = keras.Model.save_weights, []

    def dies_halfway_at_epoch_2(self, path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 2:
            with open(path, "wb") as f:
                f.write(b"\x89HDF\r\n")  # a truncated file, as a kill mid-write leaves
            raise Killed("inside save_weights")
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "save_weights", dies_halfway_at_epoch_2)
    with pytest.raises(Killed):
        toy_fit(Run(tmp_path, verbose=False, tensorboard=False))
    monkeypatch.setattr(keras.Model, "save_weights", real)
    folder = tmp_path / "backup" / "toy"
    assert json.loads((folder / "state.json").read_text())["epoch"] == 1
    assert sorted(p.name for p in folder.iterdir()) == ["epoch00001.weights.h5", "state.json"]
    assert same(toy_fit(Run(tmp_path, verbose=False, tensorboard=False))[0], uninterrupted[0])
