"""UCF101 (Soomro et al. 2012) from its official split files, as distributed."""

import os

from keras_motion.datasets.base import VideoDataset
from keras_motion.datasets.folders import _CaseInsensitiveDir
from keras_motion.datasets.splits import check_split, listed_path, numbered_lines, report_missing
from keras_motion.errors import DatasetLayoutError


def _check_label(token, folder_label, class_names, list_path, number, line):
    """A trainlist's 1-based label must be a number of classInd.txt and agree with the video's class folder: a
    label that lies would train a class on another's videos without a sign."""
    where = f"UCF101: {list_path} line {number} is {line!r}"
    fix = "correct the line or restore the official split file"
    if not token.isdigit():
        raise DatasetLayoutError(
            f"{where}: the label {token!r} is not a number; expected '<Class>/<video>.avi "
            f"<label>' with the 1-based label of classInd.txt; {fix}."
        )
    value = int(token)
    if not 1 <= value <= len(class_names):
        raise DatasetLayoutError(
            f"{where}: label {value} is outside 1..{len(class_names)} (labels are 1-based, "
            f"classInd.txt has {len(class_names)} classes); {fix}."
        )
    if value - 1 != folder_label:
        raise DatasetLayoutError(
            f"{where}: label {value} ({class_names[value - 1]} in classInd.txt) contradicts the class folder "
            f"{class_names[folder_label]} (label {folder_label + 1}); {fix}."
        )


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
        check_split(split, subset, "UCF101")
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
        for number, line in numbered_lines(os.path.join(self.splits_dir, "classInd.txt"), "UCF101"):
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
        for number, line in numbered_lines(list_path, "UCF101"):
            parts = line.split()
            relative = listed_path(parts[0], self.videos_dir, list_path, number, line, "UCF101")
            folder = relative.split("/")[0]
            if folder.lower() not in label_of or len(parts) > 2:
                raise DatasetLayoutError(
                    f"UCF101: {list_path} line {number} is {line!r}; expected '<Class>/<video>.avi[ <label>]' "
                    "with a class from classInd.txt."
                )
            # trainlists carry a 1-based label, testlists none: the class folder gives it.
            label = label_of[folder.lower()]
            if len(parts) == 2:
                _check_label(parts[1], label, class_names, list_path, number, line)
            path = lookup.find(self.videos_dir, relative)
            if path is None:
                missing.append(os.path.join(self.videos_dir, *relative.split("/")))
                continue
            paths.append(path)
            labels.append(label)
        super().__init__(paths, labels, class_names, name=f"UCF101 split {split} {subset}")
        self.root, self.split, self.subset_name = root, split, subset
        layout = f"{self.videos_dir}/<Class>/v_<Class>_gXX_cYY.avi"
        report_missing(self, missing, list_path, self.videos_dir, layout, "UCF101")
