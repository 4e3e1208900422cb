"""Writes the synthetic action data set (videos, exact flows, labels.csv) to a folder; resumable.

    python tools/make_synthetic.py --out data/synthetic --num-videos 600
    python tools/make_synthetic.py --out data/synthetic --num-videos 3000 --size 112 --jitter 1.5   # extends it
"""

import argparse
import collections
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keras_motion.datasets.synthetic import write_synthetic  # noqa: E402
from keras_motion.utils.checks import int_arg, number_arg  # noqa: E402
from keras_motion.utils.cli import run_main  # noqa: E402
from keras_motion.utils.paths import output_dir_type  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, type=output_dir_type, help="root folder of the data set")
    p.add_argument("--num-videos", type=int_arg(low=1), default=600)
    p.add_argument("--num-frames", type=int_arg(low=2), default=16, help="frames per video (≥ 2: one flow)")
    p.add_argument("--size", type=int_arg(low=2), nargs="+", default=[64], help="S or H W (even)")
    p.add_argument("--seed", type=int_arg(low=0), default=0)
    p.add_argument("--jitter", type=number_arg(low=0), default=0.0,
                   help="camera shake: max global translation per frame, px")
    p.add_argument("--fps", type=number_arg(low=0, low_open=True), default=25.0)
    args = p.parse_args(argv)
    if len(args.size) not in (1, 2):
        p.error("--size takes one value (square) or two (H W)")
    size = args.size[0] if len(args.size) == 1 else tuple(args.size)

    start = time.perf_counter()
    ds = write_synthetic(args.out, args.num_videos, num_frames=args.num_frames, size=size, seed=args.seed,
                         jitter=args.jitter, fps=args.fps)
    elapsed = time.perf_counter() - start
    counts = collections.Counter(ds.class_names[k] for k in ds.labels)
    print(f"{args.out}: {len(ds)} videos ({ds.num_written} written now, {len(ds) - ds.num_written} already there) "
          f"in {elapsed:.1f} s")
    print("  per class: " + ", ".join(f"{name} {counts[name]}" for name in ds.class_names))
    print(f"  {args.num_frames} frames of {size} px, seed {args.seed}, jitter {args.jitter} px; "
          f"labels in {os.path.join(args.out, 'labels.csv')}, exact flows in {os.path.join(args.out, 'flows')}")
    return ds


if __name__ == "__main__":
    status = run_main(main)  # main returns the data set; an error or Ctrl-C, an exit status
    sys.exit(status if isinstance(status, int) else 0)
