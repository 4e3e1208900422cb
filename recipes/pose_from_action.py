#!/usr/bin/env python
"""Pose from Action (Purushwalkam & Gupta, 2016) end to end: pretrain a triplet verifier — "does this flow stack
explain the change between these two frames?" — on unlabeled videos, then initialise a static-image action
classifier from its Appearance ConvNet and finetune it on few labeled images, against random initialisation.

    python recipes/pose_from_action.py               # embedded default: synthetic actions over real photos, CPU-sized
    python recipes/pose_from_action.py --quick       # the whole recipe at tiny sizes, to try a set-up
    python recipes/pose_from_action.py --ucf101 DATA/UCF101 --paper      # the paper's sizes (a GPU job)
    python recipes/pose_from_action.py --ucf101 DATA/UCF101 --voc DATA/VOCdevkit --paper   # and its PASCAL test

Steps: (1) videos split by video into pretraining / held-out / test (`km.pose_from_action.synthetic_data`,
`labeled_video_data`, `unlabeled_video_data`; downstream images from `image_data`); (2) the verifier on triplets with
in-batch negatives from other videos, random flips and time reversals; (3) held-out verification accuracy against
chance, plus two probes of what it uses; (4) per seed, the same labeled images finetune a classifier initialised
from the Appearance ConvNet and one initialised at random; test accuracy, mean ± std over the seeds.
Writes <out>/metrics.json, logs (<out>/logs) and <out>/triplet_verifier.keras.
"""

import sys

import keras_motion as km
from keras_motion.pose_from_action import DATA_PRESETS, PRESETS, PoseFromAction, print_report
from keras_motion.utils.flags import add_hyperparameter_flags

CPU, DATA = PoseFromAction.hyperparameters(), DATA_PRESETS["cpu"]
VERIFIER = [
    "delta",
    "render_size",
    "crop_size",
    "width",
    "feature_dim",
    "hidden",
    "stem_stride",
    "dropout",
    "negatives",
    "batch_positives",
    "per_video",
    "epochs",
    "learning_rate",
    "flip",
    "reverse",
    "balance",
]


def parse_args(argv=None):
    p = km.utils.base_parser(
        __doc__,
        "runs/pose_from_action",
        paper_help="the paper's sizes where not given explicitly: 224 px crops of 256 px frames, "
        "VGG-M, 4096-d FC6/FC7, 2048-d classifier FC, dropout 0.5, ~128 triplets a "
        "batch (a GPU job)",
    )
    data = p.add_argument_group("data (default: the synthetic action benchmark, rendered in memory)")
    data.add_argument(
        "--videos",
        help="folder of unlabeled videos to pretrain on (the downstream task stays the "
        "synthetic one unless --images or --voc is given)",
    )
    data.add_argument("--ucf101", help="UCF101 root: pretrain on its train-split videos, finetune/test on frames")
    data.add_argument("--hmdb51", help="HMDB51 root: as --ucf101")
    data.add_argument("--split", type=int, default=1, help="official split of UCF101 / HMDB51")
    data.add_argument("--max-videos", type=int, default=None, help="use at most this many videos per split")
    data.add_argument("--max-frames", type=int, default=64, help="frames decoded per real video")
    data.add_argument("--images", help="static action images, one folder per class: the downstream data set")
    data.add_argument(
        "--voc",
        metavar="ROOT",
        help="PASCAL VOC 2010-2012 Actions (VOCdevkit or VOC20XX folder): the downstream data set, "
        "--num-labeled person crops of its train set, tested on its val set (the paper's setting)",
    )
    data.add_argument("--num-videos", type=int, default=DATA["num_videos"], help="synthetic videos")
    data.add_argument("--num-frames", type=int, default=DATA["num_frames"], help="frames per synthetic video (≥ Δ + 1)")
    data.add_argument("--jitter", type=float, default=0.0, help="synthetic camera jitter in px")
    data.add_argument(
        "--flow",
        default=None,
        choices=("exact", "dis", "farneback", "tvl1"),
        help="flow stacks: the renderer's exact flow (synthetic default) or OpenCV's (real videos: DIS)",
    )
    data.add_argument(
        "--fractions",
        type=float,
        nargs=3,
        default=(0.6, 0.2, 0.2),
        metavar=("PRETRAIN", "HELDOUT", "TEST"),
        help="split by video",
    )
    data.add_argument("--test-frames", type=int, default=DATA["test_frames"], help="test images from each test video")
    add_hyperparameter_flags(p.add_argument_group("verifier"), PoseFromAction, VERIFIER)
    add_hyperparameter_flags(
        p.add_argument_group("downstream: static-image action recognition from few labels"),
        PoseFromAction,
        [name for name in CPU if name not in VERIFIER],
    )
    presets = {name: {**PRESETS[name], **DATA_PRESETS[name]} for name in ("paper", "quick")}
    args = km.utils.parse_with_presets(p, argv, presets)
    if args.images and args.voc:
        p.error("--images and --voc both name the downstream images: give one")
    if args.flow is None:
        args.flow = "dis" if (args.videos or args.ucf101 or args.hmdb51) else "exact"
    return args


