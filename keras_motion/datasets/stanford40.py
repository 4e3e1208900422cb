"""Stanford 40 Actions (Yao et al. 2011) from its official `ImageSplits/`, as distributed."""

import os

from keras_motion.datasets.base import ImageDataset
from keras_motion.datasets.folders import _CaseInsensitiveDir
from keras_motion.datasets.splits import listed_path, numbered_lines, read_lines, report_missing
from keras_motion.errors import DatasetLayoutError


class Stanford40(ImageDataset):
    """Stanford40 images of the official train or test split: 40 classes, labels 0-based.

    Classes come from `ImageSplits/actions.txt` (a header line, then `<action> <count>`) in file order, or, without
    it, from the sorted `ImageSplits/<action>_train.txt` names. Each `ImageSplits/<action>_{train,test}.txt` lists
    image file names in `JPEGImages/`. Listed images missing on disk are skipped (warning + count in `self.skips`).

    >>> train = Stanford40("data/Stanford40", subset="train")     # doctest: +SKIP
    >>> image = train.load(0, size=224)                            # doctest: +SKIP
    """

    def __init__(self, root, subset="train"):
        if subset not in ("train", "test"):
            raise ValueError(f"Stanford40: subset must be 'train' or 'test', got {subset!r}")
        root = os.fspath(root)
        splits_dir = os.path.join(root, "ImageSplits")
        images_dir = os.path.join(root, "JPEGImages")
        layout = f"{root}/ImageSplits/<action>_{{train,test}}.txt and {root}/JPEGImages/<image>.jpg"
        if not os.path.isdir(splits_dir):
            raise DatasetLayoutError(
                f"Stanford40: {splits_dir} not found; expected {layout}. Unpack the official ImageSplits.zip and "
                "JPEGImages.zip into the root."
            )
        actions_file = os.path.join(splits_dir, "actions.txt")
        if os.path.isfile(actions_file):
            lines = read_lines(actions_file, "Stanford40")
            # The header line is "action_name number_of_images"; tolerate a file without it.
            if lines and lines[0].split()[0].lower() == "action_name":
                lines = lines[1:]
            class_names = [line.split()[0] for line in lines]
        else:
            suffix = "_train.txt"
            class_names = sorted(n[: -len(suffix)] for n in os.listdir(splits_dir) if n.endswith(suffix))
        if not class_names:
            raise DatasetLayoutError(
                f"Stanford40: no class found: neither {actions_file} nor any <action>_train.txt in {splits_dir}; "
                f"expected {layout}."
            )
        lookup = _CaseInsensitiveDir()
        paths, labels, missing = [], [], []
        for label, action in enumerate(class_names):
            list_path = os.path.join(splits_dir, f"{action}_{subset}.txt")
            if not os.path.isfile(list_path):
                raise DatasetLayoutError(
                    f"Stanford40: {list_path} not found (class {action!r} of {len(class_names)}); expected {layout}."
                )
            for number, line in numbered_lines(list_path, "Stanford40"):
                name = listed_path(line, images_dir, list_path, number, line, "Stanford40")
                path = lookup.find(images_dir, name)
                if path is None:
                    missing.append(os.path.join(images_dir, name))
                    continue
                paths.append(path)
                labels.append(label)
        super().__init__(paths, labels, class_names, name=f"Stanford40 {subset}")
        self.root, self.subset_name = root, subset
        report_missing(self, missing, os.path.join(splits_dir, f"*_{subset}.txt"), images_dir, layout, "Stanford40")
