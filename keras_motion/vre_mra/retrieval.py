"""A picture of VRE + MRA's retrieval ([000] §4.4): each image beside the first frames of its nearest clip."""

import numpy as np


def draw_matches(path, images, labels, clips, nearest, shown=8, sep=2):
    """Writes a PNG at `path`: for up to `shown` classes, one image, then the first frames of its nearest clip.

    Args:
        path: the PNG file.
        images, labels: uint8 (N, S, S, 3) images and their classes.
        clips: uint8 (M, k, S, S, 3) clips; nearest: the clip index of each image (`VREMRA.nearest_clips`).
        shown: classes drawn (one image each, the first of its class).
        sep: white pixels between cells (three times that after the query image).

    Example:

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "matches.png")
    >>> draw_matches(path, np.zeros((2, 8, 8, 3), np.uint8), [0, 1], np.zeros((3, 4, 8, 8, 3), np.uint8), [2, 0])
    >>> os.path.getsize(path) > 0
    True

    Reference: [000] §4.4 (qualitative results: the clip nearest to an image by f̃).
    """
    from keras_motion.flow.grid import save_png

    s = images.shape[1]
    frames = min(clips.shape[1], 6)
    rows = []
    for i in np.unique(np.asarray(labels), return_index=True)[1][:shown]:  # one image per class
        cells = [images[i]] + [clips[nearest[i], t] for t in range(frames)]
        row = np.full((s, (s + sep) * len(cells) + sep * 3, 3), 255, np.uint8)
        x = 0
        for j, cell in enumerate(cells):
            row[:, x:x + s] = cell
            x += s + sep + (sep * 3 if j == 0 else 0)  # a wider gap after the query image
        rows.append(row)
    grid = np.concatenate([np.concatenate([r, np.full((sep, r.shape[1], 3), 255, np.uint8)]) for r in rows])
    save_png(path, np.kron(grid, np.ones((2, 2, 1), np.uint8)))  # doubled for viewing
