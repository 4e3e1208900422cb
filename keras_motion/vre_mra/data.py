"""VRE + MRA's data: the unlabeled videos the pseudo-motion labels come from, their key-frame clips, the labeled
images (synthetic frames, an image folder, Stanford40 or PASCAL VOC Actions) split into a few-shot pool and the
held-out test or validation images, and the few-shot draw of each seed.

Every image and clip is uint8 and square (`square_crop`): what `VREMRA` takes.
"""

from typing import NamedTuple

import numpy as np

from keras_motion.transforms import center_crop, to_uint8

SYNTHETIC_FRAMES = 8  # frames rendered per synthetic labeled video, one of them the image


def square_crop(frames, size):
    """Centre square crop and resize (area interpolation) of uint8 (..., H, W, 3) frames → (..., size, size, 3).

    Args:
        frames: uint8 array (..., H, W, 3), e.g. one image, a batch of images or a batch of clips.
        size: side of the output square.

    Example:

    >>> square_crop(np.zeros((2, 5, 48, 64, 3), np.uint8), 16).shape
    (2, 5, 16, 16, 3)

    Reference: [000] §4.1 (square network inputs).
    """
    import cv2

    frames = np.asarray(frames)
    s = min(frames.shape[-3:-1])
    flat = center_crop(frames, s).reshape((-1, s, s, 3))
    out = np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for f in flat])
    return out.reshape(frames.shape[:-3] + (size, size, 3))


class UnlabeledVideos(NamedTuple):
    """The unlabeled videos: uint8 (T, H, W, 3) arrays, their true classes (or None), class names, skipped files."""

    videos: list
    classes: object
    class_names: list
    skipped: int


def unlabeled_videos(
    frames, size=64, videos=None, ucf101=None, hmdb51=None, split=1, max_videos=1000, num_videos=240, run=None
):
    """The unlabeled videos of the proxy task, decoded (or rendered) once, their first `frames` frames.

    Args:
        frames: frames per video (`MotionLabeler.frames_needed`).
        size: short side of the decoded frames, or side of the rendered synthetic ones (flow works at this size).
        videos: a folder of videos (any layout; class sub-folders give the true classes, hence NMI).
        ucf101 / hmdb51: a data-set root: its `split`'s train videos.
        max_videos: a seeded random sample of this many videos from a folder / data set (the paper: 1000).
        num_videos: synthetic videos rendered when no folder or data set is given (the default).
        run: a `keras_motion.utils.Run` for progress messages.

    Returns:
        `UnlabeledVideos(videos, classes, class_names, skipped)`; `classes` is None when some video has no class.

    Example:

    >>> data = unlabeled_videos(frames=4, size=32, num_videos=3)
    >>> len(data.videos), data.videos[0].shape, data.classes.shape
    (3, (4, 32, 32, 3), (3,))

    Reference: [000] supplementary §1 (1000 unlabeled UCF101 / HMDB51 videos).
    """
    from keras_motion.datasets import HMDB51, UCF101, VideoFolder, synthetic_actions
    from keras_motion.utils import progress

    run = _run(run)
    if not (videos or ucf101 or hmdb51):
        run.log(f"rendering {num_videos} unlabeled synthetic videos ({frames} frames, {size} px)")
        data = synthetic_actions(num_videos, num_frames=frames, size=size, seed=0)
        return UnlabeledVideos(list(data.frames), data.labels, data.class_names, 0)
    if videos:
        try:
            dataset = VideoFolder(videos, labeled=True)
        except Exception:  # no class folders: truly unlabeled
            dataset = VideoFolder(videos)
    else:
        loader, root = (UCF101, ucf101) if ucf101 else (HMDB51, hmdb51)
        dataset = loader(root, split=split, subset="train")
    if len(dataset) > max_videos:  # the paper samples 1000 videos at random
        keep = np.sort(np.random.default_rng(0).choice(len(dataset), max_videos, replace=False))
        dataset = dataset.subset(keep)
    decoded, classes = [], []
    for clip, label, _ in progress(
        dataset.iter_items(size=size, max_frames=frames), total=len(dataset), desc="decoding videos"
    ):
        decoded.append(clip)
        classes.append(label)
    run.log(dataset.skips.summary())
    classes = np.array(classes) if classes and min(classes) >= 0 else None
    return UnlabeledVideos(decoded, classes, dataset.class_names, dataset.skips.count)


