"""MoSI data: source squares and batches (images, videos, files), tf.data, finetuning clips, multi-clip scores."""

import os

import cv2
import numpy as np
import pytest

from keras_motion.errors import KerasMotionError
from keras_motion.evaluation import VideoClips, multi_clip_accuracy, multi_clip_predict
from keras_motion.mosi import PseudoMotion, SourceImages, mosi_dataset, source_square


def test_source_square_any_size_and_grayscale(astronaut):
    assert source_square(astronaut[:300, :200], 64).shape == (64, 64, 3)
    assert source_square(astronaut[:50, :90, 0], 64).shape == (64, 64, 3)
    rng = np.random.default_rng(0)
    assert source_square(astronaut, 32, rng).shape == (32, 32, 3)
    with pytest.raises(ValueError, match="RGB"):
        source_square(np.zeros((10, 10, 4), np.uint8), 8)


def test_source_images_from_arrays_videos_and_files(tmp_path, astronaut):
    from keras_motion.video import write_video

    image_path = os.path.join(tmp_path, "photo.png")
    cv2.imwrite(image_path, astronaut[..., ::-1])
    video = np.stack([astronaut[:100, :120]] * 5)
    broken = os.path.join(tmp_path, "broken.mp4")
    open(broken, "wb").close()
    write_video(os.path.join(tmp_path, "ok.mp4"), video[:, :96, :96])
    gen = PseudoMotion(num_frames=4, crop_size=16, source_size=32)
    sources = [astronaut, astronaut[..., 0], video, image_path, os.path.join(tmp_path, "ok.mp4"), broken]
    data = SourceImages(sources, gen, batch_images=6)
    with pytest.warns(RuntimeWarning, match="broken.mp4"):
        squares, labels = data[0]
    # the unreadable video is replaced by the next readable source (here: wrapping around to a source of the batch)
    assert squares.shape == (6, 32, 32, 3) and squares.dtype == np.uint8
    assert labels.tolist() == list(range(9)) * 6 and data.skips.count == 1
    held = SourceImages(sources[:3], gen, batch_images=2, training=False)
    np.testing.assert_array_equal(held[0][0], SourceImages(sources[:3], gen, batch_images=2, training=False)[0][0])
    assert len(held) == 2 and held[1][0].shape == (1, 32, 32, 3)
    with pytest.raises(ValueError, match="no source"):
        SourceImages([], gen)


def _colour_sources(count, size=40):
    """Images whose every pixel says which source they are (value 10 · (index + 1))."""
    return [np.full((size, size + 8, 3), 10 * (i + 1), np.uint8) for i in range(count)]


@pytest.mark.backend_agnostic
@pytest.mark.parametrize("training", [True, False])
def test_source_images_drop_remainder_gives_full_batches_of_one_shape(training):
    gen = PseudoMotion(num_frames=4, crop_size=16, source_size=32)
    sources = _colour_sources(5)
    default = SourceImages(sources, gen, batch_images=2, training=training, seed=3)
    dropped = SourceImages(sources, gen, batch_images=2, training=training, seed=3, drop_remainder=True)
    assert default.drop_remainder is False and dropped.drop_remainder is True
    assert len(default) == 3 and default[2][0].shape == (1, 32, 32, 3)  # unchanged: ceil, a partial last batch
    assert len(dropped) == 2
    for i in range(len(dropped)):
        squares, labels = dropped[i]
        assert squares.shape == (2, 32, 32, 3) and labels.shape == (2 * gen.num_classes,)
        np.testing.assert_array_equal(squares, default[i][0])  # same order, same draws
    with pytest.raises(ValueError, match="batch_images ≤ 5 or drop_remainder=False"):
        SourceImages(sources, gen, batch_images=6, drop_remainder=True)


@pytest.mark.backend_agnostic
def test_source_images_replace_an_unreadable_video_and_keep_the_batch_size(tmp_path):
    gen = PseudoMotion(num_frames=4, crop_size=16, source_size=32)
    broken = tmp_path / "x.mp4"
    broken.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    sources = _colour_sources(5)
    sources.insert(1, str(broken))  # sources: colour 10, x.mp4, 20, 30, 40, 50
    held = SourceImages(sources, gen, batch_images=4, training=False, drop_remainder=True)
    with pytest.warns(RuntimeWarning, match="x.mp4"):
        squares, labels = held[0]
    # x.mp4's place goes to the next readable source of the order: source 4 (colour 40)
    assert squares.shape == (4, 32, 32, 3) and labels.shape == (4 * gen.num_classes,)
    assert squares[:, 0, 0, 0].tolist() == [10, 40, 20, 30] and held.skips.count == 1

    data = SourceImages(sources, gen, batch_images=4, seed=1, drop_remainder=True)
    again = SourceImages(sources, gen, batch_images=4, seed=1, drop_remainder=True)
    with pytest.warns(RuntimeWarning, match="x.mp4"):
        for epoch in range(3):  # x.mp4 is in a batch, a replacement candidate or the dropped tail
            data.set_epoch(epoch), again.set_epoch(epoch)
            assert len(data) == 1 and data[0][0].shape == (4, 32, 32, 3)
            np.testing.assert_array_equal(data[0][0], again[0][0])  # a pure function of (seed, epoch, index)
    assert data.skips.count >= 1
    batches = SourceImages(sources, gen, batch_images=4, seed=1)  # default: full and last batches keep their size
    with pytest.warns(RuntimeWarning, match="x.mp4"):
        assert [len(batches[i][0]) for i in range(len(batches))] == [4, 2]
    assert batches.skips.count >= 1
    with pytest.warns(RuntimeWarning), pytest.raises(KerasMotionError, match="none of the 2 MoSI sources"):
        SourceImages([str(broken)] * 2, gen, batch_images=2)[0]


