"""Im2Flow training pairs: (frame t, average flow of the next n frames), with crops and physically correct flips."""

import keras
import numpy as np

from keras_motion.errors import KerasMotionError
from keras_motion.flow import FlowEstimator, average_future_flow, check_flow, encode_im2flow, hflip_flow
from keras_motion.transforms import center_crop, check_images
from keras_motion.utils import SkipLog, progress
from keras_motion.utils.checks import check_int, check_number
from keras_motion.utils.resume import EpochSeeded


def frame_indices(num_frames, per_video, n, rng):
    """Up to `per_video` distinct frame indices t that have n future frames (t + n < num_frames), sorted."""
    candidates = num_frames - n
    if candidates <= 0:
        return np.zeros(0, np.int64)
    return np.sort(rng.choice(candidates, size=min(per_video, candidates), replace=False))


def pairs_from_videos(
    videos,
    per_video=4,
    n=5,
    size=None,
    max_frames=None,
    method="dis",
    seed=0,
    skips=None,
    show_progress=True,
    square=False,
):
    """Decodes each video of `videos` (a `VideoDataset` or paths) and returns Im2Flow pairs.

    Videos of different shapes stack when `size` is a (height, width) tuple, or an int with `square=True` (short side
    resized to `size`, then the central `size` × `size` window, before flow is computed).

    Returns `(images uint8 (N, H, W, 3), flows float32 (N, H, W, 2), videos int (N,), times int (N,))`: for
    `per_video` random frames t of each video, the frame, the mean of its n consecutive future flows (Im2Flow §3.2),
    the index of its video and t. Videos that
    cannot be decoded or are shorter than n + 1 frames are warned about, skipped and counted in `skips`.
    """
    paths = videos.paths if hasattr(videos, "paths") else [str(v) for v in videos]
    skips = skips if skips is not None else SkipLog("Im2Flow pairs")
    rng = np.random.default_rng(seed)
    estimator = FlowEstimator(method)
    images, flows, owners, times = [], [], [], []
    from keras_motion.video import read_video

    iterator = progress(enumerate(paths), total=len(paths), desc="flow targets") if show_progress else enumerate(paths)
    for index, path in iterator:
        try:
            frames = read_video(path, size=size, max_frames=max_frames, min_frames=n + 1)
            if square:
                frames = center_crop(frames, min(frames.shape[1:3]))
        except KerasMotionError as e:
            skips.skip(path, e)
            continue
        for t in frame_indices(len(frames), per_video, n, rng):
            images.append(frames[t].copy())  # a view would keep the whole decoded video alive
            flows.append(average_future_flow(frames, t, n, estimator=estimator))
            owners.append(index)
            times.append(t)
    if not images:
        raise KerasMotionError(f"no Im2Flow pair could be made from {len(paths)} video(s); {skips.summary()}")
    return np.stack(images), np.stack(flows).astype(np.float32), np.asarray(owners, np.int64), np.asarray(times)


def pairs_from_cache(videos, flow_cache, per_video=4, n=5, seed=0, skips=None, square=False):
    """Im2Flow pairs that stay on disk: the same draws as `pairs_from_videos`, read per batch.

    The frames are decoded on access (`VideoFrames`: a frame-exact seek to the pair's frame) and the targets read
    from `flow_cache` (a `keras_motion.flow.FlowCache` holding the flow of every video, e.g. after
    `flow_cache.extract(videos)`, at its `size`, consecutive frames: `step=1`), so memory does not grow with the
    number of videos. With `square=True` frames and flows keep their central square (flow computed on the whole
    frame, then cropped: at the square's border it differs slightly from flow computed on the square alone).

    Returns `(images, flows, videos, times)` like `pairs_from_videos`, `images` and `flows` lazy arrays
    (`keras_motion.video.FrameRows`: index them, or pass them to `Im2FlowPairs`). Videos without cached flow or
    with fewer than n + 1 frames are warned about, skipped and counted in `skips`.
    """
    from keras_motion.video import FrameRows, VideoFrames
    from keras_motion.video.lazy import CachedFlows

    settings = flow_cache.settings
    if settings["step"] != 1:
        raise ValueError(
            f"pairs_from_cache needs the flow of consecutive frames, but {flow_cache!r} holds flow every "
            f"{settings['step']} frames; use a cache made with step=1"
        )
    paths = videos.paths if hasattr(videos, "paths") else [str(v) for v in videos]
    skips = skips if skips is not None else SkipLog("Im2Flow pairs")
    size = tuple(settings["size"]) if isinstance(settings["size"], list) else settings["size"]
    rng = np.random.default_rng(seed)
    frames, flows, owners, times = [None] * len(paths), [None] * len(paths), [], []
    for index, path in enumerate(paths):
        try:
            count = flow_cache.num_flows(path) + 1  # the cache decoded the video whole: an exact frame count
        except (KerasMotionError, OSError) as e:
            skips.skip(path, e)
            continue
        if count < n + 1:
            skips.skip(path, KerasMotionError(f"{count} frame(s), fewer than the {n + 1} a pair needs"))
            continue
        chosen = frame_indices(count, per_video, n, rng)
        frames[index] = VideoFrames(path, size=size, max_frames=settings["max_frames"], square=square)
        flows[index] = CachedFlows(flow_cache, path, square=square)
        owners.extend([index] * len(chosen))
        times.extend(chosen)
    if not owners:
        raise KerasMotionError(f"no Im2Flow pair could be made from {len(paths)} video(s); {skips.summary()}")
    return (
        FrameRows(frames, owners, times),
        FrameRows(flows, owners, times, span=n),
        np.asarray(owners, np.int64),
        np.asarray(times, np.int64),
    )


