"""VRE + MRA's retrieval ([000] §4.4): the clip nearest to an image by the motion representation f̃, and a picture of
each image beside the first frames of its nearest clip (retrieval.png, and the `RetrievalImages` TensorBoard
picture)."""

import numpy as np


def nearest_clips(net, images, clips):
    """Index of the clip nearest to each image by f̃ = `net.image_motion` (of the clip's first frame: one GRU step,
    as for the image).

    Args:
        net: a `VisualMotionNet`.
        images: uint8 (N, S, S, 3) images; clips: uint8 (M, k, S, S, 3) clips, both at the net's input size.

    Returns:
        int (N,) clip indices.

    Reference: [000] §4.4 (qualitative results: the clip nearest to an image by f̃).
    """
    from keras_motion.vre_mra.training import predict_in_batches

    image_motion = predict_in_batches(net.image_motion, images)
    clip_motion = predict_in_batches(net.image_motion, clips[:, 0])
    d = (image_motion**2).sum(1)[:, None] - 2 * image_motion @ clip_motion.T + (clip_motion**2).sum(1)[None]
    return d.argmin(1)


def match_grid(images, labels, clips, nearest, shown=8, sep=2):
    """uint8 RGB picture, doubled for viewing: for up to `shown` classes, one image (the first of its class), then the
    first frames (at most six) of its nearest clip.

    Args:
        images, labels: uint8 (N, S, S, 3) images and their classes.
        clips: uint8 (M, k, S, S, 3) clips; nearest: the clip index of each image (`nearest_clips`).
        shown: classes drawn.
        sep: white pixels between cells (three times that after the query image).

    Example:

    >>> match_grid(np.zeros((2, 8, 8, 3), np.uint8), [0, 1], np.zeros((3, 4, 8, 8, 3), np.uint8), [2, 0]).shape
    (40, 112, 3)
    """
    s = images.shape[1]
    frames = min(clips.shape[1], 6)
    rows = []
    for i in np.unique(np.asarray(labels), return_index=True)[1][:shown]:  # one image per class
        cells = [images[i]] + [clips[nearest[i], t] for t in range(frames)]
        row = np.full((s, (s + sep) * len(cells) + sep * 3, 3), 255, np.uint8)
        x = 0
        for j, cell in enumerate(cells):
            row[:, x : x + s] = cell
            x += s + sep + (sep * 3 if j == 0 else 0)  # a wider gap after the query image
        rows.append(row)
    grid = np.concatenate([np.concatenate([r, np.full((sep, r.shape[1], 3), 255, np.uint8)]) for r in rows])
    return np.kron(grid, np.ones((2, 2, 1), np.uint8))


def draw_matches(path, images, labels, clips, nearest, shown=8, sep=2):
    """Writes `match_grid(images, labels, clips, nearest, shown, sep)` as a PNG at `path`.

    Example:

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "matches.png")
    >>> draw_matches(path, np.zeros((2, 8, 8, 3), np.uint8), [0, 1], np.zeros((3, 4, 8, 8, 3), np.uint8), [2, 0])
    >>> os.path.getsize(path) > 0
    True

    Reference: [000] §4.4 (qualitative results: the clip nearest to an image by f̃).
    """
    from keras_motion.flow.grid import save_png

    save_png(path, match_grid(images, labels, clips, nearest, shown, sep))
