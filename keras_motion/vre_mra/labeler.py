"""Pseudo-motion labels of unlabeled videos by clustering VLAD-encoded optical flow (VRE + MRA, supplementary §1).

Key frames → flow between consecutive key frames (all cores) → one OTSU threshold over every flow magnitude →
k-means codebook of the (dx, dy) entries above it → VLAD of every flow map (`VLADEncoder`, the same layer models use)
→ a clip's maps concatenated → k-means into `num_labels` clusters: the pseudo-motion label of each clip.
"""

import concurrent.futures
import json
import os
import threading
import warnings

import cv2
import numpy as np

from keras_motion.errors import KerasMotionError, NotFittedError, VideoError
from keras_motion.transforms import to_uint8
from keras_motion.utils.files import atomic_path, open_npz
from keras_motion.utils.progress import progress
from keras_motion.utils.skips import SkipLog
from keras_motion.vre_mra.otsu import otsu_threshold

SKIPPED = -1  # the label `predict` gives a video it could not use (too short, undecodable)
_DESCRIPTORS_PER_CALL = 1 << 17  # VLAD layer calls stay at ~70 MB of assignment temporaries


class MotionLabeler:
    """Clusters unlabeled videos by their motion: `fit(videos)` learns the OTSU threshold, the flow codebook and the
    label centres; `predict(videos)` labels new videos with them; `save` / `load` keep them.

    Videos are uint8 RGB arrays (T, H, W, 3) (a list, or one (N, T, H, W, 3) array), video file paths, or a
    `keras_motion.datasets.VideoDataset`; files are decoded (only the frames needed) on the worker threads, at short
    side `size` when given. Flow runs on `workers` threads (default: all cores; OpenCV releases the GIL).

    Args:
        codebook_size: k-means centres of the flow codebook (128 in the paper).
        num_labels: K of the final k-means: the number of pseudo-motion labels (16).
        key_frames, interval: the first `key_frames` frames at `interval` (12 / 7 at 3 in the paper); a clip gives
            `key_frames - 1` flow maps and a `(key_frames - 1) · 2 · codebook_size`-d embedding.
        flow_method: "dis" (default), "farneback" or "tvl1" (the paper used Coarse2Fine).
        normalization: VLAD normalisation of each flow map (see `VLADEncoder`); None is the paper's raw residual
            sums, which weigh a map by how many pixels move, so clusters follow motion amount, not kind; "power+l2"
            (the default) agreed better with the true classes on the synthetic benchmark (docs/vre_mra.md).
        pooling: how a clip's per-map VLAD vectors become one embedding: "concat" (the paper: time order kept,
            `(key_frames − 1) · 2 · codebook_size`-d) or "mean" (`2 · codebook_size`-d, invariant to where in its
            cycle an action starts). On the synthetic benchmark "concat" left k-means with one giant cluster
            (docs/vre_mra.md).
        on_short: a video shorter than the key frames need: "skip" (warn, count, label -1), "pad" (repeat its last
            frame), or "error".
        max_codebook_samples: flow entries (above the threshold) drawn at random for the codebook k-means.
        minibatch_above: sample size from which scikit-learn's MiniBatchKMeans replaces KMeans for the codebook.

    >>> from keras_motion.datasets import synthetic_actions
    >>> data = synthetic_actions(12, num_frames=10, size=32)
    >>> labeler = MotionLabeler(codebook_size=8, num_labels=3, key_frames=4, show_progress=False)
    >>> labeler.fit(data.frames).labels_.shape
    (12,)
    """

    def __init__(
        self,
        codebook_size=128,
        num_labels=16,
        key_frames=12,
        interval=3,
        flow_method="dis",
        normalization="power+l2",
        pooling="concat",
        size=None,
        on_short="skip",
        max_codebook_samples=1_000_000,
        minibatch_above=100_000,
        workers=None,
        seed=0,
        show_progress=True,
    ):
        from keras_motion.vre_mra.vlad import _parse_normalization

        if on_short not in ("skip", "pad", "error"):
            raise ValueError(f"on_short must be 'skip', 'pad' or 'error', got {on_short!r}")
        if key_frames < 2:
            raise ValueError(f"key_frames must be >= 2 (flow needs two key frames), got {key_frames}")
        _parse_normalization(normalization)  # fail early on a typo
        if pooling not in ("concat", "mean"):
            raise ValueError(f"pooling must be 'concat' (the paper) or 'mean', got {pooling!r}")
        self.pooling = pooling
        self.codebook_size, self.num_labels = int(codebook_size), int(num_labels)
        self.key_frames, self.interval = int(key_frames), int(interval)
        self.flow_method, self.normalization, self.size, self.on_short = flow_method, normalization, size, on_short
        self.max_codebook_samples, self.minibatch_above = int(max_codebook_samples), int(minibatch_above)
        self.workers, self.seed, self.show_progress = workers, int(seed), show_progress
        self.threshold_ = self.codebook_ = self.centres_ = self.labels_ = None
        self.skips = SkipLog("MotionLabeler")

    # ------------------------------------------------------------------------------------------------ configuration
    def get_config(self):
        return dict(
            codebook_size=self.codebook_size,
            num_labels=self.num_labels,
            key_frames=self.key_frames,
            interval=self.interval,
            flow_method=self.flow_method,
            normalization=self.normalization,
            pooling=self.pooling,
            size=self.size,
            on_short=self.on_short,
            max_codebook_samples=self.max_codebook_samples,
            minibatch_above=self.minibatch_above,
            seed=self.seed,
        )

    @property
    def frames_needed(self):
        """Frames a video must have for its key frames: interval · (key_frames − 1) + 1."""
        return self.interval * (self.key_frames - 1) + 1

    @property
    def embedding_dim(self):
        maps = self.key_frames - 1 if self.pooling == "concat" else 1
        return maps * 2 * self.codebook_size

    # --------------------------------------------------------------------------------------------------------- flow
    def key_flows(self, videos):
        """Flow between consecutive key frames of every video → list of float32 (key_frames − 1, H, W, 2), None where
        a video was skipped (counted in `self.skips`)."""
        from keras_motion.flow.compute import FlowEstimator, video_flow
        from keras_motion.video.sampling import key_frame_indices

        items, names = _as_items(videos)
        local = threading.local()

        def one(i):
            item, name = items[i], names[i]
            if isinstance(item, (str, os.PathLike)):
                from keras_motion.video import read_video

                try:
                    frames = read_video(item, size=self.size, max_frames=self.frames_needed)
                except KerasMotionError as e:  # an undecodable file inside a data-set pass: warn, skip, count
                    return None, str(e)
            else:
                frames = to_uint8(item, name=name)  # float frames need their range declared: no guessing
                if frames.ndim != 4 or frames.shape[-1] not in (1, 3) or frames.dtype == object:
                    raise VideoError(f"{name}: expected frames (T, H, W, 3), got shape {frames.shape}")
            if len(frames) < self.frames_needed and self.on_short != "pad":
                message = (
                    f"{name}: {len(frames)} frame(s), but {self.key_frames} key frames at an interval of "
                    f"{self.interval} need {self.frames_needed}; use fewer key_frames, a smaller interval, "
                    "on_short='pad', or longer videos"
                )
                if self.on_short == "error" or len(frames) == 0:
                    raise VideoError(message)
                return None, message
            index = key_frame_indices(len(frames), self.key_frames, self.interval, pad=True)
            if not hasattr(local, "estimator"):
                local.estimator = FlowEstimator(self.flow_method)
            return video_flow(frames[index], estimator=local.estimator), None

        flows = [None] * len(items)
        workers = self.workers or os.cpu_count() or 1
        threads = cv2.getNumThreads()
        cv2.setNumThreads(1)  # one video per thread already; OpenCV's own pool would oversubscribe the cores
        try:
            with concurrent.futures.ThreadPoolExecutor(max(1, min(workers, len(items)))) as pool:
                results = pool.map(one, range(len(items)))
                shown = progress(results, total=len(items), desc="key-frame flow") if self.show_progress else results
                for i, (flow, problem) in enumerate(shown):
                    if problem:
                        self.skips.skip(names[i], problem)
                    flows[i] = flow
        finally:
            cv2.setNumThreads(threads)
        return flows

    # ------------------------------------------------------------------------------------------------ VLAD embedding
    def embed_flows(self, flows):
        """Clip embeddings (N, embedding_dim) of key-frame flows, each (key_frames − 1, H, W, 2) (None → zeros)."""
        self._check_fitted()
        from keras import ops

        from keras_motion.vre_mra.vlad import VLADEncoder

        vlad = VLADEncoder(self.codebook_, normalization=self.normalization)
        out = np.zeros((len(flows), self.embedding_dim), np.float32)
        # Maps of one shape are batched across videos: one layer call per ~1e5 flow vectors.
        pending, owners = [], []

        def flush():
            if not pending:
                return
            maps = np.concatenate(pending)
            mask = np.sqrt((maps**2).sum(-1)) > self.threshold_
            codes = ops.convert_to_numpy(vlad(maps, mask=mask))
            row = 0
            for n in owners:
                clip = codes[row : row + self.key_frames - 1]
                out[n] = clip.reshape(-1) if self.pooling == "concat" else clip.mean(0)
                row += self.key_frames - 1
            pending.clear()
            owners.clear()

        indices = range(len(flows))
        for n in progress(indices, desc="VLAD") if self.show_progress and len(flows) > 200 else indices:
            f = flows[n]
            if f is None:
                continue
            f = self._check_maps(f, n)
            if pending and (
                pending[0].shape[1:] != f.shape[1:]
                or (len(owners) + 1) * f[0, ..., 0].size * len(f) > _DESCRIPTORS_PER_CALL
            ):
                flush()
            pending.append(f)
            owners.append(n)
        flush()
        return out

    def _check_maps(self, flow, n):
        flow = np.asarray(flow, np.float32)
        if flow.ndim != 4 or flow.shape[0] != self.key_frames - 1 or flow.shape[-1] != 2:
            raise ValueError(
                f"video {n}: expected {self.key_frames - 1} flow maps (key_frames - 1, H, W, 2), got {flow.shape}"
            )
        if not np.isfinite(flow).all():
            raise ValueError(f"video {n}: the flow holds NaN/inf; clean it (np.nan_to_num) first")
        return flow

    # -------------------------------------------------------------------------------------------------------- fit
    def fit_flows(self, flows):
        """Learns threshold, codebook and label centres from key-frame flows (see `key_flows`); sets `labels_`."""
        from sklearn.cluster import KMeans, MiniBatchKMeans

        kept = [n for n, f in enumerate(flows) if f is not None]
        if len(kept) < self.num_labels:
            raise ValueError(
                f"MotionLabeler: {len(kept)} usable video(s) for {self.num_labels} labels; give at "
                f"least num_labels videos ({len(flows) - len(kept)} were skipped: "
                f"{self.skips.summary()})"
            )
        maps = [self._check_maps(flows[n], n) for n in kept]
        magnitudes = [np.sqrt((f**2).sum(-1)) for f in maps]
        self.threshold_ = float(otsu_threshold(magnitudes))
        moving = [m > self.threshold_ for m in magnitudes]
        per_video = np.array([m.sum() for m in moving])
        total = int(per_video.sum())
        if total < self.codebook_size:
            raise ValueError(
                f"MotionLabeler: only {total} flow entries lie above the OTSU threshold ({self.threshold_:.4g} px) "
                f"over {len(kept)} videos, fewer than codebook_size={self.codebook_size}: the videos are (nearly) "
                "static. Use videos with motion, a longer interval, or a smaller codebook."
            )
        static = int((per_video == 0).sum())
        if static:
            warnings.warn(
                f"MotionLabeler: {static} of {len(kept)} video(s) have no flow entry above the OTSU "
                f"threshold ({self.threshold_:.4g} px): their VLAD embedding is zero (they share a label)",
                RuntimeWarning,
                stacklevel=2,
            )
        # The codebook sample: every entry with probability max_samples / total, drawn video by video.
        rng = np.random.default_rng(self.seed)
        rate = min(1.0, self.max_codebook_samples / total)
        sample = []
        for f, m in zip(maps, moving):
            entries = f[m]
            if rate < 1.0:
                entries = entries[rng.random(len(entries)) < rate]
            sample.append(entries)
        sample = np.concatenate(sample).astype(np.float32)
        if len(sample) > self.minibatch_above:
            codebook = MiniBatchKMeans(self.codebook_size, random_state=self.seed, n_init=3, batch_size=4096).fit(
                sample
            )
        else:
            codebook = KMeans(self.codebook_size, random_state=self.seed, n_init=1).fit(sample)
        self.codebook_ = codebook.cluster_centers_.astype(np.float32)
        embeddings = self.embed_flows([flows[n] for n in kept])
        clusters = KMeans(self.num_labels, random_state=self.seed, n_init=10).fit(embeddings)
        self.centres_ = clusters.cluster_centers_.astype(np.float32)
        self.labels_ = np.full(len(flows), SKIPPED, np.int64)
        self.labels_[kept] = clusters.labels_
        self.embeddings_ = np.zeros((len(flows), self.embedding_dim), np.float32)
        self.embeddings_[kept] = embeddings
        return self

    def fit(self, videos):
        """Fits on videos (arrays, paths or a VideoDataset); `labels_` holds their labels (-1: skipped)."""
        self.skips = SkipLog("MotionLabeler")
        return self.fit_flows(self.key_flows(videos))

    def fit_predict(self, videos):
        return self.fit(videos).labels_

    # ---------------------------------------------------------------------------------------------------- predict
    def predict_flows(self, flows):
        """Labels (nearest label centre) of key-frame flows; None entries get -1."""
        embeddings = self.embed_flows(flows)
        d = (embeddings**2).sum(1, keepdims=True) - 2 * embeddings @ self.centres_.T + (self.centres_**2).sum(1)
        labels = d.argmin(1).astype(np.int64)
        labels[[f is None for f in flows]] = SKIPPED
        return labels

    def predict(self, videos):
        """Pseudo-motion labels of videos (-1 for a skipped one, counted in `self.skips`)."""
        return self.predict_flows(self.key_flows(videos))

    def embed(self, videos):
        return self.embed_flows(self.key_flows(videos))

    # ------------------------------------------------------------------------------------------------- save / load
    def _check_fitted(self):
        if self.codebook_ is None:
            raise NotFittedError("MotionLabeler is not fitted: call fit(videos) or load(path) first")

    def save(self, path):
        """Writes config, threshold, codebook and label centres to `path` (.npz, atomically)."""
        self._check_fitted()
        with atomic_path(path) as tmp:
            np.savez(
                tmp,
                config=json.dumps(self.get_config()),
                threshold=np.float64(self.threshold_),
                codebook=self.codebook_,
                centres=self.centres_,
            )

    @classmethod
    def load(cls, path, **overrides):
        """A fitted labeler from `save`'s file (`overrides`: e.g. workers=, show_progress=)."""
        with open_npz(path, "delete it and fit the labeler again") as data:
            config = json.loads(str(data["config"]))
            labeler = cls(**{**config, **overrides})
            labeler.threshold_ = float(data["threshold"])
            labeler.codebook_ = data["codebook"].astype(np.float32)
            labeler.centres_ = data["centres"].astype(np.float32)
        return labeler


