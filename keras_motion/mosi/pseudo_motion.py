"""MoSI's pseudo-motion generator (Huang et al., CVPR 2021, §3): static source images → labeled clips of a crop window
sliding across the image, with a static mask that keeps the motion inside one square.

The whole generator is one integer index gather: every output pixel (clip, frame, row, column) reads one pixel of the
resized source. The crop positions (rounded to whole pixels), the source's random square crop, its horizontal flip and
the static mask are all folded into those indices, so a batch of images becomes B·C_T clips in a single `take`, on
TensorFlow inside `tf.data` or on device with `keras.ops` (JAX, PyTorch, TensorFlow). Colour jitter is then one
affine colour map per frame (brightness, contrast, saturation, hue and grayscale are all linear in RGB), applied as a
3×4 matrix to pixels that carry a constant 1, so the gather, the colour map and the clipping are one pass each.
"""

import math

import keras
import numpy as np
from keras import ops

from keras_motion.errors import ImageInputError
from keras_motion.models.base import ConfigFromArguments
from keras_motion.utils import fast_ops

# ITU-R BT.601 luma: the gray value of random grayscale, saturation and contrast (as torchvision uses).
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)
# RGB → YIQ; a hue shift is a rotation of the (I, Q) plane, which leaves the luma axis (gray) fixed.
_YIQ = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]], np.float32)


def _colour_bases():
    """G, I − G and the quarter-turn hue matrix P: any brightness·contrast·saturation·hue matrix is
    a·G + b·(I − G) + c·P (G = 1·lumaᵀ projects onto gray; see `PseudoMotion._jitter`)."""
    gray = np.outer(np.ones(3, np.float32), _LUMA)
    turn = np.zeros((3, 3), np.float32)
    turn[2, 1], turn[1, 2] = 1.0, -1.0
    quarter = np.linalg.inv(_YIQ) @ turn @ _YIQ
    return gray.astype(np.float32), (np.eye(3) - gray).astype(np.float32), quarter.astype(np.float32)


_GRAY, _CHROMA, _HUE = _colour_bases()


def label_pool(speeds=2, axes="xy"):
    """The (x, y) speed of each label: x speeds −K..K (y = 0), then y speeds −K..−1, 1..K (x = 0) for "xy".

    >>> label_pool(1, "xy")
    [(-1, 0), (0, 0), (1, 0), (0, -1), (0, 1)]
    """
    s = list(range(-int(speeds), int(speeds) + 1))
    if axes == "x":
        return [(v, 0) for v in s]
    if axes == "y":
        return [(0, v) for v in s]
    if axes == "xy":
        return [(v, 0) for v in s] + [(0, v) for v in s if v]
    raise ValueError(f"axes must be 'x', 'y' or 'xy', got {axes!r}")


# ---------------------------------------------------------------------------------------------- array namespaces
class _KerasOps:
    """`keras.ops` on device (any backend); shapes are static."""

    def __init__(self, seed_generator):
        self.seed_generator = seed_generator
        self.take = lambda x, indices, axis=0: fast_ops.take_rows(x, indices)  # every gather here is along axis 0
        self.clip = fast_ops.clip
        for name in (
            "cast",
            "reshape",
            "where",
            "arange",
            "floor",
            "round",
            "minimum",
            "maximum",
            "stack",
            "concatenate",
            "tile",
            "matmul",
            "einsum",
            "mean",
            "cos",
            "sin",
            "transpose",
            "pad",
        ):
            setattr(self, name, getattr(ops, name))
        self.convert = ops.convert_to_tensor

    @staticmethod
    def shape(x):
        return tuple(x.shape)

    def uniform(self, shape):
        return keras.random.uniform(shape, seed=self.seed_generator)

    @staticmethod
    def resize(images, height, width):
        return ops.image.resize(ops.cast(images, "float32"), (height, width), antialias=True)