def key_frame_clips(videos, labels, key_frames, interval, image_size):
    """The key-frame clips of the videos that have a pseudo label, as the network sees them.

    Args:
        videos: uint8 (T, H, W, 3) videos, each with at least `interval · (key_frames − 1) + 1` frames.
        labels: their pseudo-motion labels (-1: skipped by the labeler, left out).
        key_frames / interval: the labeler's key frames.
        image_size: side of the square frames.

    Returns:
        `(clips, kept)`: uint8 (N, key_frames, image_size, image_size, 3) and the indices of the kept videos.

    Example:

    >>> clips, kept = key_frame_clips(np.zeros((3, 7, 20, 24, 3), np.uint8), [0, -1, 2], 3, 3, 8)
    >>> clips.shape, kept.tolist()
    ((2, 3, 8, 8, 3), [0, 2])

    Reference: [000] §3 (k-frame clips of the proxy task).
    """
    from keras_motion.video import key_frame_indices

    kept = np.flatnonzero(np.asarray(labels) >= 0)
    index = key_frame_indices(interval * (key_frames - 1) + 1, key_frames, interval)
    clips = np.stack([square_crop(to_uint8(videos[i], name=f"videos[{i}]")[index], image_size) for i in kept])
    return clips, kept


# ----------------------------------------------------------------------------------------------- labeled images
def synthetic_ranges(num_videos, pool_per_class, test_videos, validation_videos, num_classes=6):
    """Video index ranges of the synthetic benchmark: unlabeled videos, labeled pool, test and validation images
    (one frame each), one after the other, so that no video is in two parts.

    Example:

    >>> {name: (r.start, r.stop) for name, r in synthetic_ranges(10, 2, 5, 4).items()}
    {'unlabeled': (0, 10), 'pool': (10, 22), 'test': (22, 27), 'validation': (27, 31)}
    """
    counts = {
        "unlabeled": num_videos,
        "pool": num_classes * pool_per_class,
        "test": test_videos,
        "validation": validation_videos,
    }
    starts = np.cumsum([0] + list(counts.values()))
    return {name: range(int(start), int(start) + count) for (name, count), start in zip(counts.items(), starts)}


def synthetic_images(
    image_size, size=64, holdout="test", num_videos=240, pool_per_class=30, test_videos=1000, validation_videos=600
):
    """Labeled pool and held-out images: one frame (random time) of each of synthetic videos that are not among the
    `num_videos` unlabeled ones (see `synthetic_ranges`).

    Args:
        image_size: side of the square images.
        size: render size of the videos.
        holdout: "test" or "validation": which held-out images (the other part is not rendered).
        num_videos / pool_per_class / test_videos / validation_videos: the parts' sizes.

    Returns:
        `({"pool": (images, labels), holdout: (images, labels)}, class_names)`.

    Example:

    >>> parts, names = synthetic_images(16, size=32, num_videos=6, pool_per_class=1, test_videos=4)
    >>> parts["pool"][0].shape, parts["test"][0].shape, len(names)
    ((6, 16, 16, 3), (4, 16, 16, 3), 6)

    Reference: [000] §4.1 (a few labeled images per class, held-out test images).
    """
    from keras_motion.datasets import synthetic_actions

    _check_holdout(holdout)
    ranges = synthetic_ranges(num_videos, pool_per_class, test_videos, validation_videos)
    times, out = np.random.default_rng(12345), {}  # the frame of each pool image, then of each test image
    for name in ("pool", holdout):
        part = ranges[name]
        rng = np.random.default_rng(2024) if name == "validation" else times
        data = synthetic_actions(len(part), num_frames=SYNTHETIC_FRAMES, size=size, seed=0, start=part.start)
        t = rng.integers(0, SYNTHETIC_FRAMES, len(part))
        out[name] = (square_crop(data.frames[np.arange(len(part)), t], image_size), data.labels)
    return out, data.class_names