def _as_items(videos):
    """(items, display names): arrays stay arrays, a VideoDataset / paths become paths."""
    from keras_motion.datasets.base import FileDataset

    if isinstance(videos, FileDataset):
        return list(videos.paths), list(videos.paths)
    if isinstance(videos, np.ndarray):
        if videos.ndim != 5:
            raise ValueError(
                f"an array of videos must be (N, T, H, W, 3), got shape {videos.shape}; pass a list for "
                "videos of different lengths"
            )
        return list(videos), [f"video {i}" for i in range(len(videos))]
    items = list(videos)
    names = [os.fspath(v) if isinstance(v, (str, os.PathLike)) else f"video {i}" for i, v in enumerate(items)]
    return items, names


def purity(clusters, classes):
    """Share of items whose cluster's majority class is their class.

    >>> purity(np.array([0, 0, 1, 1]), np.array([2, 2, 2, 3]))
    0.75
    """
    clusters, classes = np.asarray(clusters), np.asarray(classes)
    return float(sum(np.bincount(classes[clusters == c]).max() for c in np.unique(clusters)) / len(classes))


def label_agreement(labels, classes):
    """How well pseudo-motion labels agree with the true classes of their videos (skipped videos, -1, left out):
    NMI, purity, and the purity of a single cluster (the largest class's share) to compare it with.

    >>> label_agreement(np.array([0, 0, 1, 1, -1]), np.array([0, 0, 1, 1, 1]))
    {'nmi': 1.0, 'purity': 1.0, 'purity_of_one_cluster': 0.5}
    """
    from sklearn.metrics import normalized_mutual_info_score

    labels, classes = np.asarray(labels), np.asarray(classes)
    kept = labels >= 0
    return {
        "nmi": float(normalized_mutual_info_score(classes[kept], labels[kept])),
        "purity": purity(labels[kept], classes[kept]),
        "purity_of_one_cluster": float(np.bincount(classes[kept]).max() / kept.sum()),
    }
