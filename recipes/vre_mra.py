#!/usr/bin/env python
"""VRE + MRA (Zhang et al., AAAI 2020): static-image action recognition with few labels, helped by unlabeled videos.

    python recipes/vre_mra.py                     # embedded default: synthetic action videos, CPU-sized
    python recipes/vre_mra.py --ucf101 DATA/UCF101 --stanford40 DATA/Stanford40 --paper
    python recipes/vre_mra.py --holdout validation --seed 10 --seeds 2   # tune on validation images, not the test ones

Steps: (1) unlabeled videos → pseudo-motion labels (MotionLabeler), their NMI / purity where the videos have classes;
(2) per seed, --shots labeled images per class and the rows of the paper's Table 2 on held-out images (the test
images, or with --holdout validation validation images the few-shot draw never uses); (3) retrieval: for held-out
images, the unlabeled clip whose first frame's motion feature f̃ is nearest. The library calls: keras_motion.vre_mra
(VREMRA, unlabeled_videos, labeled_images). Writes <out>/metrics.json, <out>/retrieval.png, <out>/pseudo_labels.npz
(the fitted labeler), <out>/vre_mra.keras (the last seed's net) and <out>/logs/.
"""

import sys

import keras_motion as km
from keras_motion.utils.cli import base_parser, parse_with_presets, run_main, start_run
from keras_motion.utils.flags import add_hyperparameter_flags
from keras_motion.vre_mra import DATA_PRESETS, PRESETS, ROWS, VREMRA, print_report

LABELER = ["key_frames", "interval", "codebook_size", "num_labels", "flow_method", "normalization", "pooling"]


def parse_args(argv=None):
    p = base_parser(__doc__, "runs/vre_mra")
    data = p.add_argument_group("data (default: the synthetic action benchmark, rendered in memory)")
    data.add_argument("--videos", metavar="DIR", help="folder of unlabeled videos (class sub-folders give NMI)")
    data.add_argument("--ucf101", metavar="ROOT", help="UCF101 root: its train videos are the unlabeled videos")
    data.add_argument("--hmdb51", metavar="ROOT", help="HMDB51 root: its train videos are the unlabeled videos")
    data.add_argument("--split", type=int, default=1, help="UCF101 / HMDB51 split")
    data.add_argument("--max-videos", type=int, help="unlabeled videos used, a seeded sample (the paper: 1000)")
    data.add_argument(
        "--images",
        metavar="DIR",
        help="labeled static images, one folder per class (split 75/25 "
        "into train/test); the default: single frames of other synthetic videos",
    )
    data.add_argument("--stanford40", metavar="ROOT", help="Stanford40 root: few-shot train images, its test images")
    data.add_argument(
        "--voc",
        metavar="ROOT",
        help="PASCAL VOC 2010-2012 Actions root (VOCdevkit or VOC20XX): "
        "--shots person crops per class from its train set, up to --max-test-images from its val set",
    )
    data.add_argument("--num-videos", type=int, help="synthetic unlabeled videos")
    data.add_argument(
        "--pool-per-class", type=int, help="synthetic labeled-image pool per class (each seed draws --shots from it)"
    )
    data.add_argument("--test-videos", type=int, help="synthetic held-out videos (one image each)")
    add_hyperparameter_flags(data, VREMRA, ["shots"])
    data.add_argument(
        "--holdout",
        default="test",
        choices=("test", "validation"),
        help="the images the table is measured on: the test images, or validation images for tuning "
        "(synthetic: frames of yet other videos; folders / Stanford40 / VOC: a part of the "
        "labeled training images that the few-shot draw never uses)",
    )
    data.add_argument("--validation-videos", type=int, help="synthetic validation videos (one image each)")
    data.add_argument(
        "--validation-fraction",
        type=float,
        default=0.25,
        help="share of the labeled training images held out as validation images (folders / Stanford40 / VOC)",
    )
    data.add_argument("--max-test-images", type=int, help="held-out images used (VOC: 2000)")
    data.add_argument("--render-size", type=int, help="frame size for flow (synthetic render / decode)")
    labels = p.add_argument_group("pseudo-motion labels")
    add_hyperparameter_flags(
        labels,
        VREMRA,
        LABELER,
        flow_method={"choices": ("dis", "farneback", "tvl1")},
        pooling={"choices": ("mean", "concat")},
    )
    labels.add_argument(
        "--labeler",
        metavar="NPZ",
        help="reuse a fitted labeler (an earlier run's "
        "<out>/pseudo_labels.npz, or tools/pseudo_labels.py's labeler.npz) instead of fitting one",
    )
    add_hyperparameter_flags(
        p.add_argument_group("model and training"),
        VREMRA,
        [name for name in VREMRA.hyperparameters() if name not in LABELER + ["shots"]],
        stem={"choices": ("small", "imagenet")},
        norm={"choices": ("none", "batch")},
        distance={"choices": ("euclidean", "squared")},
        mra_hidden={"type": int},
        encoder_dropout={"type": float},
        subclip_length={"type": int},
        iterations={"metavar": ("S1", "S2", "S3", "S4", "S5")},
    )
    p.add_argument("--seeds", type=int, help="runs, with seeds --seed, --seed + 1, ...")
    p.add_argument(
        "--rows",
        nargs="+",
        default=ROWS,
        choices=ROWS,
        metavar="ROW",
        help="rows of the table to run (e.g. UNREG 'w/o MRA' full to tune faster): 'only MR' and 'full' "
        "continue from 'w/o MRA', which then runs too",
    )
    p.add_argument("--verbose", type=int, default=0, help="Keras fit verbosity of each step (2: its mean loss)")
    p.set_defaults(**DATA_PRESETS["cpu"])
    presets = {name: {**PRESETS[name], **DATA_PRESETS[name]} for name in ("paper", "quick")}
    return parse_with_presets(p, argv, presets)


