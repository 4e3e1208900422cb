"""Data-set records: lists of file paths with integer labels, decoded lazily one item at a time."""

import os

import numpy as np

from keras_motion.errors import KerasMotionError
from keras_motion.utils.skips import SkipLog

UNLABELED = -1


class FileDataset:
    """Paths, integer labels (-1 = unlabeled) and class names; indexing gives `(path, label)`.

    Nothing is decoded up front: `load(i)` decodes one item, `iter_items()` decodes item by item and skips
    (with a warning and a count in `self.skips`) files that cannot be decoded.
    """

    kind = "file"

    def __init__(self, paths, labels=None, class_names=(), name=None):
        self.paths = [os.fspath(p) for p in paths]
        if labels is None:
            labels = np.full(len(self.paths), UNLABELED, np.int64)
        self.labels = np.asarray(labels, np.int64).reshape(-1)
        if len(self.labels) != len(self.paths):
            raise ValueError(f"{len(self.paths)} paths but {len(self.labels)} labels")
        self.class_names = list(class_names)
        self.name = name or type(self).__name__
        self.skips = SkipLog(self.name)

    @property
    def num_classes(self):
        return len(self.class_names)

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        return self.paths[i], int(self.labels[i])

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __repr__(self):
        return f"{self.name}({len(self)} {self.kind}s, {self.num_classes} classes)"

    def subset(self, indices, name=None):
        """A dataset of the same classes holding only `indices` (order kept)."""
        indices = np.asarray(indices, np.int64).reshape(-1)
        out = FileDataset.__new__(type(self))
        out.__dict__.update(self.__dict__)
        out.paths = [self.paths[i] for i in indices]
        out.labels = self.labels[indices]
        out.name = name or self.name
        out.skips = SkipLog(out.name)
        return out

    def iter_items(self, **kwargs):
        """Yields `(decoded, label, path)` for every item, skipping (warn + count) the ones that fail to decode."""
        for i in range(len(self)):
            try:
                item = self.load(i, **kwargs)
            except KerasMotionError as e:
                self.skips.skip(self.paths[i], e)
                continue
            yield item, int(self.labels[i]), self.paths[i]


class VideoDataset(FileDataset):
    """Video files with labels; `load(i, size=..., step=..., max_frames=...)` → uint8 RGB (T, H, W, 3)."""

    kind = "video"

    def load(self, i, **kwargs):
        from keras_motion.video import read_video

        return read_video(self.paths[i], **kwargs)


class ImageDataset(FileDataset):
    """Image files with labels; `load(i, size=None)` → uint8 RGB (H, W, 3), grayscale expanded to 3 channels."""

    kind = "image"

    def load(self, i, size=None):
        from keras_motion.video import read_image

        return read_image(self.paths[i], size=size)
