"""Small helpers shared by the library, the recipes and the tools."""

from keras_motion.utils.cli import parse_with_preset
from keras_motion.utils.files import atomic_path, atomic_save_npz, atomic_write_text
from keras_motion.utils.progress import progress
from keras_motion.utils.skips import SkipLog

__all__ = ["SkipLog", "atomic_path", "atomic_save_npz", "atomic_write_text", "parse_with_preset", "progress"]
