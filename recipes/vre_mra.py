#!/usr/bin/env python
"""VRE + MRA (Zhang et al., AAAI 2020): static-image action recognition with few labels, helped by unlabeled videos.

    python recipes/vre_mra.py                     # embedded default: synthetic action videos, CPU-sized (~19 min)
    python recipes/vre_mra.py --ucf101 DATA/UCF101 --stanford40 DATA/Stanford40 --paper
    python recipes/vre_mra.py --holdout validation --seeds 10 11   # tune on validation images, never on the test ones

Steps:
  1. unlabeled videos → pseudo-motion labels (MotionLabeler: key-frame DIS flow, OTSU, k-means codebook, VLAD,
     k-means); their agreement with the true classes (NMI, purity) where the videos have labels;
  2. per seed, a few labeled images per class, and the ablation of the paper's Table 2 on held-out images:
     UNREG, UNREG+motion, UNREG+smooth1, UNREG+smooth2, w/o MRA (steps 1–3), only MR and full (steps 1–5), on the
     test images or (--holdout validation, for tuning) on validation images the few-shot draw never uses;
  3. retrieval: for held-out images, the unlabeled clip whose first frame's motion feature f̃ is nearest.
Writes <out>/metrics.json, <out>/retrieval.png, <out>/pseudo_labels.npz (the fitted labeler).
"""

import argparse
import json
import os
import sys
import time

import numpy as np

# The paper's settings (§4.1): UCF101 → 12 key frames (HMDB: 7), 128-word codebook, 16 labels, AlexNet (4096-d),
# GRU 512, classifiers 4096 / 512 / 4608, Adam 1e-4 ×0.1 every 1800 iterations, λ = 0.1, δ = 1, no BatchNorm, L_motion
# on the clip's last GRU output only.
PAPER = dict(key_frames=12, codebook_size=128, num_labels=16, normalization="none", pooling="concat",
             image_size=224, render_size=256, width=1.0, stem="imagenet", feature_dim=4096, motion_units=512,
             motion_hidden=512, classifier_hidden=4096, mra_hidden=None, learning_rate=1e-4, decay_every=1800,
             labeled_per_class=10, distance="euclidean", encoder_dropout=None, norm="none", proxy_weight=0.1,
             frame_motion=0.0)
