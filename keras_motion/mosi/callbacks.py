"""MoSI's TensorBoard pictures: the pseudo-motion clips of one source image, a row per label, with the label the
network predicts for each, every few epochs."""

import cv2
import keras
import numpy as np

from keras_motion import distribution
from keras_motion.callbacks import ImageLogger
from keras_motion.mosi.pseudo_motion import PseudoMotion


def label_name(speed):
    """A short name of a label's (x, y) speed: "x-2" (window moving left, 2 speed steps), "y+1", "static".

    >>> [label_name(s) for s in [(-2, 0), (0, 0), (0, 1)]]
    ['x-2', 'static', 'y+1']
    """
    x, y = (int(v) for v in speed)
    if x == y == 0:
        return "static"
    return f"x{x:+d}" if x else f"y{y:+d}"


class PseudoMotionClips(ImageLogger):
    """Every `every` epochs, logs a strip of the pseudo-motion clips of one source image: a row per label, its name
    and then `frames` evenly spaced frames of its clip; with a `model` (the clip classifier), the label it predicts
    below the name, green when right and red when wrong. A TensorBoard image `name` in `log_dir/images` where
    tensorboard is installed (any backend), else PNGs `log_dir/images/pseudo_motion_0007.png`.

    The clips come from a copy of `generator` seeded with `seed`, drawn once: every picture shows the same clips, and
    the training's own random stream (its starts, masks, jitter) is left as it was, so that logging does not change
    what the network is trained on.

    Args:
        generator: the `PseudoMotion` layer of the training (its settings and label pool).
        image: one source image, uint8 (H, W, 3) of any size (a source square, as `SourceImages` makes it).
        log_dir, every, name, use_tensorboard: of `keras_motion.callbacks.ImageLogger`.
        frames: frames shown per clip (at most the clip's).
        model: the clip classifier (clips → logits; e.g. the backbone inside `pseudo_motion_classifier`), or `None`
            (names only).
        training: clips as trained (random start, static mask, jitter) or as evaluated (centred, deterministic).
        seed: seed of the copy's draws; cell: side (px) of a shown frame (small clips are enlarged, nearest pixel).

    Example:

    >>> gen = PseudoMotion(num_frames=4, crop_size=16, source_size=32, seed=0)
    >>> strip = PseudoMotionClips(gen, np.zeros((40, 48, 3), "uint8"), "logs", frames=3).make_strip()
    >>> strip.shape
    (432, 240, 3)

    Reference: Huang et al., "Self-supervised Motion Learning from Static Images", CVPR 2021, §3 and Fig. 2-3.
    """

    file_prefix = "pseudo_motion"
    text_width = 96

    def __init__(
        self,
        generator,
        image,
        log_dir,
        every=1,
        frames=4,
        model=None,
        training=True,
        seed=0,
        cell=48,
        name="mosi/pseudo_motion_clips",
        use_tensorboard=None,
    ):
        super().__init__(log_dir, every, name, use_tensorboard)
        self.generator, self.image = generator, np.asarray(image)
        self.frames, self.video_model = max(1, min(int(frames), generator.num_frames)), model
        self.training, self.seed, self.cell = bool(training), int(seed), max(int(cell), generator.crop_size)
        self._clips = None

    def clips(self):
        """The shown clips uint8 (C_T, N, L, L, 3), one per label in label order (drawn on the first call)."""
        if self._clips is None:
            copy = PseudoMotion.from_config({**self.generator.get_config(), "seed": self.seed})
            clips, _ = copy(self.image[None], training=self.training)
            low, high = self.generator.value_range
            clips = (keras.ops.convert_to_numpy(clips) - low) * (255.0 / (high - low))
            self._clips = np.clip(np.round(clips), 0, 255).astype(np.uint8)
        return self._clips

    def predictions(self):
        """The label index `model` predicts for each clip, or `None` without a model."""
        if self.video_model is None:
            return None
        low, high = self.generator.value_range  # the model takes clips as the generator makes them
        clips = self.clips().astype("float32") * ((high - low) / 255.0) + low
        # `predict` compiles the model once (a direct call runs op by op, which JAX compiles op by op).
        return np.asarray(distribution.predict(self.video_model, clips, batch_size=len(clips))).argmax(-1)

    def make_strip(self):
        """The uint8 RGB strip (C_T · cell, text_width + frames · cell, 3)."""
        clips, predicted = self.clips(), self.predictions()
        shown = np.linspace(0, clips.shape[1] - 1, self.frames).round().astype(int)
        cell, pool = self.cell, self.generator.label_pool
        rows = []
        for label, clip in enumerate(clips):
            text = np.full((cell, self.text_width, 3), 255, np.uint8)
            cv2.putText(
                text,
                label_name(pool[label]),
                (4, cell // 2 - 2),
                cv2.FONT_HERSHEY_SIMPLEX,
                0.45,
                (0, 0, 0),
                1,
                cv2.LINE_AA,
            )
            if predicted is not None:
                right = predicted[label] == label
                cv2.putText(
                    text,
                    f"> {label_name(pool[predicted[label]])}",
                    (4, cell // 2 + 14),
                    cv2.FONT_HERSHEY_SIMPLEX,
                    0.4,
                    (0, 140, 0) if right else (200, 0, 0),
                    1,
                    cv2.LINE_AA,
                )
            frames = [cv2.resize(clip[t], (cell, cell), interpolation=cv2.INTER_NEAREST) for t in shown]
            rows.append(np.concatenate([text] + frames, axis=1))
        strip = np.concatenate(rows, axis=0)
        strip[::cell][1:] = 128  # a grey line between the rows
        return strip

    make_image = make_strip
