"""UCF101 (Soomro et al. 2012) from its official split files, as distributed."""

import os

from keras_motion.datasets.base import VideoDataset
from keras_motion.datasets.folders import _CaseInsensitiveDir
from keras_motion.errors import DatasetLayoutError

SUBSETS = ("train", "test")


def _read_lines(path):
    # utf-8-sig drops a BOM; strip() also drops the '\r' of the official files' Windows line endings.
    with open(path, encoding="utf-8-sig") as f:
        return [line.strip() for line in f if line.strip()]


def _check_split(split, subset, loader):
    if split not in (1, 2, 3):
        raise ValueError(f"{loader}: split must be 1, 2 or 3, got {split!r}")
    if subset not in SUBSETS:
        raise ValueError(f"{loader}: subset must be 'train' or 'test', got {subset!r}")


def _report_missing(dataset, missing, list_path, videos_dir, layout, loader):
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


class UCF101(VideoDataset):
    """UCF101 videos of one official split: 101 classes, labels 0-based in `classInd.txt` order.

    Looks for `classInd.txt`, `trainlist0{1,2,3}.txt` and `testlist0{1,2,3}.txt` in `splits_dir`, else in `root` or
    `root/ucfTrainTestlist/`, and for the videos `<Class>/v_<Class>_gXX_cYY.avi` in `videos_dir`, else in
    `root/UCF-101/` or `root`. Class folders and file names are matched ignoring case. Listed videos missing on
    disk are skipped with a warning and counted in `self.skips`.

    >>> train = UCF101("data/ucf101", split=1, subset="train")   # doctest: +SKIP
    >>> clip = train.load(0, size=128, max_frames=16)             # doctest: +SKIP
    """

    def __init__(self, root, split=1, subset="train", splits_dir=None, videos_dir=None):
        _check_split(split, subset, "UCF101")
        root = os.fspath(root)
        list_name = f"{subset}list0{split}.txt"
        needed = ("classInd.txt", list_name)
        if splits_dir is not None:
            candidates = [os.fspath(splits_dir)]
        else:
            candidates = [root, os.path.join(root, "ucfTrainTestlist")]
        found = [d for d in candidates if all(os.path.isfile(os.path.join(d, n)) for n in needed)]
        if not found:
            raise DatasetLayoutError(
                f"UCF101: cannot find {' and '.join(needed)} in {' or '.join(candidates)}. Unpack the official "
                "UCF101TrainTestSplits-RecognitionTask.zip there (it holds ucfTrainTestlist/classInd.txt, "
                "trainlist0{1,2,3}.txt, testlist0{1,2,3}.txt) or pass splits_dir=..."
            )
        self.splits_dir = found[0]

        class_names = []
        for number, line in enumerate(_read_lines(os.path.join(self.splits_dir, "classInd.txt")), 1):
            parts = line.split()
            if len(parts) != 2 or not parts[0].isdigit() or int(parts[0]) != len(class_names) + 1:
                raise DatasetLayoutError(
                    f"UCF101: {os.path.join(self.splits_dir, 'classInd.txt')} line {number} is {line!r}; "
                    "expected '<index> <ClassName>' with indices 1, 2, 3 ... in order."
                )
            class_names.append(parts[1])
        label_of = {name.lower(): i for i, name in enumerate(class_names)}

        if videos_dir is not None:
            self.videos_dir = os.fspath(videos_dir)
        else:
            nested = os.path.join(root, "UCF-101")
            self.videos_dir = nested if os.path.isdir(nested) else root
        lookup = _CaseInsensitiveDir()
        list_path = os.path.join(self.splits_dir, list_name)
        paths, labels, missing = [], [], []
        for number, line in enumerate(_read_lines(list_path), 1):
            parts = line.split()
            relative = parts[0].replace("\\", "/")
            folder = relative.split("/")[0]
            if folder.lower() not in label_of or len(parts) > 2:
                raise DatasetLayoutError(
                    f"UCF101: {list_path} line {number} is {line!r}; expected '<Class>/<video>.avi[ <label>]' "
                    "with a class from classInd.txt."
                )
            # trainlists carry a 1-based label, testlists none: the class folder gives it.
            label = int(parts[1]) - 1 if len(parts) == 2 else label_of[folder.lower()]
            path = lookup.find(self.videos_dir, relative)
            if path is None:
                missing.append(os.path.join(self.videos_dir, *relative.split("/")))
                continue
            paths.append(path)
            labels.append(label)
        super().__init__(paths, labels, class_names, name=f"UCF101 split {split} {subset}")
        self.root, self.split, self.subset_name = root, split, subset
        layout = f"{self.videos_dir}/<Class>/v_<Class>_gXX_cYY.avi"
        _report_missing(self, missing, list_path, self.videos_dir, layout, "UCF101")
