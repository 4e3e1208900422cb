#!/usr/bin/env python
"""Exports a keras_motion inference model (`<out>/<method>_inference.keras` of a recipe) for serving.

    python tools/export.py runs/im2flow/im2flow_inference.keras --out serving/im2flow --format saved_model
    python tools/export.py runs/im2flow/im2flow_inference.keras --out serving --format onnx --input-shape 240,320,3

SavedModel: writes the folder --out (signature `serve`, uint8 in; free batch, T, H and W on TensorFlow; see
`keras_motion.export` for JAX's limits). ONNX (on TensorFlow, through tf2onnx): writes `--out/<model file>.onnx`.
Run it with KERAS_BACKEND=jax to export from JAX. An existing output is never overwritten.
"""

import argparse
import os
import sys

from keras_motion.utils.cli import run_main


def _shape(text):
    try:
        return tuple(None if s.strip().lower() in ("", "none", "?") else int(s) for s in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated shape such as 8,112,112,3 or none,112,112,3 (none: free)"
        ) from None


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="an inference model's .keras file")
    p.add_argument("--out", required=True, help="the SavedModel folder, or the folder of the .onnx file")
    p.add_argument("--format", default="saved_model", choices=("saved_model", "onnx"))
    p.add_argument(
        "--input-shape",
        type=_shape,
        default=None,
        help="the input's shape past the batch axis, e.g. 8,112,112,3 (none = free); default: as free "
        "as the format and backend allow",
    )
    p.add_argument("--verbose", action="store_true", help="show what Keras and tf2onnx print")
    args = p.parse_args(argv)
    if not os.path.isfile(args.model):
        p.error(f"argument model: {args.model} is not a file; pass the <method>_inference.keras a recipe wrote")

    import keras

    from keras_motion.export import export_model
    from keras_motion.utils.files import load_model

    model = load_model(args.model, fix="pass the <method>_inference.keras file a recipe wrote")
    path = args.out
    if args.format == "onnx":
        path = os.path.join(args.out, os.path.splitext(os.path.basename(args.model))[0] + ".onnx")
    export_model(model, path, args.format, args.input_shape, verbose=args.verbose)
    print(f"wrote {path} ({args.format}, made on {keras.backend.backend()})")
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