ROWS = ("UNREG", "UNREG+motion", "UNREG+smooth1", "UNREG+smooth2", "w/o MRA", "only MR", "full")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    data = p.add_argument_group("data (default: the synthetic action benchmark, rendered in memory)")
    data.add_argument("--videos", help="folder of unlabeled videos (any layout; class sub-folders give NMI)")
    data.add_argument("--ucf101", help="UCF101 root: its train videos are the unlabeled videos")
    data.add_argument("--hmdb51", help="HMDB51 root: its train videos are the unlabeled videos")
    data.add_argument("--split", type=int, default=1)
    data.add_argument("--max-videos", type=int, default=1000, help="unlabeled videos used (the paper: 1000)")
    data.add_argument("--images", help="labeled static images, one folder per class (split 75/25 into train/test); "
                                       "the default: single frames of other synthetic videos")
    data.add_argument("--stanford40", help="Stanford40 root: few-shot train images, official test images")
    data.add_argument("--voc", metavar="ROOT", help="PASCAL VOC 2010-2012 Actions root (VOCdevkit or VOC20XX): "
                      "--labeled-per-class person crops from its train set, up to --max-test-images from its val set")
    data.add_argument("--num-videos", type=int, default=240, help="synthetic unlabeled videos")
    data.add_argument("--pool-per-class", type=int, default=30,
                      help="synthetic labeled-image pool per class (each seed draws --labeled-per-class from it)")
    data.add_argument("--test-videos", type=int, default=1000,
                      help="synthetic held-out videos (one image each; 1000 keep the binomial noise near ±1.3 points)")
    data.add_argument("--labeled-per-class", type=int, default=10, help="labeled images per class (VOC: 10)")
    data.add_argument("--holdout", default="test", choices=("test", "validation"),
                      help="the images the table is measured on: the test images, or validation images for tuning "
                           "(synthetic: frames of yet other videos; folders / Stanford40 / VOC: a split of the "
                           "labeled training pool that the few-shot draw never uses)")
    data.add_argument("--validation-videos", type=int, default=600, help="synthetic validation videos (one image each)")
    data.add_argument("--validation-fraction", type=float, default=0.25,
                      help="share of the labeled training pool held out as validation images (folders / "
                           "Stanford40 / VOC)")
    data.add_argument("--max-test-images", type=int, default=2000, help="held-out images used (VOC: 2000)")
    data.add_argument("--render-size", type=int, default=64, help="frame size for flow (synthetic render / decode)")
    labels = p.add_argument_group("pseudo-motion labels")
    labels.add_argument("--key-frames", type=int, default=8, help="key frames per video (the paper: 12 UCF, 7 HMDB)")
    labels.add_argument("--interval", type=int, default=3)
    labels.add_argument("--codebook-size", type=int, default=16,
                        help="flow codebook (the paper: 128; 16 suits the few moving pixels of 64 px frames)")
    labels.add_argument("--num-labels", type=int, default=16)
    labels.add_argument("--labeler", help="reuse a fitted labeler (an earlier run's <out>/pseudo_labels.npz, or "
                                          "tools/pseudo_labels.py's labeler.npz) instead of fitting one")
    labels.add_argument("--flow-method", default="dis", choices=("dis", "farneback", "tvl1"))
    labels.add_argument("--normalization", default="power+l2",
                        help="VLAD normalisation ('none' = the paper's raw sums)")
    labels.add_argument("--pooling", default="mean", choices=("mean", "concat"),
                        help="clip embedding from its maps' VLADs (the paper: concat)")
    model = p.add_argument_group("model and training")
    model.add_argument("--image-size", type=int, default=32)
    model.add_argument("--width", type=float, default=0.25, help="AlexNet filter scale")
    model.add_argument("--stem", default="small", choices=("small", "imagenet"))
    model.add_argument("--feature-dim", type=int, default=256, help="f(x) size (the paper: 4096)")
    model.add_argument("--motion-units", type=int, default=128, help="GRU size (the paper: 512)")
    model.add_argument("--motion-hidden", type=int, default=128, help="p_m hidden size (the paper: 512)")
    model.add_argument("--classifier-hidden", type=int, default=256, help="p_c hidden size (the paper: 4096)")
    model.add_argument("--mra-hidden", type=int, default=None, help="p_a hidden size (default feature + motion)")
    model.add_argument("--norm", default="batch", choices=("none", "batch"),
                       help="normalisation after each encoder conv (the paper's AlexNet: none; from scratch in a short "
                            "CPU run BatchNorm trains much faster)")
    model.add_argument("--dropout", type=float, default=0.5, help="classifiers' dropout (and the encoder's by default)")
    model.add_argument("--encoder-dropout", type=float, default=None,
                       help="dropout before the encoder's fc6 (default --dropout, as the paper's AlexNet); its "
                            "per-frame masks can hide the frame-to-frame changes the GRU learns motion from")
    model.add_argument("--learning-rate", type=float, default=1e-3, help="Adam (the paper: 1e-4)")
    model.add_argument("--decay-every", type=int, default=1800, help="iterations per ×0.1 learning-rate decay")
    model.add_argument("--proxy-weight", type=float, default=1.0,
                       help="λ (the paper: 0.1, over thousands of iterations; a short run needs the proxy "
                            "weighed more)")
    model.add_argument("--frame-motion", type=float, default=1.0,
                       help="weight of L_motion on each key frame alone (one GRU step from zero, the MRA path; 0 = the "
                            "paper, which supervises only the clip's last GRU output)")
    model.add_argument("--margin", type=float, default=1.0, help="δ of the smoothness losses")
    model.add_argument("--distance", default="euclidean", choices=("euclidean", "squared"),
                       help="smoothness losses on the plain distance (the paper's) or squared (Hadsell et al.'s)")
    model.add_argument("--batch-images", type=int, default=30)
    model.add_argument("--flip-images", action="store_true",
                       help="mirror labeled images at random (only for mirror-invariant classes: the synthetic "
                            "walk_left / walk_right are not)")
    model.add_argument("--batch-clips", type=int, default=12)
    model.add_argument("--iterations", type=int, nargs=5, default=(150, 400, 100, 200, 150),
                       metavar=("S1", "S2", "S3", "S4", "S5"),
                       help="iterations of each of the five steps (step 2's four clip rows are most of the run: 400 "
                            "keep it within 20 minutes on 2 cores; at 300 the motion classifier had not yet left the "
                            "largest pseudo label)")
    p.add_argument("--seeds", type=int, nargs="+", default=(0, 1, 2))
    p.add_argument("--rows", nargs="+", default=ROWS, choices=ROWS, metavar="ROW",
                   help="rows of the table to run (default all; e.g. UNREG 'w/o MRA' full to tune faster): 'only MR' "
                        "and 'full' continue from 'w/o MRA', which then runs too")
    p.add_argument("--verbose", type=int, default=0, help="Keras fit verbosity of each step (2: its mean loss)")
    p.add_argument("--paper", action="store_true", help="the paper's settings where not given explicitly (a GPU job)")
    p.add_argument("--out", default="runs/vre_mra")
    from keras_motion.utils.cli import parse_with_presets

    args = parse_with_presets(p, argv, {"paper": PAPER})
    if str(args.normalization).lower() == "none":
        args.normalization = None
    return args


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------------------- data
def square(frames, size):
    """Centre square crop and resize of uint8 (..., H, W, 3) frames → (..., size, size, 3)."""
    import cv2

    frames = np.asarray(frames)
    h, w = frames.shape[-3:-1]
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    flat = frames[..., top:top + s, left:left + s, :].reshape((-1, s, s, 3))
    out = np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for f in flat])
    return out.reshape(frames.shape[:-3] + (size, size, 3))


