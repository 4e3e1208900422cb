"""The synthetic benchmark as a tree in the official layout of UCF101 or HMDB51: class folders of real encoded videos
(XVID in AVI, as the real sets ship) and the official split files, so that `UCF101(root, ...)` and
`HMDB51(root, ...)` read it exactly as they read the real data sets.

UCF101 (`write_layout(root, "ucf101", ...)`)::

    UCF-101/<Class>/v_<Class>_g<GG>_c<CC>.avi         25 groups per class; c01, c02 ... within a group
    ucfTrainTestlist/classInd.txt                      '1 BodyWeightSquats' ... (alphabetical, as the real file)
    ucfTrainTestlist/trainlist0{1,2,3}.txt             '<Class>/<video>.avi <1-based label>'
    ucfTrainTestlist/testlist0{1,2,3}.txt              '<Class>/<video>.avi'; groups 1-7, 8-14, 15-21 are the test
                                                       side of splits 1, 2, 3 (groups 22-25 always train)

HMDB51 (`write_layout(root, "hmdb51", ...)`)::

    hmdb51_org/<class>/<source>_<class>_<tags>_<clip>.avi      e.g. synthetic_g03_wave_f_nm_np1_fr_goo_0.avi
    testTrainMulti_7030_splits/<class>_test_split{1,2,3}.txt   '<video>.avi <1|2|0>' (train, test, unused); a
                                                               group ('source video') is on one side per split

Beside them, `synthetic_layout.json` (the settings) and `synthetic_videos.csv` (each video's index, action, group
and frame count); `flows/<video>.npz` (the exact flow, as `write_synthetic` stores it) only with `flows=True`: at
320x240 and 100-175 frames the exact flow is ~10x the video's size, and the official loaders do not read it.

Groups stand for the real sets' source videos: the clips of one (class, group) share their background photo, so a
split by group keeps a scene out of one side, as the official splits do. Video `index` is rendered by the synthetic
renderer from (seed, index) alone, its class is `label_of(index, len(actions), seed)` and its group and clip follow
from its rank in its class: a rerun skips finished videos, a larger `num_videos` extends the tree, and the result
does not depend on how often the writing was interrupted.
"""

import csv
import dataclasses
import functools
import io
import json
import os
import tempfile
import warnings

import cv2
import numpy as np

from keras_motion.datasets.hmdb51 import HMDB51
from keras_motion.datasets.synthetic.figure import ACTIONS
from keras_motion.datasets.synthetic.renderer import (
    _check_actions,
    _check_backgrounds,
    _check_size,
    _render_video,
    label_of,
)
from keras_motion.datasets.ucf101 import UCF101
from keras_motion.errors import DatasetLayoutError, InvalidArgumentError, VideoError
from keras_motion.utils.checks import check_int, check_number
from keras_motion.utils.files import (
    atomic_path,
    atomic_save_npz,
    atomic_write_text,
    read_json,
    remove_temporaries,
)
from keras_motion.utils.progress import progress
from keras_motion.utils.settings import check_settings

LAYOUTS = ("ucf101", "hmdb51")
# Each set's naming style: UCF101 CamelCase (BodyWeightSquats is a real UCF101 class), HMDB51 lower_case (jump,
# wave, clap are real HMDB51 classes; the walks keep their direction, as two classes need two names).
CLASS_NAMES = {
    "ucf101": dict(
        walk_left="WalkingLeft",
        walk_right="WalkingRight",
        jump="Jumping",
        squat="BodyWeightSquats",
        wave="HandWaving",
        clap="HandClapping",
    ),
    "hmdb51": {action: action for action in ACTIONS},
}
CONFIG_FILE = "synthetic_layout.json"
MANIFEST_FILE = "synthetic_videos.csv"
DEFAULT_FRAMES = (100, 175)  # UCF101's clips mostly hold 100-175 frames at 25 fps (4-7 s)
MIN_PER_CLASS = 4  # groups 1, 8, 15, 22: a test group of every split and a group that is always training

_FOLDERS = {"ucf101": ("UCF-101", "ucfTrainTestlist"), "hmdb51": ("hmdb51_org", "testTrainMulti_7030_splits")}
_FPS = {"ucf101": 25.0, "hmdb51": 30.0}  # the real sets' frame rates
_GROUPS = 25
# The k-th video of a class goes to group _ORDER[k % 25]: every 4 videos of a class reach a test group of each split
# (1-7, 8-14, 15-21) and an always-training one (22-25), so even a tiny tree has both sides in every split.
_ORDER = tuple(g for r in range(7) for g in (1 + r, 8 + r, 15 + r, 22 + r) if g <= _GROUPS)
# The settings that change the videos or the lists: a resumed run must use the same ones.
_KEYS = ("layout", "num_frames", "size", "seed", "jitter", "actions", "backgrounds", "fps", "codec")


