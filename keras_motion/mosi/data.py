"""MoSI training data: source images for pseudo-motion pretraining (NumPy / PyDataset, or tf.data), and the recipe's
default data (photo crops, pretext sources with held-out ones, synthetic splits).

Pretext, on device (no TensorFlow needed): `SourceImages` yields batches of L_s × L_s source squares and their
same-batch labels, and the model starts with the `PseudoMotion` layer (`keras_motion.models.pseudo_motion_classifier`).
Pretext with tf.data (any backend): `mosi_dataset(squares, generator, batch_images)` maps the layer over batches.
"""

import collections
import os

import keras
import numpy as np

from keras_motion.datasets.folders import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, files_under
from keras_motion.datasets.synthetic import default_backgrounds, synthetic_actions
from keras_motion.errors import ImageInputError, KerasMotionError
from keras_motion.transforms import to_uint8
from keras_motion.utils.resume import EpochSeeded
from keras_motion.utils.skips import SkipLog
from keras_motion.video.decode import read_image, resize_frame
from keras_motion.video.lazy import LazyArray, VideoFrames


def source_square(image, size, rng=None):
    """Short side → `size`, then a `size` × `size` square: random with a NumPy `rng`, central without one.
    Grayscale (H, W) or (H, W, 1) becomes RGB."""
    image = np.asarray(image)
    if image.ndim == 2 or (image.ndim == 3 and image.shape[-1] == 1):
        image = np.repeat(image.reshape(image.shape[:2] + (1,)), 3, axis=-1)
    if image.ndim != 3 or image.shape[-1] != 3 or min(image.shape[:2]) == 0:
        raise ValueError(f"expected an RGB (H, W, 3) or grayscale (H, W) image, got shape {image.shape}")
    image = resize_frame(image, int(size))
    h, w = image.shape[:2]
    top = (h - size) // 2 if rng is None else int(rng.integers(0, h - size + 1))
    left = (w - size) // 2 if rng is None else int(rng.integers(0, w - size + 1))
    return image[top : top + size, left : left + size]


def _is_path(item):
    return isinstance(item, str) or hasattr(item, "__fspath__")


def _source_pixels(item, name):
    """A source given as pixels, checked once up front: uint8 (`to_uint8`'s contract) image or decoded video."""
    item = to_uint8(item, name=name)
    if not (item.ndim == 2 or (item.ndim in (3, 4) and item.shape[-1] in (1, 3))) or item.size == 0:
        raise ImageInputError(
            f"{name}: expected an image (H, W), (H, W, 1), (H, W, 3) or a decoded video "
            f"(T, H, W, 3), got shape {item.shape}"
        )
    return item


