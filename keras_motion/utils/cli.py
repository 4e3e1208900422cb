"""The recipes' shared command line: one base parser, presets (`--paper`, `--quick`) and the start of a run."""

import argparse
import os

from keras_motion.utils.paths import output_dir_type


def base_parser(description, out, paper_help="the paper's settings where not given explicitly (a GPU job)"):
    """An `argparse` parser with the flags every recipe has: `--paper`, `--quick`, `--seed`, `--out`,
    `--mixed-precision`. `--help` shows every default."""
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    common = p.add_argument_group("run")
    common.add_argument("--paper", action="store_true", help=paper_help)
    common.add_argument("--quick", action="store_true",
                        help="the whole recipe at tiny sizes (a couple of minutes on a CPU), to try a set-up")
    common.add_argument("--seed", type=int, default=0, help="seed of data splits, initialisation and batches")
    common.add_argument("--out", default=out, type=output_dir_type, help="output folder")
    common.add_argument("--mixed-precision", action="store_true",
                        help="mixed_bfloat16 (mixed_float16 on PyTorch): a GPU option")
    return p


def parse_with_presets(parser, argv=None, presets=None):
    """Parses `argv`; for each preset flag given (`--paper`, `--quick`: the keys of `presets`), that preset's values
    replace the defaults of the options the command line does not set, so `--paper --epochs 5` keeps the 5. Presets
    apply in the order of `presets`; a later one wins."""
    args = parser.parse_args(argv)
    chosen = {}
    for flag, values in (presets or {}).items():
        if getattr(args, flag, False):
            chosen.update(values)
    if chosen:
        parser.set_defaults(**chosen)
        args = parser.parse_args(argv)
    return args


def start_run(args, verbose=True):
    """Starts a recipe's run from its parsed flags: quiet TensorFlow logs, the mixed-precision policy, the seed,
    and the `Run` that writes into `args.out`."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import logging

    import keras

    from keras_motion.utils.runs import Run

    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notices
    if getattr(args, "mixed_precision", False):
        keras.mixed_precision.set_global_policy("mixed_bfloat16" if keras.backend.backend() != "torch"
                                                else "mixed_float16")
    keras.utils.set_random_seed(args.seed)
    return Run(args.out, verbose=verbose)
