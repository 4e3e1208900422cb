"""Flow-prediction baselines for Im2Flow ([002] §4.1) and its motion-potential score.

Every baseline maps images (N, H, W, 3) to flow (N, H, W, 2) in pixels, so its output goes straight into
`flow_metrics`: zero flow, the mean training flow, and nearest-neighbour retrieval in a frozen feature space
(the paper's NN baseline retrieves with AlexNet pool5 features; "tiny" images are a dependency-free stand-in).
"""

import cv2
import numpy as np

from keras_motion.errors import NotFittedError
from keras_motion.flow.compute import check_flow
from keras_motion.video.lazy import LazyArray


def _as_batch(images, name="images"):
    """(N, H, W[, C]) or one (H, W, C) image → (batch, single). A 3-D input counts as one colour image when its
    last axis holds 1 or 3 channels, else as a batch of grayscale images."""
    images = np.asarray(images)
    if images.ndim == 3 and images.shape[-1] in (1, 3):
        return images[None], True
    if images.ndim in (3, 4):
        return images, False
    raise ValueError(f"{name}: expected (N, H, W, C) or (H, W, C) images, got shape {images.shape}")


def resize_flow(flow, size):
    """Resize (H, W, 2) or (N, H, W, 2) flow to `size` = (height, width), scaling the vectors with the image.

    Flow is in pixels of its own grid: a map stretched to twice the width moves twice as many pixels in x.

    >>> resize_flow(np.ones((4, 4, 2), np.float32), (8, 2))[0, 0].tolist()
    [0.5, 2.0]
    """
    flow = np.asarray(flow, np.float32)
    height, width = int(size[0]), int(size[1])
    if flow.shape[-3:-1] == (height, width):
        return flow
    if flow.ndim == 4:
        return (
            np.stack([resize_flow(f, size) for f in flow]) if len(flow) else np.zeros((0, height, width, 2), np.float32)
        )
    scale = np.array([width / flow.shape[1], height / flow.shape[0]], np.float32)
    # INTER_AREA averages when shrinking (no aliasing of fine motion); bilinear when enlarging.
    shrinking = height * width < flow.shape[0] * flow.shape[1]
    resized = cv2.resize(flow, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
    return resized * scale


def zero_flow(images):
    """The no-motion baseline: zero flow (N, H, W, 2) (or (H, W, 2) for one image) at the images' size.

    >>> zero_flow(np.zeros((2, 8, 8, 3), np.uint8)).shape
    (2, 8, 8, 2)
    """
    batch, single = _as_batch(images)
    out = np.zeros(batch.shape[:3] + (2,), np.float32)
    return out[0] if single else out


class MeanFlow:
    """The per-pixel mean of the training flows, predicted for every image (resized when the size differs).

    >>> flows = np.stack([np.full((4, 4, 2), v, np.float32) for v in (1.0, 3.0)])
    >>> MeanFlow().fit(flows).predict(np.zeros((1, 4, 4, 3)))[0, 0, 0].tolist()
    [2.0, 2.0]
    """

    def __init__(self):
        self.mean_ = None

    def fit(self, train_flows):
        """`train_flows`: an (N, H, W, 2) array, or an iterable of such batches (summed batch by batch, so a data
        set larger than memory works). Returns self."""
        if isinstance(train_flows, np.ndarray) or hasattr(train_flows, "shape"):
            train_flows = [train_flows]
        total, count = None, 0
        for batch in train_flows:
            batch = check_flow(batch, "training flow")
            batch = batch.reshape((-1,) + batch.shape[-3:])
            # float64 accumulation: float32 sums of 10^5 maps lose the mean's low digits.
            s = batch.sum(axis=0, dtype=np.float64)
            if total is not None and s.shape != total.shape:
                raise ValueError(f"training flows differ in size: {total.shape[:2]} vs {s.shape[:2]}")
            total = s if total is None else total + s
            count += len(batch)
        if not count:
            raise ValueError("MeanFlow.fit: no training flows given")
        self.mean_ = (total / count).astype(np.float32)
        return self

    def predict(self, images):
        if self.mean_ is None:
            raise NotFittedError("MeanFlow: call fit(train_flows) before predict")
        batch, single = _as_batch(images)
        mean = resize_flow(self.mean_, batch.shape[1:3])
        out = np.broadcast_to(mean, (len(batch),) + mean.shape).copy()
        return out[0] if single else out


def tiny_features(images, size=16, color=True):
    """Tiny-image features (Torralba et al.): each image area-downsampled to `size`×`size`, grayscale or RGB,
    normalised to zero mean and unit std per image (so brightness and contrast do not decide the match), flattened.

    Works on uint8 or float images in any range. Returns float32 (N, size·size·channels).

    >>> tiny_features(np.random.rand(2, 32, 32, 3)).shape
    (2, 768)
    """
    batch, _ = _as_batch(images)
    out = []
    for image in batch:
        image = np.asarray(image, np.float32)
        if image.ndim == 3 and image.shape[-1] == 1:
            image = image[..., 0]
        if not color and image.ndim == 3:
            image = image.mean(axis=-1)  # plain average: the normalisation below removes any channel weighting scale
        elif color and image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=-1)
        small = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA).ravel()
        std = small.std()
        out.append((small - small.mean()) / (std if std > 1e-6 else 1.0))
    return np.stack(out).astype(np.float32) if out else np.zeros((0, size * size * (3 if color else 1)), np.float32)


