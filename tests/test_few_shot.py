"""The shared few-shot sampler (`keras_motion.datasets.few_shot.few_shot_indices`) and its callers.

Each caller's draw is compared, item for item and in order, with the code it replaced (reproduced below as
`_old_*`) at the settings its recipe uses (defaults and presets, seeds 0..9): the recipes' figures stay as measured.
"""

import inspect
import warnings

import numpy as np
import pytest

from keras_motion.datasets import split_groups
from keras_motion.datasets.base import ImageDataset
from keras_motion.datasets.few_shot import few_shot, few_shot_indices
from keras_motion.datasets.synthetic.renderer import label_of
from keras_motion.evaluation import few_shot_indices as evaluation_few_shot_indices
from keras_motion.pose_from_action import PoseFromAction, frames_of, labeled_images
from keras_motion.pose_from_action.presets import DATA_PRESETS as PFA_DATA
from keras_motion.pose_from_action.presets import PRESETS as PFA_PRESETS
from keras_motion.transforms import center_crop
from keras_motion.vre_mra import VREMRA, few_labeled
from keras_motion.vre_mra.presets import DATA_PRESETS as VRE_DATA
from keras_motion.vre_mra.presets import PRESETS as VRE_PRESETS

SEEDS = range(10)


# ---- the draws as they were written before the shared sampler (references) -------------------------------------


def _old_few_shot(labels, per_class, seed, num_classes=0):
    """`km.datasets.few_shot`'s draw (also `km.evaluation.few_shot_indices`', through a FileDataset)."""
    classes = range(num_classes) if num_classes else np.unique(labels)
    rng = np.random.default_rng(seed)
    chosen = []
    for c in classes:
        members = np.flatnonzero(labels == c)
        chosen.append(members if len(members) < per_class else rng.choice(members, per_class, replace=False))
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def _old_few_labeled(pool, shots, seed):
    """VRE + MRA's `few_labeled`."""
    images, labels = pool
    rng = np.random.default_rng([seed, 99])
    pick = np.concatenate(
        [
            rng.choice(np.flatnonzero(labels == c), min(shots, int((labels == c).sum())), replace=False)
            for c in np.unique(labels)
        ]
    )
    return images[pick], labels[pick]


def _old_frames_of(videos, per_video, seed=None):
    rng = None if seed is None else np.random.default_rng(seed)
    images, owners = [], []
    for v, frames in enumerate(videos):
        if rng is None:
            times = np.linspace(0, len(frames) - 1, per_video).round().astype(int)
        else:
            times = rng.choice(len(frames), min(per_video, len(frames)), replace=False)
        images.extend(center_crop(frames[t], min(frames.shape[1:3])) for t in times)
        owners.extend([v] * len(times))
    return np.stack(images), np.asarray(owners)


def _old_labeled_images(pool, pool_labels, count, seed):
    """Pose from Action's `labeled_images`."""
    per_video = 1 if len(pool) >= count else max(len(f) for f in pool)
    images, owners = _old_frames_of(pool, per_video, seed)
    chosen = np.random.default_rng(seed).choice(len(images), min(count, len(images)), replace=False)
    return images[chosen], np.asarray(pool_labels)[owners[chosen]]


# ---- the recipes' pools ------------------------------------------------------------------------------------------


def _default(task, name):
    return inspect.signature(task).parameters[name].default


def _vre_pools():
    """(pool labels, shots) of VRE + MRA's recipe: the synthetic pool of each data preset with its task preset's
    shots (`synthetic_images` renders video num_videos + i with `label_of`), and pools shaped like Stanford40's and
    VOC's train sets (every class at least `shots`: `validation_split` refuses fewer)."""
    for preset in ("cpu", "paper", "quick"):
        sizes = {**VRE_DATA["cpu"], **VRE_DATA[preset]}
        shots = VRE_PRESETS[preset].get("shots", _default(VREMRA, "shots"))
        start, classes = sizes["num_videos"], 6
        yield np.array([label_of(start + i, classes) for i in range(classes * sizes["pool_per_class"])]), shots
    rng = np.random.default_rng(5)
    yield rng.permutation(np.repeat(np.arange(40), 100)), 30  # Stanford40: 100 train images a class, the paper's 30
    yield rng.permutation(np.repeat(np.arange(10), rng.integers(40, 200, 10))), 10  # VOC Actions: uneven classes


def _pose_pools():
    """(videos, labels, count) of Pose from Action's recipe: the held-out videos of each data preset's synthetic
    split with its task preset's `num_labeled`, an image pool (T = 1) and decoded videos of uneven lengths, in
    both regimes (one frame from each of `count` videos; `count` frames of all when fewer videos)."""

    def videos(lengths):  # frame t of video v: channel 0 holds v, channel 1 t (uneven aspect ratios, cropped)
        return [
            np.stack(
                [
                    np.dstack([np.full((3, 4 + v % 2), v % 256), np.full((3, 4 + v % 2), t), np.zeros((3, 4 + v % 2))])
                    for t in range(n)
                ]
            ).astype(np.uint8)
            for v, n in enumerate(lengths)
        ]

    for preset in ("cpu", "paper", "quick"):
        data = {"num_videos": 400, "num_frames": 16, **PFA_DATA[preset]}
        count = PFA_PRESETS[preset].get("num_labeled", _default(PoseFromAction, "num_labeled"))
        for seed in (0, 1):  # the split seed (--seed)
            heldout = split_groups(np.arange(data["num_videos"]), (0.6, 0.2, 0.2), seed=seed)[1]
            yield videos([data["num_frames"]] * len(heldout)), np.arange(len(heldout)) % 6, count
    lengths = np.random.default_rng(3).integers(13, 65, 30)
    yield videos([1] * 120), np.arange(120) % 10, 50
    yield videos(lengths), np.arange(30) % 5, 20
    yield videos(lengths), np.arange(30) % 5, 50


