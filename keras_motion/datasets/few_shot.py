"""Few-shot subsets: N labeled items per class (or N in all), drawn reproducibly.

`few_shot_indices` is the one sampler under every few-shot draw of keras_motion: `few_shot` (a data set's subset),
MoSI's finetuning (`km.evaluation.few_shot_finetune`), VRE + MRA's labeled images (`km.vre_mra.few_labeled`) and
Pose from Action's (`km.pose_from_action.labeled_images`).
"""

import warnings

import numpy as np


def few_shot_indices(
    labels, per_class=None, seed=0, num_classes=None, *, total=None, sort=True, class_names=None, name="labels"
):
    """Indices of a seeded draw without replacement from `labels`: `per_class` items of each class, or `total`
    items whatever their class.

    The draw: one `np.random.default_rng(seed)`; the classes in turn (`range(num_classes)`, else the classes present,
    ascending) each give `rng.choice(indices of the class, per_class, replace=False)`. A class with fewer items gives
    all of them, in pool order, without a draw (it takes nothing from the generator), and a `RuntimeWarning` names
    it. With `total`: one `rng.choice(len(labels), total, replace=False)` over the whole pool (all of it, in pool
    order and with a warning, when it holds fewer).

    Args:
        labels: int class of each item (≥ 0; an unlabeled item, -1, raises `ValueError`).
        per_class: items drawn per class, a positive integer; exactly one of `per_class` and `total`.
        seed: anything `np.random.default_rng` takes: an int, or a sequence of ints (e.g. `[seed, 99]` for a
            stream of its own beside other draws seeded by `seed`).
        num_classes: the classes are `range(num_classes)` (an absent one is warned about); None: those present.
        total: items drawn in all, a positive integer, instead of `per_class`.
        sort: True: indices ascending (the subset keeps the pool's order); False: in draw order (class by class, each
            in the order drawn), for a caller whose later steps depend on the order of the items.
        class_names: names of the classes, for the warning (default: their numbers).
        name: what `labels` label, for the messages.

    Returns:
        int64 indices into `labels`.

    Example:

    >>> labels = [0, 0, 0, 1, 1, 1, 2, 2, 2]
    >>> few_shot_indices(labels, 2, seed=0)
    array([1, 2, 3, 5, 6, 8])
    >>> few_shot_indices(labels, 2, seed=0, sort=False)  # the same draw, in draw order
    array([1, 2, 5, 3, 8, 6])
    >>> few_shot_indices(labels, total=4, seed=0, sort=False)  # 4 in all, whatever their class
    array([2, 7, 5, 4])
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"{name} must be one class per item (1-D), got shape {labels.shape}")
    if len(labels) == 0 or np.any(labels < 0):
        raise ValueError(
            f"few-shot draws need labeled items: {name} has {int(np.sum(labels < 0))} unlabeled item(s) "
            f"(label -1) of {len(labels)}"
        )
    if (per_class is None) == (total is None):
        raise ValueError(f"give one of per_class and total, got per_class={per_class!r}, total={total!r}")
    count = per_class if total is None else total
    if int(count) != count or count < 1:
        raise ValueError(f"{'per_class' if total is None else 'total'} must be a positive integer, got {count!r}")
    count = int(count)
    rng = np.random.default_rng(seed)
    if total is not None:
        if len(labels) < count:
            warnings.warn(
                f"{name}: {len(labels)} items, fewer than the {count} asked for; keeping all of them",
                RuntimeWarning,
                stacklevel=2,
            )
            return np.arange(len(labels), dtype=np.int64)
        indices = rng.choice(len(labels), count, replace=False).astype(np.int64)
    else:
        classes = range(int(num_classes)) if num_classes else np.unique(labels)
        chosen, short = [], []
        for c in classes:
            members = np.flatnonzero(labels == c)
            if len(members) < count:
                short.append(f"{class_names[c] if class_names else c} ({len(members)})")
                chosen.append(members)
            else:
                chosen.append(rng.choice(members, count, replace=False))
        if short:
            warnings.warn(
                f"{name}: {len(short)} class(es) have fewer than {count} items; keeping all of theirs: "
                + ", ".join(short[:10])
                + (" ..." if len(short) > 10 else ""),
                RuntimeWarning,
                stacklevel=2,
            )
        indices = np.concatenate(chosen).astype(np.int64)
    return np.sort(indices) if sort else indices


def few_shot(dataset, per_class, seed=0):
    """A subset of `dataset` with `per_class` items of each class, drawn without replacement (seeded):
    `few_shot_indices(dataset.labels, per_class, seed)` over the data set's classes.

    The same seed always gives the same subset; items keep the dataset's order. A class with fewer items keeps all
    of them, with a warning. Unlabeled datasets (labels -1) raise `ValueError`.

    >>> from keras_motion.datasets.base import ImageDataset
    >>> ds = ImageDataset([f"{i}.jpg" for i in range(8)], [0, 0, 0, 0, 1, 1, 1, 1], ["a", "b"])
    >>> len(few_shot(ds, 2, seed=1))
    4
    """
    labels = np.asarray(dataset.labels)
    if len(labels) == 0 or np.any(labels < 0):
        raise ValueError(
            f"few_shot needs a labeled dataset; {dataset.name} has {int(np.sum(labels < 0))} unlabeled item(s) of "
            f"{len(labels)}. Use a class-per-folder or split-file loader (e.g. VideoFolder(root, labeled=True))."
        )
    indices = few_shot_indices(
        labels, per_class, seed, dataset.num_classes, class_names=dataset.class_names, name=dataset.name
    )
    return dataset.subset(indices, name=f"{dataset.name} {int(per_class)}-shot (seed {seed})")