class NearestNeighborFlow:
    """Retrieve the nearest training image in a frozen feature space and predict its flow ([002] §4.1's NN baseline).

    Args:
        features: "tiny" (16×16 tiny images, see `tiny_features`) or a callable mapping a batch of images
            (N, H, W, 3), exactly as given to `fit` / `predict`, to (N, D) features — e.g. a frozen CNN:
            `lambda x: backbone.predict(x, verbose=0).reshape(len(x), -1)`.
        k: number of neighbours; with k > 1 their flows are averaged.
        chunk_size: training features compared per matrix product; with the query batch it bounds the memory of the
            distance matrix (batch_size × chunk_size floats).
        tiny_size, tiny_color: options of the "tiny" features.

    Distances are Euclidean, computed as ‖q‖² − 2 q·t + ‖t‖² by matrix products chunk by chunk. Ties go to the
    earlier training image. Flows of another size than the query images are resized (`resize_flow`).

    >>> rng = np.random.default_rng(0)
    >>> images, flows = rng.random((5, 32, 32, 3)), rng.normal(size=(5, 32, 32, 2))
    >>> nn = NearestNeighborFlow().fit(images, flows)
    >>> bool(np.allclose(nn.predict(images[2:3]), flows[2:3]))
    True
    """

    def __init__(self, features="tiny", k=1, chunk_size=4096, tiny_size=16, tiny_color=True):
        if not (callable(features) or features == "tiny"):
            raise ValueError(f"features must be 'tiny' or a callable images → (N, D) features, got {features!r}")
        if int(k) < 1:
            raise ValueError(f"k must be ≥ 1, got {k}")
        if int(chunk_size) < 1:
            raise ValueError(f"chunk_size must be ≥ 1, got {chunk_size}")
        self.features, self.k, self.chunk_size = features, int(k), int(chunk_size)
        self.tiny_size, self.tiny_color = int(tiny_size), bool(tiny_color)
        self.train_features_ = self.train_flows_ = self._train_sq = None

    def transform(self, images, batch_size=256):
        """Features (N, D) float32 of `images`, extracted `batch_size` images at a time."""
        if isinstance(images, LazyArray):  # a lazy pool is read a batch at a time, never whole
            return np.concatenate([self.transform(chunk, batch_size) for chunk in images.batches(batch_size)])
        batch, _ = _as_batch(images)
        if self.features == "tiny":

            def extract(x):
                return tiny_features(x, self.tiny_size, self.tiny_color)
        else:
            extract = self.features
        parts = []
        for start in range(0, len(batch), batch_size):
            f = np.asarray(extract(batch[start : start + batch_size]), np.float32)
            f = f.reshape(len(f), -1)
            if len(f) != len(batch[start : start + batch_size]):
                raise ValueError(
                    f"the feature callable returned {len(f)} rows for {len(batch[start : start + batch_size])} images"
                )
            parts.append(f)
        if not parts:
            raise ValueError("no images given")
        return np.concatenate(parts)

    def fit(self, train_images, train_flows, batch_size=256):
        """Index the training pool: features of `train_images` (N, H, W, 3) and their flows (N, H', W', 2).
        The flows are kept by reference (a memory-mapped array works). Returns self."""
        flows = train_flows if isinstance(train_flows, LazyArray) else np.asarray(train_flows)  # lazy: read per match
        if flows.ndim != 4 or flows.shape[-1] != 2:
            raise ValueError(f"train_flows: expected (N, H, W, 2), got shape {flows.shape}")
        feats = self.transform(train_images, batch_size)
        if len(feats) != len(flows):
            raise ValueError(f"{len(feats)} training images but {len(flows)} training flows")
        if self.k > len(flows):
            raise ValueError(f"k = {self.k} neighbours asked of a training pool of {len(flows)}")
        self.train_features_, self.train_flows_ = feats, flows
        self._train_sq = np.einsum("nd,nd->n", feats, feats)
        return self

    def kneighbors(self, images, batch_size=256):
        """(distances, indices), each (N, k), nearest first, of the training images closest to `images`."""
        if self.train_features_ is None:
            raise NotFittedError("NearestNeighborFlow: call fit(train_images, train_flows) before predicting")
        queries = self.transform(images, batch_size)
        if queries.shape[1] != self.train_features_.shape[1]:
            raise ValueError(
                f"query features have {queries.shape[1]} dimensions, training features {self.train_features_.shape[1]}"
            )
        k, n_train = self.k, len(self.train_features_)
        all_dist, all_idx = [], []
        for start in range(0, len(queries), batch_size):
            q = queries[start : start + batch_size]
            q_sq = np.einsum("nd,nd->n", q, q)[:, None]
            best_d = np.full((len(q), 0), np.inf, np.float32)
            best_i = np.zeros((len(q), 0), np.int64)
            for t0 in range(0, n_train, self.chunk_size):
                t = self.train_features_[t0 : t0 + self.chunk_size]
                d = q_sq - 2.0 * (q @ t.T) + self._train_sq[None, t0 : t0 + len(t)]
                idx = np.broadcast_to(np.arange(t0, t0 + len(t)), d.shape)
                if d.shape[1] > k:  # keep only this chunk's k best before merging: O(chunk) not O(chunk log chunk)
                    part = np.argpartition(d, k - 1, axis=1)[:, :k]
                    d, idx = np.take_along_axis(d, part, 1), np.take_along_axis(idx, part, 1)
                cand_d, cand_i = np.concatenate([best_d, d], 1), np.concatenate([best_i, idx], 1)
                order = np.lexsort((cand_i, cand_d), axis=1)[:, :k]  # by distance, ties to the lower index
                best_d, best_i = np.take_along_axis(cand_d, order, 1), np.take_along_axis(cand_i, order, 1)
            all_dist.append(np.sqrt(np.maximum(best_d, 0.0)))  # cancellation can make d² slightly negative
            all_idx.append(best_i)
        return np.concatenate(all_dist), np.concatenate(all_idx)

    def predict(self, images, batch_size=256):
        """Flow (N, H, W, 2) px for `images` (N, H, W, 3): the neighbours' flows (averaged when k > 1)."""
        batch, single = _as_batch(images)
        _, indices = self.kneighbors(batch, batch_size)
        out = np.empty(batch.shape[:3] + (2,), np.float32)
        for i, neighbours in enumerate(indices):
            # Gather neighbour by neighbour: one (k, H, W, 2) fancy index per query would copy k maps at once.
            acc = np.zeros(self.train_flows_.shape[1:], np.float64)
            for j in neighbours:
                acc += self.train_flows_[j]
            out[i] = resize_flow((acc / len(neighbours)).astype(np.float32), batch.shape[1:3])
        return out[0] if single else out


