"""Pose-from-Action triplets (Purushwalkam & Gupta 2016): (frame t, frame t+Δ, the Δ flows between them).

A positive is the true flow stack cropped at the same place as the two frames. Negatives are the stacks of *other
videos* in the same mini-batch (never the same video: repetitive actions would make a stack from another time of the
same video a false negative). Augmentation flips a whole triplet left-right (frames mirrored, flow mirrored with u
negated) and reverses it in time (frames swapped, stack reversed and negated), both physically consistent.
"""

import keras
import numpy as np

from keras_motion.errors import KerasMotionError
from keras_motion.flow import FlowEstimator, check_flow, hflip_flow, reverse_flow_stack, video_flow
from keras_motion.transforms import check_images
from keras_motion.utils import SkipLog, progress
from keras_motion.utils.resume import EpochSeeded

INPUT_NAMES = ("frame_a", "frame_b", "flow")


class TripletVideos:
    """Videos with the flows between their consecutive frames: the source that triplets are cropped from.

    Args:
        frames: a sequence of uint8 (T, H, W, 3) videos (or one (V, T, H, W, 3) array); sizes may differ.
        flows: matching float (≥ T − 1, H, W, 2) flows, flows[t] from frame t to t + 1 (e.g. the synthetic
            benchmark's exact flow); None computes them with OpenCV (`method`, DIS by default).
        delta: Δ, the frame gap; videos shorter than Δ + 1 frames are warned about, skipped and counted in `skips`.
        method: the OpenCV flow method when `flows` is None ("dis", "farneback", "tvl1").
        names: a name per video for the skip log (default its index).
        skips: a `SkipLog` to count skipped videos in (default a new one).
        show_progress: a progress bar over the flow computation.

    Flows are held as float16 (half the memory; 1/1000 px resolution at the magnitudes of a few px).

    Example:

    >>> videos = TripletVideos(np.zeros((3, 5, 32, 32, 3), np.uint8), delta=3)
    >>> len(videos), videos.flows[0].shape
    (3, (4, 32, 32, 2))

    Reference:
        Purushwalkam & Gupta 2016, §3 ("Patch and Optical Flow Mining": flow of every pair of consecutive frames).
    """

    def __init__(self, frames, flows=None, delta=12, method="dis", names=None, skips=None, show_progress=False):
        self.delta = int(delta)
        if self.delta < 1:
            raise ValueError(f"delta must be ≥ 1 frame, got {delta}")
        self.skips = skips if skips is not None else SkipLog("triplet videos")
        names = [str(i) for i in range(len(frames))] if names is None else [str(n) for n in names]
        if flows is not None and len(flows) != len(frames):
            raise ValueError(f"{len(frames)} videos but {len(flows)} flow arrays")
        estimator = FlowEstimator(method) if flows is None else None
        self.frames, self.flows, self.names = [], [], []
        items = range(len(frames))
        for i in progress(items, total=len(frames), desc="flow stacks") if show_progress else items:
            video = check_images(frames[i], f"video {names[i]} (frames (T, H, W, 3))")
            if len(video) < self.delta + 1:
                self.skips.skip(names[i], f"{len(video)} frames, fewer than Δ + 1 = {self.delta + 1}")
                continue
            if flows is None:
                flow = video_flow(video, estimator=estimator)
            else:
                flow = check_flow(flows[i], f"flow of video {names[i]}")[: len(video) - 1]
                if flow.shape != (len(video) - 1,) + video.shape[1:3] + (2,):
                    raise ValueError(
                        f"video {names[i]}: frames {video.shape} need flows of shape "
                        f"({len(video) - 1}, {video.shape[1]}, {video.shape[2]}, 2), got {flow.shape}"
                    )
            self.frames.append(video)
            self.flows.append(flow.astype(np.float16))
            self.names.append(names[i])
        if not self.frames:
            raise KerasMotionError(
                f"no video has the Δ + 1 = {self.delta + 1} frames a triplet needs; {self.skips.summary()}"
            )

    @classmethod
    def from_files(cls, videos, delta=12, size=None, max_frames=None, method="dis", skips=None, show_progress=True):
        """Decodes `videos` (a `VideoDataset` or paths; short side resized to `size`) and computes their flows.

        Undecodable videos and videos shorter than Δ + 1 frames are warned about, skipped and counted in `skips`
        (default: the data set's own `skips`).
        """
        from keras_motion.video import read_video

        paths = videos.paths if hasattr(videos, "paths") else [str(v) for v in videos]
        if skips is None:
            skips = getattr(videos, "skips", None)
        skips = skips if skips is not None else SkipLog("triplet videos")
        frames, names = [], []
        for path in progress(paths, total=len(paths), desc="decoding") if show_progress else paths:
            try:
                frames.append(read_video(path, size=size, max_frames=max_frames))
                names.append(path)
            except KerasMotionError as e:
                skips.skip(path, e)
        return cls(frames, None, delta, method, names, skips, show_progress)

    def __len__(self):
        return len(self.frames)

    def subset(self, indices):
        """The videos at `indices` (no copy, no flow recomputation)."""
        out = object.__new__(TripletVideos)
        out.delta, out.skips = self.delta, self.skips
        out.frames = [self.frames[i] for i in indices]
        out.flows = [self.flows[i] for i in indices]
        out.names = [self.names[i] for i in indices]
        return out

    def min_size(self):
        return min(min(f.shape[1:3]) for f in self.frames)

    def triplet(self, video, t, top, left, crop_size):
        """Frame t, frame t + Δ and the stack (crop, crop, 2Δ) of flows t … t+Δ−1, all cropped at (top, left)."""
        window = np.s_[top : top + crop_size, left : left + crop_size]
        frames, flows = self.frames[video], self.flows[video]
        stack = flows[t : t + self.delta][(slice(None),) + window]  # (Δ, h, w, 2)
        stack = np.moveaxis(stack, 0, -2).reshape(crop_size, crop_size, 2 * self.delta)  # u0, v0, u1, v1, …
        return frames[t][window], frames[t + self.delta][window], stack.astype(np.float32)


