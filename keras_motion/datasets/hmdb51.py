"""HMDB51 (Kuehne et al. 2011) from its official three-way split files, as distributed."""

import os
import re

from keras_motion.datasets.base import VideoDataset
from keras_motion.datasets.folders import _CaseInsensitiveDir
from keras_motion.datasets.splits import check_split, listed_path, numbered_lines, report_missing
from keras_motion.errors import DatasetLayoutError

SPLITS_FOLDER = "testTrainMulti_7030_splits"
# The split files' codes: 1 = training, 2 = testing, 0 = not used in this split.
_CODE = {"train": "1", "test": "2"}


class HMDB51(VideoDataset):
    """HMDB51 videos of one official split: 51 classes, labels 0-based in sorted class-name order.

    Reads `<class>_test_split{1,2,3}.txt` (lines `<name>.avi <0|1|2>`) from `splits_dir`, else from
    `root/testTrainMulti_7030_splits/` or `root`, and the videos `<class>/<name>.avi` from `videos_dir`, else from
    `root`, `root/hmdb51_org/` or `root/hmdb51/` (the first holding class folders). Names are matched ignoring case;
    listed videos missing on disk are skipped with a warning and counted in `self.skips`.

    >>> test = HMDB51("data/hmdb51", split=2, subset="test")    # doctest: +SKIP
    >>> test.num_classes                                         # doctest: +SKIP
    51
    """

    def __init__(self, root, split=1, subset="train", splits_dir=None, videos_dir=None):
        check_split(split, subset, "HMDB51")
        root = os.fspath(root)
        suffix = f"_test_split{split}.txt"
        candidates = [os.fspath(splits_dir)] if splits_dir is not None else [os.path.join(root, SPLITS_FOLDER), root]
        split_files = {}
        for directory in candidates:
            if os.path.isdir(directory):
                split_files = {
                    name[: -len(suffix)]: os.path.join(directory, name)
                    for name in os.listdir(directory)
                    if name.endswith(suffix) and len(name) > len(suffix)
                }
            if split_files:
                self.splits_dir = directory
                break
        else:
            raise DatasetLayoutError(
                f"HMDB51: no <class>{suffix} file (e.g. brush_hair{suffix}) in {' or '.join(candidates)}. Unpack "
                f"the official test_train_splits.rar there (it holds {SPLITS_FOLDER}/) or pass splits_dir=..."
            )
        class_names = sorted(split_files)

        if videos_dir is not None:
            self.videos_dir = os.fspath(videos_dir)
        else:
            lookup = _CaseInsensitiveDir()
            options = [root, os.path.join(root, "hmdb51_org"), os.path.join(root, "hmdb51")]
            self.videos_dir = next(
                (d for d in options if any(lookup.find(d, c) for c in class_names)),
                root,
            )
        lookup = _CaseInsensitiveDir()
        paths, labels, missing = [], [], []
        for label, name in enumerate(class_names):
            for number, line in numbered_lines(split_files[name], "HMDB51"):
                parts = line.rsplit(None, 1)  # the code is the last token; keep any space in a file name
                if len(parts) != 2 or not re.fullmatch(r"[012]", parts[1]):
                    raise DatasetLayoutError(
                        f"HMDB51: {split_files[name]} line {number} is {line!r}; expected '<video>.avi <0|1|2>'."
                    )
                if parts[1] != _CODE[subset]:
                    continue
                # Inside its class folder: a '..' would load another folder's (or no class's) video as this class.
                listed = listed_path(
                    parts[0], os.path.join(self.videos_dir, name), split_files[name], number, line, "HMDB51"
                )
                path = lookup.find(self.videos_dir, f"{name}/{listed}")
                if path is None:
                    missing.append(os.path.join(self.videos_dir, name, parts[0]))
                    continue
                paths.append(path)
                labels.append(label)
        super().__init__(paths, labels, class_names, name=f"HMDB51 split {split} {subset}")
        self.root, self.split, self.subset_name = root, split, subset
        report_missing(
            self,
            missing,
            os.path.join(self.splits_dir, f"*{suffix}"),
            self.videos_dir,
            f"{self.videos_dir}/<class>/<video>.avi",
            "HMDB51",
        )