class _TFOps:
    """TensorFlow ops, for `tf.data` pipelines on every Keras backend; shapes may be dynamic (tensors)."""

    def __init__(self, seed):
        import tensorflow as tf

        self.tf, self.seed = tf, seed
        self.convert = tf.convert_to_tensor
        self.cast, self.reshape, self.take, self.where = tf.cast, tf.reshape, self._take, tf.where
        self.floor, self.round, self.clip = tf.floor, tf.round, fast_ops.clip
        self.minimum, self.maximum, self.stack, self.tile = tf.minimum, tf.maximum, tf.stack, tf.tile
        self.concatenate = lambda xs, axis=0: tf.concat(xs, axis)
        self.pad = lambda x, pad_width, constant_values=0: tf.pad(x, pad_width, constant_values=constant_values)
        self.matmul, self.einsum, self.mean, self.cos, self.sin = tf.matmul, tf.einsum, self._mean, tf.cos, tf.sin
        self.transpose = lambda x, axes=None: tf.transpose(x, axes)

    def _take(self, x, indices, axis=None):
        return self.tf.gather(x, indices, axis=axis)

    def _mean(self, x, axis=None, keepdims=False):
        return self.tf.reduce_mean(x, axis=axis, keepdims=keepdims)

    def arange(self, n, dtype="int32"):
        return self.tf.range(n, dtype=dtype)

    def shape(self, x):
        static, dynamic = x.shape, self.tf.shape(x)
        return tuple(static[i] if static[i] is not None else dynamic[i] for i in range(len(static)))

    def uniform(self, shape):
        tf = self.tf
        # Under tf.distribute every replica runs this op with the same seed, so each would draw what the others
        # draw: each draws the whole global batch's numbers instead and keeps its own rows, which are the ones one
        # device would give them (replicas hold consecutive slices of the global batch).
        replica = tf.distribute.get_replica_context()
        count = 1 if replica is None else replica.num_replicas_in_sync
        dims = [tf.cast(s, "int32") for s in shape]
        if count == 1:
            return tf.random.uniform(tf.stack(dims), seed=self.seed)
        index = tf.get_static_value(replica.replica_id_in_sync_group)
        if index is None:
            raise ValueError(
                "PseudoMotion under tf.distribute needs a replica id known when tracing "
                "(tf.distribute.MirroredStrategy gives one)"
            )
        rows = dims[0]
        numbers = tf.random.uniform(tf.stack([rows * count] + dims[1:]), seed=self.seed)
        return numbers[rows * int(index) : rows * (int(index) + 1)]

    def resize(self, images, height, width):
        return self.tf.image.resize(self.tf.cast(images, "float32"), self.tf.stack([height, width]), antialias=True)

    def check_nonempty(self, images):
        tf = self.tf
        with tf.control_dependencies(
            [
                tf.debugging.assert_positive(
                    tf.shape(images)[0], message="PseudoMotion got an empty batch of images (0 images)"
                )
            ]
        ):
            return tf.identity(images)


def _is_tf_tensor(x):
    """A TensorFlow tensor (eager or inside a `tf.data` / `tf.function` graph), without importing TensorFlow."""
    return type(x).__module__.startswith("tensorflow")


def _in_tf_graph(x):
    """Whether `x` needs the TensorFlow path: a TensorFlow tensor under another backend (tf.data), or a graph tensor
    under TensorFlow (tf.data, a traced `fit`), where Keras' stateful random ops cannot run."""
    if not _is_tf_tensor(x):
        return False
    if keras.backend.backend() != "tensorflow":
        return True
    import tensorflow as tf

    return not tf.executing_eagerly()


