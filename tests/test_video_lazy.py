"""Lazy arrays index like NumPy arrays and read only the rows asked for."""

import numpy as np
import pytest

from keras_motion.transforms import check_images, to_uint8
from keras_motion.video import VideoFrames, read_video, write_video
from keras_motion.video.lazy import FrameRows, LazyArray


class Counting(LazyArray):
    """An in-memory array behind the lazy interface that records every row it reads."""

    def __init__(self, array):
        self.array, self.dtype, self.shape, self.reads = array, array.dtype, array.shape, []

    def _read(self, rows):
        self.reads.append(rows.tolist())
        return self.array[rows]


@pytest.fixture
def array():
    return np.arange(6 * 4 * 5 * 3, dtype=np.uint8).reshape(6, 4, 5, 3)


def test_indexing_follows_numpy_and_reads_only_what_is_asked(array):
    lazy = Counting(array)
    np.testing.assert_array_equal(lazy[2], array[2])
    np.testing.assert_array_equal(lazy[-1], array[-1])
    np.testing.assert_array_equal(lazy[[4, 1, 4]], array[[4, 1, 4]])
    np.testing.assert_array_equal(lazy[np.arange(6) % 2 == 0], array[::2])
    np.testing.assert_array_equal(lazy[3, 1:, ::-1], array[3, 1:, ::-1])
    assert lazy.reads == [[2], [5], [4, 1, 4], [0, 2, 4], [3]]
    view = lazy[1:5:2]  # a slice is a view: nothing read yet
    assert isinstance(view, LazyArray) and view.shape == (2, 4, 5, 3) and len(lazy.reads) == 5
    np.testing.assert_array_equal(np.asarray(view), array[1:5:2])
    np.testing.assert_array_equal(view.subset([1])[0], array[3])
    np.testing.assert_array_equal(lazy[..., 0], array[..., 0])
    assert lazy.nbytes == array.nbytes and lazy.ndim == 4 and len(lazy) == 6


def test_bad_rows_are_refused_naming_the_range(array):
    lazy = Counting(array)
    with pytest.raises(IndexError, match="row 6 is out of range for 6 rows"):
        lazy[[0, 6]]
    with pytest.raises(IndexError, match="ints, slices or boolean masks"):
        lazy[[0.5]]
    with pytest.raises(IndexError, match="boolean index needs 6 values"):
        lazy[np.ones(3, bool)]


def test_the_input_contract_passes_lazy_uint8_through_unread(array):
    lazy = Counting(array)
    assert to_uint8(lazy) is lazy and check_images(lazy) is lazy and lazy.reads == []


def test_frame_rows_gather_rows_and_average_windows(array):
    videos = [Counting(array), array[::-1].copy()]
    rows = FrameRows(videos, owners=[1, 0, 0], times=[0, 2, 5])
    np.testing.assert_array_equal(rows[[0, 2]], np.stack([array[5], array[5]]))
    assert videos[0].reads == [[5]]
    flows = [Counting(np.random.default_rng(0).normal(size=(7, 3, 3, 2)).astype(np.float32))]
    means = FrameRows(flows, owners=[0, 0], times=[1, 3], span=3)
    np.testing.assert_allclose(
        means[[1, 0]], np.stack([flows[0].array[3:6].mean(0), flows[0].array[1:4].mean(0)]), rtol=1e-6
    )
    assert flows[0].reads == [[1, 2, 3, 4, 5]]  # the overlapping windows read once, together


def test_video_frames_decode_the_frames_of_a_sequential_read(tmp_path):
    frames = np.random.default_rng(1).integers(0, 255, (9, 24, 32, 3), dtype=np.uint8)
    path = tmp_path / "clip.avi"
    write_video(path, frames)
    decoded = read_video(path, size=16)
    lazy = VideoFrames(path, size=16, square=True)
    assert lazy.shape == (9, 16, 16, 3)
    np.testing.assert_array_equal(lazy[[7, 2]], decoded[[7, 2], :, 2:18])
    np.testing.assert_array_equal(VideoFrames(path, max_frames=4)[-1], read_video(path)[3])