@dataclasses.dataclass(frozen=True)
class LayoutVideo:
    """One video of a tree: `path` relative to the root ('/' separators), the synthetic `index` and `action` it
    renders, its `class_name` in the set's style, its `group` (1-25) and `clip` (1-based) and `num_frames`."""

    path: str
    index: int
    action: str
    class_name: str
    group: int
    clip: int
    num_frames: int

    @property
    def name(self):
        return self.path.rsplit("/", 1)[-1]


def subset_of(layout, group, split):
    """'train', 'test' or None (HMDB51's unused mark 0) for a video of `group` in official split `split`.

    >>> [subset_of("ucf101", g, 2) for g in (1, 8, 14, 15, 25)]
    ['train', 'test', 'test', 'train', 'train']
    >>> subset_of("hmdb51", 24, 2) is None
    True
    """
    if 7 * (split - 1) < group <= 7 * split:
        return "test"
    # HMDB51's lists leave some clips of every class out of a split (70 train, 30 test of each class's 100+).
    return None if layout == "hmdb51" and group == 22 + split else "train"


@dataclasses.dataclass
class LayoutTree:
    """A tree written by `write_layout`: `videos` (`LayoutVideo`s in index order), `class_names` in the loader's
    label order, `size` (height, width), `num_written` (videos written by this call; the others were already
    there)."""

    root: str
    layout: str
    videos: list
    class_names: list
    size: tuple
    num_written: int = 0

    def dataset(self, split=1, subset="train"):
        """The tree read by the official loader, `UCF101` or `HMDB51`, as a user reads the real set."""
        return (UCF101 if self.layout == "ucf101" else HMDB51)(self.root, split=split, subset=subset)

    def label(self, video):
        """The loader's label of a `LayoutVideo`."""
        return self.class_names.index(video.class_name)


def _frame_range(num_frames):
    if np.ndim(num_frames) == 0:
        low = high = check_int(num_frames, "num_frames", low=2)
    else:
        try:
            low, high = num_frames
        except (TypeError, ValueError):
            raise InvalidArgumentError(
                f"num_frames={num_frames!r} must be a count or a (low, high) range, e.g. {DEFAULT_FRAMES}"
            ) from None
        low, high = check_int(low, "num_frames (low)", low=2), check_int(high, "num_frames (high)", low=2)
        if low > high:
            raise InvalidArgumentError(
                f"num_frames={num_frames!r}: the low end exceeds the high end; pass "
                f"(low, high) with low <= high, e.g. {DEFAULT_FRAMES}"
            )
    return low, high


def _video_name(layout, class_name, action, group, clip, jitter):
    if layout == "ucf101":
        return f"v_{class_name}_g{group:02d}_c{clip:02d}.avi"
    # HMDB51's tags: visible body part (f: full), camera motion (cm / nm), people (np1), viewpoint, quality.
    view = {"walk_left": "le", "walk_right": "ri"}.get(action, "fr")
    camera = "cm" if jitter > 0 else "nm"
    return f"synthetic_g{group:02d}_{class_name}_f_{camera}_np1_{view}_goo_{clip - 1}.avi"


def _plan(layout, num_videos, frames, seed, jitter, actions):
    """Every video's path, class, group and frame count: computed without rendering anything."""
    videos_folder = _FOLDERS[layout][0]
    plan = []
    for index in range(num_videos):
        action = actions[label_of(index, len(actions), seed)]
        rank = index // len(actions)  # label_of puts every class once in each block of len(actions) videos
        group, clip = _ORDER[rank % _GROUPS], rank // _GROUPS + 1
        class_name = CLASS_NAMES[layout][action]
        count = (
            frames[0]
            if frames[0] == frames[1]
            else int(np.random.default_rng([seed, index, 0xF4A3E]).integers(frames[0], frames[1] + 1))
        )
        name = _video_name(layout, class_name, action, group, clip, jitter)
        plan.append(LayoutVideo(f"{videos_folder}/{class_name}/{name}", index, action, class_name, group, clip, count))
    return plan