# ------------------------------------------------------------------------------------------------------- the layer
@keras.saving.register_keras_serializable(package="keras_motion")
class PseudoMotion(ConfigFromArguments, keras.layers.Layer):
    """Turns a batch of static images into MoSI pseudo-motion clips and their labels.

    `clips, labels = layer(images)`: images (B, H, W, 3), (B, H, W, 1) or one image (H, W, 3) / (H, W), any size,
    uint8 or float in `value_range`; clips float32 (B·C_T, N, L, L, 3) in `value_range`, labels int32 (B·C_T,).
    Same-batch: every image contributes one clip of each of the C_T = 4K + 1 labels (2K + 1 for one axis), image by
    image (`labels` is `tile(arange(C_T), B)`, so it never needs to travel with the data).

    Per image: the short side is resized to `source_size` L_s (bilinear, antialiased) and an L_s × L_s square cropped
    (random in training, central in inference), mirrored with probability 0.5 in training (before generation, so
    the label still matches the motion). Label (x, y) moves an L × L crop window over the square by
    D = (L_s − L)·(x, y)/K px from a start drawn uniformly where the end stays inside (centred in inference), through
    N evenly spaced positions rounded to whole pixels. A positive x moves the *window* to the right across the source
    (the paper's Fig. 2), so the *content* moves left in the clip; positive y moves the window down. Static mask:
    outside a square of side `mask_size`·L (a random fraction in the range, or a fixed one) at a random place, every
    frame shows one randomly chosen frame of the clip; `mask_size=None` is unmasked MoSI. Training adds frame-wise
    colour jitter (brightness, contrast, saturation, hue strengths as torchvision's ColorJitter, applied in that order)
    and random grayscale of whole clips (probability `grayscale`); `frame_wise_jitter=False` jitters whole clips
    instead. Inference adds neither.

    Inference (`training=False`) is deterministic, the same on every call and on TensorFlow, JAX and PyTorch: the
    central square, unflipped, each window path centred, and the static mask a central square of the middle of the
    `mask_size` range (round((low + high) / 2 · L) px) whose outside shows frame N // 2. An inference call still
    advances the layer's random stream by one draw, as it always has, so training streams (and the figures of runs
    that validate between epochs) are unchanged.

    Inside `tf.data` (TensorFlow tensors, any Keras backend) it runs TensorFlow ops seeded by `seed`; on device it
    runs `keras.ops` with a `SeedGenerator`, e.g. as the first layer of a model fed raw images.

    >>> gen = PseudoMotion(num_frames=4, crop_size=16, source_size=32, seed=0)
    >>> clips, labels = gen(np.zeros((2, 40, 50, 3), "uint8"))
    >>> tuple(clips.shape), gen.num_classes, gen.label_pool[0]
    ((18, 4, 16, 16, 3), 9, (-2, 0))
    """

    def __init__(
        self,
        num_frames=16,
        crop_size=112,
        source_size=320,
        speeds=2,
        axes="xy",
        mask_size=(0.3, 0.5),
        color_jitter=(0.4, 0.4, 0.4, 0.1),
        grayscale=0.3,
        frame_wise_jitter=True,
        flip=True,
        value_range=(0.0, 255.0),
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_frames, self.crop_size, self.source_size = int(num_frames), int(crop_size), int(source_size)
        self.speeds, self.axes = int(speeds), axes
        if self.num_frames < 1 or self.crop_size < 1:
            raise ValueError(f"num_frames and crop_size must be ≥ 1, got {num_frames} and {crop_size}")
        if self.source_size < self.crop_size:
            raise ValueError(
                f"source_size {source_size} must be ≥ crop_size {crop_size}: the crop window moves "
                "inside the source image"
            )
        if self.speeds < 1:
            raise ValueError(f"speeds (K, speeds per direction) must be ≥ 1, got {speeds}")
        self._pool = label_pool(self.speeds, axes)
        if mask_size is None:
            self.mask_size = None
        else:
            low, high = (float(mask_size), float(mask_size)) if np.ndim(mask_size) == 0 else map(float, mask_size)
            if not 0.0 < low <= high <= 1.0:
                raise ValueError(f"mask_size must be a fraction or a (low, high) range in (0, 1], got {mask_size}")
            self.mask_size = (low, high)
        if color_jitter is not None:
            color_jitter = tuple(float(c) for c in color_jitter)
            if len(color_jitter) != 4 or min(color_jitter) < 0 or color_jitter[3] > 0.5:
                raise ValueError(
                    "color_jitter must be (brightness, contrast, saturation, hue) strengths ≥ 0 with "
                    f"hue ≤ 0.5, or None; got {color_jitter}"
                )
        self.color_jitter = color_jitter
        self.grayscale, self.flip, self.frame_wise_jitter = float(grayscale), bool(flip), bool(frame_wise_jitter)
        self.value_range = tuple(float(v) for v in value_range)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def __call__(self, images, training=True, **kwargs):
        # Inside tf.data under the JAX or PyTorch backend the images are TensorFlow graph tensors, which Keras'
        # Layer.__call__ would try to convert to that backend's arrays: they go to the layer's TensorFlow path as
        # they are. The layer has no weights to build; everything else takes the usual Keras call.
        self._check_pixels(images)
        if _is_tf_tensor(images) and keras.backend.backend() != "tensorflow":
            return self.call(images, training=training)
        return super().__call__(images, training=training, **kwargs)

    def _check_pixels(self, images):
        """The input contract: uint8, or numbers in `value_range`. Booleans are refused for any input; NumPy input
        (what a user passes by hand) is also checked against `value_range`, including 0–1 float images under the
        default 0–255 range, which would become near-black clips."""
        if str(getattr(images, "dtype", "")).endswith("bool"):
            raise ImageInputError("PseudoMotion: got a boolean array (a mask?), not pixels; pass uint8 images")
        if not isinstance(images, (np.ndarray, list, tuple)):
            return  # tensors: their values are not known here (traced) or were checked by their producer
        images = np.asarray(images)
        if images.dtype.kind not in "uif" or images.size == 0:
            return  # the shape and dtype checks of the call say what is wrong
        if images.dtype.kind == "f" and not np.isfinite(images).all():  # min / max would let NaN through
            raise ImageInputError(
                f"PseudoMotion: {images.size - int(np.isfinite(images).sum())} NaN/inf pixel value(s); every clip "
                "made from them would be NaN: replace them (e.g. np.nan_to_num) first"
            )
        low, high = self.value_range
        lowest, highest = images.min(), images.max()
        if lowest < low or highest > high:
            raise ImageInputError(
                f"PseudoMotion: pixel values {lowest}..{highest} ({images.dtype}) lie outside value_range "
                f"{self.value_range}; pass uint8 images, or build the layer with the range the data has (e.g. "
                "value_range=(0, 65535) for 16-bit images)"
            )
        fractional = images.dtype.kind == "f" and not np.array_equal(images, np.round(images))
        if fractional and high > 1 and highest <= 1:
            raise ImageInputError(
                f"PseudoMotion: float images in 0..1 but value_range is {self.value_range}: they would make "
                "near-black clips; build the layer with value_range=(0, 1), or pass "
                "keras_motion.transforms.to_uint8(images, value_range=(0, 1))"
            )

    @property
    def num_classes(self):
        return len(self._pool)

    @property
    def label_pool(self):
        """The (x, y) speed of each label index (K = `speeds` is the fastest; positive = window right / down)."""
        return list(self._pool)

    def labels_for(self, num_images):
        """The labels of the clips of `num_images` images: `tile(arange(C_T), num_images)` (NumPy int32)."""
        return np.tile(np.arange(self.num_classes, dtype=np.int32), int(num_images))

    # ---------------------------------------------------------------------------------------------- checks
    def _standardize(self, images, xp):
        shape = xp.shape(images)
        rank = len(shape)
        if rank == 2:  # one grayscale image (H, W)
            images, single = xp.reshape(images, (1,) + shape + (1,)), True
        elif rank == 3:
            if isinstance(shape[-1], int) and shape[-1] not in (1, 3):
                raise ValueError(
                    f"PseudoMotion: a rank-3 input is one image (H, W, C) with C = 1 or 3, got shape {shape}. For a "
                    "batch of grayscale images (B, H, W) add a channel axis: images[..., None]."
                )
            images, single = xp.reshape(images, (1,) + shape), True
        elif rank == 4:
            single = False
        else:
            raise ValueError(
                f"PseudoMotion expects images (B, H, W, C), one image (H, W, C) or (H, W); got shape "
                f"{shape} (rank {rank})"
            )
        b, h, w, c = xp.shape(images)
        if isinstance(c, int) and c not in (1, 3):
            raise ValueError(
                f"PseudoMotion expects RGB (3 channels) or grayscale (1 channel) images, got {c} "
                f"channels (shape {shape}). Drop an alpha channel with images[..., :3]."
            )
        if c is None:
            raise ValueError(f"PseudoMotion needs a known channel count, got shape {shape}")
        for n, v in (("batch", b), ("height", h), ("width", w)):
            if isinstance(v, int) and v == 0:
                raise ValueError(
                    f"PseudoMotion got an empty {n} axis (images of shape {shape}); pass at least one "
                    "image of at least 1 × 1 pixels"
                )
        return images, single

    # ------------------------------------------------------------------------------------------------ call
    def call(self, images, training=True):
        clips, labels, _ = self.generate(images, training=training)
        return clips, labels

    def generate(self, images, training=True, return_params=False):
        """`(clips, labels, params)`; with `return_params`, `params` holds the drawn positions, flips and masks
        (for tests and visualisation), else it is None."""
        xp = _TFOps(self.seed) if _in_tf_graph(images) else _KerasOps(self.seed_generator)
        images = xp.convert(images)
        images, _ = self._standardize(images, xp)
        if isinstance(xp, _TFOps):
            images = xp.check_nonempty(images)
        channels = xp.shape(images)[-1]
        images, (height, width) = self._resize(images, xp)
        return self._generate(images, height, width, channels, bool(training), xp, return_params)

    def _resize(self, images, xp):
        """Short side → L_s, aspect kept (skipped when the static size is already right)."""
        _, h, w, _ = xp.shape(images)
        ls = self.source_size
        if isinstance(h, int) and isinstance(w, int):
            short = min(h, w)
            height, width = max(ls, round(h * ls / short)), max(ls, round(w * ls / short))
            if (height, width) != (h, w):
                images = xp.resize(images, height, width)
            return images, (height, width)
        hf, wf = xp.cast(h, "float32"), xp.cast(w, "float32")
        short = xp.minimum(hf, wf)
        height = xp.maximum(xp.cast(xp.round(hf * ls / short), "int32"), ls)
        width = xp.maximum(xp.cast(xp.round(wf * ls / short), "int32"), ls)
        return xp.resize(images, height, width), (height, width)

    def _generate(self, images, height, width, channels, training, xp, return_params):
        b = xp.shape(images)[0]
        ct, n, crop, ls = self.num_classes, self.num_frames, self.crop_size, self.source_size
        jitter = training and (self.color_jitter is not None or self.grayscale > 0)
        per_clip, per_frame = 6, 4 if jitter else 0
        u = xp.uniform((b, 2 + ct * (per_clip + 1 + n * per_frame)))
        image_u, clip_u = u[:, :2], xp.reshape(u[:, 2 : 2 + ct * (per_clip + 1)], (b, ct, per_clip + 1))
        frame_u = xp.reshape(u[:, 2 + ct * (per_clip + 1) :], (b, ct, n, per_frame)) if jitter else None
        if jitter and not self.frame_wise_jitter:  # one colour change for the whole clip
            frame_u = xp.tile(frame_u[:, :, :1], (1, 1, n, 1))
        if not training:
            # Inference is a fixed rule, the same on every call and backend: every draw is replaced by its middle
            # (0.5). The draw above still runs, so training streams stay what they were before this rule.
            image_u, clip_u = image_u * 0.0 + 0.5, clip_u * 0.0 + 0.5

        # Source square (offset inside the resized image) and flip, per image.
        where_u = image_u[:, 0]
        top = xp.cast(xp.floor(where_u * xp.cast(height - ls + 1, "float32")), "int32")
        left = xp.cast(xp.floor(where_u * xp.cast(width - ls + 1, "float32")), "int32")
        flipped = (image_u[:, 1] < 0.5) if (training and self.flip) else (image_u[:, 1] < 0.0)

        # Crop positions of every frame: (B, C_T, N) rows and columns inside the L_s × L_s square.
        pool = np.array(self._pool, np.float32)  # (C_T, 2) as (x, y)
        distance = (ls - crop) * pool / self.speeds  # D_x, D_y in px
        low = np.maximum(0.0, -distance)
        span = (ls - crop) - np.abs(distance)  # width of the start area
        start_u = clip_u[..., :2]
        start = start_u * xp.convert(span.astype(np.float32)) + xp.convert(low.astype(np.float32))  # (B, C_T, 2)
        steps = np.linspace(0.0, 1.0, n, dtype=np.float32) if n > 1 else np.zeros(1, np.float32)
        path = xp.convert((distance[None, :, None, :] * steps[None, None, :, None]).astype(np.float32))
        pos = xp.cast(xp.round(start[:, :, None, :] + path), "int32")
        pos = xp.clip(pos, 0, ls - crop)
        col, row = pos[..., 0], pos[..., 1]  # (B, C_T, N)

        # Static mask: background frame q, square side and place, per clip.
        q = xp.minimum(xp.cast(xp.floor(clip_u[..., 2] * n), "int32"), n - 1)
        grid = xp.arange(crop, dtype="int32")
        if self.mask_size is None:
            moving = None
            side, mask_top, mask_left = None, None, None
        else:
            lo, hi = self.mask_size
            side = xp.clip(xp.cast(xp.round((lo + clip_u[..., 3] * (hi - lo)) * crop), "int32"), 1, crop)
            room = xp.cast(crop - side + 1, "float32")
            mask_top = xp.cast(xp.floor(clip_u[..., 4] * room), "int32")
            mask_left = xp.cast(xp.floor(clip_u[..., 5] * room), "int32")
            in_rows = (grid >= mask_top[..., None]) & (grid < (mask_top + side)[..., None])  # (B, C_T, L)
            in_cols = (grid >= mask_left[..., None]) & (grid < (mask_left + side)[..., None])
            moving = in_rows[:, :, None, :, None] & in_cols[:, :, None, None, :]  # (B, C_T, 1, L, L)

        # Pixel index into the flattened resized batch (B·H·W, C): rows and columns of each frame's window.
        rows = row[..., None] + grid  # (B, C_T, N, L)
        cols = col[..., None] + grid
        cols = xp.where(flipped[:, None, None, None], ls - 1 - cols, cols)  # mirror the square, not the clip
        base = xp.arange(b, dtype="int32") * (height * width)
        rows = rows + top[:, None, None, None]
        cols = cols + left[:, None, None, None]
        index = (base[:, None, None, None, None] + rows[..., :, None] * width) + cols[..., None, :]  # (B,C_T,N,L,L)
        if moving is not None:
            background = xp.take(
                xp.reshape(index, (-1, crop, crop)),
                xp.reshape(xp.arange(b * ct, dtype="int32") * n + xp.reshape(q, (-1,)), (-1,)),
                axis=0,
            )
            index = xp.where(moving, index, xp.reshape(background, (b, ct, 1, crop, crop)))
        # Float32 rows gather as fast as uint8 ones (the cost is per row), so the cast is done on the small source.
        flat = xp.cast(xp.reshape(images, (-1, channels)), "float32")
        if channels == 1:
            flat = xp.tile(flat, (1, 3))
        if jitter:  # a constant 1 per pixel folds each frame's colour offset into its matrix (see `_jitter`)
            flat = xp.pad(flat, ((0, 0), (0, 1)), constant_values=1.0)
        pixels = xp.take(flat, xp.reshape(index, (b * ct * n, crop * crop)), axis=0)  # (frames, L·L, 3 or 4)
        if jitter:
            pixels = self._jitter(pixels, frame_u, clip_u[..., 6], xp)
        clips = xp.reshape(pixels, (b * ct, n, crop, crop, 3))
        labels = xp.reshape(xp.tile(xp.arange(ct, dtype="int32")[None], (b, 1)), (-1,))
        params = None
        if return_params:
            params = dict(
                rows=row,
                cols=col,
                top=top,
                left=left,
                flipped=flipped,
                background_frame=q,
                mask_side=side,
                mask_top=mask_top,
                mask_left=mask_left,
                height=height,
                width=width,
            )
        return clips, labels, params

    def _jitter(self, pixels, frame_u, gray_u, xp):
        """Frame-wise brightness β, contrast γ, saturation σ, hue θ and per-clip grayscale, as one affine map per
        frame: x' = c·b·[G + s·cos θ·(I − G) + s·sin θ·P] x + (1 − c)·b·mean_gray(x), clipped to `value_range`.
        `pixels` (frames, L·L, 4) carry a constant 1 as 4th channel, so the offset is the 4th column of a 3×4
        matrix and the whole map is one batched product (one pass over the clips instead of two)."""
        brightness, contrast, saturation, hue = self.color_jitter or (0.0, 0.0, 0.0, 0.0)

        def factor(k, strength):
            return 1.0 + (2.0 * frame_u[..., k] - 1.0) * strength  # uniform in [1 − s, 1 + s]

        bright, contr = factor(0, brightness), factor(1, contrast)
        sat = xp.maximum(factor(2, saturation), 0.0)
        sat = sat * xp.cast(gray_u[..., None] >= self.grayscale, "float32")  # grayscale clips: saturation 0
        angle = (2.0 * frame_u[..., 3] - 1.0) * hue * 2.0 * math.pi
        scale = bright * contr
        a, c, h = scale, scale * sat * xp.cos(angle), scale * sat * xp.sin(angle)  # (B, C_T, N)
        gray, chroma, turn = (xp.convert(m) for m in (_GRAY, _CHROMA, _HUE))
        matrix = a[..., None, None] * gray + c[..., None, None] * chroma + h[..., None, None] * turn
        area = self.crop_size * self.crop_size
        # Mean gray of each frame as one matrix-vector product (a reduction over the middle axis is ~5× slower).
        luma = xp.convert(np.tile(np.append(_LUMA / area, np.float32(0.0)), area)[:, None])
        mean_gray = xp.matmul(xp.reshape(pixels, (-1, area * 4)), luma)  # (frames, 1)
        offset = xp.reshape((1.0 - contr) * bright, (-1, 1)) * mean_gray
        offset = xp.tile(offset[:, None, :], (1, 3, 1))  # (frames, 3, 1): the same offset for R, G and B
        matrix = xp.concatenate([xp.reshape(matrix, (-1, 3, 3)), offset], axis=2)
        pixels = xp.einsum("fpc,fdc->fpd", pixels, matrix)  # (frames, L·L, 3)
        low, high = self.value_range
        return xp.clip(pixels, low, high)

    # ----------------------------------------------------------------------------------------------- Keras
    def compute_output_spec(self, images, training=True):
        shape = tuple(images.shape)
        batch = 1 if len(shape) in (2, 3) else shape[0]
        total = None if batch is None else batch * self.num_classes
        n, crop = self.num_frames, self.crop_size
        return (
            keras.KerasTensor((total, n, crop, crop, 3), dtype="float32"),
            keras.KerasTensor((total,), dtype="int32"),
        )

    def compute_output_shape(self, input_shape):
        batch = 1 if len(input_shape) in (2, 3) else input_shape[0]
        total = None if batch is None else batch * self.num_classes
        return (total, self.num_frames, self.crop_size, self.crop_size, 3), (total,)