def labeled_images(
    image_size,
    size=64,
    holdout="test",
    images=None,
    stanford40=None,
    voc=None,
    shots=10,
    validation_fraction=0.25,
    max_test_images=2000,
    run=None,
    **synthetic,
):
    """The labeled images: a pool the few-shot draw picks from, and the held-out images the table is measured on.

    Args:
        image_size: side of the square images.
        size: short side the images are decoded (or synthetic videos rendered) at.
        holdout: "test" (the test images) or "validation" (for tuning: a part of the labeled training images that
            the few-shot pool never holds; the test images are then not even loaded).
        images: a folder of images, one sub-folder per class, split 75 / 25 into train / test.
        stanford40: a Stanford40 root (its train and test images).
        voc: a PASCAL VOC 2010–2012 Actions root (person crops: its train set, and its val set as test images).
        shots: images per class the few-shot draw needs from the pool (checked with `holdout="validation"`).
        validation_fraction: share of the labeled training images held out as validation images.
        max_test_images: at most this many held-out images (a seeded sample).
        run: a `keras_motion.utils.Run` for the skip summaries.
        **synthetic: without a folder or data set, `synthetic_images`' sizes (num_videos, pool_per_class, ...).

    Returns:
        `({"pool": (images, labels), holdout: (images, labels)}, class_names)`, images uint8 (N, S, S, 3).

    Example:

    >>> parts, names = labeled_images(16, size=32, num_videos=6, pool_per_class=2, test_videos=3)
    >>> sorted(parts), parts["pool"][0].shape
    (['pool', 'test'], (12, 16, 16, 3))

    Reference: [000] §4.1 (PASCAL VOC: 10 images per class; Stanford40: 30).
    """
    from keras_motion.datasets import ImageFolder, Stanford40, VOCActions
    from keras_motion.utils import progress

    _check_holdout(holdout)
    if not (images or stanford40 or voc):
        return synthetic_images(image_size, size, holdout, **synthetic)
    if stanford40:
        train, test = Stanford40(stanford40, "train"), Stanford40(stanford40, "test")
    elif voc:  # person crops (square boxes with 10 % context); VOC's test labels are not public: val
        train, test = VOCActions(voc, "train", square=True), VOCActions(voc, "val", square=True)
    else:
        everything = ImageFolder(images)
        parts = split_groups_or_items(everything, (0.75, 0.25), seed=0)
        train, test = everything.subset(parts[0]), everything.subset(parts[1])
    if holdout == "validation":
        train, test = validation_split(train, validation_fraction, shots)
    if len(test) > max_test_images:
        test = test.subset(np.sort(np.random.default_rng(1).choice(len(test), max_test_images, False)))
    run = _run(run)

    def load(dataset):
        items = [
            (square_crop(image, image_size), label)
            for image, label, _ in progress(dataset.iter_items(size=size), total=len(dataset), desc="images")
        ]
        run.log(dataset.skips.summary())
        return np.stack([i for i, _ in items]), np.array([label for _, label in items])

    return {"pool": load(train), holdout: load(test)}, train.class_names


def split_groups_or_items(dataset, fractions, seed):
    """Index parts of `dataset`, the persons of one image (VOC's `image_ids`) kept in one part."""
    from keras_motion.datasets import split_groups

    return split_groups(getattr(dataset, "image_ids", np.arange(len(dataset))), fractions, seed=seed)


def validation_split(train, fraction, shots):
    """(few-shot pool, validation images): subsets of a labeled training data set; a `ValueError` that says what to
    lower when the pool has fewer than `shots` images of some class, or the validation part none.

    Example:

    >>> from keras_motion.datasets import ImageDataset
    >>> train = ImageDataset([f"{i}.png" for i in range(8)], [0, 1] * 4, ["a", "b"])
    >>> pool, validation = validation_split(train, 0.25, shots=2)
    >>> len(pool), len(validation)
    (6, 2)
    """
    if not 0 < fraction < 1:
        raise ValueError(f"validation_fraction must be in (0, 1), got {fraction}")
    pool, validation = split_groups_or_items(train, (1 - fraction, fraction), seed=7)
    labels = np.asarray(train.labels)
    short = [name for c, name in enumerate(train.class_names) if (labels[pool] == c).sum() < shots]
    if short or len(validation) == 0:
        raise ValueError(
            f"holdout='validation': holding out {fraction:.0%} of the {len(train)} labeled training "
            f"images leaves fewer than {shots} per class for the few-shot draw ({short}) or no "
            "validation images: lower validation_fraction or shots"
        )
    return train.subset(pool), train.subset(validation)


def few_labeled(pool, shots, seed):
    """`shots` images per class drawn from the pool `(images, labels)` without replacement (all of a smaller
    class, with a warning), seeded by `seed`: the labeled images of one run.

    The draw is `few_shot_indices(labels, shots, seed=[seed, 99], sort=False)` (`keras_motion.datasets.few_shot`,
    the shared sampler): a generator of its own beside the other draws seeded by `seed`, and the images in draw
    order (class by class), the order `VisualMotionBatches`' seeded permutations index into.

    Example:

    >>> images, labels = few_labeled((np.zeros((9, 4, 4, 3)), np.array([0, 1, 2] * 3)), shots=2, seed=0)
    >>> images.shape, np.bincount(labels).tolist()
    ((6, 4, 4, 3), [2, 2, 2])
    """
    from keras_motion.datasets.few_shot import few_shot_indices

    images, labels = pool
    labels = np.asarray(labels)
    pick = few_shot_indices(labels, shots, seed=[seed, 99], sort=False, name="the labeled pool")
    return images[pick], labels[pick]


def _check_holdout(holdout):
    if holdout not in ("test", "validation"):
        raise ValueError(f"holdout must be 'test' or 'validation', got {holdout!r}")


def _run(run):
    from keras_motion.utils.runs import Run

    return Run(None, verbose=False) if run is None else run
