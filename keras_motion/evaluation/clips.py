"""Labeled clips from videos: training batches for finetuning, and multi-clip (video-level) prediction.

Videos are decoded arrays or lazy `VideoFrames` (files read per access, `open_videos`): either way a batch indexes
only the frames of its clips, so over files each batch decodes just those and memory does not grow with the number
of videos.
"""

import keras
import numpy as np

from keras_motion import distribution
from keras_motion.errors import KerasMotionError
from keras_motion.transforms import crop_clip, resize_clip, to_uint8
from keras_motion.utils.resume import EpochSeeded
from keras_motion.utils.skips import SkipLog
from keras_motion.video.lazy import VideoFrames
from keras_motion.video.sampling import clip_indices, random_clip_start, uniform_clip_starts


def open_videos(paths, size=None, skips=None, progress=None):
    """`(videos, kept)`: a lazy `VideoFrames(path, size)` (equal to `read_video(path, size)`, decoded per access) for
    each readable file of `paths`, and the indices of those files. Each file is opened once now to count its frames,
    so that no batch meets an unreadable file later; the others are warned about, skipped and counted in `skips` (a
    `SkipLog`).

    Args:
        paths: video files.
        size: as in `read_video` (None, the short side, or `(height, width)`).
        skips: the `SkipLog` to count into (default: one of its own).
        progress: a description to show progress under, or None (silent).

    Example:

    >>> videos, kept = open_videos(["a.avi", "empty.avi"], size=128)  # doctest: +SKIP
    >>> kept, videos[0][[0, 5]].shape  # doctest: +SKIP
    ([0], (2, 128, 170, 3))
    """
    from keras_motion.utils.progress import progress as show

    skips = SkipLog("videos") if skips is None else skips
    paths = list(paths)
    videos, kept = [], []
    for i in show(range(len(paths)), desc=progress) if progress else range(len(paths)):
        video = VideoFrames(paths[i], size=size)
        try:
            if len(video) < 1:  # opens the file: indexes its packets, decodes its first frame
                raise KerasMotionError(f"{paths[i]} holds no frames; re-encode or remove it")
        except KerasMotionError as e:
            skips.skip(paths[i], e)
            continue
        videos.append(video)
        kept.append(i)
    return videos, kept