def unlabeled_videos(args, frames_needed):
    """→ (list of uint8 (T, H, W, 3) videos, their true classes or None, class names, skipped count)."""
    from keras_motion.datasets import HMDB51, UCF101, VideoFolder, synthetic_actions
    from keras_motion.utils import progress

    if not (args.videos or args.ucf101 or args.hmdb51):
        log(f"rendering {args.num_videos} unlabeled synthetic videos ({frames_needed} frames, {args.render_size} px)")
        data = synthetic_actions(args.num_videos, num_frames=frames_needed, size=args.render_size, seed=0)
        return list(data.frames), data.labels, data.class_names, 0
    if args.videos:
        try:
            dataset = VideoFolder(args.videos, labeled=True)
        except Exception:  # no class folders: truly unlabeled
            dataset = VideoFolder(args.videos)
    else:
        loader, root = (UCF101, args.ucf101) if args.ucf101 else (HMDB51, args.hmdb51)
        dataset = loader(root, split=args.split, subset="train")
    if len(dataset) > args.max_videos:  # the paper samples 1000 videos at random
        keep = np.sort(np.random.default_rng(0).choice(len(dataset), args.max_videos, replace=False))
        dataset = dataset.subset(keep)
    videos, classes = [], []
    for frames, label, _ in progress(dataset.iter_items(size=args.render_size, max_frames=frames_needed),
                                     total=len(dataset), desc="decoding videos"):
        videos.append(frames)
        classes.append(label)
    log(dataset.skips.summary())
    classes = np.array(classes) if classes and min(classes) >= 0 else None
    return videos, classes, dataset.class_names, dataset.skips.count


def labeled_images(args):
    """→ dict(pool=(images, labels), <args.holdout>=(images, labels)), class names; images uint8 (N, S, S, 3).

    The pool is what the few-shot draw picks from; the hold-out part is the test images, or (--holdout validation)
    validation images that neither the pool nor the test images hold: the test images are then not even loaded."""
    from keras_motion.datasets import ImageFolder, Stanford40, VOCActions
    from keras_motion.utils import progress

    if not (args.images or args.stanford40 or args.voc):
        return synthetic_images(args)
    if args.stanford40:
        train, test = Stanford40(args.stanford40, "train"), Stanford40(args.stanford40, "test")
    elif args.voc:  # person crops (square boxes with 10 % context); VOC's test labels are not public: val
        train, test = VOCActions(args.voc, "train", square=True), VOCActions(args.voc, "val", square=True)
    else:
        everything = ImageFolder(args.images)
        parts = split_groups_or_items(everything, (0.75, 0.25), seed=0)
        train, test = everything.subset(parts[0]), everything.subset(parts[1])
    if args.holdout == "validation":
        train, test = validation_split(train, args.validation_fraction, args.labeled_per_class)
    if len(test) > args.max_test_images:
        test = test.subset(np.sort(np.random.default_rng(1).choice(len(test), args.max_test_images, False)))

    def load(dataset):
        items = [(square(image, args.image_size), label) for image, label, _ in
                 progress(dataset.iter_items(size=args.render_size), total=len(dataset), desc="images")]
        log(dataset.skips.summary())
        return np.stack([i for i, _ in items]), np.array([l for _, l in items])

    return {"pool": load(train), args.holdout: load(test)}, train.class_names


