"""Small helpers shared by the library, the recipes and the tools: atomic writes, progress, skip counts, runs."""

from keras_motion.utils.cli import base_parser, parse_with_presets, run_main, start_run
from keras_motion.utils.files import atomic_path, atomic_save_npz, atomic_write_text
from keras_motion.utils.paths import check_output_dir, output_dir_type
from keras_motion.utils.progress import progress
from keras_motion.utils.runs import Run
from keras_motion.utils.skips import SkipLog
from keras_motion.utils.summaries import SummaryWriter, read_events, tensorboard_available

__all__ = [
    "Run",
    "SkipLog",
    "SummaryWriter",
    "atomic_path",
    "atomic_save_npz",
    "atomic_write_text",
    "base_parser",
    "check_output_dir",
    "output_dir_type",
    "parse_with_presets",
    "progress",
    "read_events",
    "run_main",
    "start_run",
    "tensorboard_available",
]