def augment_triplet(frame_a, frame_b, stack, flip, reverse):
    """The physically consistent augmentations of a triplet (single or batched).

    Args:
        frame_a, frame_b: (..., H, W, 3) frames t and t + Δ.
        stack: (..., H, W, 2Δ) their flow stack (u0, v0, u1, v1, …).
        flip: mirror both frames and the stack left-right, negating u (`hflip_flow`).
        reverse: play the clip backwards: the frames swap and the stack is reversed in time and negated
            (`reverse_flow_stack`).

    Example:

    >>> a, b = np.zeros((4, 4, 3)), np.ones((4, 4, 3))
    >>> stack = np.tile(np.array([1.0, 0.0, 2.0, 0.0]), (4, 4, 1))  # Δ = 2: u = 1 then u = 2
    >>> a2, b2, s2 = augment_triplet(a, b, stack, flip=False, reverse=True)
    >>> float(b2.max()), s2[0, 0].tolist()  # frame b is now frame t; the stack runs backwards, negated
    (0.0, [-2.0, -0.0, -1.0, -0.0])

    Reference:
        Purushwalkam & Gupta 2016, §3: random horizontal flips and temporal reversals of triplets.
    """
    if flip:
        frame_a, frame_b, stack = frame_a[..., :, ::-1, :], frame_b[..., :, ::-1, :], hflip_flow(stack)
    if reverse:
        frame_a, frame_b, stack = frame_b, frame_a, reverse_flow_stack(stack)
    return frame_a, frame_b, stack


def in_batch_negatives(video_ids, negatives, rng):
    """For each item i, `negatives` indices j of the batch with video_ids[j] ≠ video_ids[i] (distinct where enough
    exist, else drawn with replacement). Raises if an item has no other-video partner.

    Args:
        video_ids: the video of each item of the batch.
        negatives: K, negatives per item.
        rng: a NumPy `Generator`.

    Example:

    >>> in_batch_negatives([0, 0, 1], 1, np.random.default_rng(0)).ravel().tolist()
    [2, 2, 1]

    Reference:
        Purushwalkam & Gupta 2016, §3: negatives from the same mini-batch, never from the same video.
    """
    video_ids = np.asarray(video_ids)
    out = np.empty((len(video_ids), negatives), np.int64)
    for i, v in enumerate(video_ids):
        others = np.flatnonzero(video_ids != v)
        if len(others) == 0:
            raise KerasMotionError(
                "a triplet batch needs items from at least two videos to draw negatives from "
                "other videos; use more videos or a larger batch"
            )
        out[i] = rng.choice(others, negatives, replace=len(others) < negatives)
    return out