def split_groups_or_items(dataset, fractions, seed):
    """Index parts of `dataset`, persons of one image (VOC's `image_ids`) kept in one part."""
    from keras_motion.datasets import split_groups

    return split_groups(getattr(dataset, "image_ids", np.arange(len(dataset))), fractions, seed=seed)


def validation_split(train, fraction, per_class):
    """(few-shot pool, validation) subsets of a labeled training set; a clear error when either falls short."""
    if not 0 < fraction < 1:
        raise SystemExit(f"--validation-fraction must be in (0, 1), got {fraction}")
    pool, validation = split_groups_or_items(train, (1 - fraction, fraction), seed=7)
    labels = np.asarray(train.labels)
    classes = np.arange(len(train.class_names))
    short = [train.class_names[c] for c in classes if (labels[pool] == c).sum() < per_class]
    if short or len(validation) == 0:
        raise SystemExit(f"--holdout validation: holding out {fraction:.0%} of the {len(train)} labeled training "
                         f"images leaves fewer than {per_class} per class for the few-shot draw ({short}) or no "
                         "validation images: lower --validation-fraction or --labeled-per-class")
    return train.subset(pool), train.subset(validation)


def synthetic_ranges(args, num_classes=6):
    """Video index ranges of the synthetic data: unlabeled videos, labeled pool, test and validation images (one
    frame each), one after the other, so no video is in two parts."""
    counts = {"unlabeled": args.num_videos, "pool": num_classes * args.pool_per_class, "test": args.test_videos,
              "validation": args.validation_videos}
    starts = np.cumsum([0] + list(counts.values()))
    return {name: range(int(start), int(start) + count) for (name, count), start in zip(counts.items(), starts)}


def synthetic_images(args):
    """Labeled pool and hold-out images: single frames (random time) of synthetic videos outside the unlabeled ones."""
    from keras_motion.datasets import synthetic_actions

    frames, out, ranges = 8, {}, synthetic_ranges(args)
    times = np.random.default_rng(12345)  # the frame of each pool image, then of each test image
    for name in ("pool", args.holdout):
        part = ranges[name]
        rng = np.random.default_rng(2024) if name == "validation" else times
        data = synthetic_actions(len(part), num_frames=frames, size=args.render_size, seed=0, start=part.start)
        t = rng.integers(0, frames, len(part))
        out[name] = (square(data.frames[np.arange(len(part)), t], args.image_size), data.labels)
    return out, data.class_names


def few_labeled(pool, per_class, seed):
    images, labels = pool
    rng = np.random.default_rng([seed, 99])
    pick = np.concatenate([rng.choice(np.flatnonzero(labels == c), min(per_class, int((labels == c).sum())),
                                      replace=False) for c in np.unique(labels)])
    return images[pick], labels[pick]


# --------------------------------------------------------------------------------------------------- pseudo labels
def pseudo_labels(args, videos, classes):
    from sklearn.metrics import normalized_mutual_info_score

    from keras_motion.vre_mra import MotionLabeler

    start = time.time()
    if args.labeler:  # a labeler fitted before: flow and VLAD only, no codebook or label k-means
        labeler = MotionLabeler.load(args.labeler)
        mine = dict(key_frames=args.key_frames, interval=args.interval, num_labels=args.num_labels)
        theirs = {k: getattr(labeler, k) for k in mine}
        if theirs != mine:
            raise SystemExit(f"--labeler {args.labeler} was fitted with {theirs}, but this run uses {mine}: pass the "
                             "same --key-frames / --interval / --num-labels, or drop --labeler to fit a new one")
        labels = labeler.predict(videos)
    else:
        labeler = MotionLabeler(codebook_size=args.codebook_size, num_labels=args.num_labels,
                                key_frames=args.key_frames, interval=args.interval, flow_method=args.flow_method,
                                normalization=args.normalization, pooling=args.pooling)
        labels = labeler.fit_predict(videos)
    seconds = time.time() - start
    labeler.save(os.path.join(args.out, "pseudo_labels.npz"))
    kept = labels >= 0
    report = {"num_videos": int(kept.sum()), "skipped": int((~kept).sum()), "otsu_threshold_px": labeler.threshold_,
              "cluster_sizes": np.bincount(labels[kept], minlength=args.num_labels).tolist(),
              "seconds": round(seconds, 1), "labeler": args.labeler or "fitted"}
    if classes is not None:
        report["nmi"] = float(normalized_mutual_info_score(classes[kept], labels[kept]))
        report["purity"] = purity(labels[kept], classes[kept])
        report["purity_of_one_cluster"] = float(np.bincount(classes[kept]).max() / kept.sum())
    log(f"pseudo labels in {seconds:.0f} s: " + ", ".join(f"{k} {v}" for k, v in report.items()
                                                           if k in ("nmi", "purity", "otsu_threshold_px")))
    return labels, labeler, report


