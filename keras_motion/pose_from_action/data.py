"""Pose-from-Action data: videos split by video into pretraining / held-out / test, and the static images of the
downstream task (its labeled pool and its test images).

The verifier trains on the pretraining videos only and is scored on triplets of the held-out videos; the few labeled
images of the downstream task are frames of the held-out videos (or images of a labeled image set); the test images
are frames of test videos that no training step sees (or the image set's test images).
"""

from typing import NamedTuple

import numpy as np

from keras_motion.datasets import holdout_per_class, split_groups
from keras_motion.datasets.few_shot import few_shot_indices
from keras_motion.errors import DatasetLayoutError
from keras_motion.pose_from_action.triplets import TripletVideos
from keras_motion.transforms import center_crop
from keras_motion.utils.runs import Run


class TripletSplits(NamedTuple):
    """The verifier's videos: `pretrain` and `heldout` (`TripletVideos`); `skips`: their `SkipLog` (None: nothing
    could be skipped, e.g. rendered videos)."""

    pretrain: TripletVideos
    heldout: TripletVideos
    skips: object = None


class DownstreamSplits(NamedTuple):
    """The downstream task: `pool` (a uint8 (T, H, W, 3) array per labeled video; a single image is T = 1) with
    `pool_labels`; `test_images` uint8 (N, S, S, 3) with `test_labels`; `class_names`; `skipped`: items skipped
    (None: nothing could be skipped)."""

    pool: list
    pool_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    class_names: list
    skipped: object = None


def frames_of(videos, per_video, seed=None):
    """`per_video` frames of each video (evenly spaced, or at random when `seed` is given) and their video index.

    Frames are cut to their central square, so that videos of different aspect ratios (same short side) stack.

    Args:
        videos: a sequence of uint8 (T, H, W, 3) arrays.
        per_video: frames taken from each video (at most T when drawn at random).
        seed: `None` for evenly spaced frames, else the seed of a random draw without replacement.

    Example:

    >>> images, owners = frames_of([np.zeros((5, 8, 10, 3), np.uint8)] * 2, 3)
    >>> images.shape, owners.tolist()
    ((6, 8, 8, 3), [0, 0, 0, 1, 1, 1])
    """
    images, owners = [], []
    for v, (frames, times) in enumerate(zip(videos, _frame_times(videos, per_video, seed))):
        images.extend(_square(frames[t]) for t in times)
        owners.extend([v] * len(times))
    return np.stack(images), np.asarray(owners)


def _frame_times(videos, per_video, seed):
    """`frames_of`' frame indices, video by video."""
    rng = None if seed is None else np.random.default_rng(seed)
    for frames in videos:
        if rng is None:
            yield np.linspace(0, len(frames) - 1, per_video).round().astype(int)
        else:
            yield rng.choice(len(frames), min(per_video, len(frames)), replace=False)


def _square(frame):
    return center_crop(frame, min(frame.shape[:2]))


def labeled_images(pool, pool_labels, count, seed):
    """The few labeled images of one downstream run: a random frame from each of `count` different pool videos
    where the pool has that many, else `count` frames drawn from all of their frames.

    Which frame of each video: `frames_of(pool, per_video, seed)`'s draw; which `count` of those frames, in draw
    order: `few_shot_indices(labels, total=count, seed=seed, sort=False)` (`keras_motion.datasets.few_shot`, the
    shared sampler). Only the chosen frames are cropped.

    Args:
        pool: the labeled pool, a uint8 (T, H, W, 3) array per video (T = 1 for images).
        pool_labels: int (len(pool),) class of each.
        count: labeled images to draw (all of them, in pool order and with a warning, if the pool has fewer).
        seed: the draw's seed (one per run).

    Returns:
        images uint8 (count, S, S, 3) (central squares) and their labels.

    Example:

    >>> pool = [np.full((4, 8, 8, 3), i, np.uint8) for i in range(6)]
    >>> x, y = labeled_images(pool, np.arange(6) % 3, 4, seed=0)
    >>> x.shape, len(set(x[:, 0, 0, 0].tolist()))
    ((4, 8, 8, 3), 4)
    """
    per_video = 1 if len(pool) >= count else max(len(f) for f in pool)
    times = list(_frame_times(pool, per_video, seed))
    owners = np.repeat(np.arange(len(pool)), [len(t) for t in times])
    frames = np.concatenate(times).astype(int)
    labels = np.asarray(pool_labels)[owners]
    chosen = few_shot_indices(labels, total=count, seed=seed, sort=False, name="the labeled pool's frames")
    return np.stack([_square(pool[owners[i]][frames[i]]) for i in chosen]), labels[chosen]


