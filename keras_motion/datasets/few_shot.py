"""Few-shot subsets: N labeled items per class, drawn reproducibly."""

import warnings

import numpy as np


def few_shot(dataset, per_class, seed=0):
    """A subset of `dataset` with `per_class` items of each class, drawn without replacement (seeded).

    The same seed always gives the same subset; items keep the dataset's order. A class with fewer items keeps all
    of them, with a warning. Unlabeled datasets (labels -1) raise `ValueError`.

    >>> from keras_motion.datasets.base import ImageDataset
    >>> ds = ImageDataset([f"{i}.jpg" for i in range(8)], [0, 0, 0, 0, 1, 1, 1, 1], ["a", "b"])
    >>> len(few_shot(ds, 2, seed=1))
    4
    """
    if int(per_class) != per_class or per_class < 1:
        raise ValueError(f"per_class must be a positive integer, got {per_class!r}")
    per_class = int(per_class)
    labels = np.asarray(dataset.labels)
    if len(labels) == 0 or np.any(labels < 0):
        raise ValueError(
            f"few_shot needs a labeled dataset; {dataset.name} has {int(np.sum(labels < 0))} unlabeled item(s) of "
            f"{len(labels)}. Use a class-per-folder or split-file loader (e.g. VideoFolder(root, labeled=True))."
        )
    classes = range(dataset.num_classes) if dataset.num_classes else np.unique(labels)
    rng = np.random.default_rng(seed)
    chosen, short = [], []
    for c in classes:
        members = np.flatnonzero(labels == c)
        if len(members) < per_class:
            short.append(f"{dataset.class_names[c] if dataset.class_names else c} ({len(members)})")
            chosen.append(members)
        else:
            chosen.append(rng.choice(members, per_class, replace=False))
    if short:
        warnings.warn(
            f"{dataset.name}: {len(short)} class(es) have fewer than {per_class} items; keeping all of theirs: "
            + ", ".join(short[:10])
            + (" ..." if len(short) > 10 else ""),
            RuntimeWarning,
            stacklevel=2,
        )
    indices = np.sort(np.concatenate(chosen)).astype(np.int64)
    return dataset.subset(indices, name=f"{dataset.name} {per_class}-shot (seed {seed})")
