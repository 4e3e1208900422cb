#!/usr/bin/env python
"""Pose from Action (Purushwalkam & Gupta, 2016) end to end: pretrain a triplet verifier — "does this flow stack
explain the change between these two frames?" — on unlabeled videos, then initialise a static-image action
classifier from its Appearance ConvNet and finetune it on few labeled images, against random initialisation.

    python recipes/pose_from_action.py               # embedded default: synthetic actions over real photos, CPU-sized
    python recipes/pose_from_action.py --ucf101 DATA/UCF101 --paper      # the paper's sizes (a GPU job)
    python recipes/pose_from_action.py --ucf101 DATA/UCF101 --voc DATA/VOCdevkit --paper   # and its PASCAL test

Steps:
  1. data: videos split by video into pretraining / held-out / test. The verifier trains on the pretraining videos
     only; it is scored on triplets of the held-out videos; the few labeled images are frames of the held-out videos;
     the downstream test images are frames of the test videos, which no training step ever sees;
  2. the verifier on triplets (frame t, frame t+Δ, the Δ flows between them) cropped at one random place, with two
     in-batch negatives per positive from other videos, random flips and time reversals;
  3. held-out verification accuracy against chance (negatives / (1 + negatives)), plus two probes of what it uses;
  4. downstream: per seed, the same `--labeled` images finetune a classifier initialised from the Appearance ConvNet
     and one initialised at random; accuracy on the test images, mean ± std over the seeds.
Writes <out>/metrics.json, TensorBoard logs (<out>/logs) and <out>/triplet_verifier.keras.
"""

import argparse
import json
import os
import sys
import time

import numpy as np

