"""MoSI data: source squares and batches (images, videos, files), tf.data, finetuning clips, multi-clip scores."""

import os

import cv2
import numpy as np
import pytest

from keras_motion.mosi import SourceImages, mosi_dataset, source_square
from keras_motion.evaluation import VideoClips, multi_clip_accuracy, multi_clip_predict
from keras_motion.mosi import PseudoMotion


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
    assert squares.shape == (5, 32, 32, 3) and squares.dtype == np.uint8
    assert labels.tolist() == list(range(9)) * 5 and data.skips.count == 1
    held = SourceImages(sources[:3], gen, batch_images=2, training=False)
    np.testing.assert_array_equal(held[0][0], SourceImages(sources[:3], gen, batch_images=2, training=False)[0][0])
    assert len(held) == 2 and held[1][0].shape == (1, 32, 32, 3)
    with pytest.raises(ValueError, match="no source"):
        SourceImages([], gen)


def test_mosi_dataset(astronaut):
    pytest.importorskip("tensorflow")
    squares = np.stack([source_square(astronaut, 32)] * 5)
    gen = PseudoMotion(num_frames=4, crop_size=16, source_size=32, seed=0)
    batches = list(mosi_dataset(squares, gen, batch_images=2, seed=0))
    assert [tuple(c.shape) for c, _ in batches] == [(18, 4, 16, 16, 3), (18, 4, 16, 16, 3), (9, 4, 16, 16, 3)]
    assert batches[0][1].numpy().tolist() == list(range(9)) * 2
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
