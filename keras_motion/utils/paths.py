"""The one check of an output folder (`--out` of every tool and recipe): a path that cannot become a folder is
refused up front with the fix, not after hours of work with a bare `FileExistsError` / `NotADirectoryError`."""

import argparse
import os

from keras_motion.errors import OutputPathError


def check_output_dir(path, name="--out"):
    """`path` as a str if it is, or can be made, a folder; else `OutputPathError` naming `name` and the fix.

    >>> check_output_dir("runs/new_folder")
    'runs/new_folder'
    """
    path = os.fspath(path)
    if os.path.exists(path) and not os.path.isdir(path):
        raise OutputPathError(
            f"{name} {path} is an existing file, not a folder; pass a folder (it is made if "
            "missing), or move the file away."
        )
    parent = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(parent) and os.path.dirname(parent) != parent:
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise OutputPathError(f"{name} {path} cannot be made: {parent} is a file, not a folder; pass another folder.")
    return path


def output_dir_type(path):
    """`check_output_dir` as an `argparse` type: `--out FILE` ends with `error: argument --out: ...` and exit 2."""
    try:
        return check_output_dir(path, "")
    except OutputPathError as e:
        raise argparse.ArgumentTypeError(str(e).strip()) from None