# The paper's settings (§3, §4.3). Its learning rates are missing from our copy of the text; Adam is kept.
PAPER = dict(crop_size=224, render_size=256, width=1.0, feature_dim=4096, hidden=4096, classifier_hidden=2048,
             stem_stride=2, dropout=0.5, batch_positives=43, delta=12, negatives=2)  # 43 · 3 ≈ 128 triplets a batch


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    data = p.add_argument_group("data (default: the synthetic action benchmark, rendered in memory)")
    data.add_argument("--videos", help="folder of unlabeled videos to pretrain on (the downstream task stays the "
                                       "synthetic one unless --images is given)")
    data.add_argument("--ucf101", help="UCF101 root: pretrain on its train-split videos, finetune/test on frames")
    data.add_argument("--hmdb51", help="HMDB51 root: as --ucf101")
    data.add_argument("--split", type=int, default=1, help="official split of UCF101 / HMDB51")
    data.add_argument("--max-videos", type=int, default=None, help="use at most this many videos per split")
    data.add_argument("--max-frames", type=int, default=64, help="frames decoded per real video")
    data.add_argument("--images", help="static action images, one folder per class: the downstream data set")
    data.add_argument("--voc", metavar="ROOT",
                      help="PASCAL VOC 2010-2012 Actions (VOCdevkit or VOC20XX folder): the downstream data set, "
                           "--labeled person crops of its train set, tested on its val set (the paper's setting)")
    data.add_argument("--num-videos", type=int, default=400, help="synthetic videos")
    data.add_argument("--num-frames", type=int, default=16, help="frames per synthetic video (≥ Δ + 1)")
    data.add_argument("--jitter", type=float, default=0.0, help="synthetic camera jitter in px")
    data.add_argument("--flow", default=None, choices=("exact", "dis", "farneback", "tvl1"),
                      help="flow stacks: the renderer's exact flow (synthetic default) or OpenCV's (real videos: DIS)")
    data.add_argument("--fractions", type=float, nargs=3, default=(0.6, 0.2, 0.2),
                      metavar=("PRETRAIN", "HELDOUT", "TEST"), help="split by video")
    model = p.add_argument_group("verifier")
    model.add_argument("--delta", type=int, default=12, help="Δ: frames between the two frames (the paper: 12)")
    model.add_argument("--render-size", type=int, default=40, help="frame size (short side) before random crops")
    model.add_argument("--crop-size", type=int, default=32, help="crop of frames and stacks (the paper: 224)")
    model.add_argument("--width", type=float, default=0.25, help="VGG-M filter multiplier (the paper: 1)")
    model.add_argument("--feature-dim", type=int, default=256, help="FC6 size of each ConvNet (the paper: 4096)")
    model.add_argument("--hidden", type=int, default=256, help="FC7 of the verifier (the paper: 4096)")
    model.add_argument("--stem-stride", type=int, default=1, help="stride of conv1 and conv2 (the paper: 2)")
    model.add_argument("--dropout", type=float, default=0.0, help="after FC6 and FC7 (the paper's VGG-M: 0.5)")
    model.add_argument("--negatives", type=int, default=2, help="in-batch negatives per positive (chance K/(K+1))")
    model.add_argument("--batch-positives", type=int, default=16, help="positives a batch (each with K negatives)")
    model.add_argument("--per-video", type=int, default=4, help="triplets drawn from each video an epoch")
    model.add_argument("--epochs", type=int, default=18)
    model.add_argument("--learning-rate", type=float, default=3e-4, help="Adam")
    model.add_argument("--no-flip", action="store_true", help="no horizontal-flip augmentation")
    model.add_argument("--no-reverse", action="store_true", help="no temporal-reversal augmentation")
    model.add_argument("--no-balance", action="store_true",
                       help="unweighted loss (by default positives and negatives weigh equally: without it, "
                            "short runs stall at the all-negative answer, which already scores the chance level)")
    down = p.add_argument_group("downstream: static-image action recognition from few labels")
    down.add_argument("--labeled", type=int, default=50, help="labeled images (the paper: 50 from PASCAL)")
    down.add_argument("--seeds", type=int, default=3, help="runs, each with its own labeled images and init")
    down.add_argument("--classifier-hidden", type=int, default=256, help="FC7 of the classifier (the paper: 2048)")
    down.add_argument("--finetune-epochs", type=int, default=60)
    down.add_argument("--finetune-learning-rate", type=float, default=3e-4)
    down.add_argument("--finetune-batch-size", type=int, default=16)
    down.add_argument("--test-frames", type=int, default=4, help="test images taken from each test video")
    p.add_argument("--paper", action="store_true",
                   help="the paper's sizes where not given explicitly: 224 px crops of 256 px frames, VGG-M, "
                        "4096-d FC6/FC7, 2048-d classifier FC, dropout 0.5, ~128 triplets a batch (a GPU job)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/pose_from_action", help="output folder")
    from keras_motion.utils.cli import parse_with_presets

    args = parse_with_presets(p, argv, {"paper": PAPER})
    if args.images and args.voc:
        p.error("--images and --voc both name the downstream images: give one")
    if args.flow is None:
        args.flow = "dis" if (args.videos or args.ucf101 or args.hmdb51) else "exact"
    return args


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------------------- data
def frames_of(videos, per_video, seed=None):
    """`per_video` frames of each video (evenly spaced, or at random when `seed` is given) and their video index.

    Frames are cut to their central square, so that videos of different aspect ratios (same short side) stack.
    """
    from keras_motion.transforms import center_crop

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


def synthetic_data(args):
    """Synthetic videos → (pretraining TripletVideos, held-out TripletVideos, labeled pool, test set, class names)."""
    from keras_motion.pose_from_action import TripletVideos
    from keras_motion.datasets import split_groups
    from keras_motion.datasets import synthetic_actions

    log(f"rendering {args.num_videos} synthetic videos ({args.num_frames} frames, {args.render_size} px)")
    data = synthetic_actions(args.num_videos, num_frames=args.num_frames, size=args.render_size, seed=args.seed,
                             jitter=args.jitter)
    flows = data.flows[:, :-1] if args.flow == "exact" else None  # flows[:, t] is t → t+1; the last leaves the clip
    log(f"flow stacks from {'the renderer (exact)' if flows is not None else f'OpenCV {args.flow}'}")
    videos = TripletVideos(data.frames, flows, args.delta, method=args.flow if flows is None else "dis",
                           show_progress=flows is None)
    pretrain, heldout, test = split_groups(np.arange(len(data.labels)), args.fractions, seed=args.seed)
    test_images, owners = frames_of(data.frames[test], args.test_frames)
    pool = dict(frames=data.frames[heldout], labels=data.labels[heldout])
    return (videos.subset(pretrain), videos.subset(heldout), pool,
            dict(images=test_images, labels=data.labels[test][owners]), data.class_names, videos.skips)


