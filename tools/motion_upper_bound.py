"""Ground-truth motion upper bound on the synthetic action benchmark (the sanity check of Im2Flow's Table 2).

Renders a synthetic set, splits it by video into train / validation / held-out test, and trains small CNNs on a few
random frames per video: two appearance nets (the frame; different seeds) and one motion net (the frame's exact forward
flow). Softmax scores are fused late with the weight chosen on the validation split. Prints held-out accuracies:
chance, frame, flow, frame+frame (the Appearance+Appearance control) and frame+flow. If the benchmark is sound, a frame
alone is well above chance, and adding the true motion helps clearly more than adding a second appearance net.

    python tools/motion_upper_bound.py                      # ~600 videos of 64x64, a few minutes on 2 CPU cores
    python tools/motion_upper_bound.py --num-videos 3000 --jitter 1 --out upper_bound.json
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from keras_motion.datasets.synthetic import ACTIONS, synthetic_actions  # noqa: E402
from keras_motion.evaluation import (  # noqa: E402
    accuracy,  # noqa: E402
    choose_fusion_weight,
    late_fusion,
)
from keras_motion.utils import atomic_write_text, progress  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--num-videos", type=int, default=600)
    p.add_argument("--num-frames", type=int, default=16)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jitter", type=float, default=0.0, help="camera shake, max px per frame")
    p.add_argument("--frames-per-video", type=int, default=4, help="random frames taken from every video")
    p.add_argument(
        "--split",
        type=float,
        nargs=2,
        default=(0.6, 0.2),
        metavar=("TRAIN", "VAL"),
        help="fractions of the videos for training and validation; the rest is the held-out test",
    )
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--learning-rate", type=float, default=3e-3)
    p.add_argument("--width", type=int, default=16, help="filters of the first conv layer (doubled per stage)")
    p.add_argument("--flow-scale", type=float, default=4.0, help="flow is divided by this before the motion net")
    p.add_argument("--chunk", type=int, default=100, help="videos rendered at a time (bounds memory)")
    p.add_argument("--out", help="write the results as JSON here")
    return p.parse_args(argv)


def sample_frames(args):
    """Renders the set chunk by chunk, keeping `frames_per_video` random frames (and their flows) per video."""
    rng = np.random.default_rng([args.seed, 1])
    k = min(args.frames_per_video, args.num_frames)
    frames, flows, labels = [], [], []
    starts = range(0, args.num_videos, args.chunk)
    for start in progress(starts, desc="rendering (chunks)"):
        data = synthetic_actions(
            min(args.chunk, args.num_videos - start),
            args.num_frames,
            args.size,
            args.seed,
            jitter=args.jitter,
            start=start,
        )
        for n in range(len(data)):
            t = rng.choice(args.num_frames, k, replace=False)
            frames.append(data.frames[n, t])
            flows.append(data.flows[n, t])
        labels.append(data.labels)
    return np.stack(frames), np.stack(flows), np.concatenate(labels), list(data.class_names)


def split_videos(labels, fractions, seed):
    """Stratified split of video indices into train / validation / test (no video is in two splits)."""
    rng = np.random.default_rng([seed, 2])
    parts = ([], [], [])
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_train = int(round(fractions[0] * len(idx)))
        n_val = int(round(fractions[1] * len(idx)))
        parts[0].extend(idx[:n_train])
        parts[1].extend(idx[n_train : n_train + n_val])
        parts[2].extend(idx[n_train + n_val :])
    return tuple(np.sort(np.array(p, np.int64)) for p in parts)


def train_stream(name, x, y, splits, num_classes, args, seed, images=True):
    """Trains one StreamCNN on the train split (best epoch by validation accuracy) → class probabilities per split.
    `images`: x are uint8 images (scaled inside the model), else flow taken as it is."""
    import keras

    from keras_motion.evaluation import class_probabilities, fit_stream
    from keras_motion.models import StreamCNN

    train, val, _ = splits
    keras.utils.set_random_seed(seed)
    model = StreamCNN(num_classes, width=args.width, input_channels=x.shape[-1], rescale=images)
    start = time.perf_counter()
    fit_stream(
        model,
        (x[train], y[train]),
        (x[val], y[val]),
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        patience=max(args.epochs // 4, 3),
        verbose=0,
    )
    print(
        f"  trained {name} ({model.count_params()} parameters) in {time.perf_counter() - start:.0f} s", file=sys.stderr
    )
    return [class_probabilities(model, x[s], batch_size=256) for s in splits]


def confusion_matrix(scores, labels, num_classes):
    """Rows: true class, columns: predicted class (counts), as nested lists for JSON."""
    matrix = np.zeros((num_classes, num_classes), np.int64)
    np.add.at(matrix, (labels, np.asarray(scores).argmax(-1)), 1)
    return matrix.tolist()


def main(argv=None):
    args = parse_args(argv)
    import keras

    t0 = time.perf_counter()
    frames, flows, video_labels, class_names = sample_frames(args)
    num_videos, k = frames.shape[:2]
    render_s = time.perf_counter() - t0
    train_v, val_v, test_v = split_videos(video_labels, args.split, args.seed)
    assert not (set(train_v) & set(test_v)) and not (set(val_v) & set(test_v))

    # Samples are frames; a video's frames all go to its video's split.
    def samples(videos):
        return (videos[:, None] * k + np.arange(k)).reshape(-1)

    splits = tuple(samples(v) for v in (train_v, val_v, test_v))
    x_frame = frames.reshape(-1, *frames.shape[2:])  # uint8: StreamCNN scales images inside
    x_flow = flows.reshape(-1, *flows.shape[2:]) / args.flow_scale
    y = np.repeat(video_labels, k)
    num_classes = len(class_names)
    print(
        f"{num_videos} videos ({len(train_v)} train / {len(val_v)} val / {len(test_v)} test), "
        f"{k} frames each, {args.size}x{args.size}, jitter {args.jitter}; rendered in {render_s:.0f} s; "
        f"Keras backend {keras.backend.backend()}",
        file=sys.stderr,
    )

    frame_a = train_stream("frame net A", x_frame, y, splits, num_classes, args, args.seed + 10)
    frame_b = train_stream("frame net B", x_frame, y, splits, num_classes, args, args.seed + 20)
    flow = train_stream("flow net", x_flow, y, splits, num_classes, args, args.seed + 30, images=False)

    y_val, y_test = y[splits[1]], y[splits[2]]
    w_flow = choose_fusion_weight(frame_a[1], flow[1], y_val)
    w_frame = choose_fusion_weight(frame_a[1], frame_b[1], y_val)
    results = {
        "chance": 1.0 / num_classes,
        "frame": accuracy(frame_a[2], y_test),
        "frame_b": accuracy(frame_b[2], y_test),
        "flow": accuracy(flow[2], y_test),
        "frame+frame": accuracy(late_fusion(frame_a[2], frame_b[2], w_frame), y_test),
        "frame+flow": accuracy(late_fusion(frame_a[2], flow[2], w_flow), y_test),
    }
    weights = {"frame+frame": w_frame, "frame+flow": w_flow}
    elapsed = time.perf_counter() - t0
    print(
        f"\nHeld-out test accuracy ({len(test_v)} videos x {k} frames = {len(y_test)} frames; "
        "fusion weights chosen on validation):"
    )
    for name, value in results.items():
        extra = f"   (weight of the 2nd stream {weights[name]:.2f})" if name in weights else ""
        print(f"  {name:<12} {100 * value:5.1f} %{extra}")
    print(
        f"  frame+flow - frame = {100 * (results['frame+flow'] - results['frame']):+.1f} points; "
        f"frame+frame - frame = {100 * (results['frame+frame'] - results['frame']):+.1f} points"
    )
    print(f"total time {elapsed:.0f} s")
    if args.out:
        fused = late_fusion(frame_a[2], flow[2], w_flow)
        confusion = {
            name: confusion_matrix(scores, y_test, num_classes)
            for name, scores in (("frame", frame_a[2]), ("flow", flow[2]), ("frame+flow", fused))
        }
        report = dict(
            results=results,
            fusion_weights=weights,
            class_names=class_names,
            num_test_frames=len(y_test),
            confusion_test=confusion,
            split_videos=[len(train_v), len(val_v), len(test_v)],
            seconds=elapsed,
            backend=keras.backend.backend(),
            args=vars(args),
            default_actions=list(ACTIONS),
        )
        atomic_write_text(args.out, json.dumps(report, indent=2) + "\n")
    return results


if __name__ == "__main__":
    main()