def test_mosi_dataset(astronaut):
    pytest.importorskip("tensorflow")
    squares = np.stack([source_square(astronaut, 32)] * 5)
    gen = PseudoMotion(num_frames=4, crop_size=16, source_size=32, seed=0)
    batches = list(mosi_dataset(squares, gen, batch_images=2, seed=0))
    assert [tuple(c.shape) for c, _ in batches] == [(18, 4, 16, 16, 3), (18, 4, 16, 16, 3), (9, 4, 16, 16, 3)]
    assert batches[0][1].numpy().tolist() == list(range(9)) * 2
    full = list(mosi_dataset(squares, gen, batch_images=2, seed=0, drop_remainder=True))
    assert [tuple(c.shape) for c, _ in full] == [(18, 4, 16, 16, 3)] * 2
    with pytest.raises(ValueError, match="one size"):
        mosi_dataset(np.zeros((0, 32, 32, 3), np.uint8), gen)


def test_video_clips_and_multi_clip_scores():
    videos = [np.full((12, 20, 24, 3), i, np.uint8) for i in range(5)]
    labels = np.arange(5) % 2
    data = VideoClips(videos, labels, clip_len=4, crop_size=16, batch_size=3, seed=0)
    clips, y = data[0]
    assert clips.shape == (3, 4, 16, 16, 3) and len(data) == 2
    assert all(clips[k, 0, 0, 0, 0] == y_video for k, y_video in enumerate(data.order[:3]))
    np.testing.assert_array_equal(y, labels[data.order[:3]])

    class MeanColour:  # a stand-in classifier: logit of class 1 = mean pixel value - 2
        def predict(self, x, batch_size=None, verbose=0):
            m = x.mean(axis=(1, 2, 3, 4))
            return np.stack([np.zeros_like(m), m - 2.0], -1).astype("float32")

    dropped = VideoClips(videos, labels, clip_len=4, crop_size=16, batch_size=3, seed=0, drop_remainder=True)
    assert len(dropped) == 1 and dropped.drop_remainder
    clips, y = dropped[0]
    assert clips.shape == (3, 4, 16, 16, 3) and y.shape == (3,)
    np.testing.assert_array_equal(clips, data[0][0])  # same order, same draws as the default
    assert data[1][0].shape == (2, 4, 16, 16, 3)  # the default keeps its partial last batch
    with pytest.raises(ValueError, match="batch_size ≤ 5 or drop_remainder=False"):
        VideoClips(videos, labels, clip_len=4, crop_size=16, batch_size=6, drop_remainder=True)

    probs = multi_clip_predict(MeanColour(), videos, clip_len=4, crop_size=16, num_clips=3)
    assert probs.shape == (5, 3, 2)
    scores = multi_clip_accuracy(probs, np.array([0, 0, 0, 1, 1]))
    assert scores == {"video_accuracy": 1.0, "clip_accuracy": 1.0}
    probs = np.array([[[0.9, 0.1], [0.4, 0.6], [0.45, 0.55]]])  # 1 of 3 clips right, the average is right
    assert multi_clip_accuracy(probs, np.array([0])) == {"video_accuracy": 1.0, "clip_accuracy": pytest.approx(1 / 3)}


@pytest.mark.backend_agnostic
def test_pretext_model_trains_on_device_from_source_images(astronaut):
    """The generator as the first layer of a model, fed uint8 source images by a NumPy PyDataset (no TensorFlow)."""
    import keras

    from keras_motion.models import R2Plus1D
    from keras_motion.mosi import pseudo_motion_classifier

    gen = PseudoMotion(num_frames=2, crop_size=8, source_size=16, speeds=1, axes="x", seed=0)
    model = pseudo_motion_classifier(gen, R2Plus1D(num_classes=gen.num_classes, filters=(2, 2, 2, 2, 2)))
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    history = model.fit(SourceImages([astronaut] * 4, gen, batch_images=2), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert model.predict(SourceImages([astronaut], gen, training=False), verbose=0).shape == (3, 3)
    with pytest.raises(ValueError, match="num_classes"):
        pseudo_motion_classifier(gen, R2Plus1D(num_classes=9, filters=(2, 2, 2, 2, 2)))