def main(argv=None):
    args = parse_args(argv)
    run = start_run(args)
    if run.report_finished(print_report):  # a rerun into a finished --out with the same flags
        return 0
    task = VREMRA(
        **{name: getattr(args, name) for name in VREMRA.hyperparameters()},
        seed=args.seed,
        verbose=args.verbose,
        run=run,
        distribution="data_parallel" if args.distribute else None,
    )
    unlabeled = km.vre_mra.unlabeled_videos(
        task.frames_needed,
        args.render_size,
        args.videos,
        args.ucf101,
        args.hmdb51,
        args.split,
        args.max_videos,
        args.num_videos,
        run=run,
    )
    labels, label_report = task.pseudo_labels(unlabeled.videos, unlabeled.classes, labeler=args.labeler)
    clips, kept = task.clips(unlabeled.videos, labels)
    clip_classes = None if unlabeled.classes is None else unlabeled.classes[kept]
    skipped = unlabeled.skipped
    del unlabeled
    try:
        images, class_names = km.vre_mra.labeled_images(
            task.image_size,
            args.render_size,
            args.holdout,
            args.images,
            args.stanford40,
            args.voc,
            args.shots,
            args.validation_fraction,
            args.max_test_images,
            run=run,
            num_videos=args.num_videos,
            pool_per_class=args.pool_per_class,
            test_videos=args.test_videos,
            validation_videos=args.validation_videos,
        )
    except ValueError as e:  # the validation split falls short: name the flags
        raise km.errors.InvalidArgumentError(
            str(e).replace("validation_fraction", "--validation-fraction").replace("shots", "--shots")
        ) from None
    held, num_classes = images[args.holdout], len(class_names)
    run.log(
        f"{len(clips)} unlabeled clips of {args.key_frames} key frames, {num_classes} classes, {args.shots} "
        f"labeled images per class, {len(held[1])} held-out {args.holdout} images"
    )
    seeds = list(range(args.seed, args.seed + args.seeds))
    table = task.ablation(images["pool"], held, clips, labels[kept], num_classes, seeds, args.rows, clip_classes)
    metrics = {
        "holdout": args.holdout,
        "ablation": table["ablation"],
        "pseudo_labels": label_report,
        **{k: table[k] for k in ("motion_classifier_accuracy", "retrieval", "chance")},
        "data": {
            "unlabeled_clips": len(clips),
            "labeled_images": args.shots * num_classes,
            "holdout_images": int(len(held[1])),
            "skipped_videos": skipped,
            "classes": list(class_names),
        },
    }
    run.save_model(task.inference_model(), "vre_mra_inference.keras")  # uint8 in, f̃ + motion class out
    run.finish(metrics, print_report, args=vars(args), task=task.get_config())
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