def synthetic_data(
    num_videos=400,
    num_frames=16,
    size=40,
    delta=12,
    flow="exact",
    jitter=0.0,
    fractions=(0.6, 0.2, 0.2),
    test_frames=4,
    seed=0,
    run=None,
):
    """The embedded default: synthetic action videos over real photos, split by video into pretraining, held-out
    (the labeled pool) and test videos (`test_frames` evenly spaced frames of each are the test images).

    Args:
        num_videos: videos rendered (`km.datasets.synthetic_actions`), the classes balanced.
        num_frames: frames per video (≥ Δ + 1).
        size: frame size in pixels (the crops are taken from it).
        delta: Δ, the frames between the two frames of a triplet.
        flow: "exact" uses the renderer's flow; "dis", "farneback" or "tvl1" computes OpenCV's.
        jitter: camera shake in pixels.
        fractions: shares of pretraining, held-out and test videos.
        test_frames: test images taken from each test video.
        seed: rendering and split seed.
        run: a `km.utils.Run` for progress messages (None: silent).

    Returns:
        (`TripletSplits`, `DownstreamSplits`).

    Example:

    >>> videos, images = synthetic_data(num_videos=12, num_frames=5, size=24, delta=3, test_frames=2)
    >>> len(videos.pretrain), len(videos.heldout), images.test_images.shape, len(images.class_names)
    (7, 3, (4, 24, 24, 3), 6)

    Reference:
        Purushwalkam & Gupta 2016, §3 ("Patch and Optical Flow Mining"): the videos the verifier trains on.
    """
    from keras_motion.datasets import synthetic_actions

    run = run or Run(None, verbose=False)
    run.log(f"rendering {num_videos} synthetic videos ({num_frames} frames, {size} px)")
    data = synthetic_actions(num_videos, num_frames=num_frames, size=size, seed=seed, jitter=jitter)
    flows = data.flows[:, :-1] if flow == "exact" else None  # flows[:, t] is t → t+1; the last leaves the clip
    run.log(f"flow stacks from {'the renderer (exact)' if flows is not None else f'OpenCV {flow}'}")
    videos = TripletVideos(
        data.frames, flows, delta, method=flow if flows is None else "dis", show_progress=flows is None
    )
    pretrain, heldout, test = split_groups(np.arange(len(data.labels)), fractions, seed=seed)
    test_images, owners = frames_of(data.frames[test], test_frames)
    return (
        TripletSplits(videos.subset(pretrain), videos.subset(heldout)),
        DownstreamSplits(
            list(data.frames[heldout]),
            data.labels[heldout],
            test_images,
            data.labels[test][owners],
            list(data.class_names),
        ),
    )


