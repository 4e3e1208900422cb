"""Searches the knobs each paper tuned by hand, with KerasTuner, on the method's embedded default data.

    python tools/tune.py im2flow --tuner bayesian --max-trials 20 --out runs/tune_im2flow
    python tools/tune.py mosi --quick --max-trials 3 --out runs/tune_mosi         # a search in a couple of minutes
    tensorboard --logdir runs/tune_im2flow/logs                                     # scalars, pictures, HParams

Searched (see each method's `*Search` class): im2flow — λ, magnitude weighting, learning rate (objective: the
validation end-point error); mosi — the static-mask size (fixed / range / off), the speeds K, learning rate
(few-shot accuracy on validation videos); vre_mra — λ, the pseudo-motion labels K, the codebook size, learning rate
(accuracy on validation images); pose_from_action — the negatives per triplet, learning rate (downstream accuracy on
validation images). Writes DIR/trials.csv, DIR/objective.png, DIR/best_hparams.json, DIR/best_model.keras,
DIR/logs/<trial>/ (TensorBoard) and DIR/kt/ (KerasTuner's state: a killed search rerun with the same command resumes
without redoing its finished trials; --overwrite starts afresh). DIR/run.json records the search's flags and what it
wrote: a rerun with other flags (--max-trials aside: it may grow a search) is refused, --overwrite deletes only what
the search wrote, and a second search on the same DIR is refused while the first runs. Parallel search on many
machines: start the same command with KerasTuner's KERASTUNER_TUNER_ID / KERASTUNER_ORACLE_IP /
KERASTUNER_ORACLE_PORT set (README, "Scaling out").
"""

import argparse
import os
import sys

import keras_motion as km
from keras_motion.utils.cli import HelpFormatter, run_main
from keras_motion.utils.paths import output_dir_type

SEARCHES = {
    "im2flow": "im2flow.Im2FlowSearch",
    "mosi": "mosi.MoSISearch",
    "vre_mra": "vre_mra.VRESearch",
    "pose_from_action": "pose_from_action.PoseSearch",
}


def search_class(method):
    package, name = SEARCHES[method].split(".")
    return getattr(getattr(km, package), name)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormatter)
    p.add_argument("method", choices=sorted(SEARCHES))
    p.add_argument("--tuner", default="random", choices=sorted(km.tuning.TUNERS))
    p.add_argument("--max-trials", type=int, default=10, help="trials in all (Hyperband stops after that many too)")
    p.add_argument("--out", type=output_dir_type, help="output folder (default runs/tune_<method>)")
    p.add_argument("--quick", action="store_true", help="the method's quick preset and data (tiny sizes)")
    p.add_argument("--paper", action="store_true", help="the paper's settings around the tuned knobs (a GPU job)")
    p.add_argument(
        "--epochs", type=int, help="epochs of the tuned training (default: the preset's; Hyperband's largest budget)"
    )
    p.add_argument("--seed", type=int, default=0, help="the trials' seed (every trial uses it) and the tuner's")
    p.add_argument("--overwrite", action="store_true", help="start afresh instead of resuming DIR/kt")
    p.add_argument("--verbose", type=int, default=1, help="KerasTuner's progress (0: silent)")
    args = p.parse_args(argv)
    if args.quick and args.paper:
        p.error("--quick and --paper exclude each other")
    args.out = args.out or os.path.join("runs", f"tune_{args.method}")
    return args


# Flags a rerun may change and still resume the search there.
NOT_SETTINGS = ("out", "overwrite", "verbose", "max_trials")


def open_run(args):
    """The search's `Run` on `args.out` (chief only; None in a worker of a parallel search, which shares the chief's
    folder): its flags recorded and checked (`SettingsMismatchError` for other flags), the folder held against a
    second search, and --overwrite deleting only what the search wrote there."""
    if not km.tuning.is_chief_process():
        return None
    import keras

    settings = {k: v for k, v in sorted(vars(args).items()) if k not in NOT_SETTINGS} | {
        "backend": keras.backend.backend()
    }
    return km.utils.Run(args.out, settings=settings, overwrite=args.overwrite, what="search")


def main(argv=None):
    args = parse_args(argv)
    preset = "quick" if args.quick else "paper" if args.paper else "cpu"
    cls = search_class(args.method)
    fixed = {"seed": args.seed} | ({} if args.epochs is None else {cls.epochs_argument: args.epochs})
    run = open_run(args)  # before any work: other flags, a second search, a foreign folder are refused at once
    print(
        f"[tune] {args.method}: {args.tuner} search, {args.max_trials} trials, preset {preset}, into {args.out}",
        file=sys.stderr,
        flush=True,
    )
    log_dir = run.path("logs") if run else os.path.join(args.out, "logs")
    search = cls(**cls.default_data(preset), preset=preset, log_dir=log_dir, **fixed)
    if run:
        run.path("kt")  # recorded as the search's before KerasTuner writes there
    # The chief's --overwrite has already deleted what the search wrote (kt/ included); a worker leaves it be.
    tuner = km.tuning.make_tuner(
        search,
        args.tuner,
        args.max_trials,
        directory=args.out,
        project_name="kt",
        overwrite=args.overwrite and not run,
        seed=args.seed,
    )
    if run:
        search.declare_experiment(tuner)
    tuner.search(verbose=args.verbose)
    if run:  # a worker of a parallel search leaves the summary to the chief
        km.tuning.summarize(tuner, run)
        run.close()
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
