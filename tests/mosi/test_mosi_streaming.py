"""MoSI's real-data paths stream: pool, test set and `--videos` sources are lazy `VideoFrames` that decode per batch
only what it needs, and give exactly the batches of the decoded arrays (on a tree in UCF101's official layout)."""

import os
import shutil

import keras
import numpy as np
import pytest

from keras_motion.errors import VideoError
from keras_motion.evaluation import VideoClips, labeled_video_splits, multi_clip_predict
from keras_motion.mosi import PseudoMotion, SourceImages, pretext_sources
from keras_motion.transforms import crop_clip, resize_clip
from keras_motion.utils.skips import SkipLog
from keras_motion.video import VideoFrames, read_video, video_info
from keras_motion.video import lazy as lazy_module
from keras_motion.video.sampling import clip_indices, uniform_clip_starts

SIZE = 32  # the recipe's --video-size: the short side the videos are decoded at


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    from keras_motion.datasets.synthetic.layout import write_layout

    root = tmp_path_factory.mktemp("ucf")
    write_layout(
        root, "ucf101", 12, size=(48, 64), num_frames=(12, 20), actions=("wave", "clap", "jump"), show_progress=False
    )
    return str(root)


@pytest.fixture
def reads(monkeypatch):
    """Every `VideoFrames` read as (file name, frames asked for)."""
    log, read = [], VideoFrames._read

    def counting(self, rows):
        log.append((os.path.basename(self.path), len(rows)))
        return read(self, rows)

    monkeypatch.setattr(VideoFrames, "_read", counting)
    return log


def _tiny_classifier(num_classes=3):
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input((None, None, None, 3)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Conv3D(4, 3, padding="same"),
            keras.layers.GlobalAveragePooling3D(),
            keras.layers.Dense(num_classes),
        ]
    )


def test_pool_and_test_videos_are_lazy_and_give_the_decoded_batches(tree, reads):
    (pool, pool_y), (test, test_y), names, skipped = labeled_video_splits(ucf101=tree, shots=2, size=SIZE, seed=0)
    assert skipped == 0 and len(names) == 3 and len(pool) == 6 and len(test) == len(test_y) > 0
    assert all(isinstance(v, VideoFrames) for v in pool + test) and not reads  # opened to count, nothing decoded
    decoded = [read_video(v.path, size=SIZE) for v in pool]
    assert [len(v) for v in pool] == [len(v) for v in decoded]
    for size in (None, 24):  # as the recipe passes it (decoded at SIZE), and resized again per clip
        kwargs = dict(clip_len=8, crop_size=20, size=size, batch_size=4, seed=3)
        lazy, eager = VideoClips(pool, pool_y, **kwargs), VideoClips(decoded, pool_y, **kwargs)
        for _ in range(2):  # two epochs: the same order, windows, crops and mirrors
            for i in range(len(lazy)):
                reads.clear()
                (x, y), (x_ref, y_ref) = lazy[i], eager[i]
                np.testing.assert_array_equal(x, x_ref)
                np.testing.assert_array_equal(y, y_ref)
                assert len(reads) == len(y) and all(n <= 8 for _, n in reads)  # only the clip's frames
            lazy.on_epoch_end(), eager.on_epoch_end()


def _old_multi_clip_predict(model, videos, clip_len, crop_size, num_clips, size):
    """The in-memory evaluation before streaming: each whole video resized, then its clips cut."""
    clips = []
    for video in videos:
        video = resize_clip(video, size)
        for s in uniform_clip_starts(len(video), clip_len, num_clips):
            clips.append(crop_clip(video[clip_indices(s, clip_len, len(video))], crop_size, None))
    logits = model.predict(np.stack(clips), verbose=0)
    return keras.ops.convert_to_numpy(keras.ops.softmax(logits, axis=-1)).reshape(len(videos), num_clips, -1)


def test_multi_clip_predict_decodes_each_test_video_once_with_equal_outputs(tree, reads):
    _, (test, _), _, _ = labeled_video_splits(ucf101=tree, shots=1, size=SIZE)
    decoded = [read_video(v.path, size=SIZE) for v in test]
    model = _tiny_classifier()
    for size in (None, 24):
        kwargs = dict(clip_len=8, crop_size=20, num_clips=4, size=size)
        reads.clear()
        lazy = multi_clip_predict(model, test, videos_per_chunk=2, **kwargs)
        assert sorted(name for name, _ in reads) == sorted(os.path.basename(v.path) for v in test)  # one read each
        np.testing.assert_array_equal(lazy, multi_clip_predict(model, decoded, videos_per_chunk=3, **kwargs))
        np.testing.assert_allclose(lazy, _old_multi_clip_predict(model, decoded, **kwargs), rtol=1e-6, atol=1e-7)


