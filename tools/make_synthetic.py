"""Writes the synthetic action data set to a folder, flat or in the official layout of UCF101 / HMDB51; resumable.

Flat (`--layout synthetic`, the default): videos, exact flows and labels.csv. `--layout ucf101` / `hmdb51`: class
folders of XVID AVIs and the official split files (see keras_motion.datasets.synthetic.layout).

    python tools/make_synthetic.py --out data/synthetic --num-videos 600
    python tools/make_synthetic.py --out data/synthetic --num-videos 3000 --size 112 --jitter 1.5   # extends it
    python tools/make_synthetic.py --out data/ucf101 --layout ucf101 --num-videos 600 --size 320x240
    python tools/make_synthetic.py --out data/hmdb51 --layout hmdb51 --num-videos 120 --num-frames 60-90

An official-layout tree reads as the real set does: `keras_motion.datasets.UCF101("data/ucf101", split=1,
subset="train")`, `HMDB51(...)`, or `--ucf101 data/ucf101` / `--hmdb51 data/hmdb51` in the recipes.
"""

import argparse
import collections
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keras_motion.datasets.synthetic import ACTIONS, write_layout, write_synthetic  # noqa: E402
from keras_motion.datasets.synthetic.layout import DEFAULT_FRAMES, MIN_PER_CLASS  # noqa: E402
from keras_motion.utils.checks import int_arg, number_arg  # noqa: E402
from keras_motion.utils.cli import run_main  # noqa: E402
from keras_motion.utils.paths import output_dir_type  # noqa: E402

_SIZE_HELP = "WxH (e.g. 320x240), S (square) or H W; even"


def _frames_arg(text):
    """`--num-frames`: a count N, or a range LO-HI that each video draws its length from."""
    count = int_arg(low=2)
    if "-" not in text.strip().lstrip("-"):
        return count(text)
    low, _, high = text.partition("-")
    try:
        low, high = count(low), count(high)
    except argparse.ArgumentTypeError as e:
        raise argparse.ArgumentTypeError(f"{text!r}: {e}; give N or LO-HI, e.g. 100-175") from None
    if low > high:
        raise argparse.ArgumentTypeError(f"{text!r}: LO exceeds HI; give LO-HI with LO <= HI, e.g. 100-175")
    return low, high


