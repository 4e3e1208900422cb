#!/usr/bin/env python
"""Pseudo-motion labels for every video under a folder (VRE + MRA supplementary §1), flow on all cores.

    python tools/pseudo_labels.py --videos UCF-101/ --out labels/ --size 240 --max-videos 1000
    python tools/pseudo_labels.py --videos more_videos/ --out labels2/ --labeler labels/labeler.npz   # reuse a fit

Writes `<out>/labels.csv` (`path,label`; paths relative to --videos; label -1 = skipped: too short or undecodable)
and `<out>/labeler.npz` (threshold, codebook, label centres: `MotionLabeler.load`), both atomically. With class
sub-folders (`--videos ROOT/<class>/...`) it also prints the labels' NMI and purity against those classes.
"""

import argparse
import csv
import io
import os
import sys

import numpy as np

from keras_motion.datasets.folders import VideoFolder
from keras_motion.flow import METHODS
from keras_motion.utils.cli import run_main
from keras_motion.utils.paths import output_dir_type


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--videos", required=True, help="folder searched recursively for videos")
    p.add_argument("--out", required=True, type=output_dir_type, help="output folder")
    p.add_argument("--labeler", help="a saved labeler (labeler.npz) to label with instead of fitting a new one")
    p.add_argument("--codebook-size", type=int, default=128)
    p.add_argument("--num-labels", type=int, default=16)
    p.add_argument("--key-frames", type=int, default=12, help="the paper: 12 (UCF101), 7 (HMDB51)")
    p.add_argument("--interval", type=int, default=3)
    p.add_argument("--flow-method", default="dis", choices=METHODS)
    p.add_argument("--normalization", default="power+l2", help="VLAD normalisation; 'none' = raw residual sums")
    p.add_argument("--pooling", default="concat", choices=("concat", "mean"))
    p.add_argument("--size", type=int, default=None, help="decode at this short side (px)")
    p.add_argument("--on-short", default="skip", choices=("skip", "pad", "error"))
    p.add_argument("--max-videos", type=int, default=None, help="a random sample of this many videos (seeded)")
    p.add_argument("--workers", type=int, default=None, help="flow threads (default: all cores)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if args.labeler and not os.path.isfile(args.labeler):
        p.error(f"argument --labeler: {args.labeler} is not a file; pass a labeler.npz of tools/pseudo_labels.py")

    from keras_motion.utils import atomic_write_text
    from keras_motion.utils.files import check_readable
    from keras_motion.vre_mra import MotionLabeler

    if args.labeler:  # before the videos are scanned: a damaged file is named at once, not as a BadZipFile
        check_readable(
            args.labeler,
            "pass the labeler.npz an earlier tools/pseudo_labels.py run wrote, or leave out --labeler to fit a new one",
        )
    try:
        videos = VideoFolder(args.videos, labeled=True)
    except Exception:  # no class folders
        videos = VideoFolder(args.videos)
    if args.max_videos and len(videos) > args.max_videos:
        videos = videos.subset(np.sort(np.random.default_rng(args.seed).choice(len(videos), args.max_videos, False)))
    if args.labeler:
        labeler = MotionLabeler.load(args.labeler, workers=args.workers, size=args.size)
        labels = labeler.predict(videos)
    else:
        normalization = None if args.normalization.lower() == "none" else args.normalization
        labeler = MotionLabeler(
            args.codebook_size,
            args.num_labels,
            args.key_frames,
            args.interval,
            args.flow_method,
            normalization,
            args.pooling,
            args.size,
            args.on_short,
            workers=args.workers,
            seed=args.seed,
        )
        labels = labeler.fit_predict(videos)
    os.makedirs(args.out, exist_ok=True)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(("path", "label"))
    for path, label in zip(videos.paths, labels):
        writer.writerow((os.path.relpath(path, args.videos).replace(os.sep, "/"), int(label)))
    atomic_write_text(os.path.join(args.out, "labels.csv"), text.getvalue())
    labeler.save(os.path.join(args.out, "labeler.npz"))
    kept = labels >= 0
    print(
        f"labeled {int(kept.sum())} of {len(labels)} videos into {labeler.num_labels} clusters "
        f"(OTSU threshold {labeler.threshold_:.3f} px); {labeler.skips.summary()}"
    )
    if videos.num_classes and kept.any():
        from sklearn.metrics import normalized_mutual_info_score

        truth, found = videos.labels[kept], labels[kept]
        purity = sum(np.bincount(truth[found == c]).max() for c in np.unique(found)) / len(found)
        print(f"against the folder classes: NMI {normalized_mutual_info_score(truth, found):.3f}, purity {purity:.3f}")
    print(f"wrote {args.out}/labels.csv and {args.out}/labeler.npz")
    return 0 if kept.any() else 1


if __name__ == "__main__":
    sys.exit(run_main(main))