def pairs_from_exact_flow(frames, flows, per_video=4, n=5, seed=0):
    """Im2Flow pairs from videos with exact per-frame flow (e.g. `synthetic_actions`): frames (V, T, H, W, 3),
    flows (V, T, H, W, 2) with flows[:, t] = flow t→t+1. Same outputs as `pairs_from_videos`."""
    rng = np.random.default_rng(seed)
    images, targets, owners, times = [], [], [], []
    for v in range(len(frames)):
        for t in frame_indices(frames.shape[1] + 1, per_video, n, rng):  # flow t..t+n-1 exists when t+n-1 < T
            images.append(frames[v, t])
            targets.append(flows[v, t : t + n].mean(axis=0))
            owners.append(v)
            times.append(t)
    return np.stack(images), np.stack(targets).astype(np.float32), np.asarray(owners, np.int64), np.asarray(times)


class Im2FlowPairs(EpochSeeded, keras.utils.PyDataset):
    """Batches `(uint8 image, Im2Flow-encoded target)` for `model.fit`, on every backend (no TensorFlow needed): the
    images stay uint8 (0–255), scaled inside the model (`Im2FlowUNet`).

    Training batches take a random `crop_size` window and, with probability 0.5, mirror image and flow together —
    the flow's u is negated (`hflip_flow`), which the public Im2Flow code forgets. Evaluation batches
    (`training=False`) take the central window, unflipped.

    Args:
        images: uint8 frames (N, H, W, 3); flows: their (N, H, W, 2) average future flows.
        batch_size: pairs per batch (an integer ≥ 1).
        crop_size: side of the crops, 1..the images' short side (default the short side).
        training: random crops and flips, reshuffled every epoch; False: central crops, in order.
        flip: mirror image and flow together with probability 0.5 (training only).
        max_magnitude: the flow magnitude (px, > 0) the Im2Flow encoding saturates at (`encode_im2flow`).
        seed: the seed of the order, crops and flips.
        drop_remainder: drop the last, partial batch (`len` is ⌊N / batch_size⌋ and every batch holds exactly
            `batch_size` pairs), so that batches divide evenly across devices (`keras.distribution.DataParallel`)
            and every batch has one shape. An evaluation then covers the first ⌊N / batch_size⌋ · batch_size pairs
            only.

    >>> images = np.zeros((8, 72, 72, 3), np.uint8); flows = np.zeros((8, 72, 72, 2), np.float32)
    >>> x, y = Im2FlowPairs(images, flows, batch_size=4, crop_size=64)[0]
    >>> x.shape, y.shape
    ((4, 64, 64, 3), (4, 64, 64, 3))
    """

    def __init__(
        self,
        images,
        flows,
        batch_size=32,
        crop_size=None,
        training=True,
        flip=True,
        max_magnitude=30.0,
        seed=0,
        drop_remainder=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        images = check_images(images, "images (Im2FlowPairs)")  # float or grayscale batches would train silently
        flows = check_flow(flows, "flows (Im2FlowPairs)")  # so would NaN / inf targets
        if len(images) != len(flows) or images.shape[1:3] != flows.shape[1:3]:
            raise ValueError(
                f"Im2FlowPairs: images {images.shape} and flows {flows.shape} do not pair up (one "
                "(H, W, 2) flow per image, of the image's size)"
            )
        self.images, self.flows = images, flows
        batch_size = check_int(batch_size, "Im2FlowPairs batch_size", low=1)
        self.batch_size, self.training, self.flip = batch_size, training, flip
        self.crop_size = (
            min(images.shape[1:3])
            if crop_size is None
            else check_int(crop_size, "Im2FlowPairs crop_size", 1, min(images.shape[1:3]))
        )
        # 0 divides by zero and a negative bound turns every magnitude into -1: refused before any batch
        self.max_magnitude = check_number(max_magnitude, "Im2FlowPairs max_magnitude", low=0, low_open=True)
        self.seed = seed
        self.drop_remainder = bool(drop_remainder)
        if self.drop_remainder and len(images) < batch_size:
            raise ValueError(
                f"Im2FlowPairs: {len(images)} pair(s) do not fill one batch of batch_size={batch_size}, "
                f"and drop_remainder=True drops partial batches; use batch_size ≤ {len(images)} or "
                "drop_remainder=False"
            )
        self.epoch = 0
        self.order = np.arange(len(images))
        self.on_epoch_end()

    def __len__(self):
        if self.drop_remainder:
            return len(self.images) // self.batch_size
        return int(np.ceil(len(self.images) / self.batch_size))

    def on_epoch_end(self):
        if self.training:
            self.order = np.random.default_rng((self.seed, self.epoch)).permutation(len(self.images))
        self.epoch += 1

    def __getitem__(self, index):
        batch = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        images, flows = self.images[batch], self.flows[batch]
        if self.training:
            rng = np.random.default_rng((self.seed, self.epoch, index))
            h, w = images.shape[1:3]
            c = self.crop_size
            tops = rng.integers(0, h - c + 1, len(batch))
            lefts = rng.integers(0, w - c + 1, len(batch))
            images = np.stack([im[t : t + c, l : l + c] for im, t, l in zip(images, tops, lefts)])
            flows = np.stack([f[t : t + c, l : l + c] for f, t, l in zip(flows, tops, lefts)])
            if self.flip:
                mirror = rng.random(len(batch)) < 0.5
                images = np.where(mirror[:, None, None, None], images[:, :, ::-1], images)
                flows = np.where(mirror[:, None, None, None], hflip_flow(flows), flows)
        else:
            images, flows = center_crop(images, self.crop_size), center_crop(flows, self.crop_size)
        return images, encode_im2flow(flows, self.max_magnitude)