def main(argv=None):
    args = parse_args(argv)
    run = km.utils.start_run(args)
    if run.report_finished(print_report):  # a rerun into a finished --out with the same flags
        return 0
    pfa = km.pose_from_action
    real = dict(
        delta=args.delta,
        size=args.render_size,
        max_frames=args.max_frames,
        flow=args.flow,
        fractions=args.fractions[:2],
        seed=args.seed,
        run=run,
    )
    if args.ucf101 or args.hmdb51:
        loader, root = (km.datasets.UCF101, args.ucf101) if args.ucf101 else (km.datasets.HMDB51, args.hmdb51)
        train, test = (loader(root, split=args.split, subset=s) for s in ("train", "test"))
        videos, downstream = pfa.labeled_video_data(
            train, test, test_frames=args.test_frames, max_videos=args.max_videos, **real
        )
    else:  # the synthetic data's exact flow is cheap: it stays exact when --videos replaces its videos
        videos, downstream = pfa.synthetic_data(
            args.num_videos,
            args.num_frames,
            args.render_size,
            args.delta,
            "exact" if args.videos else args.flow,
            args.jitter,
            args.fractions,
            args.test_frames,
            args.seed,
            run,
        )
        if args.videos:
            videos = pfa.unlabeled_video_data(args.videos, **real)
    if args.images or args.voc:
        downstream = pfa.image_data(args.images, args.voc, args.render_size, seed=args.seed, run=run)
    skipped = {"videos": videos.skips.count} if videos.skips is not None else {}
    if downstream.skipped is not None:
        skipped["images"] = downstream.skipped
    run.log(
        f"videos: {len(videos.pretrain)} pretraining, {len(videos.heldout)} held out; downstream: "
        f"{len(downstream.pool_labels)} labeled-pool videos/images, {len(downstream.test_labels)} test images"
    )

    task = PoseFromAction(
        **{k: getattr(args, k) for k in CPU},
        seed=args.seed,
        run=run,
        distribution="data_parallel" if args.distribute else None,
    )
    task.fit_verifier(videos.pretrain, videos.heldout)
    v = task.evaluate_verifier(videos.heldout)
    d = task.finetune_downstream(downstream)
    metrics = {
        "verification": v,
        "downstream": d,
        "flow": args.flow,
        "classes": downstream.class_names,
        "data": {
            "pretrain_videos": len(videos.pretrain),
            "heldout_videos": len(videos.heldout),
            "test_images": len(downstream.test_labels),
        },
        "skipped": skipped,
    }
    run.save_model(task.inference_model(), "pose_from_action_inference.keras")  # uint8 in, features out
    run.finish(metrics, print_report, args=vars(args), task=task.get_config())
    return 0


if __name__ == "__main__":
    sys.exit(km.utils.run_main(main))
