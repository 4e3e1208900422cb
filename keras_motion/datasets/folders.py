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


def files_under(directory, extensions, _seen=None):
    """Every file below `directory` (links followed) whose extension is one of `extensions` (with or without the
    dot, any case), sorted; hidden files and folders are skipped. Each folder is walked once, by its resolved path:
    a link loop (`a/up -> ..`) or two links to one folder never list a file twice.

    >>> files_under("/nonexistent", ("mp4",))
    []
    """
    extensions = _normalise_extensions(extensions)
    seen = set() if _seen is None else _seen  # resolved folders already walked (shared by a class-folder scan)
    seen.add(os.path.realpath(directory))
    found = []
    for dirpath, dirnames, filenames in os.walk(directory, followlinks=True):
        # Hidden entries are never data: .DS_Store, .git, and the temporary files of interrupted atomic writes.
        dirnames[:] = [d for d in sorted(dirnames) if not d.startswith(".") and _first_visit(dirpath, d, seen)]
        for name in filenames:
            if not name.startswith(".") and os.path.splitext(name)[1].lower() in extensions:
                found.append(os.path.join(dirpath, name))
    return sorted(found)


def _first_visit(parent, name, seen):
    resolved = os.path.realpath(os.path.join(parent, name))
    if resolved in seen:
        return False
    seen.add(resolved)
    return True


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
    folders = [n for n in sorted(os.listdir(root)) if not n.startswith(".") and os.path.isdir(os.path.join(root, n))]
    # The root and every class folder count as walked before any is: a link inside one class to the root or to
    # another class folder must not label that class's files (or all files) with this class as well.
    seen = {os.path.realpath(root)} | {os.path.realpath(os.path.join(root, n)) for n in folders}
    for name in folders:
        directory = os.path.join(root, name)
        files = files_under(directory, extensions, seen)
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
