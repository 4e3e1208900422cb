"""Any folder of videos or images: unlabeled, or one sub-folder per class."""

import os
import warnings

from keras_motion.datasets.base import ImageDataset, VideoDataset
from keras_motion.errors import DatasetLayoutError

VIDEO_EXTENSIONS = (".avi", ".mp4", ".mkv", ".mov", ".webm", ".mpg", ".mpeg", ".m4v")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")


class _CaseInsensitiveDir:
    """Resolves names inside directories ignoring case, listing each directory once.

    Data sets are unpacked on case-sensitive and case-insensitive file systems alike, and their official lists do not
    always spell names as the archives do (UCF101: `HandstandPushups/v_HandStandPushups_...`).
    """

    def __init__(self):
        self._listings = {}

    def _listing(self, directory):
        if directory not in self._listings:
            try:
                names = os.listdir(directory)
            except OSError:
                names = []
            listing = {}
            for name in sorted(names):
                listing.setdefault(name.lower(), name)
            self._listings[directory] = listing
        return self._listings[directory]

    def find(self, directory, relative):
        """The existing path of `directory/relative` (components matched ignoring case), or None."""
        path = directory
        for part in relative.replace("\\", "/").split("/"):
            if not part:
                continue
            exact = os.path.join(path, part)
            if os.path.exists(exact):
                path = exact
                continue
            actual = self._listing(path).get(part.lower())
            if actual is None:
                return None
            path = os.path.join(path, actual)
        return path


def _normalise_extensions(extensions):
    return tuple(e.lower() if e.startswith(".") else "." + e.lower() for e in extensions)


def files_under(directory, extensions):
    """Every file below `directory` (links followed) whose extension is one of `extensions` (with or without the
    dot, any case), sorted; hidden files and folders are skipped.

    >>> files_under("/nonexistent", ("mp4",))
    []
    """
    extensions = _normalise_extensions(extensions)
    found = []
    for dirpath, dirnames, filenames in os.walk(directory, followlinks=True):
        # Hidden entries are never data: .DS_Store, .git, and the temporary files of interrupted atomic writes.
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if not name.startswith(".") and os.path.splitext(name)[1].lower() in extensions:
                found.append(os.path.join(dirpath, name))
    return sorted(found)


def _scan(root, extensions, labeled, what, loader):
    root = os.fspath(root)
    extensions = _normalise_extensions(extensions)
    layout = (
        f"{root}/<class_name>/<file>{extensions[0]} (one sub-folder per class)"
        if labeled
        else f"{what} files anywhere under {root}"
    )
    if not os.path.isdir(root):
        raise DatasetLayoutError(f"{loader}: {root} is not a directory; expected {layout}.")
    if not labeled:
        paths = files_under(root, extensions)
        if not paths:
            raise DatasetLayoutError(
                f"{loader}: no {what} file ({', '.join(extensions)}) under {root}; expected {layout}."
            )
        return paths, None, []
    class_names, paths, labels = [], [], []
    for name in sorted(os.listdir(root)):
        directory = os.path.join(root, name)
        if name.startswith(".") or not os.path.isdir(directory):
            continue
        files = files_under(directory, extensions)
        if files:
            paths += files
            labels += [len(class_names)] * len(files)
            class_names.append(name)
    loose = [n for n in os.listdir(root) if os.path.splitext(n)[1].lower() in extensions and not n.startswith(".")]
    if loose:
        warnings.warn(
            f"{loader}: ignoring {len(loose)} {what} file(s) directly in {root} (no class folder), e.g. {loose[0]}",
            RuntimeWarning,
            stacklevel=3,
        )
    if not paths:
        raise DatasetLayoutError(
            f"{loader}: no class folder with {what} files ({', '.join(extensions)}) in {root}; expected {layout}."
        )
    return paths, labels, class_names


class VideoFolder(VideoDataset):
    """Every video under `root` (recursively, sorted): unlabeled, or labeled by its top-level folder.

    With `labeled=True` the layout is `root/<class>/**/<video>`; classes are the sorted folder names holding videos.

    >>> videos = VideoFolder("my_videos")                       # doctest: +SKIP
    >>> clip = videos.load(0, size=128, max_frames=16)          # doctest: +SKIP
    """

    def __init__(self, root, extensions=VIDEO_EXTENSIONS, labeled=False):
        paths, labels, class_names = _scan(root, extensions, labeled, "video", "VideoFolder")
        super().__init__(paths, labels, class_names, name=f"VideoFolder({os.fspath(root)})")
        self.root = os.fspath(root)


class ImageFolder(ImageDataset):
    """Class-per-folder labeled images: `root/<class>/**/<image>`; classes are the sorted folder names.

    >>> images = ImageFolder("willow/train")                     # doctest: +SKIP
    >>> image, label = images.load(0, size=224), images.labels[0]  # doctest: +SKIP
    """

    def __init__(self, root, extensions=IMAGE_EXTENSIONS):
        paths, labels, class_names = _scan(root, extensions, True, "image", "ImageFolder")
        super().__init__(paths, labels, class_names, name=f"ImageFolder({os.fspath(root)})")
        self.root = os.fspath(root)