def _size_arg(text):
    """One `--size` value: an int, or WxH (width first, as video sizes are written) → (height, width)."""
    if "x" not in text.lower():
        return int_arg(low=2)(text)
    width, _, height = text.lower().partition("x")
    try:
        width, height = int_arg(low=2)(width), int_arg(low=2)(height)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"invalid size {text!r}: give {_SIZE_HELP}") from None
    return height, width


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, type=output_dir_type, help="root folder of the data set")
    p.add_argument(
        "--layout",
        choices=("synthetic", "ucf101", "hmdb51"),
        default="synthetic",
        help="synthetic: videos/, flows/, labels.csv (read with SyntheticVideos); ucf101 / hmdb51: the "
        "official layout of that set (read with UCF101 / HMDB51)",
    )
    p.add_argument("--num-videos", type=int_arg(low=1), default=600)
    p.add_argument(
        "--num-frames",
        type=_frames_arg,
        default=None,
        help="frames per video (≥ 2: one flow), or LO-HI: each video draws its length (ucf101, hmdb51); "
        f"default 16 (synthetic), {DEFAULT_FRAMES[0]}-{DEFAULT_FRAMES[1]} (ucf101, hmdb51)",
    )
    p.add_argument(
        "--size",
        type=_size_arg,
        nargs="+",
        default=None,
        help=f"{_SIZE_HELP}; default 64 (synthetic), 320x240 (ucf101, hmdb51)",
    )
    p.add_argument("--seed", type=int_arg(low=0), default=0)
    p.add_argument(
        "--jitter", type=number_arg(low=0), default=0.0, help="camera shake: max global translation per frame, px"
    )
    p.add_argument(
        "--fps",
        type=number_arg(low=0, low_open=True),
        default=None,
        help="default 25 (synthetic, ucf101), 30 (hmdb51), as the real sets",
    )
    p.add_argument(
        "--flows",
        action="store_true",
        help="ucf101, hmdb51: also store the exact flows in flows/ (the synthetic layout always does)",
    )
    args = p.parse_args(argv)
    official = args.layout != "synthetic"

    if args.size is None:
        size = (240, 320) if official else 64
    elif len(args.size) == 1:
        size = args.size[0]
    elif len(args.size) == 2 and all(isinstance(s, int) for s in args.size):
        size = tuple(args.size)
    else:
        p.error("argument --size: give one WxH (e.g. 320x240), one S (square) or two values H W")
    height, width = (size, size) if isinstance(size, int) else size
    if height % 2 or width % 2:
        p.error(
            f"argument --size: {width}x{height} (width x height): both must be even for the video encoder, "
            f"e.g. {width + width % 2}x{height + height % 2}"
        )
    frames = args.num_frames if args.num_frames is not None else (DEFAULT_FRAMES if official else 16)
    if isinstance(frames, tuple) and not official:
        p.error(
            "argument --num-frames: a range LO-HI is for --layout ucf101 or hmdb51; the synthetic layout "
            "takes one count, e.g. --num-frames 16"
        )
    minimum = MIN_PER_CLASS * len(ACTIONS)
    if official and args.num_videos < minimum:
        p.error(
            f"argument --num-videos: {args.num_videos} is too few for --layout {args.layout}: it needs at least "
            f"{MIN_PER_CLASS} videos per class ({minimum}) so that every split has training and test videos of "
            f"every class; pass --num-videos {minimum} or more"
        )

    start = time.perf_counter()
    if official:
        tree = write_layout(
            args.out,
            args.layout,
            args.num_videos,
            size=(height, width),
            num_frames=frames,
            seed=args.seed,
            jitter=args.jitter,
            fps=args.fps,
            flows=args.flows,
        )
        _report_tree(args, tree, frames, time.perf_counter() - start)
        return tree
    ds = write_synthetic(
        args.out,
        args.num_videos,
        num_frames=frames,
        size=size,
        seed=args.seed,
        jitter=args.jitter,
        fps=25.0 if args.fps is None else args.fps,
    )
    elapsed = time.perf_counter() - start
    counts = collections.Counter(ds.class_names[k] for k in ds.labels)
    print(
        f"{args.out}: {len(ds)} videos ({ds.num_written} written now, {len(ds) - ds.num_written} already there) "
        f"in {elapsed:.1f} s"
    )
    print("  per class: " + ", ".join(f"{name} {counts[name]}" for name in ds.class_names))
    print(
        f"  {frames} frames of {size} px, seed {args.seed}, jitter {args.jitter} px; "
        f"labels in {os.path.join(args.out, 'labels.csv')}, exact flows in {os.path.join(args.out, 'flows')}"
    )
    return ds


def _report_tree(args, tree, frames, elapsed):
    written = tree.num_written
    print(
        f"{args.out}: {len(tree.videos)} {args.layout} videos ({written} written now, "
        f"{len(tree.videos) - written} already there) in {elapsed:.1f} s"
    )
    counts = collections.Counter(v.class_name for v in tree.videos)
    print("  per class: " + ", ".join(f"{name} {counts[name]}" for name in tree.class_names))
    lengths = [v.num_frames for v in tree.videos]
    asked = f"{frames[0]}-{frames[1]}" if isinstance(frames, tuple) else frames
    height, width = tree.size
    print(
        f"  {min(lengths)}-{max(lengths)} frames (asked {asked}) of {width}x{height} px, seed {args.seed}, "
        f"jitter {args.jitter} px; settings in {os.path.join(args.out, 'synthetic_layout.json')}"
    )
    # Read back through the official loader, as a user will: the counts it sees are the tree's.
    for split in (1, 2, 3):
        sizes = {subset: len(tree.dataset(split, subset)) for subset in ("train", "test")}
        print(f"  split {split}: {sizes['train']} train, {sizes['test']} test")
    loader = "UCF101" if args.layout == "ucf101" else "HMDB51"
    print(f"  read it with keras_motion.datasets.{loader}({args.out!r}, split=1, subset='train')")


if __name__ == "__main__":
    status = run_main(main)  # main returns the data set; an error or Ctrl-C, an exit status
    sys.exit(status if isinstance(status, int) else 0)