# ---- each caller draws exactly as before -------------------------------------------------------------------------


@pytest.mark.filterwarnings("error::RuntimeWarning")  # no short class there (where the old and new draws differ)
def test_vre_few_labeled_draws_as_before_at_the_recipe_settings():
    for labels, shots in _vre_pools():
        images = np.arange(len(labels))  # an image's value is its index: the same images, in the same order
        for seed in SEEDS:
            new, old = few_labeled((images, labels), shots, seed), _old_few_labeled((images, labels), shots, seed)
            np.testing.assert_array_equal(new[0], old[0])
            np.testing.assert_array_equal(new[1], old[1])


@pytest.mark.filterwarnings("error::RuntimeWarning")  # never fewer frames than asked there (the draws differ)
def test_pose_labeled_images_draw_as_before_at_the_recipe_settings():
    for pool, labels, count in _pose_pools():
        for seed in SEEDS:
            new, old = labeled_images(pool, labels, count, seed), _old_labeled_images(pool, labels, count, seed)
            np.testing.assert_array_equal(new[0], old[0])
            np.testing.assert_array_equal(new[1], old[1])
    pool, _, _ = next(_pose_pools())
    for seed in (None, 0, 1):
        for new, old in zip(frames_of(pool[:10], 3, seed), _old_frames_of(pool[:10], 3, seed)):
            np.testing.assert_array_equal(new, old)


def test_few_shot_and_evaluation_few_shot_indices_draw_as_before():
    """`few_shot` and `km.evaluation.few_shot_indices` (MoSI's finetuning, im2flow's and Pose's subsets) draw
    exactly as before in every case, short and absent classes included."""
    rng = np.random.default_rng(0)
    for seed in SEEDS:
        counts = rng.integers(0, 12, 7)  # short (and absent) classes among full ones
        labels = rng.permutation(np.repeat(np.arange(7), counts))
        names = [f"c{c}" for c in range(7)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            for per_class in (1, 5):
                ds = ImageDataset([f"{i}.jpg" for i in range(len(labels))], labels, names)
                np.testing.assert_array_equal(
                    [int(p.split(".")[0]) for p in few_shot(ds, per_class, seed).paths],
                    _old_few_shot(labels, per_class, seed, 7),
                )
                np.testing.assert_array_equal(
                    evaluation_few_shot_indices(labels, per_class, seed, 7), _old_few_shot(labels, per_class, seed, 7)
                )
                np.testing.assert_array_equal(
                    evaluation_few_shot_indices(labels, per_class, seed),
                    _old_few_shot(labels, per_class, seed, int(labels.max()) + 1),
                )


# ---- the sampler's own contract ----------------------------------------------------------------------------------


def test_sort_changes_only_the_order_and_a_seed_sequence_is_a_seed():
    labels = np.repeat(np.arange(4), [5, 8, 6, 9])
    drawn = few_shot_indices(labels, 3, seed=[2, 99], sort=False)
    np.testing.assert_array_equal(np.sort(drawn), few_shot_indices(labels, 3, seed=[2, 99]))
    assert labels[drawn].tolist() == [0] * 3 + [1] * 3 + [2] * 3 + [3] * 3  # class by class
    assert not np.array_equal(np.sort(drawn), few_shot_indices(labels, 3, seed=2))
    assert few_shot_indices(labels, 3, seed=2).dtype == np.int64


def test_total_draws_across_classes_and_short_pools_keep_everything():
    labels = np.repeat(np.arange(3), [2, 10, 4])
    drawn = few_shot_indices(labels, total=7, seed=1, sort=False)
    assert len(set(drawn.tolist())) == 7 and not np.all(np.diff(drawn) > 0)
    np.testing.assert_array_equal(few_shot_indices(labels, total=7, seed=1), np.sort(drawn))
    with pytest.warns(RuntimeWarning, match="fewer than the 20"):
        np.testing.assert_array_equal(few_shot_indices(labels, total=20, seed=1, sort=False), np.arange(16))
    with pytest.warns(RuntimeWarning, match=r"2 class\(es\).*walk \(2\), squat \(0\)"):
        kept = few_shot_indices(labels, 3, seed=0, num_classes=4, class_names=["walk", "jump", "run", "squat"])
    assert np.bincount(labels[kept]).tolist() == [2, 3, 3]


def test_bad_arguments_are_refused():
    for kwargs, match in [
        ({"per_class": 0}, "positive"),
        ({"per_class": 1.5}, "positive"),
        ({"total": -1}, "total"),
        ({}, "one of"),
        ({"per_class": 1, "total": 2}, "one of"),
    ]:
        with pytest.raises(ValueError, match=match):
            few_shot_indices([0, 1, 1], **kwargs)
    with pytest.raises(ValueError, match="unlabeled"):
        few_shot_indices([0, -1, 1], 1)
    with pytest.raises(ValueError, match="1-D"):
        few_shot_indices([[0, 1]], 1)
