"""The synthetic benchmark on disk: videos, exact flows and labels written once, read back as a `VideoDataset`."""

import csv
import io
import json
import os

import numpy as np

from keras_motion.datasets.base import VideoDataset
from keras_motion.datasets.splits import listed_path
from keras_motion.datasets.synthetic.figure import ACTIONS
from keras_motion.datasets.synthetic.renderer import (
    _check_actions,
    _check_backgrounds,
    _check_size,
    _render_video,
    label_of,
)
from keras_motion.errors import DatasetLayoutError
from keras_motion.utils import atomic_save_npz, atomic_write_text, progress

LABELS_FILE = "labels.csv"
CONFIG_FILE = "synthetic.json"
# The settings that change what a video looks like: a resumed run must use the same ones.
_RENDER_KEYS = ("num_frames", "size", "seed", "jitter", "actions", "backgrounds")


def video_name(index, class_name):
    """File stem of video `index`: `<class>_<index:06d>`."""
    return f"{class_name}_{int(index):06d}"


def write_synthetic(
    root,
    num_videos,
    num_frames=16,
    size=64,
    seed=0,
    jitter=0.0,
    fps=25,
    actions=ACTIONS,
    backgrounds=None,
    show_progress=True,
):
    """Writes a synthetic action data set to `root` and returns it as a `SyntheticVideos`.

    Layout: `videos/<class>/<class>_<id>.mp4` (MPEG-4, lossy), `flows/<class>_<id>.npz` (`flow` float16 (T,H,W,2),
    the exact forward flow of the rendered frames; `mask` bool (T,H,W) figure pixels), `labels.csv` (header
    `path,label,class`, paths relative to root) and `synthetic.json` (the settings). Videos already written are skipped
    (resume; a larger `num_videos` extends the set). Videos are rendered one at a time, so memory does not grow with
    `num_videos`, and each depends only on (seed, index): resumed output is identical to one-shot output.

    >>> import tempfile
    >>> ds = write_synthetic(tempfile.mkdtemp(), 6, num_frames=4, size=32, show_progress=False)
    >>> len(ds), ds.exact_flow(0).shape
    (6, (4, 32, 32, 2))
    """
    from keras_motion.video import write_video

    root = os.fspath(root)
    size, actions = _check_size(size), _check_actions(actions)
    if size[0] % 2 or size[1] % 2:
        raise ValueError(f"video height and width must be even for the MPEG-4 encoder, got {size[0]}x{size[1]}")
    config = dict(
        num_frames=int(num_frames),
        size=list(size),
        seed=int(seed),
        jitter=float(jitter),
        actions=list(actions),
        backgrounds="scikit-image" if backgrounds is None else "custom",
        fps=float(fps),
    )
    config_path = os.path.join(root, CONFIG_FILE)
    if os.path.exists(config_path):
        with open(config_path, encoding="utf-8") as f:
            old = json.load(f)
        changed = [k for k in _RENDER_KEYS if old.get(k) != config[k]]
        if changed:
            raise DatasetLayoutError(
                f"{config_path}: this data set was written with other settings ({', '.join(changed)}: "
                f"{[old.get(k) for k in changed]} vs {[config[k] for k in changed]}); resuming would mix two data "
                "sets. Use another root, or delete this one."
            )
    os.makedirs(root, exist_ok=True)
    atomic_write_text(config_path, json.dumps(config, indent=2) + "\n")
    backgrounds = _check_backgrounds(backgrounds)

    rows, written = [], 0
    indices = range(int(num_videos))
    for index in progress(indices, desc="synthetic videos") if show_progress else indices:
        label = label_of(index, len(actions), seed)
        name = video_name(index, actions[label])
        video_rel = f"videos/{actions[label]}/{name}.mp4"
        video_path = os.path.join(root, *video_rel.split("/"))
        flow_path = os.path.join(root, "flows", name + ".npz")
        rows.append((video_rel, label, actions[label]))
        if os.path.exists(video_path) and os.path.exists(flow_path):
            continue  # written by an earlier run; both files are written atomically, so they are complete
        frames, flows, parts = _render_video(
            seed, index, actions[label], config["num_frames"], size, config["jitter"], backgrounds
        )
        atomic_save_npz(flow_path, flow=flows.astype(np.float16), mask=parts >= 0)
        write_video(video_path, frames, fps=fps)
        written += 1
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(("path", "label", "class"))
    writer.writerows(rows)
    atomic_write_text(os.path.join(root, LABELS_FILE), text.getvalue())
    dataset = SyntheticVideos(root)
    dataset.num_written = written
    return dataset


