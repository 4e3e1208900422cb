#!/usr/bin/env python
"""MoSI (Huang et al., CVPR 2021) end to end: pretrain a 3-D backbone to classify pseudo motions made from static
images, then finetune it on few labeled videos against the same backbone trained from scratch.

    python recipes/mosi.py                                   # embedded default data, CPU-sized (~10 min, 2 cores)
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
Writes <out>/metrics.json, TensorBoard logs (<out>/logs), checkpoints (<out>/pretext_backbone.keras and the
finetuned models), <out>/gradcam.png. Finished finetuning runs are kept in <out>/finetune_runs.json and skipped on
a rerun; a killed pretext run resumes from its last epoch (<out>/backup).
"""

import argparse
import json
import os
import sys
import time

import numpy as np

# MoSI §4 and appendix: R(2+1)D-10 (64..512), 16 × 112² clips from 320² sources, 5 speeds per axis, masks 0.3-0.5;
# pretext Adam 1e-3, 10 warm-up epochs from 1e-4, half cosine, weight decay 1e-4, 100 epochs, 10 images per batch;
# finetune Adam 2e-3, warm-up from lr/10 for 10 of 300 epochs, weight decay 1e-3; 10-clip evaluation.
PAPER = dict(source_size=320, crop_size=112, num_frames=16, filters=None, stem="video", pretext_epochs=100,
             unmasked_epochs=0, frame_wise_jitter=True,
             pretext_warmup=10, batch_images=10, pretext_lr=1e-3, finetune_epochs=300, finetune_warmup=10,
             finetune_lr=2e-3, finetune_batch=32, video_size=128, gradcam_size=224)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    data = p.add_argument_group("data (default: scikit-image photos + synthetic action videos, made in memory)")
    data.add_argument("--images", help="folder of unlabeled images (any layout): pretext source images")
    data.add_argument("--videos", help="folder of unlabeled videos: pretext sources, one random frame per epoch")
    data.add_argument("--ucf101", help="UCF101 root (official split files): the labeled videos for finetuning")
    data.add_argument("--hmdb51", help="HMDB51 root (official split files): the labeled videos for finetuning")
    data.add_argument("--labeled", help="labeled videos, one folder per class (split 70/30 by video, seeded)")
    data.add_argument("--split", type=int, default=1, help="official split of UCF101 / HMDB51")
    data.add_argument("--max-test-videos", type=int, default=None, help="evaluate on at most this many test videos")
    data.add_argument("--synthetic-test", type=int, default=90, help="synthetic test videos (balanced)")
    data.add_argument("--synthetic-labeled", type=int, default=60, help="synthetic videos to draw few-shot sets from")
    data.add_argument("--synthetic-unlabeled", type=int, default=120,
                      help="unlabeled synthetic videos whose frames are pretext sources")
    data.add_argument("--video-frames", type=int, default=16, help="frames per synthetic video")
    data.add_argument("--video-size", type=int, default=40, help="synthetic video size / short side of real videos")
    data.add_argument("--crops-per-photo", type=int, default=16, help="random crops of each training photo")
    data.add_argument("--heldout-photos", type=int, default=2, help="photos held out of pretraining")
    data.add_argument("--gradcam-size", type=int, default=80,
                      help="size at which the held-out synthetic videos are re-rendered for Grad-CAM (the network is "
                           "fully convolutional; at 40 px its conv5 maps are only 3×3, at 80 px 5×5)")
    gen = p.add_argument_group("pseudo motion")
    gen.add_argument("--source-size", type=int, default=80, help="L_s (the paper: 320)")
    gen.add_argument("--crop-size", type=int, default=40, help="L, clip size (the paper: 112)")
    gen.add_argument("--num-frames", type=int, default=8, help="N, clip length (the paper: 16)")
    gen.add_argument("--speeds", type=int, default=2, help="K speeds per direction (C_T = 4K + 1 labels)")
    gen.add_argument("--axes", default="xy", choices=("x", "y", "xy"))
    gen.add_argument("--mask-size", type=float, nargs="+", default=(0.3, 0.5),
                     help="moving square side as a fraction of L: a range LOW HIGH or one fixed value")
    gen.add_argument("--no-mask", action="store_true", help="unmasked MoSI")
    gen.add_argument("--no-jitter", action="store_true", help="no colour jitter / random grayscale")
    gen.add_argument("--frame-wise-jitter", action=argparse.BooleanOptionalAction, default=False,
                     help="jitter every frame on its own (the paper; --paper) or whole clips (default: in a short CPU "
                          "run, per-frame flicker holds the masked task near chance for longer)")
    model = p.add_argument_group("model and training")
    model.add_argument("--backbone", default="r2plus1d", choices=("r2plus1d", "r2d3d"))
    model.add_argument("--depth", type=int, default=None, help="10 or 18 (default: 10 for R(2+1)D, 18 for R-2D3D)")
    model.add_argument("--filters", type=int, nargs=5, default=(16, 16, 32, 64, 128),
                       help="stem, conv2..conv5 widths (the paper: 64 64 128 256 512)")
    model.add_argument("--stem", default="video", choices=("video", "small"))
    model.add_argument("--pretext-epochs", type=int, default=12, help="epochs of (masked) MoSI")
    model.add_argument("--unmasked-epochs", type=int, default=3,
                       help="epochs of unmasked MoSI (no jitter) before the masked epochs: a warm start for short runs "
                            "(not in the paper)")
    model.add_argument("--pretext-warmup", type=int, default=1, help="warm-up epochs (the paper: 10 of 100)")
    model.add_argument("--batch-images", type=int, default=4, help="source images per batch (× C_T clips)")
    model.add_argument("--pretext-lr", type=float, default=1e-3)
    model.add_argument("--pretext-weight-decay", type=float, default=1e-4)
    model.add_argument("--skip-pretext", action="store_true",
                       help="reuse <out>/pretext_backbone.keras from an earlier run")
    model.add_argument("--shots", type=int, default=5, help="labeled videos per class for finetuning")
    model.add_argument("--seeds", type=int, default=3, help="finetuning repetitions (few-shot draws and inits)")
    model.add_argument("--finetune-epochs", type=int, default=40)
    model.add_argument("--finetune-warmup", type=int, default=4)
    model.add_argument("--finetune-lr", type=float, default=1e-3)
    model.add_argument("--finetune-weight-decay", type=float, default=1e-3)
    model.add_argument("--finetune-batch", type=int, default=10)
    model.add_argument("--freeze-stages", type=int, default=0, help="freeze conv1..convK when finetuning MoSI")
    model.add_argument("--eval-clips", type=int, default=10, help="clips per test video")
    model.add_argument("--mixed-precision", action="store_true")
    p.add_argument("--paper", action="store_true", help="the paper's settings where not given explicitly")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/mosi", help="output folder")
    from keras_motion.utils.cli import parse_with_presets

    args = parse_with_presets(p, argv, {"paper": PAPER})
    if args.depth is None:
        args.depth = 10 if args.backbone == "r2plus1d" else 18
    return args


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------------------- data
def photo_crops(photos, count, seed):
    """`count` random crops of each photo, side 40–100 % of its short side: more, varied source images."""
    rng = np.random.default_rng(seed)
    crops = []
    for photo in photos:
        short = min(photo.shape[:2])
        for _ in range(count):
            side = int(short * rng.uniform(0.4, 1.0))
            top = int(rng.integers(0, photo.shape[0] - side + 1))
            left = int(rng.integers(0, photo.shape[1] - side + 1))
            crops.append(photo[top:top + side, left:left + side])
    return crops