class SourceImages(EpochSeeded, keras.utils.PyDataset):
    """Batches `(squares uint8 (B, L_s, L_s, 3), labels int32 (B·C_T,))` of MoSI source images, for a model that
    starts with the `PseudoMotion` layer `generator` (pseudo motion made on device, no TensorFlow needed).

    `sources` items may be images (H, W, 3) / (H, W) of any size or their file paths, decoded videos
    (T, H, W, 3) — one random frame per video per epoch (the middle frame when `training=False`) — or video file
    paths: read as `VideoFrames` at short side `source_size`, only the frame drawn is decoded (a frame-exact seek),
    the same frame and pixels as from the decoded video. An unreadable video file is warned about, skipped and
    counted in `self.skips` (every failed read), and the batch keeps its size: the next readable sources of the
    epoch's order (after the batch's own, wrapping around) take its place, each drawn with a seed of its own, so a
    batch stays a pure function of (seed, epoch, index). Pixels are uint8, checked up front
    (`keras_motion.transforms.to_uint8`: integer arrays in 0..255 are cast; float ones are refused until converted
    with their declared range). Training batches take a random square of each image and shuffle every epoch;
    evaluation batches take the central square, in order.

    Args:
        sources: the source images, decoded videos (arrays or lazy `VideoFrames`) or their file paths.
        generator: the `PseudoMotion` layer that the model starts with (its `source_size` and `labels_for`).
        batch_images: source images per batch.
        training: random frames and squares, reshuffled every epoch; False: middle frames, central squares, in
            order.
        seed: the seed of the order, frames and squares.
        drop_remainder: drop the last, partial batch (`len` is ⌊N / batch_images⌋ and every batch holds exactly
            `batch_images` squares), so that batches divide evenly across devices
            (`keras.distribution.DataParallel`) and every batch has one shape. An evaluation then covers the first
            ⌊N / batch_images⌋ · batch_images sources only.
        kwargs: `keras.utils.PyDataset`'s (`workers`, `use_multiprocessing`, `max_queue_size`).

    >>> gen = PseudoMotion(num_frames=4, crop_size=16, source_size=32)  # doctest: +SKIP
    >>> x, y = SourceImages([np.zeros((40, 60, 3), "uint8")] * 4, gen, batch_images=2)[0]  # doctest: +SKIP
    >>> x.shape, y.shape  # doctest: +SKIP
    ((2, 32, 32, 3), (18,))
    """

    def __init__(self, sources, generator, batch_images=5, training=True, seed=0, drop_remainder=False, **kwargs):
        super().__init__(**kwargs)
        if len(sources) == 0:
            raise ValueError("SourceImages got no source images")
        self.drop_remainder = bool(drop_remainder)
        if self.drop_remainder and len(sources) < int(batch_images):
            raise ValueError(
                f"SourceImages: {len(sources)} source(s) do not fill one batch of batch_images="
                f"{int(batch_images)}, and drop_remainder=True drops partial batches; use batch_images ≤ "
                f"{len(sources)} or drop_remainder=False"
            )
        self.generator = generator
        self.batch_images, self.training, self.seed = int(batch_images), bool(training), int(seed)
        self.size = generator.source_size
        self.sources = [self._source(item, f"sources[{i}]") for i, item in enumerate(sources)]
        self.skips = SkipLog("MoSI source videos")
        self.epoch = 0
        self.order = np.arange(len(self.sources))
        self.on_epoch_end()

    def __len__(self):
        if self.drop_remainder:
            return len(self.sources) // self.batch_images
        return int(np.ceil(len(self.sources) / self.batch_images))

    def on_epoch_end(self):
        if self.training:
            self.order = np.random.default_rng((self.seed, self.epoch)).permutation(len(self.sources))
        self.epoch += 1

    def _source(self, item, name):
        """An image path as is, a video path as a lazy video at `source_size` (nothing read now), pixels checked."""
        if _is_path(item):
            if os.path.splitext(os.fspath(item))[1].lower() in IMAGE_EXTENSIONS:
                return item
            return VideoFrames(item, size=self.size)
        if isinstance(item, LazyArray):  # uint8 by construction (`to_uint8`'s contract), read per access
            if item.ndim != 4 or item.shape[-1] != 3:
                raise ImageInputError(f"{name}: expected a video (T, H, W, 3), got {item!r} of shape {item.shape}")
            return item
        return _source_pixels(item, name)

    def _image(self, item, rng):
        if _is_path(item):
            return read_image(item, size=self.size)
        if item.ndim == 4:  # a video, decoded or lazy: one frame (only it decoded from a file)
            return item[int(rng.integers(0, len(item)))] if rng is not None else item[len(item) // 2]
        return item

    def _square(self, i, rng):
        """The square of source `i`, or None (warned about, skipped and counted) when it cannot be read."""
        item = self.sources[i]
        try:
            return source_square(self._image(item, rng), self.size, rng)
        except KerasMotionError as e:
            self.skips.skip(getattr(item, "path", None) or str(item), e)  # a lazy video: its file
            return None

    def squares(self, index):
        """The uint8 source squares of batch `index`: as many as the batch has sources, unreadable ones replaced by
        the next readable sources of the epoch's order."""
        start = index * self.batch_images
        batch = self.order[start : start + self.batch_images]
        rng = np.random.default_rng((self.seed, self.epoch, index)) if self.training else None
        out = [self._square(i, rng) for i in batch]
        missing = [k for k, square in enumerate(out) if square is None]
        n, position, misses = len(self.order), start + len(batch), 0
        for k in missing:  # the next sources of this epoch's order, wrapping around; a seed of their own each
            while out[k] is None:
                if misses == n:  # a whole round of the order without one readable source
                    raise KerasMotionError(f"none of the {n} MoSI sources can be read; {self.skips.summary()}")
                own = np.random.default_rng((self.seed, self.epoch, index, position)) if self.training else None
                out[k] = self._square(self.order[position % n], own)
                misses = 0 if out[k] is not None else misses + 1
                position += 1
        return np.stack(out)

    def __getitem__(self, index):
        squares = self.squares(index)
        return squares, self.generator.labels_for(len(squares))


def mosi_dataset(images, generator, batch_images=5, shuffle=True, seed=None, repeat=False, drop_remainder=False):
    """A `tf.data.Dataset` of `(clips, labels)`: batches of `batch_images` source images of one size (e.g. from
    `source_square`) mapped through the `PseudoMotion` layer `generator` (TensorFlow ops inside tf.data, whatever the
    Keras backend; every batch holds all C_T clips of each of its images). Needs TensorFlow. `drop_remainder` drops
    a last, partial batch, so that batches divide evenly across devices (`keras.distribution.DataParallel`) and
    every batch has one shape.

    >>> ds = mosi_dataset(squares, PseudoMotion(seed=0), batch_images=5)  # doctest: +SKIP
    >>> model.fit(ds, epochs=100)  # doctest: +SKIP
    """
    import tensorflow as tf

    images = np.asarray(images)
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(
            f"mosi_dataset expects source images (N, H, W, C) of one size, got shape {images.shape}; "
            "make them with keras_motion.mosi.source_square"
        )
    ds = tf.data.Dataset.from_tensor_slices(images)
    if shuffle:
        ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    ds = ds.batch(int(batch_images), drop_remainder=bool(drop_remainder))
    ds = ds.map(lambda x: generator(x, training=True), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


# ---------------------------------------------------------------------------------- the recipe's default data
def photo_crops(photos, count, seed=0):
    """`count` random square crops of each photo, of side 40–100 % of its short side: more, varied source images
    from a few photos.

    Args:
        photos: RGB images (H, W, 3).
        count: crops per photo.
        seed: seed of the sides and positions.

    Example:

    >>> crops = photo_crops([np.zeros((60, 80, 3), "uint8")], 3, seed=0)
    >>> len(crops), all(c.shape[0] == c.shape[1] >= 24 for c in crops)
    (3, True)

    Reference: MoSI (Huang et al., CVPR 2021), §3.1 (source images are squares cut from static images).
    """
    rng = np.random.default_rng(seed)
    crops = []
    for photo in photos:
        short = min(photo.shape[:2])
        for _ in range(count):
            side = int(short * rng.uniform(0.4, 1.0))
            top = int(rng.integers(0, photo.shape[0] - side + 1))
            left = int(rng.integers(0, photo.shape[1] - side + 1))
            crops.append(photo[top : top + side, left : left + side])
    return crops


def _files(root, extensions):
    paths = files_under(root, extensions)
    if not paths:
        raise KerasMotionError(f"no {'/'.join(extensions)} files under {root}; point the folder at your data")
    return paths


def pretext_sources(
    images=None,
    videos=None,
    unlabeled_videos=None,
    heldout_videos=None,
    photos=None,
    heldout_photos=2,
    crops_per_photo=16,
    seed=0,
    skips=None,
):
    """`(train, heldout)` MoSI source lists for `SourceImages`: the held-out sources are never trained on, and
    measure the pretext accuracy on images the network has not seen.

    Without `images`, the photos (default: scikit-image's bundled ones) are split into `heldout_photos` held out and
    the rest, and each becomes `crops_per_photo` random crops (`photo_crops`). With `images` (a folder of any
    layout), a seeded 10 % of its files is held out. `videos` (a folder) adds video files (one random frame per
    epoch, decoded alone by `SourceImages`), the first 10 % held out; each file is opened once here to count its
    frames, and unreadable ones are warned about, skipped and counted in `skips`; `unlabeled_videos` (decoded or
    paths) are added to training and `heldout_videos` (e.g. the test videos' frames) to the held-out set.

    Args:
        images: folder of unlabeled images, or `None`.
        videos: folder of unlabeled videos, or `None`.
        unlabeled_videos: more training sources (decoded videos (T, H, W, 3) or paths).
        heldout_videos: more held-out sources.
        photos: RGB photos to crop when `images` is `None` (default: `default_backgrounds()`).
        heldout_photos: photos held out; crops_per_photo: random crops of each photo.
        seed: seed of the held-out choice and the crops.
        skips: a `SkipLog` counting the unreadable files of `videos` (default: one of its own).

    Example:

    >>> photos = [np.full((50, 60, 3), i, "uint8") for i in range(4)]
    >>> train, heldout = pretext_sources(photos=photos, heldout_photos=1, crops_per_photo=2)
    >>> len(train), len(heldout)
    (6, 2)

    Reference: MoSI (Huang et al., CVPR 2021), §3.1 and §4.1.
    """
    rng = np.random.default_rng(seed)
    if images:
        paths = _files(images, IMAGE_EXTENSIONS)
        held = set(rng.choice(len(paths), max(1, len(paths) // 10), replace=False).tolist())
        train = [p for i, p in enumerate(paths) if i not in held]
        heldout = [p for i, p in enumerate(paths) if i in held]
    else:
        photos = list(default_backgrounds() if photos is None else photos)
        held = set(rng.choice(len(photos), heldout_photos, replace=False).tolist())
        train = photo_crops([p for i, p in enumerate(photos) if i not in held], crops_per_photo, seed)
        heldout = photo_crops([p for i, p in enumerate(photos) if i in held], crops_per_photo, seed + 1)
    if videos:
        from keras_motion.evaluation.clips import open_videos

        paths = _files(videos, VIDEO_EXTENSIONS)
        skips = SkipLog(f"videos under {videos}") if skips is None else skips
        paths = [paths[i] for i in open_videos(paths, skips=skips)[1]]
        if not paths:
            raise KerasMotionError(f"none of the video files under {videos} can be read; {skips.summary()}")
        cut = max(1, len(paths) // 10)
        train, heldout = train + paths[cut:], heldout + paths[:cut]
    if unlabeled_videos is not None:
        train = train + list(unlabeled_videos)
    if heldout_videos is not None:
        heldout = heldout + list(heldout_videos)
    return train, heldout


SyntheticSplits = collections.namedtuple("SyntheticSplits", "unlabeled labeled test grad_cam")


def synthetic_splits(
    unlabeled=120, labeled=60, test=90, num_frames=16, size=40, grad_cam_size=None, grad_cam_videos=24, seed=0
):
    """Disjoint renders of the synthetic action benchmark for MoSI: unlabeled videos (pretext sources), a labeled
    pool (few-shot draws) and test videos, plus the first `grad_cam_videos` test videos rendered again at
    `grad_cam_size` (the network is fully convolutional; larger clips give larger conv5 maps for Grad-CAM).

    Args:
        unlabeled, labeled, test: numbers of videos (classes balanced).
        num_frames, size: frames per video and their side.
        grad_cam_size: side of the Grad-CAM re-render, or `None` (none).
        grad_cam_videos: how many test videos are re-rendered.
        seed: the benchmark's seed (video i depends only on (seed, its global index)).

    Returns:
        `SyntheticSplits(unlabeled, labeled, test, grad_cam)` of `km.datasets.synthetic_actions` sets (`.frames`,
        `.labels`, `.flows`, `.class_names`); `grad_cam` is `None` without `grad_cam_size`.

    Example:

    >>> data = synthetic_splits(6, 6, 6, num_frames=4, size=16, grad_cam_size=24, grad_cam_videos=2)
    >>> len(data.unlabeled.frames), data.test.frames[0].shape, data.grad_cam.frames[0].shape
    (6, (4, 16, 16, 3), (4, 24, 24, 3))

    Reference: MoSI (Huang et al., CVPR 2021), §4 (pretext on unlabeled data, finetuning on few labels).
    """
    sizes = dict(num_frames=num_frames, seed=seed)
    unlabeled_set = synthetic_actions(unlabeled, start=0, size=size, **sizes)
    labeled_set = synthetic_actions(labeled, start=unlabeled, size=size, **sizes)
    test_set = synthetic_actions(test, start=unlabeled + labeled, size=size, **sizes)
    fine = None
    if grad_cam_size:  # the same test videos (same global indices), rendered larger
        fine = synthetic_actions(grad_cam_videos, start=unlabeled + labeled, size=grad_cam_size, **sizes)
    return SyntheticSplits(unlabeled_set, labeled_set, test_set, fine)