def purity(clusters, classes):
    """Share of items whose cluster's majority class is their class."""
    return float(sum(np.bincount(classes[clusters == c]).max() for c in np.unique(clusters)) / len(classes))


# ------------------------------------------------------------------------------------------------------- ablation
def build_net(args, num_classes, mra_features="both"):
    from keras_motion.vre_mra import VisualMotionNet

    return VisualMotionNet(num_classes, args.num_labels, image_size=args.image_size, width=args.width,
                           feature_dim=args.feature_dim, stem=args.stem, motion_units=args.motion_units,
                           motion_hidden=args.motion_hidden, classifier_hidden=args.classifier_hidden,
                           mra_hidden=args.mra_hidden, dropout=args.dropout, mra_features=mra_features,
                           norm=None if args.norm == "none" else args.norm, encoder_dropout=args.encoder_dropout)


class Ablation:
    """The seven rows of Table 2, seed after seed, on two nets (p_a on [f̃(x); f(x)], and on f̃(x) alone for "only
    MR") kept across rows and seeds: each seed re-initialises their weights, so the compiled steps are reused."""

    def __init__(self, args, num_classes, clips, clip_labels):
        from keras_motion.vre_mra import training as vm

        self.args, self.num_classes, self.clips, self.clip_labels = args, num_classes, clips, clip_labels
        self.net = self.only_mr = None
        self.steps = {}
        common = dict(learning_rate=args.learning_rate, decay_every=args.decay_every, proxy_weight=args.proxy_weight,
                      margin=args.margin, distance=args.distance, frame_motion_weight=args.frame_motion)
        self.motion_accuracy = {"after step 2": [], "after step 4": []}  # of the "w/o MRA" / full net, per seed
        self._runner = lambda net: vm.VisualMotionSteps(net, **common)

    def _fresh(self, attribute, mra_features):
        """The net of `attribute` with newly initialised weights (built once, re-initialised for later seeds)."""
        fresh = build_net(self.args, self.num_classes, mra_features)
        net = getattr(self, attribute)
        if net is None:
            setattr(self, attribute, fresh)
            self.steps[attribute] = self._runner(fresh)
            return fresh
        net.set_weights(fresh.get_weights())
        return net

    def run_seed(self, seed, train, test):
        """→ {row: held-out accuracy} for one seed; `self.net` is then the seed's full net."""
        import keras

        from keras_motion.vre_mra import training as vm

        args, it, clips, clip_labels = self.args, self.args.iterations, self.clips, self.clip_labels
        verbose = args.verbose

        def batches(steps, images=True, videos=True, offset=0):
            return vm.VisualMotionBatches(train[0] if images else None, train[1], clips if videos else None,
                                          clip_labels, batch_images=args.batch_images, batch_clips=args.batch_clips,
                                          steps=steps, flip_images=args.flip_images, seed=seed * 1000 + offset)

        def held_out(fn):
            return float((vm.predict_in_batches(fn, test[0]).argmax(-1) == test[1]).mean())

        keras.utils.set_random_seed(seed)
        net = self._fresh("net", "both")
        step = self.steps["net"]
        step(1, batches(it[0], videos=False, offset=1), verbose=verbose)
        after_step1 = net.get_weights()
        results = {}
        variants = (("UNREG", ()), ("UNREG+motion", ("motion",)), ("UNREG+smooth1", ("smooth1",)),
                    ("UNREG+smooth2", ("smooth2",)), ("w/o MRA", vm.PROXY_LOSSES))
        wanted = ablation_rows(args)
        for row, proxy in (v for v in variants if v[0] in wanted):
            net.set_weights(after_step1)
            keras.utils.set_random_seed(seed + 1)
            # UNREG runs the same schedule with the proxy switched off: every row sees the same L_main training.
            step(2, batches(it[1], videos=bool(proxy), offset=2), losses=("main",) + proxy, verbose=verbose)
            if row == "w/o MRA":
                self._log_motion_accuracy(seed, "after step 2")
            step(3, batches(it[2], videos=False, offset=3), verbose=verbose)
            results[row] = held_out(net.visual_scores)
            log(f"seed {seed}: {row:<14} {100 * results[row]:5.1f} %")
        if not {"only MR", "full"} & wanted:
            return results
        # Steps 4 and 5 continue from "w/o MRA" (steps 1–3 with the full proxy).
        step(4, batches(it[3], images=False, offset=4), verbose=verbose)
        self._log_motion_accuracy(seed, "after step 4")
        only_mr = self._fresh("only_mr", "motion")
        for name in ("encoder", "visual_classifier", "motion_gru", "motion_classifier"):
            only_mr.groups[name].set_weights(net.groups[name].get_weights())
        for row, model, runner in (("only MR", only_mr, self.steps["only_mr"]), ("full", net, step)):
            if row not in wanted:
                continue
            keras.utils.set_random_seed(seed + 5)
            runner(5, batches(it[4], videos=False, offset=5), verbose=verbose)
            results[row] = held_out(model)
            log(f"seed {seed}: {row:<14} {100 * results[row]:5.1f} %")
        return results

    def _log_motion_accuracy(self, seed, when, count=384):
        """The motion classifier's accuracy on (up to `count` of) its own training clips' pseudo labels: the middle
        sub-clip of each, as step 2 trains on."""
        from keras_motion.vre_mra import predict_in_batches

        pick = np.random.default_rng(0).choice(len(self.clips), min(count, len(self.clips)), replace=False)
        k = self.clips.shape[1]
        length = max(k - 2, 1)  # VisualMotionBatches' default sub-clip length
        start = (k - length) // 2
        scores = predict_in_batches(self.net.motion_scores, self.clips[pick, start:start + length], batch_size=32)
        accuracy = float((scores.argmax(-1) == self.clip_labels[pick]).mean())
        self.motion_accuracy[when].append(accuracy)
        log(f"seed {seed}: motion classifier {when}: {100 * accuracy:.1f} % of its training clips' pseudo labels "
            f"(the largest label: {100 * np.bincount(self.clip_labels).max() / len(self.clip_labels):.1f} %)")