def labeled_video_data(
    train,
    test,
    delta=12,
    size=128,
    max_frames=64,
    flow="dis",
    fractions=(0.6, 0.2),
    test_frames=4,
    max_videos=None,
    seed=0,
    run=None,
):
    """A labeled video data set's split (UCF101, HMDB51 ...): its train videos split by video into pretraining and
    held-out (the labeled pool), frames of its test videos as the test images. Undecodable and too short videos are
    warned about, skipped and counted.

    Args:
        train, test: `VideoDataset`s, e.g. `km.datasets.UCF101(root, split=1, subset="train")` and `subset="test"`.
        delta: Δ, the frames between the two frames of a triplet.
        size: short side the frames are resized to; max_frames: frames decoded per video.
        flow: OpenCV flow method ("dis", "farneback", "tvl1").
        fractions: shares of pretraining and held-out videos among the train videos.
        test_frames: test images taken from each test video.
        max_videos: at most about this many videos per subset (the same number of each class), None: all.
        seed: split (and `max_videos` draw) seed.
        run: a `km.utils.Run` for progress messages (None: silent).

    Returns:
        (`TripletSplits`, `DownstreamSplits`).

    Example:

    >>> train = km.datasets.UCF101("DATA/UCF101", split=1, subset="train")  # doctest: +SKIP
    >>> videos, images = labeled_video_data(train, km.datasets.UCF101("DATA/UCF101", subset="test"))  # doctest: +SKIP

    Reference:
        Purushwalkam & Gupta 2016, §3 and §4.3: UCF101 / HMDB51 split-1 train videos, tested on split 1.
    """
    from keras_motion.datasets import few_shot

    run = run or Run(None, verbose=False)
    if max_videos:
        per_class = max(1, max_videos // train.num_classes)
        train, test = few_shot(train, per_class, seed), few_shot(test, per_class, seed)
    videos = TripletVideos.from_files(train, delta, size=size, max_frames=max_frames, method=flow)
    label_of = dict(zip(map(str, train.paths), train.labels))
    labels = np.array([label_of[name] for name in videos.names])
    pretrain, heldout = split_groups(np.arange(len(videos)), fractions, seed=seed)
    test_videos, test_labels = [], []
    for frames, label, _ in test.iter_items(size=size, max_frames=max_frames):
        test_videos.append(frames)
        test_labels.append(label)
    test_images, owners = frames_of(test_videos, test_frames)
    run.log(videos.skips.summary())
    return (
        TripletSplits(videos.subset(pretrain), videos.subset(heldout), videos.skips),
        DownstreamSplits(
            [videos.frames[i] for i in heldout],
            labels[heldout],
            test_images,
            np.asarray(test_labels)[owners],
            list(train.class_names),
        ),
    )


def unlabeled_video_data(videos, delta=12, size=128, max_frames=64, flow="dis", fractions=(0.6, 0.2), seed=0, run=None):
    """Unlabeled videos for the verifier (a folder, a `VideoDataset` or paths): every decodable video of at least
    Δ + 1 frames, split by video into pretraining and held-out; the others are warned about, skipped and counted.

    Args:
        videos: a folder of videos (searched recursively), a `VideoDataset` or a list of paths.
        delta, size, max_frames, flow, fractions, seed, run: as in `labeled_video_data`.

    Returns:
        `TripletSplits` (the downstream task needs labels: take it from `synthetic_data` or `image_data`).

    Example:

    >>> splits = unlabeled_video_data("DATA/my_videos", delta=12, size=128)  # doctest: +SKIP

    Reference:
        Purushwalkam & Gupta 2016, §3: the verifier needs no labels.
    """
    import os

    from keras_motion.datasets import VideoFolder

    run = run or Run(None, verbose=False)
    if isinstance(videos, (str, os.PathLike)):
        videos = VideoFolder(videos)
    videos = TripletVideos.from_files(videos, delta, size=size, max_frames=max_frames, method=flow)
    run.log(videos.skips.summary())
    pretrain, heldout = split_groups(np.arange(len(videos)), fractions, seed=seed)
    return TripletSplits(videos.subset(pretrain), videos.subset(heldout), videos.skips)


def square_images(dataset, size, run=None):
    """Every decodable image of an `ImageDataset` as a central `size` × `size` square (short side resized to
    `size`), with its label; undecodable images are skipped and counted in `dataset.skips`."""
    items = [(center_crop(image[None], size)[0], label) for image, label, _ in dataset.iter_items(size=size)]
    (run or Run(None, verbose=False)).log(dataset.skips.summary())
    return np.stack([i for i, _ in items]), np.array([label for _, label in items])


def image_data(images=None, voc=None, size=128, fractions=(0.6, 0.4), seed=0, run=None):
    """The downstream task from static action images: one folder per class (`images`: split at random into the
    labeled pool and the test images by `fractions`) or PASCAL VOC 2010-2012 Actions (`voc`: persons cut as squares
    with context; the pool from its train set, the test images from its val set, the paper's PASCAL setting).

    Args:
        images: root of a class-per-folder image tree.
        voc: a VOCdevkit or VOC20XX folder (give exactly one of `images` and `voc`).
        size: side of the square images.
        fractions: (pool, test) shares of a folder tree's images.
        seed: the folder tree's split seed.
        run: a `km.utils.Run` for progress messages (None: silent).

    Returns:
        `DownstreamSplits` (each pool item a single image).

    Example:

    >>> downstream = image_data(voc="DATA/VOCdevkit", size=128)  # doctest: +SKIP

    Reference:
        Purushwalkam & Gupta 2016, §4.4: PASCAL VOC Actions from 50 labeled images.
    """
    from keras_motion.datasets import ImageFolder, VOCActions

    if (images is None) == (voc is None):
        raise ValueError("give exactly one of `images` (a class-per-folder tree) and `voc` (a VOC root)")
    if voc is not None:
        train, val = (VOCActions(voc, subset, square=True) for subset in ("train", "val"))
        if val.class_names != train.class_names:
            raise DatasetLayoutError(
                f"VOC Actions: train classes {train.class_names} but val classes "
                f"{val.class_names} in {train.voc_dir}/ImageSets/Action; check the list files."
            )
        (pool_x, pool_y), (test_x, test_y) = (square_images(d, size, run) for d in (train, val))
        return DownstreamSplits(
            list(pool_x[:, None]), pool_y, test_x, test_y, list(train.class_names), train.skips.count + val.skips.count
        )
    dataset = ImageFolder(images)
    x, y = square_images(dataset, size, run)
    pool, test = split_groups(np.arange(len(y)), fractions, seed=seed)
    return DownstreamSplits(
        list(x[pool][:, None]), y[pool], x[test], y[test], list(dataset.class_names), dataset.skips.count
    )


def validation_split(downstream, fraction=0.3, frames=4, seed=0):
    """Validation images split off the labeled pool of `downstream`, for model selection without the test images:
    about `fraction` of each class's pool videos (`km.datasets.holdout_per_class`, one at least kept per class), of
    which `frames` evenly spaced frames each (fewer where the videos are shorter: one of an image) are the validation
    images; the other pool videos stay the pool the few labeled images are drawn from.

    Returns:
        A `DownstreamSplits` whose `pool` is the rest of the pool and whose `test_images` / `test_labels` are the
        validation images (what `PoseFromAction.validate_downstream` scores on).

    Example:

    >>> pool = [np.zeros((5, 8, 8, 3), np.uint8)] * 6
    >>> split = validation_split(DownstreamSplits(pool, np.arange(6) % 2, None, None, ["a", "b"]), frames=2)
    >>> len(split.pool), split.test_images.shape, sorted(split.test_labels.tolist())
    (4, (4, 8, 8, 3), [0, 0, 1, 1])
    """
    labels = np.asarray(downstream.pool_labels)
    kept, held = holdout_per_class(labels, fraction, keep=1, seed=seed)
    if len(held) == 0:
        raise ValueError(
            f"validation_split: no class of the pool has 2 videos or more ({len(labels)} videos); "
            "give more labeled videos"
        )
    videos = [downstream.pool[i] for i in held]
    images, owners = frames_of(videos, min(frames, *(len(video) for video in videos)))
    return DownstreamSplits(
        [downstream.pool[i] for i in kept], labels[kept], images, labels[held][owners], list(downstream.class_names)
    )
