"""Splits: the official split files every loader reads (one reader, one check of the paths they list), and
splitting by group (video), so that frames of one video never land on both sides of an evaluation."""

import re

import numpy as np

from keras_motion.errors import DatasetLayoutError

SUBSETS = ("train", "test")


def numbered_lines(path, loader="dataset"):
    """The non-blank lines of a split file as `(line number in the file, stripped text)`.

    The official split files are ASCII; a file saved as UTF-16 (or another non-UTF-8 encoding) raises
    `DatasetLayoutError` naming the file, the line and the fix, instead of a bare `UnicodeDecodeError` (or, for
    UTF-16 without a BOM, lines of NUL-separated characters that match nothing).
    """
    with open(path, "rb") as f:
        data = f.read()
    fix = f"re-save it as UTF-8 (e.g. `iconv -f UTF-16 -t UTF-8 {path} > fixed.txt`) or restore the official file"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DatasetLayoutError(
            f"{loader}: {path} line 1: the file is UTF-16 encoded (it starts with a UTF-16 "
            f"byte-order mark); split files must be UTF-8 or ASCII: {fix}."
        )
    try:
        text = data.decode("utf-8-sig")  # utf-8-sig drops a UTF-8 BOM
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise DatasetLayoutError(
            f"{loader}: {path} line {line} is not UTF-8 text (byte 0x{data[e.start]:02x}); {fix}."
        ) from None
    lines = []
    # split("\n") + strip(), not splitlines(): line numbers must match what an editor shows; strip() also drops the
    # '\r' of the official files' Windows line endings.
    for number, line in enumerate(text.split("\n"), 1):
        if "\x00" in line:
            raise DatasetLayoutError(
                f"{loader}: {path} line {number} holds NUL characters: the file looks UTF-16 "
                f"encoded; split files must be UTF-8 or ASCII: {fix}."
            )
        line = line.strip()
        if line:
            lines.append((number, line))
    return lines


def read_lines(path, loader="dataset"):
    """The stripped non-blank lines of a split file (see `numbered_lines`)."""
    return [line for _, line in numbered_lines(path, loader)]


def listed_path(text, directory, list_path, number, line, loader="dataset"):
    """The path a list file names (`text`, relative to the data set's `directory`), with `/` separators; one that
    leads outside `directory` (absolute, a drive, or a `..` component: `Basketball/../../../secret/private.avi`)
    raises `DatasetLayoutError` naming the file and the line. Lexical, so that links the user placed inside the
    data set (videos on another disk) still resolve; official lists never hold such paths."""
    relative = text.replace("\\", "/")
    if relative.startswith("/") or re.match(r"^[A-Za-z]:", relative) or ".." in relative.split("/"):
        raise DatasetLayoutError(
            f"{loader}: {list_path} line {number} is {line!r}: the path {text!r} leads outside {directory}, the "
            "data set's folder (lists name files inside it, without '..' or an absolute path); correct the line or "
            "restore the official file."
        )
    return relative


def check_split(split, subset, loader):
    if split not in (1, 2, 3):
        raise ValueError(f"{loader}: split must be 1, 2 or 3, got {split!r}")
    if subset not in SUBSETS:
        raise ValueError(f"{loader}: subset must be 'train' or 'test', got {subset!r}")


def report_missing(dataset, missing, list_path, videos_dir, layout, loader):
    """Skips (warn + count) listed files that are not on disk; none at all is a layout error, not a skip."""
    if not dataset.paths:
        if not missing:
            raise DatasetLayoutError(f"{loader}: {list_path} lists no file for this subset; check the split files.")
        raise DatasetLayoutError(
            f"{loader}: none of the {len(missing)} files listed in {list_path} exist under {videos_dir} "
            f"(first: {missing[0]}); expected {layout}. Pass videos_dir=... if they are elsewhere."
        )
    for path in missing:
        dataset.skips.skip(path, "missing")


def split_groups(groups, fractions, seed=0):
    """Index arrays, one per fraction, partitioning the items so that each group (e.g. video) falls in one part.

    >>> parts = split_groups([0, 0, 1, 1, 2, 2, 3, 3], (0.5, 0.5), seed=0)
    >>> sorted(np.concatenate(parts).tolist())
    [0, 1, 2, 3, 4, 5, 6, 7]
    """
    groups = np.asarray(groups).reshape(-1)
    fractions = np.asarray(fractions, np.float64)
    if (fractions < 0).any() or fractions.sum() <= 0:
        raise ValueError(f"fractions must be non-negative with a positive sum, got {fractions.tolist()}")
    unique = np.random.default_rng(seed).permutation(np.unique(groups))
    bounds = np.round(np.cumsum(fractions / fractions.sum()) * len(unique)).astype(int)
    parts = np.split(unique, bounds[:-1])
    return [np.flatnonzero(np.isin(groups, part)) for part in parts]


def holdout_per_class(labels, fraction=1 / 3, keep=1, seed=0):
    """`(kept, held)` sorted index arrays: about `fraction` of each class's items held out (at least one of a class
    with more than `keep` items), at least `keep` of each class kept (e.g. the few-shot draws need `shots` per
    class); seeded. The validation split the method searches score on, taken from the training side only.

    Example:

    >>> kept, held = holdout_per_class([0, 0, 0, 1, 1, 1], keep=1, seed=0)
    >>> len(kept), len(held), sorted(np.asarray([0, 0, 0, 1, 1, 1])[held].tolist())
    (4, 2, [0, 1])
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    held = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        count = min(max(1, round(fraction * len(members))), len(members) - int(keep))
        held += rng.choice(members, count, replace=False).tolist() if count > 0 else []
    held = np.sort(np.array(held, np.int64))
    return np.setdiff1d(np.arange(len(labels)), held), held