def ablation_rows(args):
    """The rows a run measures: --rows, plus "w/o MRA" where "only MR" or "full" (which continue from it) is asked."""
    return set(args.rows) | ({"w/o MRA"} if {"only MR", "full"} & set(args.rows) else set())


# ------------------------------------------------------------------------------------------------------ retrieval
def retrieval(args, net, test, clips, clip_classes, path=None, shown=8):
    """Image → nearest clip by f̃ (the clip's first frame, one GRU step, as for the image); a PNG of the matches at
    `path` (if given). Returns the share of held-out images whose retrieved clip has the image's class (where clips
    have classes)."""
    from keras_motion.vre_mra import predict_in_batches

    image_motion = predict_in_batches(net.image_motion, test[0])
    clip_motion = predict_in_batches(net.image_motion, clips[:, 0])
    d = (image_motion ** 2).sum(1)[:, None] - 2 * image_motion @ clip_motion.T + (clip_motion ** 2).sum(1)[None]
    nearest = d.argmin(1)
    if path:
        draw_matches(path, test, clips, nearest, args.image_size, shown)
    if clip_classes is None:
        return None
    return float((clip_classes[nearest] == test[1]).mean())


def draw_matches(path, test, clips, nearest, s, shown, sep=2):
    """A PNG: per class, one held-out image, then the first frames of its nearest clip."""
    from keras_motion.flow.grid import save_png

    frames = min(clips.shape[1], 6)
    rows = []
    for i in np.unique(test[1], return_index=True)[1][:shown]:  # one image per class
        cells = [test[0][i]] + [clips[nearest[i], t] for t in range(frames)]
        row = np.full((s, (s + sep) * len(cells) + sep * 3, 3), 255, np.uint8)
        x = 0
        for j, cell in enumerate(cells):
            row[:, x:x + s] = cell
            x += s + sep + (sep * 3 if j == 0 else 0)  # a wider gap after the query image
        rows.append(row)
    grid = np.concatenate([np.concatenate([r, np.full((sep, r.shape[1], 3), 255, np.uint8)]) for r in rows])
    save_png(path, np.kron(grid, np.ones((2, 2, 1), np.uint8)))  # doubled for viewing


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    from keras_motion.utils import atomic_write_text
    from keras_motion.video import key_frame_indices

    start = time.time()
    frames_needed = args.interval * (args.key_frames - 1) + 1
    videos, classes, video_class_names, skipped_videos = unlabeled_videos(args, frames_needed)
    labels, labeler, label_report = pseudo_labels(args, videos, classes)
    usable = np.flatnonzero(labels >= 0)
    index = key_frame_indices(frames_needed, args.key_frames, args.interval)
    clips = np.stack([square(videos[i][index], args.image_size) for i in usable])
    clip_labels, clip_classes = labels[usable], None if classes is None else classes[usable]
    del videos
    images, class_names = labeled_images(args)
    held = images[args.holdout]  # the test images, or validation images for tuning
    num_classes = len(class_names)
    log(f"{len(clips)} unlabeled clips of {args.key_frames} key frames, {num_classes} classes, "
        f"{args.labeled_per_class} labeled images per class, {len(held[1])} held-out {args.holdout} images")

    rows = [row for row in ROWS if row in ablation_rows(args)]
    runs, same_class = {row: [] for row in rows}, []
    ablation = Ablation(args, num_classes, clips, clip_labels)
    for n, seed in enumerate(args.seeds):
        train = few_labeled(images["pool"], args.labeled_per_class, seed)
        results = ablation.run_seed(seed, train, held)
        for row in rows:
            runs[row].append(results[row])
        # Retrieval with each seed's full net; the first seed's matches are drawn.
        png = os.path.join(args.out, "retrieval.png") if n == 0 else None
        same_class.append(retrieval(args, ablation.net, held, clips, clip_classes, png))
    same_class = None if same_class[0] is None else float(np.mean(same_class))
    motion_accuracy = dict(ablation.motion_accuracy, largest_label=float(np.bincount(clip_labels).max() / len(clips)))
    ablation = {row: {"mean": float(np.mean(v)), "std": float(np.std(v)), "runs": v} for row, v in runs.items()}

    metrics = {"holdout": args.holdout, "ablation": ablation, "pseudo_labels": label_report,
               "motion_classifier_accuracy": motion_accuracy,
               "retrieval": {"same_class_rate": same_class, "chance": 1.0 / num_classes},
               "chance": 1.0 / num_classes,
               "data": {"unlabeled_clips": len(clips), "labeled_images": args.labeled_per_class * num_classes,
                        "holdout_images": int(len(held[1])), "skipped_videos": skipped_videos,
                        "classes": list(class_names)},
               "backend": keras.backend.backend(), "minutes": round((time.time() - start) / 60, 2),
               "args": vars(args)}
    atomic_write_text(os.path.join(args.out, "metrics.json"), json.dumps(metrics, indent=2))
    print(f"\nPseudo-motion labels: NMI {label_report.get('nmi', float('nan')):.3f}, purity "
          f"{label_report.get('purity', float('nan')):.3f} ({label_report['num_videos']} videos, {args.num_labels} "
          "clusters)")
    print(f"\nHeld-out ({args.holdout}) accuracy, {args.labeled_per_class} labeled images per class, seeds "
          f"{list(args.seeds)} "
          f"(chance {100 / num_classes:.1f} %)")
    for row in rows:
        print(f"  {row:<16}{100 * ablation[row]['mean']:6.1f} ± {100 * ablation[row]['std']:.1f} %")
    if same_class is not None:
        print(f"\nRetrieval: the nearest clip by f̃ has the image's class for {100 * same_class:.1f} % of held-out "
              "images")
    print(f"\nwrote {args.out}/metrics.json, {args.out}/retrieval.png ({metrics['minutes']} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
