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
from keras_motion.vre_mra import DATA_PRESETS, PRESETS, ROWS, VREMRA, ablation_rows


def parse_args(argv=None):
    p = base_parser(__doc__, "runs/vre_mra")
    data = p.add_argument_group("data (default: the synthetic action benchmark, rendered in memory)")
    data.add_argument("--videos", metavar="DIR", help="folder of unlabeled videos (class sub-folders give NMI)")
    data.add_argument("--ucf101", metavar="ROOT", help="UCF101 root: its train videos are the unlabeled videos")
    data.add_argument("--hmdb51", metavar="ROOT", help="HMDB51 root: its train videos are the unlabeled videos")
    data.add_argument("--split", type=int, default=1, help="UCF101 / HMDB51 split")
    data.add_argument("--max-videos", type=int, help="unlabeled videos used, a seeded sample (the paper: 1000)")
    data.add_argument("--images", metavar="DIR", help="labeled static images, one folder per class (split 75/25 "
                      "into train/test); the default: single frames of other synthetic videos")
    data.add_argument("--stanford40", metavar="ROOT", help="Stanford40 root: few-shot train images, its test images")
    data.add_argument("--voc", metavar="ROOT", help="PASCAL VOC 2010-2012 Actions root (VOCdevkit or VOC20XX): "
                      "--shots person crops per class from its train set, up to --max-test-images from its val set")
    data.add_argument("--num-videos", type=int, help="synthetic unlabeled videos")
    data.add_argument("--pool-per-class", type=int,
                      help="synthetic labeled-image pool per class (each seed draws --shots from it)")
    data.add_argument("--test-videos", type=int, help="synthetic held-out videos (one image each)")
    data.add_argument("--shots", type=int, help="labeled images per class (VOC: 10)")
    data.add_argument("--holdout", default="test", choices=("test", "validation"),
                      help="the images the table is measured on: the test images, or validation images for tuning "
                           "(synthetic: frames of yet other videos; folders / Stanford40 / VOC: a part of the "
                           "labeled training images that the few-shot draw never uses)")
    data.add_argument("--validation-videos", type=int, help="synthetic validation videos (one image each)")
    data.add_argument("--validation-fraction", type=float, default=0.25,
                      help="share of the labeled training images held out as validation images (folders / "
                           "Stanford40 / VOC)")
    data.add_argument("--max-test-images", type=int, help="held-out images used (VOC: 2000)")
    data.add_argument("--render-size", type=int, help="frame size for flow (synthetic render / decode)")
    labels = p.add_argument_group("pseudo-motion labels")
    labels.add_argument("--key-frames", type=int, help="key frames per video (the paper: 12 UCF, 7 HMDB)")
    labels.add_argument("--interval", type=int, help="frames between key frames")
    labels.add_argument("--codebook-size", type=int, help="flow codebook words (the paper: 128)")
    labels.add_argument("--num-labels", type=int, help="pseudo-motion labels (k-means clusters)")
    labels.add_argument("--labeler", metavar="NPZ", help="reuse a fitted labeler (an earlier run's "
                        "<out>/pseudo_labels.npz, or tools/pseudo_labels.py's labeler.npz) instead of fitting one")
    labels.add_argument("--flow-method", choices=("dis", "farneback", "tvl1"), help="optical flow of the key frames")
    labels.add_argument("--normalization", help="VLAD normalisation ('none' = the paper's raw sums)")
    labels.add_argument("--pooling", choices=("mean", "concat"),
                        help="clip embedding from its maps' VLADs (the paper: concat)")
    model = p.add_argument_group("model and training")
    model.add_argument("--image-size", type=int, help="side of the square network input")
    model.add_argument("--width", type=float, help="AlexNet filter scale")
    model.add_argument("--stem", choices=("small", "imagenet"), help="AlexNet's first layers")
    model.add_argument("--feature-dim", type=int, help="f(x) size (the paper: 4096)")
    model.add_argument("--motion-units", type=int, help="GRU size (the paper: 512)")
    model.add_argument("--motion-hidden", type=int, help="p_m hidden size (the paper: 512)")
    model.add_argument("--classifier-hidden", type=int, help="p_c hidden size (the paper: 4096)")
    model.add_argument("--mra-hidden", type=int, help="p_a hidden size (None: feature + motion)")
    model.add_argument("--norm", choices=("none", "batch"), help="normalisation after each encoder conv (the "
                       "paper's AlexNet: none; from scratch in a short CPU run BatchNorm trains much faster)")
    model.add_argument("--dropout", type=float, help="classifiers' dropout (and the encoder's by default)")
    model.add_argument("--encoder-dropout", type=float, help="dropout before the encoder's fc6 (None: --dropout); "
                       "its per-frame masks can hide the frame-to-frame changes the GRU learns motion from")
    model.add_argument("--learning-rate", type=float, help="Adam (the paper: 1e-4)")
    model.add_argument("--decay-every", type=int, help="iterations per ×0.1 learning-rate decay")
    model.add_argument("--proxy-weight", type=float, help="λ (the paper: 0.1 over thousands of iterations; a short "
                       "run needs the proxy weighed more)")
    model.add_argument("--frame-motion", type=float, help="weight of L_motion on each key frame alone (the MRA "
                       "path; 0 = the paper, which supervises only the clip's last GRU output)")
    model.add_argument("--margin", type=float, help="δ of the smoothness losses")
    model.add_argument("--distance", choices=("euclidean", "squared"),
                       help="smoothness losses on the plain distance (the paper's) or squared (Hadsell et al.'s)")
    model.add_argument("--batch-images", type=int, help="labeled images per batch")
    model.add_argument("--flip-images", action="store_true", help="mirror labeled images at random (only for "
                       "mirror-invariant classes: the synthetic walk_left / walk_right are not)")
    model.add_argument("--batch-clips", type=int, help="clips per batch")
    model.add_argument("--subclip-length", type=int, help="frames per sub-clip (None: key frames − 2, the paper's)")
    model.add_argument("--iterations", type=int, nargs=5, metavar=("S1", "S2", "S3", "S4", "S5"),
                       help="iterations of each of the five steps (step 2's four clip rows are most of the run)")
    p.add_argument("--seeds", type=int, help="runs, with seeds --seed, --seed + 1, ...")
    p.add_argument("--rows", nargs="+", default=ROWS, choices=ROWS, metavar="ROW",
                   help="rows of the table to run (e.g. UNREG 'w/o MRA' full to tune faster): 'only MR' and 'full' "
                        "continue from 'w/o MRA', which then runs too")
    p.add_argument("--verbose", type=int, default=0, help="Keras fit verbosity of each step (2: its mean loss)")
    p.set_defaults(**PRESETS["cpu"], **DATA_PRESETS["cpu"])
    presets = {name: {**PRESETS[name], **DATA_PRESETS[name]} for name in ("paper", "quick")}
    return parse_with_presets(p, argv, presets)


