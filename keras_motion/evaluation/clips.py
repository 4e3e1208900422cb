"""Labeled clips from videos: training batches for finetuning, and multi-clip (video-level) prediction."""

import keras
import numpy as np

from keras_motion import distribution
from keras_motion.transforms import crop_clip, resize_clip, to_uint8
from keras_motion.utils.resume import EpochSeeded
from keras_motion.video.sampling import clip_indices, random_clip_start, uniform_clip_starts


class VideoClips(EpochSeeded, keras.utils.PyDataset):
    """Training batches `(clips uint8 (B, N, L, L, 3), labels)` from labeled videos: per video and epoch a random
    `clip_len`-frame window (short videos padded with their last frame), a random `crop_size` square after
    resizing the short side to `size`, and a horizontal mirror with probability 0.5 (`flip`).

    `videos` is a sequence of decoded videos (T, H, W, 3) (e.g. `SyntheticActions.frames`).

    Args:
        videos: the decoded videos; labels: their integer classes.
        clip_len, crop_size, size: clip frames, crop side, short side the videos are resized to first (`None`: as is).
        batch_size: clips per batch.
        flip: mirror a clip with probability 0.5.
        seed: the seed of the order, windows, crops and mirrors.
        drop_remainder: drop the last, partial batch (`len` is ⌊V / batch_size⌋ and every batch holds exactly
            `batch_size` clips; the dropped videos change with every epoch's order), so that batches divide evenly
            across devices (`keras.distribution.DataParallel`) and every batch has one shape.
    """

    def __init__(self, videos, labels, clip_len=16, crop_size=112, size=None, batch_size=8, flip=True, seed=0,
                 drop_remainder=False, **kwargs):
        super().__init__(**kwargs)
        if len(videos) != len(labels) or len(videos) == 0:
            raise ValueError(f"need as many labels as videos (≥ 1), got {len(videos)} videos, {len(labels)} labels")
        self.drop_remainder = bool(drop_remainder)
        if self.drop_remainder and len(videos) < int(batch_size):
            raise ValueError(f"VideoClips: {len(videos)} video(s) do not fill one batch of batch_size="
                             f"{int(batch_size)}, and drop_remainder=True drops partial batches; use batch_size ≤ "
                             f"{len(videos)} or drop_remainder=False")
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
        batch = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        rng = np.random.default_rng((self.seed, self.epoch, index))
        clips = []
        for i in batch:
            video = self.videos[i]
            start = random_clip_start(len(video), self.clip_len, rng)
            clip = crop_clip(resize_clip(video[clip_indices(start, self.clip_len, len(video))], self.size),
                         self.crop_size, rng)
            if self.flip and rng.random() < 0.5:
                clip = clip[:, :, ::-1]
            clips.append(clip)
        return np.stack(clips), self.labels[batch]


def multi_clip_predict(model, videos, clip_len=16, crop_size=112, num_clips=10, size=None, batch_size=16,
                       videos_per_chunk=32):
    """Class probabilities of `num_clips` evenly spaced, centrally cropped clips per video: (V, num_clips, C).

    `videos` is any sequence of decoded videos (T, H, W, 3), e.g. one that decodes lazily on indexing; they are
    taken `videos_per_chunk` at a time, so memory does not grow with the test set. The model outputs logits
    (softmax is applied here). Average over clips for the video-level prediction (`multi_clip_accuracy`)."""
    out = []
    for first in range(0, len(videos), videos_per_chunk):
        clips = []
        for k in range(first, min(first + videos_per_chunk, len(videos))):
            video = resize_clip(to_uint8(videos[k], name=f"videos[{k}]"), size)  # once per video: the 10 clips overlap
            for s in uniform_clip_starts(len(video), clip_len, num_clips):
                clips.append(crop_clip(video[clip_indices(s, clip_len, len(video))], crop_size, None))
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