@functools.cache
def _can_encode(fourcc):
    """Whether OpenCV's FFmpeg writes `fourcc` into an AVI here (its wheels do for XVID: FFmpeg's MPEG-4 part 2
    encoder under the XVID tag; other builds may lack it)."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "probe.avi")
        writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc), 25.0, (16, 16))
        try:
            if not writer.isOpened():
                return False
            writer.write(np.zeros((16, 16, 3), np.uint8))
        finally:
            writer.release()
        return os.path.isfile(path) and os.path.getsize(path) > 0


def _write_avi(path, frames, fps, fourcc):
    """uint8 RGB frames → an AVI, atomically (an interrupted write leaves no file a rerun would take as done)."""
    height, width = frames.shape[1:3]
    with atomic_path(path) as tmp:
        writer = cv2.VideoWriter(tmp, cv2.VideoWriter_fourcc(*fourcc), float(fps), (int(width), int(height)))
        try:
            if not writer.isOpened():
                raise VideoError(
                    f"OpenCV cannot open a {fourcc} video writer for {path} ({width}x{height} @ {fps} fps)"
                )
            for frame in frames:
                writer.write(np.ascontiguousarray(frame[..., ::-1]))  # RGB -> BGR
        finally:
            writer.release()
        if os.path.getsize(tmp) == 0:
            raise VideoError(f"OpenCV wrote an empty file for {path}; the {fourcc} encoder failed")


def _check_config(root, config):
    path = os.path.join(root, CONFIG_FILE)
    if not os.path.exists(path):
        if os.path.isdir(root) and any(not n.startswith(".") for n in os.listdir(root)):
            raise DatasetLayoutError(
                f"{root} already holds files but no {CONFIG_FILE}: it is not a tree that "
                "write_layout made; choose an empty or new folder."
            )
        return
    old = read_json(path, fix="delete the tree and write it again")
    check_settings(
        {k: old.get(k) for k in _KEYS},
        {k: config[k] for k in _KEYS},
        f"{path}: this tree was written",
        "Resuming would mix two data sets: rerun with the settings it was written with, use another root, or "
        "delete this one.",
    )


def _in_videos(video):
    return video.path.split("/", 1)[1]


def _split_files(layout, plan, class_names):
    """{file name: text} of the official split files of `plan`."""
    files = {}
    if layout == "ucf101":
        label = {name: i + 1 for i, name in enumerate(class_names)}  # 1-based, classInd.txt order
        ordered = sorted(plan, key=lambda v: (label[v.class_name], v.group, v.clip))
        # CRLF, as the official files: the loaders must read those line endings.
        files["classInd.txt"] = "".join(f"{i} {name}\r\n" for name, i in label.items())
        for split in (1, 2, 3):
            train = [v for v in ordered if subset_of(layout, v.group, split) == "train"]
            test = [v for v in ordered if subset_of(layout, v.group, split) == "test"]
            # Paths relative to UCF-101/, as the official lists; trainlists carry the 1-based label.
            files[f"trainlist0{split}.txt"] = "".join(f"{_in_videos(v)} {label[v.class_name]}\r\n" for v in train)
            files[f"testlist0{split}.txt"] = "".join(f"{_in_videos(v)}\r\n" for v in test)
        return files
    marks = {"train": "1", "test": "2", None: "0"}
    for name in class_names:
        members = sorted((v for v in plan if v.class_name == name), key=lambda v: v.name)
        for split in (1, 2, 3):
            # '<video>.avi <mark> ' with the official files' trailing space.
            files[f"{name}_test_split{split}.txt"] = "".join(
                f"{v.name} {marks[subset_of(layout, v.group, split)]} \n" for v in members
            )
    return files


def write_layout(
    root,
    layout,
    num_videos,
    size=(240, 320),
    num_frames=DEFAULT_FRAMES,
    seed=0,
    jitter=0.0,
    fps=None,
    actions=ACTIONS,
    backgrounds=None,
    flows=False,
    codec="XVID",
    show_progress=True,
):
    """Writes `num_videos` synthetic action videos to `root` in the official layout of `layout` ('ucf101' or
    'hmdb51'; see the module's docstring) and returns a `LayoutTree`; read it with `UCF101(root, split, subset)` /
    `HMDB51(...)` or `tree.dataset(split, subset)`.

    Args:
        size: (height, width), even; default 240x320, the real sets' frame size.
        num_frames: frames per video, a count or a (low, high) range each video draws its length from (seeded).
        fps: frame rate written into the files; None = the real set's (UCF101 25, HMDB51 30).
        actions: the synthetic classes to use (a subset of `ACTIONS`); named in the set's style (`CLASS_NAMES`).
        flows: also store each video's exact flow in `flows/<video stem>.npz` (float16 `flow`, bool `mask`).
        codec: the AVI's fourcc; where OpenCV cannot encode it, Motion-JPEG is written instead, with a warning.

    Needs at least 4 videos per class (`num_videos >= 4 * len(actions)`), so that every split has training and
    test videos of every class. Resumable: finished videos are skipped (every file is written atomically); the split
    files and the manifest are (re)written at the end.

    >>> import tempfile
    >>> tree = write_layout(tempfile.mkdtemp(), "ucf101", 8, size=(48, 64), num_frames=4, actions=("wave", "clap"),
    ...                     show_progress=False)
    >>> tree.class_names, tree.videos[0].path
    (['HandClapping', 'HandWaving'], 'UCF-101/HandWaving/v_HandWaving_g01_c01.avi')
    >>> train = tree.dataset(split=1, subset="train")
    >>> len(train), train.load(0).shape
    (6, (4, 48, 64, 3))
    """
    root = os.fspath(root)
    if layout not in LAYOUTS:
        hint = "; the flat synthetic layout is write_synthetic(root, ...)" if layout == "synthetic" else ""
        raise ValueError(f"layout={layout!r}: choose one of {LAYOUTS}{hint}")
    actions = _check_actions(actions)
    size = _check_size(size)
    if size[0] % 2 or size[1] % 2:
        raise InvalidArgumentError(
            f"size=({size[0]}, {size[1]}): height and width must be even for the video "
            "encoder's 4:2:0 chroma; e.g. (240, 320)"
        )
    frames = _frame_range(num_frames)
    minimum = MIN_PER_CLASS * len(actions)
    num_videos = check_int(num_videos, "num_videos", low=1)
    if num_videos < minimum:
        raise InvalidArgumentError(
            f"num_videos={num_videos} is too few: an official-layout tree needs at least {MIN_PER_CLASS} videos per "
            f"class ({minimum} for {len(actions)} classes) so that each of the three splits has training and test "
            "videos of every class; pass more videos or fewer actions"
        )
    seed = check_int(seed, "seed", low=0)
    fps = _FPS[layout] if fps is None else check_number(fps, "fps", low=0, low_open=True)
    jitter = check_number(jitter, "jitter", low=0)
    config = dict(
        layout=layout,
        num_frames=list(frames),
        size=list(size),
        seed=seed,
        jitter=jitter,
        actions=list(actions),
        backgrounds="scikit-image" if backgrounds is None else "custom",
        fps=fps,
        codec=str(codec),
    )
    _check_config(root, config)
    fourcc = str(codec)
    if not _can_encode(fourcc):
        if not _can_encode("MJPG"):
            raise VideoError(
                f"OpenCV cannot encode {fourcc} nor Motion-JPEG AVIs here; install the opencv-python "
                "wheel (it bundles FFmpeg)"
            )
        warnings.warn(
            f"OpenCV's FFmpeg cannot encode {fourcc} here: writing Motion-JPEG AVIs instead (the loaders "
            "read them alike; the files are larger than the real set's)",
            RuntimeWarning,
            stacklevel=2,
        )
        fourcc = "MJPG"
    os.makedirs(root, exist_ok=True)
    atomic_write_text(os.path.join(root, CONFIG_FILE), json.dumps(dict(config, written_as=fourcc), indent=2) + "\n")
    backgrounds = _check_backgrounds(backgrounds)

    plan = _plan(layout, num_videos, frames, seed, jitter, actions)
    flow_of = {v.index: os.path.join(root, "flows", os.path.splitext(v.name)[0] + ".npz") for v in plan}
    path_of = {v.index: os.path.join(root, *v.path.split("/")) for v in plan}
    remove_temporaries(list(path_of.values()) + (list(flow_of.values()) if flows else []))  # of killed runs
    # Both files are written atomically: one that exists is complete.
    todo = [v for v in plan if not os.path.exists(path_of[v.index]) or (flows and not os.path.exists(flow_of[v.index]))]
    for video in progress(todo, desc=f"{layout} videos") if show_progress and todo else todo:
        label = actions.index(video.action)
        # One photo per (class, group): the clips of a group share their scene, like the real sets' source videos.
        scene = np.random.default_rng([seed, label, video.group, 0x5CE7E]).integers(len(backgrounds))
        rendered, flow, parts = _render_video(
            seed, video.index, video.action, video.num_frames, size, jitter, (backgrounds[scene],)
        )
        if flows:
            atomic_save_npz(flow_of[video.index], flow=flow.astype(np.float16), mask=parts >= 0)
        _write_avi(path_of[video.index], rendered, fps, fourcc)

    class_names = sorted(CLASS_NAMES[layout][a] for a in actions)  # both loaders' label order
    splits_dir = os.path.join(root, _FOLDERS[layout][1])
    for name, text in _split_files(layout, plan, class_names).items():
        atomic_write_text(os.path.join(splits_dir, name), text)
    manifest = io.StringIO()
    writer = csv.writer(manifest, lineterminator="\n")
    writer.writerow(("path", "index", "action", "class", "group", "clip", "num_frames"))
    writer.writerows((v.path, v.index, v.action, v.class_name, v.group, v.clip, v.num_frames) for v in plan)
    atomic_write_text(os.path.join(root, MANIFEST_FILE), manifest.getvalue())
    return LayoutTree(root, layout, plan, class_names, size, num_written=len(todo))