class VideoClips(EpochSeeded, keras.utils.PyDataset):
    """Training batches `(clips uint8 (B, N, L, L, 3), labels)` from labeled videos: per video and epoch a random
    `clip_len`-frame window (short videos padded with their last frame), a random `crop_size` square after
    resizing the short side to `size`, and a horizontal mirror with probability 0.5 (`flip`).

    `videos` is a sequence of decoded videos (T, H, W, 3) (e.g. `SyntheticActions.frames`) or of lazy ones
    (`VideoFrames`, e.g. from `open_videos`), of which a batch decodes only its clips' frames: the same batches as
    over the decoded arrays. A batch is a pure function of (seed, epoch, index), so Keras' `workers` (threads,
    passed through `kwargs`) give the same batches in the same order.

    Args:
        videos: the decoded videos; labels: their integer classes.
        clip_len, crop_size, size: clip frames, crop side, short side the videos are resized to first (`None`: as is).
        batch_size: clips per batch.
        flip: mirror a clip with probability 0.5.
        seed: the seed of the order, windows, crops and mirrors.
        drop_remainder: drop the last, partial batch (`len` is ⌊V / batch_size⌋ and every batch holds exactly
            `batch_size` clips; the dropped videos change with every epoch's order), so that batches divide evenly
            across devices (`keras.distribution.DataParallel`) and every batch has one shape.
        kwargs: `keras.utils.PyDataset`'s (`workers`, `use_multiprocessing`, `max_queue_size`).
    """

    def __init__(
        self,
        videos,
        labels,
        clip_len=16,
        crop_size=112,
        size=None,
        batch_size=8,
        flip=True,
        seed=0,
        drop_remainder=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if len(videos) != len(labels) or len(videos) == 0:
            raise ValueError(f"need as many labels as videos (≥ 1), got {len(videos)} videos, {len(labels)} labels")
        self.drop_remainder = bool(drop_remainder)
        if self.drop_remainder and len(videos) < int(batch_size):
            raise ValueError(
                f"VideoClips: {len(videos)} video(s) do not fill one batch of batch_size="
                f"{int(batch_size)}, and drop_remainder=True drops partial batches; use batch_size ≤ "
                f"{len(videos)} or drop_remainder=False"
            )
        self.videos = [to_uint8(v, name=f"videos[{i}]") for i, v in enumerate(videos)]  # float videos: no guessing
        self.labels = np.asarray(labels, np.int32)
        self.clip_len, self.crop_size, self.size = int(clip_len), int(crop_size), size
        self.batch_size, self.flip, self.seed = int(batch_size), bool(flip), int(seed)
        self.epoch = 0
        self.on_epoch_end()

    def __len__(self):
        if self.drop_remainder:
            return len(self.videos) // self.batch_size
        return int(np.ceil(len(self.videos) / self.batch_size))

    def on_epoch_end(self):
        self.order = np.random.default_rng((self.seed, self.epoch)).permutation(len(self.videos))
        self.epoch += 1

    def __getitem__(self, index):
        batch = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        rng = np.random.default_rng((self.seed, self.epoch, index))
        clips = []
        for i in batch:
            video = self.videos[i]
            start = random_clip_start(len(video), self.clip_len, rng)
            clip = crop_clip(
                resize_clip(video[clip_indices(start, self.clip_len, len(video))], self.size), self.crop_size, rng
            )
            if self.flip and rng.random() < 0.5:
                clip = clip[:, :, ::-1]
            clips.append(clip)
        return np.stack(clips), self.labels[batch]


def _clip_frames(video, starts, clip_len, size):
    """The clips of `video` starting at `starts`, (len(starts), clip_len, H', W', 3) at short side `size`: each frame
    they cover read once (the clips overlap) and resized alone, as resizing the whole video would."""
    indices = np.stack([clip_indices(s, clip_len, len(video)) for s in starts])
    wanted, where = np.unique(indices, return_inverse=True)
    return resize_clip(video[wanted], size)[where.reshape(indices.shape)]


def multi_clip_predict(
    model, videos, clip_len=16, crop_size=112, num_clips=10, size=None, batch_size=16, videos_per_chunk=32
):
    """Class probabilities of `num_clips` evenly spaced, centrally cropped clips per video: (V, num_clips, C).

    `videos` is any sequence of decoded videos (T, H, W, 3) or lazy ones (`VideoFrames`, e.g. from `open_videos`):
    each video is indexed once, for the frames its clips cover, so a file is decoded once per call and only where
    the clips lie. They are taken `videos_per_chunk` at a time, so memory does not grow with the test set. The model
    outputs logits (softmax is applied here). Average over clips for the video-level prediction
    (`multi_clip_accuracy`)."""
    out = []
    for first in range(0, len(videos), videos_per_chunk):
        clips = []
        for k in range(first, min(first + videos_per_chunk, len(videos))):
            video = to_uint8(videos[k], name=f"videos[{k}]")
            starts = uniform_clip_starts(len(video), clip_len, num_clips)
            clips.extend(crop_clip(clip, crop_size, None) for clip in _clip_frames(video, starts, clip_len, size))
        logits = keras.ops.convert_to_numpy(distribution.predict(model, np.stack(clips), batch_size=batch_size))
        out.append(keras.ops.convert_to_numpy(keras.ops.softmax(logits.astype("float32"), axis=-1)))
    probs = np.concatenate(out)
    return probs.reshape(len(videos), num_clips, -1)


def multi_clip_accuracy(probabilities, labels):
    """`{"video_accuracy": ..., "clip_accuracy": ...}`: video level = argmax of the clip-averaged probabilities,
    clip level = every clip judged on its own."""
    probabilities, labels = np.asarray(probabilities), np.asarray(labels)
    video = float((probabilities.mean(1).argmax(-1) == labels).mean())
    clip = float((probabilities.argmax(-1) == labels[:, None]).mean())
    return {"video_accuracy": video, "clip_accuracy": clip}