def test_video_sources_decode_one_frame_each_as_the_decoded_videos(tree, tmp_path, reads):
    folder = tmp_path / "videos"
    shutil.copytree(os.path.join(tree, "UCF-101"), folder)
    paths = sorted(str(p) for p in folder.rglob("*.avi"))
    open(folder / "broken.avi", "wb").close()
    skips = SkipLog("--videos")
    with pytest.warns(RuntimeWarning, match="broken.avi"):
        train, heldout = pretext_sources(
            videos=folder,
            photos=[np.zeros((40, 40, 3), np.uint8)] * 3,
            heldout_photos=1,
            crops_per_photo=1,
            skips=skips,
        )
    assert skips.count == 1 and sorted(train[2:] + heldout[1:]) == paths  # validated: the broken file left out
    gen = PseudoMotion(num_frames=4, crop_size=16, source_size=24, seed=0)
    # The frame drawn comes from the exact frame count, which on these files is the header's (what was read before).
    assert all(video_info(p)["num_frames"] == len(VideoFrames(p)) for p in paths)
    decoded = [read_video(p, size=24) for p in paths]
    for training in (True, False):
        lazy = SourceImages(paths, gen, batch_images=5, training=training, seed=2)
        eager = SourceImages(decoded, gen, batch_images=5, training=training, seed=2)
        for _ in range(2):
            for i in range(len(lazy)):
                reads.clear()
                np.testing.assert_array_equal(lazy[i][0], eager[i][0])
                assert [n for _, n in reads] == [1] * len(lazy.order[5 * i : 5 * i + 5])  # one frame per source
            lazy.on_epoch_end(), eager.on_epoch_end()


def test_unreadable_videos_are_skipped_when_opened_and_named_when_they_fail_later(tree, tmp_path):
    root = tmp_path / "ucf"
    shutil.copytree(tree, root)
    victim = sorted((root / "UCF-101").rglob("*.avi"))[0]
    victim.write_bytes(b"not a video")
    with pytest.warns(RuntimeWarning, match=victim.name):
        (pool, pool_y), (test, test_y), _, skipped = labeled_video_splits(ucf101=str(root), shots=4, size=SIZE)
    assert skipped == 1 and len(pool) + len(test) == 11 and len(pool) == len(pool_y) and len(test) == len(test_y)
    # A file that breaks after it was opened: the batch raises, naming it (never a silent wrong batch).
    broken = pool[0]
    lazy_module._open_readers.cache = (None, None)  # this thread's open readers forgotten: the next read reopens
    open(broken.path, "wb").close()
    with pytest.raises(VideoError, match=os.path.basename(broken.path)):
        VideoClips([broken], [0], clip_len=4, crop_size=16, batch_size=1)[0]


class _Recorded(VideoClips):
    """Records every batch drawn (epoch, index, checksum of its clips), from whichever thread draws it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.drawn = []

    def __getitem__(self, index):
        x, y = super().__getitem__(index)
        self.drawn.append((self.epoch, index, int(x.astype(np.int64).sum()), tuple(y.tolist())))
        return x, y


def test_workers_draw_the_batches_of_one_worker(tree):
    (pool, pool_y), _, _, _ = labeled_video_splits(ucf101=tree, shots=2, size=SIZE, seed=0)
    drawn = []
    for workers in (1, 2):
        data = _Recorded(pool, pool_y, clip_len=8, crop_size=20, batch_size=2, seed=5, workers=workers)
        model = _tiny_classifier()
        model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(data, epochs=2, shuffle=False, verbose=0)
        drawn.append(sorted(set(data.drawn)))
    # Both epochs' 3 batches (Keras also peeks at batches before the first epoch), the same with 2 threads.
    fitted = {(epoch, i) for epoch, i, *_ in drawn[0]}
    assert drawn[0] == drawn[1] and fitted >= {(e, i) for e in (2, 3) for i in range(3)}
