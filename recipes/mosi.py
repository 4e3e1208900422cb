#!/usr/bin/env python
"""MoSI (Huang et al., CVPR 2021) end to end: pretrain a 3-D backbone to classify pseudo motions made from static
images, then finetune it on few labeled videos against the same backbone trained from scratch.

    python recipes/mosi.py                                   # embedded default data, CPU-sized (~1 h, 2 cores)
    python recipes/mosi.py --quick                           # the same at tiny sizes (~2 min)
    python recipes/mosi.py --images DIR --ucf101 DATA/UCF101 --paper   # the paper's settings (a GPU job)

Steps (each shows progress):
  1. pretext data: source images (scikit-image's photos, random crops at random scales, plus one random frame per
     unlabeled synthetic video per epoch; or --images / --videos folders), some held out: photos and videos never
     seen in pretraining;
  2. pretext: R(2+1)D-10 (or R-2D3D-18) on PseudoMotion clips generated on device from the source images (same-batch:
     every image gives all C_T labels), Adam + warm-up + half cosine; held-out pretext accuracy;
  3. Grad-CAM of the pretrained (not finetuned) last conv stage on held-out videos where a figure moves over a static
     background: heat-map mass inside the moving pixels / their area share;
  4. few-shot finetuning (N labeled videos per class, several seeds): MoSI-initialised vs from scratch, multi-clip
     evaluation (10 clips per video), video-level and clip-level accuracy.
Writes <out>/metrics.json, logs (<out>/logs), checkpoints (<out>/pretext_backbone.keras and the finetuned models),
<out>/gradcam.png. Finished finetuning runs are kept in <out>/finetune_runs.json and skipped on a rerun; a killed
pretext run resumes from its last epoch (<out>/backup).
"""

import sys

import keras_motion as km
from keras_motion.mosi import DATA_PRESETS, PRESETS, MoSI, print_report
from keras_motion.utils.flags import add_hyperparameter_flags

HYPERPARAMETERS = MoSI.hyperparameters()
DEFAULTS = {**HYPERPARAMETERS, **DATA_PRESETS["cpu"]}
PSEUDO_MOTION = ["source_size", "crop_size", "num_frames", "speeds", "axes", "mask_size", "jitter", "frame_wise_jitter"]


def parse_args(argv=None):
    p = km.utils.base_parser(__doc__, "runs/mosi")

    def add(group, flag, help, **kwargs):
        dest = kwargs.pop("dest", flag[2:].replace("-", "_"))
        group.add_argument(flag, dest=dest, default=kwargs.pop("default", DEFAULTS.get(dest)), help=help, **kwargs)

    data = p.add_argument_group("data (default: scikit-image photos + synthetic action videos, made in memory)")
    add(data, "--images", "folder of unlabeled images (any layout): pretext source images")
    add(data, "--videos", "folder of unlabeled videos: pretext sources, one random frame per epoch")
    add(data, "--ucf101", "UCF101 root (official split files): the labeled videos for finetuning")
    add(data, "--hmdb51", "HMDB51 root (official split files): the labeled videos for finetuning")
    add(data, "--labeled-videos", "labeled videos, one folder per class (split 70/30 by video, seeded)")
    add(data, "--split", "official split of UCF101 / HMDB51", type=int, default=1)
    add(data, "--max-test-videos", "evaluate on at most this many test videos", type=int)
    add(data, "--synthetic-test", "synthetic test videos (balanced)", type=int)
    add(data, "--synthetic-labeled", "synthetic videos to draw few-shot sets from", type=int)
    add(data, "--synthetic-unlabeled", "unlabeled synthetic videos whose frames are pretext sources", type=int)
    add(data, "--video-frames", "frames per synthetic video", type=int)
    add(data, "--video-size", "synthetic video size / short side of real videos", type=int)
    add(data, "--crops-per-photo", "random crops of each training photo", type=int)
    add(data, "--heldout-photos", "photos held out of pretraining", type=int)
    add(
        data,
        "--gradcam-size",
        "size at which the held-out synthetic videos are re-rendered for Grad-CAM (the "
        "network is fully convolutional: larger clips, larger conv5 maps); 0: none",
        type=int,
        dest="grad_cam_size",
    )
    gen = p.add_argument_group("pseudo motion")
    add_hyperparameter_flags(gen, MoSI, PSEUDO_MOTION, axes={"choices": ("x", "y", "xy")}, mask_size={"nargs": "+"})
    add(gen, "--no-mask", "unmasked MoSI", action="store_true", default=False)
    model = p.add_argument_group("model and training")
    add_hyperparameter_flags(
        model,
        MoSI,
        [name for name in HYPERPARAMETERS if name not in PSEUDO_MOTION],
        backbone={"choices": ("r2plus1d", "r2d3d")},
        depth={"type": int},
        stem={"choices": ("video", "small")},
    )
    add(
        model,
        "--skip-pretext",
        "reuse <out>/pretext_backbone.keras from an earlier run",
        action="store_true",
        default=False,
    )
    presets = {name: {**PRESETS[name], **DATA_PRESETS[name]} for name in ("paper", "quick")}
    return km.utils.parse_with_presets(p, argv, presets)