def _label(text, classes, path, number, line):
    """A labels.csv label: a class index (0-based; < the number of classes of synthetic.json, when there is one)."""
    text = (text or "").strip()
    count = "" if classes is None else f" < {len(classes)}"
    if not text.isdigit() or (classes is not None and int(text) >= len(classes)):
        raise DatasetLayoutError(
            f"{path} line {number} is {line!r}: the label {text!r} is not a class index (an "
            f"integer 0 <= label{count}); correct the line, or write the data set again with "
            "tools/make_synthetic.py."
        )
    return int(text)


class SyntheticVideos(VideoDataset):
    """A synthetic data set written by `write_synthetic`, read from `root/labels.csv`, with its exact flows.

    `load(i)` decodes the (lossy MPEG-4) video; `exact_flow(i)` is the renderer's exact forward flow of the original
    frames, float32 (T, H, W, 2); `exact_mask(i)` the figure pixels, bool (T, H, W).

    >>> import tempfile
    >>> root = tempfile.mkdtemp(); _ = write_synthetic(root, 6, num_frames=4, size=32, show_progress=False)
    >>> ds = SyntheticVideos(root)
    >>> ds.class_names == list(ACTIONS), ds.load(0).shape
    (True, (4, 32, 32, 3))
    """

    def __init__(self, root, name=None):
        self.root = os.fspath(root)
        labels_path = os.path.join(self.root, LABELS_FILE)
        if not os.path.isfile(labels_path):
            raise DatasetLayoutError(
                f"{labels_path} not found: {self.root} is not a synthetic data set. Write one with "
                "keras_motion.datasets.write_synthetic(root, num_videos) or tools/make_synthetic.py --out ROOT."
            )
        with open(labels_path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames is None or not {"path", "label", "class"} <= set(reader.fieldnames):
                raise DatasetLayoutError(
                    f"{labels_path}: expected the header 'path,label,class', got {reader.fieldnames}"
                )
            rows = [(reader.line_num, r) for r in reader]
        config_path = os.path.join(self.root, CONFIG_FILE)
        classes = None
        if os.path.isfile(config_path):
            with open(config_path, encoding="utf-8") as f:
                classes = json.load(f)["actions"]
        paths, labels = [], []
        for number, r in rows:
            line = ",".join(str(r.get(k)) for k in reader.fieldnames)
            paths.append(
                os.path.join(
                    self.root,
                    *listed_path(r["path"] or "", self.root, labels_path, number, line, "SyntheticVideos").split("/"),
                )
            )
            labels.append(_label(r["label"], classes, labels_path, number, line))
        if classes is None:  # labels.csv alone: classes ordered by label
            by_label = {label: r["class"] for label, (_, r) in zip(labels, rows)}
            classes = [by_label.get(k, f"class_{k}") for k in range(max(by_label, default=-1) + 1)]
        super().__init__(paths, labels, classes, name=name or "SyntheticVideos")

    def flow_path(self, i):
        stem = os.path.splitext(os.path.basename(self.paths[i]))[0]
        return os.path.join(self.root, "flows", stem + ".npz")

    def _npz(self, i, key):
        path = self.flow_path(i)
        if not os.path.isfile(path):
            raise DatasetLayoutError(
                f"{path} not found (exact flow of {self.paths[i]}); re-run write_synthetic "
                "on this root to write the missing files"
            )
        with np.load(path) as data:
            return data[key]

    def exact_flow(self, i):
        """Exact forward flow t → t+1 of video i, float32 (T, H, W, 2), u right, v down."""
        return self._npz(i, "flow").astype(np.float32)

    def exact_mask(self, i):
        """Figure pixels of video i, bool (T, H, W)."""
        return self._npz(i, "mask").astype(bool)
