#!/usr/bin/env python
"""Extract optical flow for every video under a folder, on all cores, resumably and in shards.

    python tools/extract_flow.py --videos UCF-101/ --out flows/ --size 240 --num-shards 4 --shard-index 0

Each video becomes `<out>/<relative path, extension kept>.npz` (`a/clip.avi` → `a/clip.avi.npz`): one lossless PNG
per flow map (uint8, quantised to ±bound px) and the settings that made it, read per map by
`keras_motion.flow.FlowCache` (or whole by `load_flow`); <out> also records the settings (docs/data.md). Re-running
skips the videos finished with the same settings and refuses other settings (naming the one that differs, in a file
or in the folder's record of another shard, and outputs of an older layout) unless --overwrite;
undecodable and truncated videos are warned about, skipped and counted. Ctrl-C or a write error stops every worker
at once and keeps only finished outputs; rerun to resume. A second extraction of the same shard on the same --out is
refused while the first runs (naming it); --overwrite is refused in a folder of other files that no extraction made.
"""

import argparse
import sys

from keras_motion.datasets.folders import VideoFolder
from keras_motion.errors import KerasMotionError
from keras_motion.flow import METHODS, extract_flows
from keras_motion.utils.checks import int_arg, number_arg
from keras_motion.utils.paths import output_dir_type


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videos", required=True, help="folder searched recursively for videos")
    parser.add_argument(
        "--out", required=True, type=output_dir_type, help="output folder (mirrors the layout of --videos)"
    )
    parser.add_argument("--method", default="dis", choices=METHODS)
    parser.add_argument("--size", type=int_arg(low=1), default=None, help="resize the short side to this many px first")
    parser.add_argument("--step", type=int_arg(low=1), default=1, help="keep every step-th frame")
    parser.add_argument("--max-frames", type=int_arg(low=2), default=None)
    parser.add_argument("--bound", type=number_arg(low=0, low_open=True), default=20.0, help="quantisation bound in px")
    parser.add_argument("--workers", type=int_arg(low=1), default=None, help="processes (default: all cores)")
    parser.add_argument("--num-shards", type=int_arg(low=1), default=1)
    parser.add_argument("--shard-index", type=int_arg(low=0), default=0, help="0 .. --num-shards - 1")
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="recompute videos whose output exists (needed to change settings in an existing --out)",
    )
    args = parser.parse_args(argv)
    if args.shard_index >= args.num_shards:
        parser.error(
            f"argument --shard-index: {args.shard_index} is out of range: an integer in "
            f"0..{args.num_shards - 1} (--num-shards {args.num_shards})"
        )

    videos = VideoFolder(args.videos)
    try:
        summary = extract_flows(
            videos.paths,
            args.videos,
            args.out,
            method=args.method,
            size=args.size,
            step=args.step,
            max_frames=args.max_frames,
            bound=args.bound,
            workers=args.workers,
            num_shards=args.num_shards,
            shard_index=args.shard_index,
            overwrite=args.overwrite,
        )
    except KerasMotionError as e:  # a settings mismatch, an unwritable --out: the message says what to do
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: the finished outputs are kept; rerun the same command to resume.", file=sys.stderr)
        return 130
    print(
        f"shard {args.shard_index + 1}/{args.num_shards}: wrote {summary['written']} videos "
        f"({summary['flow_maps']} flow maps), {summary['skipped_existing']} already done; "
        f"{summary['failed'].summary()}"
        + (
            f"; removed {summary['removed_temporaries']} temporary file(s) of killed runs"
            if summary["removed_temporaries"]
            else ""
        )
    )
    return 1 if summary["failed"].count and not summary["written"] else 0


if __name__ == "__main__":
    sys.exit(main())