def main(argv=None):
    args = parse_args(argv)
    run = km.utils.start_run(args)
    if run.report_finished(print_report):  # a rerun into a finished --out with the same flags
        return 0
    settings = {k: v for k, v in vars(args).items() if k in HYPERPARAMETERS}
    settings.update(
        mask_size=None
        if args.no_mask
        else (args.mask_size[0] if len(args.mask_size) == 1 else tuple(args.mask_size[:2]))
    )
    task = km.mosi.MoSI(**settings, seed=args.seed, run=run, distribution="data_parallel" if args.distribute else None)

    skipped, flows, fine = 0, None, None
    if args.ucf101 or args.hmdb51 or args.labeled_videos:
        (pool, pool_labels), (test, test_labels), classes, skipped = km.evaluation.labeled_video_splits(
            ucf101=args.ucf101,
            hmdb51=args.hmdb51,
            labeled_videos=args.labeled_videos,
            split=args.split,
            shots=args.shots,
            repeats=args.seeds,
            size=args.video_size,
            max_test_videos=args.max_test_videos,
            seed=args.seed,
            run=run,
        )
        unlabeled, heldout_videos = None, [video.path for video in test]  # read at the pretext source size
    else:
        run.log(f"rendering {args.synthetic_unlabeled + args.synthetic_labeled + args.synthetic_test} synthetic videos")
        data = km.mosi.synthetic_splits(
            args.synthetic_unlabeled,
            args.synthetic_labeled,
            args.synthetic_test,
            num_frames=args.video_frames,
            size=args.video_size,
            grad_cam_size=args.grad_cam_size,
            seed=args.seed,
        )
        pool, pool_labels, classes = data.labeled.frames, data.labeled.labels, data.labeled.class_names
        test, test_labels, flows = data.test.frames, data.test.labels, data.test.flows
        unlabeled, heldout_videos = data.unlabeled.frames, test
        if data.grad_cam is not None:
            fine = task.grad_cam_clips(data.grad_cam.frames, data.grad_cam.flows)
    # Held-out pretext sources: held-out photos and the test videos' frames (never pretrained on).
    video_skips = km.utils.SkipLog("--videos")
    train_sources, heldout_sources = km.mosi.pretext_sources(
        images=args.images,
        videos=args.videos,
        unlabeled_videos=unlabeled,
        heldout_videos=heldout_videos,
        heldout_photos=args.heldout_photos,
        crops_per_photo=args.crops_per_photo,
        seed=args.seed,
        skips=video_skips,
    )
    skipped += video_skips.count

    task.pretrain(train_sources, heldout_sources, task.grad_cam_clips(test[:4], flows)[0], reuse=args.skip_pretext)
    pretext = {**task.evaluate_pretext(heldout_sources), "train_sources": len(train_sources)}
    cam = task.grad_cam(*task.grad_cam_clips(test, flows), fine=fine)
    finetune = task.finetune(pool, pool_labels, test, test_labels, classes)
    metrics = {"pretext": pretext, "finetune": finetune, "gradcam": cam, "skipped": skipped}
    run.save_model(task.inference_model(), "mosi_inference.keras")  # uint8 in, logits + features out
    run.finish(metrics, print_report, args=vars(args), task=task.get_config())
    return 0


if __name__ == "__main__":
    sys.exit(km.utils.run_main(main))