def motion_potential(flow, foreground=None):
    """Im2Flow's motion potential ([002] §4.1): the mean predicted magnitude normalised by the foreground area.

    score = mean over all pixels of ‖flow‖ / (fraction of pixels in the foreground) — i.e. the total predicted
    motion per foreground pixel, so that a large object does not score high just for its size. Without a
    foreground, the plain mean magnitude. An empty foreground gives NaN.

    Args:
        flow: (H, W, 2) → a float, or (N, H, W, 2) → an (N,) array.
        foreground: boolean mask (H, W) or (N, H, W) (one mask broadcasts over the batch).

    >>> f = np.zeros((4, 4, 2)); f[0, :, 0] = 2.0          # 4 of 16 pixels move 2 px
    >>> fg = np.zeros((4, 4), bool); fg[:2] = True            # half the image is foreground
    >>> float(motion_potential(f)), float(motion_potential(f, fg))
    (0.5, 1.0)
    """
    flow = check_flow(flow, "flow")
    single = flow.ndim == 3
    flow = flow.reshape((-1,) + flow.shape[-3:])
    mean_magnitude = np.linalg.norm(flow, axis=-1).mean(axis=(-2, -1), dtype=np.float64)
    if foreground is not None:
        fg = np.asarray(foreground, bool)
        if fg.shape[-2:] != flow.shape[1:3]:
            raise ValueError(f"foreground mask {fg.shape} does not match the flow's size {flow.shape[1:3]}")
        fraction = np.broadcast_to(fg.reshape((-1,) + fg.shape[-2:]).mean(axis=(-2, -1)), mean_magnitude.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean_magnitude = np.where(fraction > 0, mean_magnitude / np.where(fraction > 0, fraction, 1.0), np.nan)
    return float(mean_magnitude[0]) if single else mean_magnitude.astype(np.float32)