def main(argv=None):
    args = parse_args(argv)
    run = start_run(args)
    if run.report_finished(print_report):  # a rerun into a finished --out with the same flags
        return 0
    task = VREMRA(**{name: getattr(args, name) for name in PRESETS["cpu"]}, verbose=args.verbose, run=run,
                  distribution="data_parallel" if args.distribute else None)
    unlabeled = km.vre_mra.unlabeled_videos(task.frames_needed, args.render_size, args.videos, args.ucf101,
                                            args.hmdb51, args.split, args.max_videos, args.num_videos, run=run)
    labels, label_report = task.pseudo_labels(unlabeled.videos, unlabeled.classes, labeler=args.labeler)
    clips, kept = task.clips(unlabeled.videos, labels)
    clip_classes = None if unlabeled.classes is None else unlabeled.classes[kept]
    skipped = unlabeled.skipped
    del unlabeled
    try:
        images, class_names = km.vre_mra.labeled_images(
            task.image_size, args.render_size, args.holdout, args.images, args.stanford40, args.voc, args.shots,
            args.validation_fraction, args.max_test_images, run=run, num_videos=args.num_videos,
            pool_per_class=args.pool_per_class, test_videos=args.test_videos,
            validation_videos=args.validation_videos)
    except ValueError as e:  # the validation split falls short: name the flags
        sys.exit(str(e).replace("validation_fraction", "--validation-fraction").replace("shots", "--shots"))
    held, num_classes = images[args.holdout], len(class_names)
    run.log(f"{len(clips)} unlabeled clips of {args.key_frames} key frames, {num_classes} classes, {args.shots} "
            f"labeled images per class, {len(held[1])} held-out {args.holdout} images")
    seeds = list(range(args.seed, args.seed + args.seeds))
    table = task.ablation(images["pool"], held, clips, labels[kept], num_classes, seeds, args.rows, clip_classes)
    metrics = {"holdout": args.holdout, "ablation": table["ablation"], "pseudo_labels": label_report,
               **{k: table[k] for k in ("motion_classifier_accuracy", "retrieval", "chance")},
               "data": {"unlabeled_clips": len(clips), "labeled_images": args.shots * num_classes,
                        "holdout_images": int(len(held[1])), "skipped_videos": skipped,
                        "classes": list(class_names)}}
    run.finish(metrics, print_report, args=vars(args), task=task.get_config())
    return 0


def print_report(metrics):
    """The figures of a run's metrics.json."""
    flags = metrics["args"]  # the flags of the run, as stored in metrics.json
    label_report, table = metrics["pseudo_labels"], metrics
    seeds, num_classes = list(range(flags['seed'], flags['seed'] + flags['seeds'])), len(metrics["data"]["classes"])
    print(f"\nPseudo-motion labels: NMI {label_report.get('nmi', float('nan')):.3f}, purity "
          f"{label_report.get('purity', float('nan')):.3f} ({label_report['num_videos']} videos, {flags['num_labels']} "
          "clusters)")
    print(f"\nHeld-out ({flags['holdout']}) accuracy, {flags['shots']} labeled images per class, seeds {seeds} (chance "
          f"{100 / num_classes:.1f} %)")
    for row in (row for row in ROWS if row in ablation_rows(flags['rows'])):
        print(f"  {row:<16}{100 * table['ablation'][row]['mean']:6.1f} ± {100 * table['ablation'][row]['std']:.1f} %")
    if table["retrieval"]["same_class_rate"] is not None:
        print(f"\nRetrieval: the nearest clip by f̃ has the image's class for "
              f"{100 * table['retrieval']['same_class_rate']:.1f} % of held-out images")


if __name__ == "__main__":
    sys.exit(run_main(main))