def labeled_video_data(args):
    """UCF101 / HMDB51: train-split videos → pretraining / held-out (labeled pool); test-split videos → test."""
    from keras_motion.pose_from_action import TripletVideos
    from keras_motion.datasets import split_groups
    from keras_motion.datasets import HMDB51, UCF101, few_shot

    loader, root = (UCF101, args.ucf101) if args.ucf101 else (HMDB51, args.hmdb51)
    train, test = (loader(root, split=args.split, subset=s) for s in ("train", "test"))
    if args.max_videos:
        per_class = max(1, args.max_videos // train.num_classes)
        train, test = few_shot(train, per_class, args.seed), few_shot(test, per_class, args.seed)
    videos = TripletVideos.from_files(train, args.delta, size=args.render_size, max_frames=args.max_frames,
                                      method=args.flow)
    label_of = dict(zip(map(str, train.paths), train.labels))
    labels = np.array([label_of[name] for name in videos.names])
    pretrain, heldout = split_groups(np.arange(len(videos)), args.fractions[:2], seed=args.seed)
    pool = dict(frames=[videos.frames[i] for i in heldout], labels=labels[heldout])
    test_frames, test_labels = [], []
    for frames, label, _ in test.iter_items(size=args.render_size, max_frames=args.max_frames):
        test_frames.append(frames)
        test_labels.append(label)
    test_images, owners = frames_of(test_frames, args.test_frames)
    log(videos.skips.summary())
    return (videos.subset(pretrain), videos.subset(heldout), pool,
            dict(images=test_images, labels=np.asarray(test_labels)[owners]), train.class_names, videos.skips)


def folder_videos(args):
    """--videos: every decodable video of at least Δ + 1 frames, split into pretraining / held-out by video."""
    from keras_motion.pose_from_action import TripletVideos
    from keras_motion.datasets import split_groups
    from keras_motion.datasets import VideoFolder

    folder = VideoFolder(args.videos)
    videos = TripletVideos.from_files(folder, args.delta, size=args.render_size, max_frames=args.max_frames,
                                      method=args.flow)
    log(videos.skips.summary())
    pretrain, heldout = split_groups(np.arange(len(videos)), args.fractions[:2], seed=args.seed)
    return videos.subset(pretrain), videos.subset(heldout), videos.skips


def square_images(dataset, size):
    """Every decodable image of `dataset` as a central `size` × `size` square (short side resized to `size`)."""
    from keras_motion.transforms import center_crop

    items = [(center_crop(image[None], size)[0], label) for image, label, _ in dataset.iter_items(size=size)]
    log(dataset.skips.summary())
    return np.stack([i for i, _ in items]), np.array([l for _, l in items])


def image_data(args):
    """--images: class-per-folder static images → labeled pool (60 %) and test (40 %); --voc: PASCAL VOC Actions
    persons (square boxes with context) → labeled pool from its train set, test images from its val set (the paper's
    PASCAL setting). Images are squares of --render-size."""
    from keras_motion.datasets import split_groups
    from keras_motion.datasets import ImageFolder, VOCActions
    from keras_motion.errors import DatasetLayoutError

    if args.voc:
        train, val = (VOCActions(args.voc, subset, square=True) for subset in ("train", "val"))
        if val.class_names != train.class_names:
            raise DatasetLayoutError(f"VOC Actions: train classes {train.class_names} but val classes "
                                     f"{val.class_names} in {train.voc_dir}/ImageSets/Action; check the list files.")
        (pool_x, pool_y), (test_x, test_y) = (square_images(d, args.render_size) for d in (train, val))
        return dict(frames=pool_x[:, None], labels=pool_y), dict(images=test_x, labels=test_y), train.class_names, \
            train.skips.count + val.skips.count
    dataset = ImageFolder(args.images)
    images, labels = square_images(dataset, args.render_size)
    pool, test = split_groups(np.arange(len(labels)), (0.6, 0.4), seed=args.seed)
    return dict(frames=images[pool][:, None], labels=labels[pool]), dict(images=images[test], labels=labels[test]), \
        dataset.class_names, dataset.skips.count


# ------------------------------------------------------------------------------------------------------ the models
def board(args, name):
    """TensorBoard logs in <out>/logs/<name>; a CSV history there where TensorFlow is absent (a JAX/torch GPU box)."""
    import keras

    from keras_motion.utils import tensorflow_available

    path = os.path.join(args.out, "logs", name)
    if tensorflow_available():
        return keras.callbacks.TensorBoard(path)
    os.makedirs(path, exist_ok=True)
    return keras.callbacks.CSVLogger(os.path.join(path, "history.csv"))


def train_verifier(args, pretrain, heldout):
    import keras

    from keras_motion.pose_from_action import TripletBatches
    from keras_motion.pose_from_action import TripletVerifier
    from keras_motion.utils import atomic_path

    keras.utils.set_random_seed(args.seed)
    common = dict(batch_positives=args.batch_positives, negatives=args.negatives, crop_size=args.crop_size,
                  in_batch=True)
    train = TripletBatches(pretrain, per_video=args.per_video, flip=not args.no_flip, reverse=not args.no_reverse,
                           balance=not args.no_balance, seed=args.seed, **common)
    held = TripletBatches(heldout, per_video=args.per_video, training=False, seed=args.seed + 1, **common)
    verifier = TripletVerifier(image_size=args.crop_size, delta=args.delta, width=args.width,
                               feature_dim=args.feature_dim, hidden=args.hidden, stem_stride=args.stem_stride,
                               dropout=args.dropout)
    verifier.compile(optimizer=keras.optimizers.Adam(args.learning_rate), loss="sparse_categorical_crossentropy",
                     metrics=["accuracy"])
    callbacks = [keras.callbacks.BackupAndRestore(os.path.join(args.out, "backup")),  # a killed run resumes
                 board(args, "verifier")]
    log(f"training the verifier ({verifier.count_params():,} parameters) on {len(pretrain)} videos: "
        f"{len(train)} batches of {args.batch_positives} positives × (1 + {args.negatives}) an epoch")
    verifier.fit(train, validation_data=held, epochs=args.epochs, callbacks=callbacks, verbose=2)
    with atomic_path(os.path.join(args.out, "triplet_verifier.keras")) as tmp:
        verifier.save(tmp)
    return verifier, held


def downstream(args, verifier, pool, test, num_classes):
    """Per seed: `--labeled` random frames of the pool finetune a verifier-initialised and a random classifier."""
    import keras

    from keras_motion.transforms import center_crop, to_model_range
    from keras_motion.pose_from_action import AppearanceClassifier
    from keras_motion.evaluation import accuracy

    test_x = to_model_range(center_crop(test["images"], args.crop_size))
    results = {"verifier_init": [], "random_init": []}
    for seed in range(args.seed, args.seed + args.seeds):
        # a frame from each of `labeled` different videos where there are that many, else any of their frames
        per_video = 1 if len(pool["frames"]) >= args.labeled else max(len(f) for f in pool["frames"])
        images, owners = frames_of(pool["frames"], per_video, seed)
        chosen = np.random.default_rng(seed).choice(len(images), min(args.labeled, len(images)), replace=False)
        x, y = to_model_range(center_crop(images[chosen], args.crop_size)), pool["labels"][owners[chosen]]
        for init in results:
            keras.utils.set_random_seed(seed)
            if init == "verifier_init":
                model = verifier.classifier(num_classes, hidden=args.classifier_hidden)
            else:
                model = AppearanceClassifier(num_classes, hidden=args.classifier_hidden, image_size=args.crop_size,
                                             width=args.width, feature_dim=args.feature_dim,
                                             stem_stride=args.stem_stride, dropout=args.dropout)
            model.compile(optimizer=keras.optimizers.Adam(args.finetune_learning_rate),
                          loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            model.fit(x, y, epochs=args.finetune_epochs, batch_size=args.finetune_batch_size,
                      callbacks=[board(args, f"downstream_{init}_seed{seed}")], verbose=0)
            score = accuracy(model.predict(test_x, verbose=0), test["labels"])
            results[init].append(score)
            log(f"seed {seed}, {init}: {len(y)} labeled images ({len(np.unique(y))} classes) → "
                f"test accuracy {100 * score:.1f} % on {len(test_x)} images")
    table = {init: {"mean": float(np.mean(r)), "std": float(np.std(r)), "runs": [float(v) for v in r]}
             for init, r in results.items()}
    table.update(chance=1.0 / num_classes, labeled=int(len(y)), test_images=int(len(test_x)))
    return table


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import logging

    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notices for every downstream model
    import keras

    from keras_motion.pose_from_action import verification_report
    from keras_motion.utils import atomic_write_text

    keras.utils.set_random_seed(args.seed)
    start = time.time()
    skipped = {}
    if args.ucf101 or args.hmdb51:
        pretrain, heldout, pool, test, class_names, skips = labeled_video_data(args)
        skipped["videos"] = skips.count
    else:
        synthetic = synthetic_data(args)
        pretrain, heldout, pool, test, class_names = synthetic[:5]
        if args.videos:
            pretrain, heldout, skips = folder_videos(args)
            skipped["videos"] = skips.count
    if args.images or args.voc:
        pool, test, class_names, skipped["images"] = image_data(args)
    log(f"videos: {len(pretrain)} pretraining, {len(heldout)} held out; downstream: {len(pool['labels'])} "
        f"labeled-pool videos/images, {len(test['labels'])} test images")

    verifier, held = train_verifier(args, pretrain, heldout)
    report = verification_report(verifier, held)
    log(f"held-out verification accuracy {100 * report['accuracy']:.1f} % (chance {100 * report['chance']:.1f} %)")
    table = downstream(args, verifier, pool, test, len(class_names))

    metrics = {"verification": {"heldout_accuracy": report["accuracy"], **report},
               "downstream": table, "flow": args.flow, "classes": list(class_names),
               "data": {"pretrain_videos": len(pretrain), "heldout_videos": len(heldout),
                        "test_images": len(test["labels"])},
               "skipped": skipped, "backend": keras.backend.backend(),
               "minutes": round((time.time() - start) / 60, 2), "args": vars(args)}
    del metrics["verification"]["accuracy"]
    atomic_write_text(os.path.join(args.out, "metrics.json"), json.dumps(metrics, indent=2))
    v, d = metrics["verification"], metrics["downstream"]
    print(f"\nHeld-out verification ({v['triplets']} triplets of {len(heldout)} unseen videos, "
          f"{args.negatives} negatives per positive)")
    print(f"  accuracy {100 * v['heldout_accuracy']:.1f} %   chance {100 * v['chance']:.1f} %   "
          f"ranking (true stack above its negatives) {100 * v['ranking_accuracy']:.1f} %")
    print(f"  probes: frames without change {100 * v['static_frames_accuracy']:.1f} %, "
          f"time-reversed stacks rejected {100 * v['reversed_rejected']:.1f} %")
    print(f"\nAction recognition from {d['labeled']} labeled images ({len(class_names)} classes, "
          f"{d['test_images']} test images, {args.seeds} seeds; chance {100 * d['chance']:.1f} %)")
    for init in ("verifier_init", "random_init"):
        print(f"  {init:<14}{100 * d[init]['mean']:6.1f} ± {100 * d[init]['std']:.1f} %")
    print(f"\nwrote {args.out}/metrics.json, {args.out}/triplet_verifier.keras, TensorBoard logs in {args.out}/logs "
          f"({metrics['minutes']} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
