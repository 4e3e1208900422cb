"""The recipes' shared command line: one base parser, presets (`--paper`, `--quick`) and the start of a run."""

import argparse
import os
import sys

from keras_motion.utils.checks import int_arg
from keras_motion.utils.paths import output_dir_type


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """`--help` keeps the recipe's docstring as written and shows every flag's default."""


def base_parser(description, out, paper_help="the paper's settings where not given explicitly (a GPU job)"):
    """An `argparse` parser with the flags every recipe has: `--paper`, `--quick`, `--seed`, `--out`,
    `--overwrite`, `--mixed-precision`, `--distribute`. `--help` shows every default."""
    p = argparse.ArgumentParser(description=description, formatter_class=HelpFormatter)
    common = p.add_argument_group("run")
    common.add_argument("--paper", action="store_true", help=paper_help)
    common.add_argument(
        "--quick",
        action="store_true",
        help="the whole recipe at tiny sizes (a couple of minutes on a CPU), to try a set-up",
    )
    common.add_argument("--seed", type=int, default=0, help="seed of data splits, initialisation and batches")
    common.add_argument(
        "--out",
        default=out,
        type=output_dir_type,
        help="output folder. A rerun into it with the same flags resumes a killed run (finished "
        "phases are reused, the killed one continues from its last epoch) or, when the run "
        "had finished, reports its results again without training; other flags are refused",
    )
    common.add_argument(
        "--overwrite", action="store_true", help="delete what an earlier run wrote into --out and start afresh"
    )
    common.add_argument(
        "--mixed-precision", action="store_true", help="mixed_bfloat16 (mixed_float16 on PyTorch): a GPU option"
    )
    common.add_argument(
        "--distribute",
        action="store_true",
        help="train on every device, data-parallel (JAX: keras.distribution.DataParallel, also "
        "multi-host with KERAS_DISTRIBUTION_* set; TensorFlow: MirroredStrategy; PyTorch: "
        "refused); the batch sizes are global and must divide by the number of devices",
    )
    return p


# Integer flags of the recipes that may be 0 (every other integer flag is a count or size, ≥ 1): 0 warm-up epochs,
# unmasked epochs, frozen stages, Grad-CAM size (none), held-out photos; the seed and the verbosity start at 0 too.
MAY_BE_ZERO = (
    "seed",
    "verbose",
    "constant_epochs",
    "unmasked_epochs",
    "pretext_warmup",
    "finetune_warmup",
    "freeze_stages",
    "grad_cam_size",
    "heldout_photos",
)
# Integer flags with an upper bound as well.
INT_RANGES = {"split": (1, 3), "verbose": (0, 2)}  # UCF101 and HMDB51 have 3 official splits


def check_int_flags(parser):
    """Gives every `type=int` flag of a recipe's parser the range check of `keras_motion.utils.checks.int_arg`:
    counts and sizes ≥ 1 (`--epochs 0` or `-2`: `error: argument --epochs: 0 is out of range: an integer ≥ 1`, exit
    2), the `MAY_BE_ZERO` flags ≥ 0, the `INT_RANGES` flags within theirs. Done here, once for every recipe, so that
    a flag added to a recipe is checked without a line of its own."""
    for action in parser._actions:  # argparse keeps no public list of its options
        if action.type is int:
            low, high = INT_RANGES.get(action.dest, (0 if action.dest in MAY_BE_ZERO else 1, None))
            action.type = int_arg(low, high)
    return parser


def parse_with_presets(parser, argv=None, presets=None):
    """Parses `argv`; for each preset flag given (`--paper`, `--quick`: the keys of `presets`), that preset's values
    replace the defaults of the options the command line does not set, so `--paper --epochs 5` keeps the 5. Presets
    apply in the order of `presets`; a later one wins. Integer flags are range-checked (`check_int_flags`)."""
    check_int_flags(parser)
    args = parser.parse_args(argv)
    chosen = {}
    for flag, values in (presets or {}).items():
        if getattr(args, flag, False):
            chosen.update(values)
    if chosen:
        parser.set_defaults(**chosen)
        args = parser.parse_args(argv)
    return args


