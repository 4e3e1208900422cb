"""Exceptions raised on bad input. Every message names the offending file and what to do about it."""


class KerasMotionError(Exception):
    """Base class of keras_motion's input errors."""


class VideoError(KerasMotionError, IOError):
    """A video is missing, unreadable, empty or too short for what was asked of it."""


class DatasetLayoutError(KerasMotionError, ValueError):
    """A data-set root does not have the layout its loader expects (split files, folders)."""


class FlowError(KerasMotionError, ValueError):
    """A flow field is malformed: wrong shape, or NaN / inf values."""


class MissingDependencyError(KerasMotionError, ImportError):
    """An optional dependency (an extra of the package) is needed for this call."""


class OutputError(KerasMotionError, OSError):
    """An output cannot be written: the folder is read-only or full, or a file stands where a folder should be."""


class SettingsMismatchError(KerasMotionError, ValueError):
    """An existing output was made with other settings than the run that would reuse it."""


class FrameSizeError(VideoError, MemoryError):
    """A requested frame / clip size would need more memory than is available (refused before allocating)."""


class OutputPathError(KerasMotionError, OSError):
    """An output path cannot be used as asked, e.g. `--out` names an existing file where a folder is needed."""


class UnsupportedSetupError(KerasMotionError, RuntimeError):
    """A requested set-up is known to give wrong results on this machine (e.g. mixed_bfloat16 on TensorFlow's CPU)."""


class NonFiniteLossError(KerasMotionError, FloatingPointError):
    """Training stopped because its loss became NaN or inf (the step is in the message)."""


class ImageInputError(KerasMotionError, ValueError):
    """Images or videos given to an entry point break its input contract (uint8 pixels, or a declared value range;
    the expected shape)."""


class DistributionError(KerasMotionError, ValueError):
    """A distribution this backend or method cannot run, or a batch that does not divide across its devices."""


class InvalidArgumentError(KerasMotionError, ValueError):
    """A numeric argument (a count, a size, a bound) outside its valid range; the message names it, its value and the
    range (`keras_motion.utils.checks`)."""


class NotFittedError(KerasMotionError, RuntimeError):
    """A method object (or a fitted helper such as `MotionLabeler`) was asked for what needs training first; the
    message names the call that trains it."""


class FrameInputError(ImageInputError, FlowError):
    """Frames given to the flow core break its input contract (the images' contract, `to_uint8`, or a frame shape
    OpenCV's flow cannot take); both an `ImageInputError` and a `FlowError`."""


class CorruptFileError(KerasMotionError, OSError):
    """A file keras_motion (or the user) wrote earlier exists but cannot be read back: truncated or damaged. The
    message names it and the fix (delete it, or rerun with --overwrite)."""


class FolderInUseError(KerasMotionError, RuntimeError):
    """Another job (process) holds the output folder; the message names it (pid, host, since when, command)."""