def files_under(root, extensions):
    paths = sorted(os.path.join(d, f) for d, _, files in os.walk(root) for f in files
                   if os.path.splitext(f)[1].lower() in extensions)
    if not paths:
        raise SystemExit(f"no {'/'.join(extensions)} files under {root}")
    return paths


def synthetic_videos(args):
    """Unlabeled (pretext), labeled pool (few-shot draws) and test synthetic videos: disjoint renders."""
    from keras_motion.datasets import synthetic_actions

    sizes = dict(num_frames=args.video_frames, size=args.video_size, seed=args.seed)
    log(f"rendering {args.synthetic_unlabeled + args.synthetic_labeled + args.synthetic_test} synthetic videos")
    unlabeled = synthetic_actions(args.synthetic_unlabeled, start=0, **sizes)
    labeled = synthetic_actions(args.synthetic_labeled, start=args.synthetic_unlabeled, **sizes)
    test = synthetic_actions(args.synthetic_test, start=args.synthetic_unlabeled + args.synthetic_labeled, **sizes)
    return unlabeled, labeled, test


def pretext_sources(args, unlabeled_videos, heldout_videos):
    """(training sources, held-out sources): photo crops and video frames; held-out ones are never trained on."""
    from keras_motion.datasets.folders import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS
    from keras_motion.datasets.synthetic import default_backgrounds

    rng = np.random.default_rng(args.seed)
    if args.images:
        paths = files_under(args.images, IMAGE_EXTENSIONS)
        held = set(rng.choice(len(paths), max(1, len(paths) // 10), replace=False).tolist())
        train = [p for i, p in enumerate(paths) if i not in held]
        heldout = [p for i, p in enumerate(paths) if i in held]
    else:
        photos = list(default_backgrounds())
        held = set(rng.choice(len(photos), args.heldout_photos, replace=False).tolist())
        train = photo_crops([p for i, p in enumerate(photos) if i not in held], args.crops_per_photo, args.seed)
        heldout = photo_crops([p for i, p in enumerate(photos) if i in held], args.crops_per_photo, args.seed + 1)
    if args.videos:
        paths = files_under(args.videos, VIDEO_EXTENSIONS)
        cut = max(1, len(paths) // 10)
        train, heldout = train + paths[cut:], heldout + paths[:cut]
    if unlabeled_videos is not None:
        train = train + list(unlabeled_videos)
    if heldout_videos is not None:
        heldout = heldout + list(heldout_videos)
    return train, heldout


def labeled_splits(args):
    """(train pool, test): decoded videos (lists of (T, H, W, 3)) with labels, and the class names."""
    from keras_motion.datasets import split_groups
    from keras_motion.datasets import HMDB51, UCF101, VideoFolder, few_shot

    if args.labeled:
        everything = VideoFolder(args.labeled, labeled=True)
        train_idx, test_idx = split_groups(np.arange(len(everything)), (0.7, 0.3), seed=args.seed)
        train, test = everything.subset(train_idx), everything.subset(test_idx)
    else:
        loader, root = (UCF101, args.ucf101) if args.ucf101 else (HMDB51, args.hmdb51)
        train, test = (loader(root, split=args.split, subset=s) for s in ("train", "test"))
    # Decode only what finetuning can use: `shots` per class per seed, at most.
    train = few_shot(train, args.shots * args.seeds, args.seed)
    if args.max_test_videos and len(test) > args.max_test_videos:
        test = test.subset(np.random.default_rng(args.seed).choice(len(test), args.max_test_videos, replace=False))

    def decode(dataset):
        items = list(dataset.iter_items(size=args.video_size))
        log(dataset.skips.summary())
        return [v for v, _, _ in items], np.array([l for _, l, _ in items]), dataset.skips.count

    (train_v, train_y, s1) = decode(train)
    test, s2 = readable(test)
    return (train_v, train_y), (LazyVideos(test, args.video_size), test.labels), train.class_names, s1 + s2


def readable(dataset):
    """The videos of `dataset` whose header OpenCV can read (the others warned about, skipped and counted)."""
    from keras_motion.errors import KerasMotionError
    from keras_motion.video import video_info

    keep = []
    for i, path in enumerate(dataset.paths):
        try:
            if video_info(path)["num_frames"] < 1:
                raise KerasMotionError(f"{path} reports no frames; re-encode or remove it")
            keep.append(i)
        except KerasMotionError as e:
            dataset.skips.skip(path, e)
    log(dataset.skips.summary())
    return dataset.subset(keep), dataset.skips.count


class LazyVideos:
    """A sequence of the decoded videos of a `VideoDataset` (short side `size`), decoded when indexed: the test set
    never sits in memory as a whole."""

    def __init__(self, dataset, size):
        self.dataset, self.size = dataset, size

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        return self.dataset.load(i, size=self.size)


# ----------------------------------------------------------------------------------------------------- the models
def make_generator(args, seed, mask=True, jitter=True):
    from keras_motion.mosi import PseudoMotion

    mask = None if args.no_mask or not mask else (args.mask_size[0] if len(args.mask_size) == 1
                                                   else tuple(args.mask_size[:2]))
    jitter = jitter and not args.no_jitter
    return PseudoMotion(num_frames=args.num_frames, crop_size=args.crop_size, source_size=args.source_size,
                        speeds=args.speeds, axes=args.axes, mask_size=mask,
                        color_jitter=(0.4, 0.4, 0.4, 0.1) if jitter else None, grayscale=0.3 if jitter else 0.0,
                        frame_wise_jitter=args.frame_wise_jitter, seed=seed)


def make_backbone(args, num_classes, name=None):
    from keras_motion.models import R2D3D, R2Plus1D

    cls = R2Plus1D if args.backbone == "r2plus1d" else R2D3D
    return cls(depth=args.depth, num_classes=num_classes, filters=args.filters, stem=args.stem, dropout=0.5,
               name=name)


def compile_model(model, lr, weight_decay, steps, warmup_steps):
    import keras

    from keras_motion.schedules import WarmupCosine

    schedule = WarmupCosine(lr, total_steps=max(steps, 1), warmup_steps=min(warmup_steps, steps),
                            warmup_initial=lr / 10)
    model.compile(optimizer=keras.optimizers.Adam(schedule, weight_decay=weight_decay),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])


def tensorboard(path):
    import keras

    from keras_motion.utils import tensorflow_available

    return [keras.callbacks.TensorBoard(path)] if tensorflow_available() else []


def pretext(args, train_sources, heldout_sources, cam_clips):
    import keras

    from keras_motion.mosi import SourceImages
    from keras_motion.mosi import pseudo_motion_classifier
    from keras_motion.evaluation import GradCamImages
    from keras_motion.utils import atomic_path

    path = os.path.join(args.out, "pretext_backbone.keras")
    generator = make_generator(args, args.seed)
    heldout = SourceImages(heldout_sources, generator, args.batch_images, training=False)
    if args.skip_pretext and os.path.exists(path):
        log(f"reusing {path}")
        backbone = keras.saving.load_model(path)
    else:
        keras.utils.set_random_seed(args.seed)
        backbone = make_backbone(args, generator.num_classes, name="mosi_backbone")
        log(f"pretext: {backbone.count_params():,} parameters, {len(train_sources)} source images × "
            f"{generator.num_classes} labels per epoch, {len(heldout_sources)} held out")
        logs = os.path.join(args.out, "logs", "pretext")
        phases = [("masked", generator, args.pretext_epochs, args.pretext_warmup)]
        if args.unmasked_epochs:
            easy = make_generator(args, args.seed + 1, mask=False, jitter=False)
            phases.insert(0, ("unmasked", easy, args.unmasked_epochs, args.pretext_warmup))
        for phase, gen, epochs, warmup in phases:
            model = pseudo_motion_classifier(gen, backbone)
            train = SourceImages(train_sources, gen, args.batch_images, seed=args.seed)
            compile_model(model, args.pretext_lr, args.pretext_weight_decay, epochs * len(train), warmup * len(train))
            callbacks = [keras.callbacks.BackupAndRestore(os.path.join(args.out, f"backup_{phase}")),
                         *tensorboard(os.path.join(logs, phase)),
                         GradCamImages(cam_clips, os.path.join(logs, phase), every=max(1, epochs // 3),
                                       model=backbone)]
            log(f"pretext, {phase} MoSI: {epochs} epochs")
            model.fit(train, validation_data=SourceImages(heldout_sources, gen, args.batch_images, training=False),
                      validation_freq=max(1, epochs // 3), epochs=epochs, callbacks=callbacks, verbose=2)
        with atomic_path(path) as tmp:
            backbone.save(tmp)
    model = pseudo_motion_classifier(generator, backbone)
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    keras.utils.set_random_seed(args.seed + 7)
    accuracy = float(model.evaluate(heldout, verbose=0, return_dict=True)["accuracy"])
    log(f"held-out pretext accuracy: {accuracy:.3f} (chance {1 / generator.num_classes:.3f})")
    return backbone, generator, accuracy


def finetune(args, pretrained, train_pool, test, num_classes, seed, init):
    """One few-shot run → {video_accuracy, clip_accuracy}."""
    import keras

    from keras_motion.evaluation import VideoClips, multi_clip_accuracy, multi_clip_predict
    from keras_motion.datasets.base import FileDataset
    from keras_motion.datasets.few_shot import few_shot
    from keras_motion.utils import atomic_path

    videos, labels = train_pool
    pool = FileDataset([str(i) for i in range(len(labels))], labels, [str(c) for c in range(num_classes)])
    chosen = np.array([int(p) for p in few_shot(pool, args.shots, seed=seed).paths])
    keras.utils.set_random_seed(seed)
    model = make_backbone(args, num_classes, name=f"finetune_{init}_seed{seed}")
    if init == "mosi":
        model.transfer_backbone(pretrained)
        model.freeze_stages(args.freeze_stages)
    train = VideoClips([videos[i] for i in chosen], labels[chosen], clip_len=args.num_frames,
                       crop_size=args.crop_size, batch_size=args.finetune_batch, seed=seed)
    compile_model(model, args.finetune_lr, args.finetune_weight_decay, args.finetune_epochs * len(train),
                  args.finetune_warmup * len(train))
    model.fit(train, epochs=args.finetune_epochs, verbose=0,
              callbacks=tensorboard(os.path.join(args.out, "logs", f"finetune_{init}_seed{seed}")))
    with atomic_path(os.path.join(args.out, f"finetune_{init}_seed{seed}.keras")) as tmp:
        model.save(tmp)
    probs = multi_clip_predict(model, test[0], clip_len=args.num_frames, crop_size=args.crop_size,
                               num_clips=args.eval_clips)
    result = multi_clip_accuracy(probs, test[1])
    result["train_videos"] = int(len(chosen))
    return result


def gradcam_clips(args, videos, flows, count=24):
    """Centre clips of the first `count` videos and their moving pixels (|exact flow| > 0.5 px)."""
    from keras_motion.transforms import crop_clip
    from keras_motion.video.sampling import clip_indices, uniform_clip_starts

    crop = min(np.asarray(videos[0]).shape[1:3]) if flows is not None else args.crop_size
    clips, regions = [], []
    for i, video in enumerate(videos[:count]):
        index = clip_indices(uniform_clip_starts(len(video), args.num_frames, 1)[0], args.num_frames, len(video))
        clips.append(crop_clip(np.asarray(video)[index], crop, None))
        if flows is not None:
            regions.append(crop_clip((np.linalg.norm(flows[i][index], axis=-1) > 0.5)[..., None], crop, None)[..., 0])
    return np.stack(clips).astype("float32"), (np.stack(regions) if regions else None)


def gradcam(args, backbone, test_videos, flows=None, fine=None):
    """Grad-CAM of the pretrained (not finetuned) backbone on held-out videos: the PNG strip, and with exact flows
    the heat-map mass inside the moving pixels over their area share, for conv5 (the paper's layer) and conv4, on
    the test videos and on the same videos rendered at `--gradcam-size` (`fine`: (videos, flows))."""
    from keras_motion.flow.grid import save_png
    from keras_motion.evaluation import grad_cam, grad_cam_strip, motion_mass_ratio

    clips, regions = gradcam_clips(args, test_videos, flows)
    maps, _ = grad_cam(backbone, clips)
    save_png(os.path.join(args.out, "gradcam.png"), grad_cam_strip(clips[:6], maps[:6]))
    if flows is None:
        return None

    def ratios(clips, regions):
        out = {}
        for layer in ("conv5", "conv4"):
            heat, _ = grad_cam(backbone, clips, layer=f"{layer}_out")
            out[layer] = float(np.nanmean(motion_mass_ratio(heat, regions)))
        out["map_size_conv5"] = [int(d) for d in backbone.stage_output(5)(clips[:1]).shape[1:4]]
        out["clip_size"], out["moving_area_share"] = int(clips.shape[2]), float(regions.mean())
        return out

    result = {"at_training_size": ratios(clips, regions)}
    if fine is not None:
        fine_clips, fine_regions = gradcam_clips(args, *fine)
        result["at_gradcam_size"] = ratios(fine_clips, fine_regions)
        save_png(os.path.join(args.out, "gradcam_fine.png"),
                 grad_cam_strip(fine_clips[:6], grad_cam(backbone, fine_clips[:6])[0]))
    main_entry = result.get("at_gradcam_size", result["at_training_size"])
    result.update(motion_mass_ratio=main_entry["conv5"], clips=int(len(clips)),
                  what="heat-map mass inside pixels moving > 0.5 px (exact flow) / their area share; held-out "
                       "synthetic videos (a figure acting over a static background), pretext-only backbone, predicted "
                       "pseudo-motion class; motion_mass_ratio = conv5 at --gradcam-size")
    return result


def summarize(runs):
    out = {}
    for init in ("mosi", "scratch"):
        rows = [r for r in runs.values() if r["init"] == init]
        if not rows:
            continue
        video = np.array([r["video_accuracy"] for r in rows])
        clip = np.array([r["clip_accuracy"] for r in rows])
        out[init] = {"video_accuracy": {"mean": float(video.mean()), "std": float(video.std()),
                                        "runs": video.tolist()},
                     "clip_accuracy": {"mean": float(clip.mean()), "std": float(clip.std()), "runs": clip.tolist()}}
    if "mosi" in out and "scratch" in out:
        out["video_accuracy_gain"] = out["mosi"]["video_accuracy"]["mean"] - out["scratch"]["video_accuracy"]["mean"]
    return out


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import logging

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    import keras

    from keras_motion.utils import atomic_write_text

    if args.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_bfloat16" if keras.backend.backend() != "torch"
                                                else "mixed_float16")
    start = time.time()
    real = bool(args.ucf101 or args.hmdb51 or args.labeled)
    skipped = 0
    if real:
        train_pool, test, class_names, skipped = labeled_splits(args)
        unlabeled, flows = None, None
    else:
        unlabeled_v, labeled_v, test_v = synthetic_videos(args)
        train_pool, test, class_names = (labeled_v.frames, labeled_v.labels), (test_v.frames, test_v.labels), \
            labeled_v.class_names
        unlabeled, flows = unlabeled_v.frames, test_v.flows
    # Held-out pretext sources: held-out photos and the test videos' frames (never pretrained on).
    test_frames = test[0].dataset.paths if isinstance(test[0], LazyVideos) else test[0]
    train_sources, heldout_sources = pretext_sources(args, unlabeled, test_frames)
    cam_clips = gradcam_clips(args, test[0][:4], flows)[0]
    backbone, generator, pretext_accuracy = pretext(args, train_sources, heldout_sources, cam_clips)
    fine = None
    if flows is not None and args.gradcam_size:
        from keras_motion.datasets import synthetic_actions

        fine_set = synthetic_actions(24, num_frames=args.video_frames, size=args.gradcam_size, seed=args.seed,
                                     start=args.synthetic_unlabeled + args.synthetic_labeled)  # the test videos
        fine = (fine_set.frames, fine_set.flows)
    cam = gradcam(args, backbone, test[0], flows, fine)
    if cam:
        log(f"Grad-CAM motion mass ratio (pretext only, conv5): {cam['motion_mass_ratio']:.2f}")

    runs_path = os.path.join(args.out, "finetune_runs.json")
    runs = {}
    if os.path.exists(runs_path):
        with open(runs_path, encoding="utf-8") as f:
            runs = json.load(f)
    for k in range(args.seeds):
        seed = args.seed + 1000 * (k + 1)
        for init in ("mosi", "scratch"):
            key = f"{init}_seed{seed}"
            if key in runs:
                continue
            log(f"finetuning {key}: {args.shots} labeled videos per class")
            runs[key] = dict(init=init, seed=seed, **finetune(args, backbone, train_pool, test, len(class_names),
                                                              seed, init))
            log(f"{key}: video accuracy {runs[key]['video_accuracy']:.3f}, clip accuracy "
                f"{runs[key]['clip_accuracy']:.3f}")
            atomic_write_text(runs_path, json.dumps(runs, indent=2))

    metrics = {"pretext": {"heldout_accuracy": pretext_accuracy, "chance": 1 / generator.num_classes,
                           "labels": generator.label_pool, "train_sources": len(train_sources),
                           "heldout_sources": len(heldout_sources)},
               "finetune": {**summarize(runs), "shots_per_class": args.shots, "test_videos": len(test[1]),
                            "clips_per_video": args.eval_clips, "classes": list(class_names)},
               "gradcam": cam, "skipped": skipped, "backend": keras.backend.backend(),
               "minutes": round((time.time() - start) / 60, 2), "args": vars(args)}
    atomic_write_text(os.path.join(args.out, "metrics.json"), json.dumps(metrics, indent=2))
    f = metrics["finetune"]
    print(f"\nheld-out pretext accuracy: {100 * pretext_accuracy:.1f} % (chance {100 / generator.num_classes:.1f} %)")
    for init in ("mosi", "scratch"):
        if init in f:
            v, c = f[init]["video_accuracy"], f[init]["clip_accuracy"]
            print(f"{init:<8} video-level {100 * v['mean']:.1f} ± {100 * v['std']:.1f} %   clip-level "
                  f"{100 * c['mean']:.1f} ± {100 * c['std']:.1f} %   ({args.shots} labeled videos per class, "
                  f"{args.seeds} seeds)")
    if cam:
        for where, entry in cam.items():
            if isinstance(entry, dict):
                print(f"Grad-CAM motion mass ratio, {where.replace('_', ' ')} ({entry['clip_size']} px clips, conv5 "
                      f"maps {entry['map_size_conv5']}): conv5 {entry['conv5']:.2f}, conv4 {entry['conv4']:.2f} "
                      f"(moving area share {100 * entry['moving_area_share']:.1f} %)")
    print(f"wrote {args.out}/metrics.json ({metrics['minutes']} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