def mixed_precision_policy():
    """The policy `--mixed-precision` sets: mixed_float16 on PyTorch, mixed_bfloat16 elsewhere — refused where it is
    known to diverge.

    TensorFlow on CPU runs bfloat16 convolutions through oneDNN, whose gradient of a (3, 1, 1) Conv3D over 2 frames
    comes out inf on some CPUs (found on R(2+1)D, whose last stages have 2 frames left: NaN after one step; correct
    for 1, 3, 4 or 8 frames and with oneDNN off). Rather than a run that diverges (or a silent fall-back to float32
    that reports itself as mixed precision), this raises `UnsupportedSetupError` with the ways out: a GPU, JAX or
    PyTorch, `TF_ENABLE_ONEDNN_OPTS=0` (set before TensorFlow starts), or no `--mixed-precision` (on a CPU it saves
    little anyway).
    """
    import keras

    backend = keras.backend.backend()
    if backend == "torch":
        return "mixed_float16"
    if backend == "tensorflow" and os.environ.get("TF_ENABLE_ONEDNN_OPTS", "").strip() != "0":
        import tensorflow as tf

        if not tf.config.list_physical_devices("GPU"):
            from keras_motion.errors import UnsupportedSetupError

            raise UnsupportedSetupError(
                "--mixed-precision (mixed_bfloat16) is refused on TensorFlow without a GPU: TensorFlow's CPU "
                "(oneDNN) bfloat16 gradient of the (3, 1, 1) temporal convolutions is inf when a stage has 2 frames "
                "left, and training goes NaN after one step. Drop --mixed-precision (float32 is the CPU default), "
                "run on a GPU or with KERAS_BACKEND=jax / torch, or start with TF_ENABLE_ONEDNN_OPTS=0."
            )
    return "mixed_bfloat16"


# Flags that do not change a run's results: a rerun may change them and still resume / reuse the folder.
NOT_SETTINGS = ("out", "overwrite", "verbose", "skip_pretext")


def run_settings(args):
    """The settings a run's folder records (`out/run.json`): every flag but `NOT_SETTINGS`, and the backend."""
    import keras

    return {
        **{k: v for k, v in sorted(vars(args).items()) if k not in NOT_SETTINGS},
        "backend": keras.backend.backend(),
    }


def start_run(args, verbose=True):
    """Starts a recipe's run from its parsed flags: quiet TensorFlow logs, the mixed-precision policy (see
    `mixed_precision_policy`: refused on TensorFlow's CPU), the seed, and the `Run` that writes into `args.out`
    (its settings `run_settings(args)`: a folder made with other flags is refused unless `--overwrite`)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import logging

    import keras

    from keras_motion.utils.runs import Run

    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notices
    if getattr(args, "mixed_precision", False):
        keras.mixed_precision.set_global_policy(mixed_precision_policy())
    keras.utils.set_random_seed(args.seed)
    return Run(args.out, verbose=verbose, settings=run_settings(args), overwrite=getattr(args, "overwrite", False))


def run_main(main, argv=None):
    """`main(argv)` with the endings every recipe and tool shares: a `KerasMotionError` (bad input, a setting that
    cannot work, a full disk: its message names the file or flag and the fix) is printed as `error: …` on stderr with
    exit status 2, as `argparse` does, instead of a traceback; Ctrl-C prints one line and exits 130 (outputs are
    written atomically and every long phase resumes, so a rerun continues). Other exceptions (bugs) keep their
    traceback."""
    from keras_motion.errors import KerasMotionError

    try:
        return main(argv)
    except KerasMotionError as e:
        print(f"error: {e}", file=sys.stderr)
        status = 2
    except KeyboardInterrupt:
        print("\ninterrupted; rerun the same command to resume", file=sys.stderr)
        status = 130
    if _hdf5_left_broken():
        _exit_now(status)
    return status


def _hdf5_left_broken():
    """Whether HDF5 still holds groups or datasets of a file that is no longer open: what a weights write (Keras'
    `save_weights`, through h5py) leaves when the disk fills during it. Its close fails half-way, and HDF5's own exit
    handler (`H5_term_library`, run by `exit()`) then closes those groups against the freed file and crashes the
    process with a segmentation fault (exit 139) after the right error message."""
    h5py = sys.modules.get("h5py")
    if h5py is None:
        return False
    try:
        kinds = [h5py.h5i.get_type(i) for i in h5py.h5f.get_obj_ids(types=h5py.h5f.OBJ_ALL)]
    except Exception:  # HDF5 cannot even list its objects: treat its state as broken
        return True
    return h5py.h5i.FILE not in kinds and any(k in (h5py.h5i.GROUP, h5py.h5i.DATASET) for k in kinds)


def _exit_now(status):
    """Ends the process with `status` without the C library's exit handlers (HDF5's would crash, see
    `_hdf5_left_broken`); Python's output and logs are flushed first, and every output is already complete or
    removed (atomic writes)."""
    import logging

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(status)