class TripletBatches(EpochSeeded, keras.utils.PyDataset):
    """Batches of Pose-from-Action triplets for `model.fit` on every backend (NumPy only: no TensorFlow needed).

    Each batch draws `batch_positives` (video, t) items — every video appears `per_video` times an epoch, at a fresh
    random t each time — crops each at a random `crop_size` window (the same window for the two frames and the
    stack), optionally flips and/or reverses each positive triplet (probability 0.5 each, training only), then pairs
    each positive's frames with the stacks of `negatives` other items of the batch from other videos. The batch holds
    `batch_positives · (1 + negatives)` triplets: `({"frame_a", "frame_b"}: uint8 (0–255), "flow": float32 px
    (crop, crop, 2Δ)}, label)`, label 1 for a true stack and 0 for a negative; chance = negatives / (1 + negatives).

    Args:
        videos: a `TripletVideos` (uint8 frames in; the batches keep them uint8: the model scales them inside).
        batch_positives: P, positives a batch.
        negatives: K, in-batch negatives per positive.
        crop_size: side of the crops (default the smallest video side).
        per_video: triplets drawn from each video an epoch.
        flip, reverse: the augmentations (training only).
        training: False gives evaluation batches, the same every epoch (seeded by `seed` and the batch index),
            without augmentation.
        balance: sample weights so that positives and negatives weigh equally (it keeps training away from the
            all-negative answer, which already scores the chance level).
        in_batch: yield the P positives only, with `"partners"` (P, K) int32: the batch indices of each one's
            negative stacks, for `TripletVerifier` to pair up after running its ConvNets once per input (the labels
            are unchanged).
        seed: the seed of every draw.
        drop_remainder: drop the last, partial batch (`len` is ⌊per_video · V / P⌋ and every batch holds exactly P
            positives), so that batches divide evenly across devices (`keras.distribution.DataParallel`) and every
            batch has one shape. In training the dropped items change with every epoch's order; an evaluation then
            covers the first ⌊per_video · V / P⌋ · P items only.

    Example:

    >>> videos = TripletVideos(np.random.default_rng(0).integers(0, 255, (4, 5, 32, 32, 3), np.uint8), delta=3)
    >>> x, y = TripletBatches(videos, batch_positives=4, crop_size=24)[0]
    >>> x["frame_a"].shape, x["flow"].shape, y.tolist()
    ((12, 24, 24, 3), (12, 24, 24, 6), [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0])

    Reference:
        Purushwalkam & Gupta 2016, §3: two negatives per positive, from the same mini-batch and other videos.
    """

    epoch_offset = 0  # the constructor does not call on_epoch_end

    def __init__(
        self,
        videos,
        batch_positives=32,
        negatives=2,
        crop_size=None,
        per_video=1,
        flip=True,
        reverse=True,
        training=True,
        balance=False,
        in_batch=False,
        seed=0,
        drop_remainder=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if len(videos) < 2:
            raise KerasMotionError(f"negatives come from other videos: need at least 2 videos, got {len(videos)}")
        self.videos = videos
        self.batch_positives, self.negatives = int(batch_positives), int(negatives)
        if self.batch_positives < 2 or self.negatives < 1:
            raise ValueError(f"need batch_positives ≥ 2 and negatives ≥ 1, got {batch_positives}, {negatives}")
        self.crop_size = int(crop_size or videos.min_size())
        if self.crop_size > videos.min_size():
            raise ValueError(f"crop_size {self.crop_size} exceeds the smallest video side {videos.min_size()}")
        self.per_video, self.flip, self.reverse, self.training = int(per_video), flip, reverse, training
        self.balance, self.in_batch = balance, in_batch
        self.seed, self.epoch = seed, 0
        # `per_video` rounds over all videos: a batch of at most len(videos) items then never repeats a video
        # more than twice, so that every positive has other videos in its batch to take negatives from.
        self.items = np.tile(np.arange(len(videos)), self.per_video)
        self.drop_remainder = bool(drop_remainder)
        if self.drop_remainder and len(self.items) < self.batch_positives:
            raise ValueError(
                f"TripletBatches: {len(self.items)} item(s) an epoch (per_video · videos) do not fill one "
                f"batch of batch_positives={self.batch_positives}, and drop_remainder=True drops partial "
                f"batches; use batch_positives ≤ {len(self.items)} or drop_remainder=False"
            )

    @property
    def chance(self):
        return self.negatives / (1 + self.negatives)

    def __len__(self):
        if self.drop_remainder:
            return len(self.items) // self.batch_positives
        return int(np.ceil(len(self.items) / self.batch_positives))

    def on_epoch_end(self):
        self.epoch += 1

    def _rng(self, index, stream):
        return np.random.default_rng((self.seed, self.epoch if self.training else 0, index, stream))

    def _order(self):
        if not self.training:
            return self.items
        rng = np.random.default_rng((self.seed, self.epoch, 0x0DE5))
        rounds = [rng.permutation(len(self.videos)) for _ in range(self.per_video)]
        for previous, current in zip(rounds, rounds[1:]):
            if current[0] == previous[-1]:  # no video twice in a row across a round boundary
                current[[0, 1]] = current[[1, 0]]
        return np.concatenate(rounds)

    def positives(self, index):
        """The batch's positive triplets (uint8 frames, float32 stacks) and their video indices, augmented."""
        rng = self._rng(index, 0)
        chosen = self._order()[index * self.batch_positives : (index + 1) * self.batch_positives]
        if len(chosen) < 2:  # a last batch of one: top it up so that it has another video to take negatives from
            chosen = np.concatenate([chosen, rng.choice(np.setdiff1d(self.items, chosen), 1)])
        elif len(np.unique(chosen)) < 2:  # possible only when a batch spans more than a round (batch > videos)
            raise KerasMotionError(f"batch {index} holds a single video; use batch_positives ≤ {len(self.videos)}")
        c, d = self.crop_size, self.videos.delta
        a, b, s = [], [], []
        for v in chosen:
            h, w = self.videos.frames[v].shape[1:3]
            t = rng.integers(0, len(self.videos.frames[v]) - d)
            fa, fb, st = self.videos.triplet(v, t, rng.integers(0, h - c + 1), rng.integers(0, w - c + 1), c)
            if self.training:
                fa, fb, st = augment_triplet(
                    fa, fb, st, self.flip and rng.random() < 0.5, self.reverse and rng.random() < 0.5
                )
            a.append(fa), b.append(fb), s.append(st)
        return np.stack(a), np.stack(b), np.stack(s), chosen

    def __getitem__(self, index):
        frame_a, frame_b, stacks, owners = self.positives(index)
        rng = self._rng(index, 1)
        partners = in_batch_negatives(owners, self.negatives, rng)  # (P, K)
        anchor = np.concatenate([np.arange(len(owners)), np.repeat(np.arange(len(owners)), self.negatives)])
        stack_of = np.concatenate([np.arange(len(owners)), partners.reshape(-1)])
        labels = np.concatenate([np.ones(len(owners), np.int32), np.zeros(partners.size, np.int32)])
        if self.in_batch:  # the model pairs them up itself (TripletVerifier's "partners" input)
            x = {"frame_a": frame_a, "frame_b": frame_b, "flow": stacks, "partners": partners.astype(np.int32)}
        else:
            x = {"frame_a": frame_a[anchor], "frame_b": frame_b[anchor], "flow": stacks[stack_of]}
        if not self.balance:
            return x, labels
        k = self.negatives  # positives and negatives weigh equally in total; the mean weight stays 1
        return x, labels, np.where(labels == 1, (1 + k) / 2, (1 + k) / (2 * k)).astype(np.float32)


def triplet_dataset(batches, prefetch=True):
    """A `tf.data.Dataset` over the batches of a `TripletBatches` (one pass = one epoch; training batches are
    redrawn every pass). Needs TensorFlow; `TripletBatches` itself feeds `model.fit` on every backend without it.
    With `batches.drop_remainder` the batch dimension of the signature is fixed too.
    """
    import tensorflow as tf

    c, channels = batches.crop_size, 2 * batches.videos.delta
    fixed = batches.drop_remainder  # batch sizes: triplets (labels), and positives or triplets (inputs)
    triplets = batches.batch_positives * (1 + batches.negatives) if fixed else None
    n = (batches.batch_positives if batches.in_batch else triplets) if fixed else None

    def generate():
        for i in range(len(batches)):
            yield batches[i]
        batches.on_epoch_end()

    frame = tf.TensorSpec((n, c, c, 3), tf.uint8)
    x = {"frame_a": frame, "frame_b": frame, "flow": tf.TensorSpec((n, c, c, channels), tf.float32)}
    if batches.in_batch:
        x["partners"] = tf.TensorSpec((n, batches.negatives), tf.int32)
    signature = (x, tf.TensorSpec((triplets,), tf.int32))
    if batches.balance:
        signature += (tf.TensorSpec((triplets,), tf.float32),)
    ds = tf.data.Dataset.from_generator(generate, output_signature=signature)
    return ds.prefetch(tf.data.AUTOTUNE) if prefetch else ds
