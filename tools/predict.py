#!/usr/bin/env python
"""Applies a keras_motion inference model to every image or video under a folder.

    python tools/predict.py runs/im2flow/im2flow_inference.keras --images photos/ --out flows/
    python tools/predict.py runs/mosi/mosi_inference.keras --videos clips/ --frames 16 --out mosi_features/

Writes under --out/predictions/, beside each input's relative path: flow as `<file>.flow.npz` + a colour
`<file>.flow.png`, features (and raw logits) as `<file>.<output>.npy`; class logits also as `--out/<output>.csv`
(path, class, softmax probability per class). Resumes: a rerun skips the files already predicted; a rerun with
another model or other inputs is refused unless --overwrite. Unreadable files are warned about, skipped and counted.
"""

import argparse
import sys

from keras_motion.utils.checks import int_arg
from keras_motion.utils.cli import run_main
from keras_motion.utils.paths import output_dir_type


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="an inference model's .keras file (<method>_inference.keras)")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--images", help="folder searched recursively for images")
    source.add_argument("--videos", help="folder searched recursively for videos (clip models)")
    p.add_argument("--out", required=True, type=output_dir_type, help="output folder")
    p.add_argument(
        "--frames",
        type=int_arg(1),
        default=None,
        help="frames per clip, evenly spaced over each video: the clip length the model was trained on",
    )
    p.add_argument("--overwrite", action="store_true", help="delete what an earlier run wrote into --out first")
    args = p.parse_args(argv)

    from keras_motion.predict import predict_folder

    result = predict_folder(
        args.model,
        args.images or args.videos,
        args.out,
        kind="images" if args.images else "videos",
        num_frames=args.frames,
        overwrite=args.overwrite,
    )
    print(
        f"predicted {result['predicted']}, kept {result['reused']} from an earlier run, skipped "
        f"{result['skipped']}; outputs {', '.join(result['outputs'])} in {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
