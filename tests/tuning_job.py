"""A small Im2Flow search as its own process, for the kill and chief / worker tests of test_tuning.py (the command
line's search, tools/tune.py, at sizes a test can afford): python tests/tuning_job.py OUT."""

import sys

import keras_motion as km


def main(out):
    splits, classes = km.im2flow.synthetic_splits(num_videos=12, num_frames=7, render_size=40, pairs_per_video=1)
    search = km.im2flow.Im2FlowSearch(
        splits, len(classes), preset="quick", log_dir=f"{out}/logs", epochs=2, content_loss=False, batch_size=8
    )
    tuner = km.tuning.make_tuner(search, "random", max_trials=3, directory=out)
    chief = km.tuning.is_chief_process()
    if chief:
        search.declare_experiment(tuner)
    tuner.search(verbose=0)
    if chief:
        km.tuning.summarize(tuner, out, verbose=False)


if __name__ == "__main__":
    main(sys.argv[1])
