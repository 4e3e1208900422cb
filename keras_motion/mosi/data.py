"""MoSI training data: source images for pseudo-motion pretraining (NumPy / PyDataset, or tf.data), and labeled video
clips for finetuning with multi-clip evaluation.

Pretext, on device (no TensorFlow needed): `SourceImages` yields batches of L_s × L_s source squares and their
same-batch labels, and the model starts with the `PseudoMotion` layer (`keras_motion.models.pseudo_motion_classifier`).
Pretext with tf.data (any backend): `mosi_dataset(squares, generator, batch_images)` maps the layer over batches.
"""

import os

import keras
import numpy as np

from keras_motion.errors import KerasMotionError
from keras_motion.utils.skips import SkipLog
from keras_motion.datasets.folders import IMAGE_EXTENSIONS
from keras_motion.video.decode import read_image, read_video, resize_frame, video_info


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
    return image[top:top + size, left:left + size]


class SourceImages(keras.utils.PyDataset):
    """Batches `(squares uint8 (B, L_s, L_s, 3), labels int32 (B·C_T,))` of MoSI source images, for a model that
    starts with the `PseudoMotion` layer `generator` (pseudo motion made on device, no TensorFlow needed).

    `sources` items may be images (H, W, 3) / (H, W) of any size or their file paths, decoded videos
    (T, H, W, 3) — one random frame per video per epoch (the middle frame when `training=False`) — or video file
    paths (one random frame decoded per epoch; unreadable files are warned about, skipped and counted in
    `self.skips`). Training batches take a random
    square of each image and shuffle every epoch; evaluation batches take the central square, in order.

    >>> gen = PseudoMotion(num_frames=4, crop_size=16, source_size=32)  # doctest: +SKIP
    >>> x, y = SourceImages([np.zeros((40, 60, 3), "uint8")] * 4, gen, batch_images=2)[0]  # doctest: +SKIP
    >>> x.shape, y.shape  # doctest: +SKIP
    ((2, 32, 32, 3), (18,))
    """

    def __init__(self, sources, generator, batch_images=5, training=True, seed=0, **kwargs):
        super().__init__(**kwargs)
        if len(sources) == 0:
            raise ValueError("SourceImages got no source images")
        self.sources, self.generator = list(sources), generator
        self.batch_images, self.training, self.seed = int(batch_images), bool(training), int(seed)
        self.size = generator.source_size
        self.skips = SkipLog("MoSI source videos")
        self.epoch = 0
        self.order = np.arange(len(self.sources))
        self.on_epoch_end()

    def __len__(self):
        return int(np.ceil(len(self.sources) / self.batch_images))

    def on_epoch_end(self):
        if self.training:
            self.order = np.random.default_rng((self.seed, self.epoch)).permutation(len(self.sources))
        self.epoch += 1

    def _image(self, item, rng):
        if isinstance(item, str) or hasattr(item, "__fspath__"):
            if os.path.splitext(os.fspath(item))[1].lower() in IMAGE_EXTENSIONS:
                return read_image(item, size=self.size)
            num = max(video_info(item)["num_frames"], 1)
            index = int(rng.integers(0, num)) if rng is not None else num // 2
            frames = read_video(item, size=self.size, max_frames=index + 1)
            return frames[-1]
        item = np.asarray(item)
        if item.ndim == 4:  # decoded video: one frame
            return item[int(rng.integers(0, len(item)))] if rng is not None else item[len(item) // 2]
        return item

    def squares(self, index):
        """The uint8 source squares of batch `index`."""
        batch = self.order[index * self.batch_images:(index + 1) * self.batch_images]
        rng = np.random.default_rng((self.seed, self.epoch, index)) if self.training else None
        out = []
        for i in batch:
            try:
                out.append(source_square(self._image(self.sources[i], rng), self.size, rng))
            except KerasMotionError as e:
                self.skips.skip(str(self.sources[i]), e)
        if not out:  # every video of the batch was unreadable: reuse the first readable source
            out.append(source_square(self._image(self.sources[self.order[0]], None), self.size))
        return np.stack(out)

    def __getitem__(self, index):
        squares = self.squares(index)
        return squares, self.generator.labels_for(len(squares))


def mosi_dataset(images, generator, batch_images=5, shuffle=True, seed=None, repeat=False):
    """A `tf.data.Dataset` of `(clips, labels)`: batches of `batch_images` source images of one size (e.g. from
    `source_square`) mapped through the `PseudoMotion` layer `generator` (TensorFlow ops inside tf.data, whatever the
    Keras backend; every batch holds all C_T clips of each of its images). Needs TensorFlow.

    >>> ds = mosi_dataset(squares, PseudoMotion(seed=0), batch_images=5)  # doctest: +SKIP
    >>> model.fit(ds, epochs=100)  # doctest: +SKIP
    """
    import tensorflow as tf

    images = np.asarray(images)
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(f"mosi_dataset expects source images (N, H, W, C) of one size, got shape {images.shape}; "
                         "make them with keras_motion.mosi.source_square")
    ds = tf.data.Dataset.from_tensor_slices(images)
    if shuffle:
        ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    ds = ds.batch(int(batch_images)).map(lambda x: generator(x, training=True), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


# ----------------------------------------------------------------------------------------------- video clips
