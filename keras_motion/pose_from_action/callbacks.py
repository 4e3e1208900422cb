"""Pose from Action's TensorBoard pictures: a few held-out triplets and the verifier's verdict on each, every few
epochs."""

import cv2
import keras
import numpy as np

from keras_motion.callbacks import ImageLogger
from keras_motion.flow.grid import to_display_uint8
from keras_motion.flow.visualize import flow_to_color

COLUMNS = ("frame t", "frame t+D", "flow stack", "verdict")


def stack_displacement(stacks):
    """(..., H, W, 2Δ) flow stacks (u0, v0, u1, v1, …) → (..., H, W, 2): the sum of their Δ flows, the displacement
    over the Δ frames (to first order), one colour picture per stack."""
    stacks = np.asarray(stacks, np.float32)
    return stacks.reshape(stacks.shape[:-1] + (-1, 2)).sum(-2)


def triplet_grid(frame_a, frame_b, stacks, labels, probabilities, max_magnitude=None, cell=96, panel=128):
    """One uint8 RGB picture, a row per triplet: frame t | frame t + Δ | the stack's displacement in colour (one
    scale for all rows) | the verdict: the true label (positive: the true stack; negative: another video's), the
    verifier's P(positive), and "correct" in green or "WRONG" in red (threshold 0.5).

    Args:
        frame_a, frame_b: (N, h, w, 3) frames (uint8, or floats as `to_display_uint8` reads them).
        stacks: (N, h, w, 2Δ) flow stacks, px.
        labels: (N,) 1 for a positive, 0 for a negative.
        probabilities: (N,) the verifier's P(positive).
        max_magnitude: px at full colour saturation (default: the 99th percentile displacement of the rows).
        cell: side, px, each crop is resized to (nearest neighbour: the crops are small); panel: verdict width, px.

    >>> triplet_grid(*np.zeros((2, 1, 8, 8, 3), np.uint8), np.zeros((1, 8, 8, 6)), [1], [0.9]).shape
    (116, 422, 3)
    """
    frames = [to_display_uint8(frame_a), to_display_uint8(frame_b)]
    motion = stack_displacement(stacks)
    if max_magnitude is None:
        max_magnitude = float(np.percentile(np.linalg.norm(motion, axis=-1), 99)) if motion.size else 0.0
    colours = flow_to_color(motion, max(max_magnitude, 1e-3))
    labels, probabilities = np.asarray(labels).reshape(-1), np.asarray(probabilities, np.float32).reshape(-1)
    header, gap, font = 18, 2, cv2.FONT_HERSHEY_SIMPLEX
    n, width = len(labels), 3 * (cell + gap) + panel
    grid = np.full((header + n * (cell + gap), width, 3), 255, np.uint8)
    for j, title in enumerate(COLUMNS):
        cv2.putText(grid, title, (j * (cell + gap) + 4, header - 5), font, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    for i in range(n):
        top = header + i * (cell + gap)
        for j, picture in enumerate((frames[0][i], frames[1][i], colours[i])):
            left = j * (cell + gap)
            grid[top : top + cell, left : left + cell] = cv2.resize(
                picture, (cell, cell), interpolation=cv2.INTER_NEAREST
            )
        correct = (probabilities[i] > 0.5) == (labels[i] == 1)
        colour = (0, 150, 0) if correct else (210, 0, 0)
        left = 3 * (cell + gap)
        grid[top : top + cell, left : left + 4] = colour  # a bar the eye finds the mistakes by
        lines = (
            "positive" if labels[i] == 1 else "negative",
            "(its stack)" if labels[i] == 1 else "(other video)",
            f"P(true) {probabilities[i]:.2f}",
            "correct" if correct else "WRONG",
        )
        for k, line in enumerate(lines):
            cv2.putText(
                grid, line, (left + 10, top + 16 + 18 * k), font, 0.42, colour if k == 3 else (0, 0, 0), 1, cv2.LINE_AA
            )
    return grid


class TripletImages(ImageLogger):
    """Every `every` epochs, logs `triplet_grid` rows for a few fixed (held-out) triplets with the verifier's
    current verdicts: a TensorBoard image `name` in `log_dir/images` on every backend, or PNGs
    `log_dir/images/triplets_0007.png` without tensorboard (or with `use_tensorboard=False`). Steps and file
    numbers are the 0-based epoch, as the scalars' are.

    Args:
        frame_a, frame_b, stacks, labels: the triplets shown (see `triplet_grid`); `from_batches` takes them from
            evaluation `TripletBatches`.
        log_dir: the run's folder (its `images` subfolder receives the pictures).
        every, name, use_tensorboard: of `ImageLogger`.
        cell: side of each picture, px.

    Example:

    >>> held = task.triplet_batches(videos.heldout, training=False)  # doctest: +SKIP
    >>> verifier.fit(train, epochs=18, callbacks=[TripletImages.from_batches(held, "logs/verifier")])  # doctest: +SKIP

    Reference:
        Purushwalkam & Gupta 2016, §3: the verifier's question, "does this flow stack explain the change between
        these two frames?", on positives and on negatives from other videos.
    """

    file_prefix = "triplets"

    def __init__(
        self,
        frame_a,
        frame_b,
        stacks,
        labels,
        log_dir,
        every=1,
        name="triplets/image_verdicts",
        cell=96,
        use_tensorboard=None,
    ):
        super().__init__(log_dir, every, name, use_tensorboard)
        self.inputs = {
            "frame_a": np.asarray(frame_a),
            "frame_b": np.asarray(frame_b),
            "flow": np.asarray(stacks, np.float32),
        }
        self.labels = np.asarray(labels).reshape(-1)
        if (
            not len(self.labels)
            == len(self.inputs["frame_a"])
            == len(self.inputs["frame_b"])
            == len(self.inputs["flow"])
        ):
            raise ValueError(
                f"TripletImages: {len(self.labels)} labels for {len(self.inputs['frame_a'])}, "
                f"{len(self.inputs['frame_b'])} and {len(self.inputs['flow'])} frames / stacks"
            )
        self.cell = int(cell)
        # one colour scale for every epoch's picture: the same stacks are shown each time
        self.max_magnitude = float(np.percentile(np.linalg.norm(stack_displacement(stacks), axis=-1), 99))

    @classmethod
    def from_batches(cls, batches, log_dir, count=3, **kwargs):
        """The first `count` positives of batch 0 of `batches` (evaluation `TripletBatches`, in-batch or expanded),
        each followed by its first negative: the same two frames with another video's stack."""
        x, labels = batches[0][:2]
        positives, k = int((np.asarray(labels) == 1).sum()), batches.negatives
        if "partners" in x:  # pair the inputs up as the verifier does: the positives, then each one's K negatives
            anchors = np.concatenate([np.arange(positives), np.repeat(np.arange(positives), k)])
            stacks = np.concatenate([np.arange(positives), np.asarray(x["partners"]).reshape(-1)])
        else:
            anchors = stacks = np.arange(len(labels))
        shown = np.arange(min(count, positives))
        rows = np.stack([shown, positives + k * shown], axis=1).reshape(-1)
        return cls(
            x["frame_a"][anchors[rows]],
            x["frame_b"][anchors[rows]],
            x["flow"][stacks[rows]],
            np.asarray(labels)[rows],
            log_dir,
            **kwargs,
        )

    def probabilities(self):
        """The current model's P(positive) for the shown triplets (its outputs are logits, as `TripletVerifier`'s)."""
        # a direct call, not `predict`: on TensorFlow a predict function traced for a few triplets costs seconds
        logits = self.model(self.inputs, training=False)
        return keras.ops.convert_to_numpy(keras.ops.softmax(keras.ops.cast(logits, "float32"), axis=-1))[:, 1]

    def make_image(self):
        return triplet_grid(
            self.inputs["frame_a"],
            self.inputs["frame_b"],
            self.inputs["flow"],
            self.labels,
            self.probabilities(),
            self.max_magnitude,
            self.cell,
        )
