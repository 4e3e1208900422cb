"""Few-shot finetuning of any video classifier with multi-clip evaluation, and the labeled-video splits it draws from.

The protocol of self-supervised video papers (MoSI Table 3 and its low-shot study): N labeled videos per class, drawn
anew for each seed, finetune every initialisation under comparison (pretrained, scratch ...) from the same random
weights, evaluate on held-out videos with several clips per video, and report video-level (clip-averaged) and
clip-level accuracy as mean ± std over the seeds. Finished runs are recorded in a JSON file of the `Run`, so a
killed job resumes with the next run.
"""

import keras
import numpy as np

from keras_motion.datasets import HMDB51, UCF101, VideoFolder, few_shot, split_groups
from keras_motion.datasets.few_shot import few_shot_indices  # km.evaluation.few_shot_indices: the shared sampler
from keras_motion.evaluation.clips import VideoClips, multi_clip_accuracy, multi_clip_predict, open_videos
from keras_motion.schedules import WarmupCosine
from keras_motion.utils.runs import Run


def compile_classifier(model, learning_rate, weight_decay=None, steps=1, warmup_steps=0):
    """Compiles a classifier that outputs logits: Adam (decoupled `weight_decay`) on a `WarmupCosine` schedule that
    warms up from `learning_rate / 10` over `warmup_steps` and decays to 0 at `steps`; sparse cross-entropy and
    accuracy.

    Args:
        model: a Keras model whose outputs are class logits.
        learning_rate: the peak learning rate.
        weight_decay: Adam's decoupled weight decay, or `None`.
        steps: total optimizer steps of the training (epochs × batches per epoch).
        warmup_steps: linear warm-up steps (capped at `steps`).

    Example:

    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    >>> compile_classifier(model, 1e-3, steps=10, warmup_steps=2).optimizer.__class__.__name__
    'Adam'

    Reference: MoSI (Huang et al., CVPR 2021), §4.1: Adam, warm-up from lr/10, half-period cosine.
    """
    schedule = WarmupCosine(
        learning_rate,
        total_steps=max(steps, 1),
        warmup_steps=min(warmup_steps, steps),
        warmup_initial=learning_rate / 10,
    )
    model.compile(
        optimizer=keras.optimizers.Adam(schedule, weight_decay=weight_decay),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def finetune_video_classifier(
    model,
    videos,
    labels,
    clip_len=16,
    crop_size=112,
    size=None,
    epochs=40,
    warmup_epochs=4,
    learning_rate=1e-3,
    weight_decay=1e-3,
    batch_size=10,
    seed=0,
    callbacks=(),
    verbose=0,
    drop_remainder=False,
):
    """Trains `model` (clips uint8 (B, N, L, L, 3) → logits) on `VideoClips` of labeled videos (a random window,
    crop and mirror per video and epoch), compiled by `compile_classifier`; returns the model.

    Args:
        model: a fresh or pretrained video classifier (e.g. `km.models.R2Plus1D(num_classes=...)`).
        videos: decoded videos (T, H, W, 3) uint8 or lazy `VideoFrames` (decoded per batch); labels: their classes.
        clip_len, crop_size, size: clip frames, crop side, short side the videos are resized to first (`None`: as is).
        epochs, warmup_epochs, learning_rate, weight_decay, batch_size: the schedule.
        seed: seed of the batches' order, windows, crops and mirrors.
        callbacks, verbose: passed to `fit`.
        drop_remainder: leave out each epoch's last, partial batch (`VideoClips`), e.g. so that batches divide
            across devices.

    Example:

    >>> net = keras.Sequential([keras.Input((None, None, None, 3)), keras.layers.GlobalAveragePooling3D(),
    ...                         keras.layers.Dense(2)])  # any video classifier: here the smallest
    >>> videos = [np.zeros((6, 16, 16, 3), "uint8")] * 4
    >>> net = finetune_video_classifier(net, videos, [0, 1, 0, 1], clip_len=4, crop_size=16, epochs=1)
    >>> int(net.optimizer.iterations)
    1

    Reference: MoSI (Huang et al., CVPR 2021), §4.1 (finetuning).
    """
    train = VideoClips(
        videos,
        labels,
        clip_len=clip_len,
        crop_size=crop_size,
        size=size,
        batch_size=batch_size,
        seed=seed,
        drop_remainder=drop_remainder,
    )
    compile_classifier(model, learning_rate, weight_decay, epochs * len(train), warmup_epochs * len(train))
    # The clips shuffle themselves per (seed, epoch); Keras' shuffling would draw on Python's global random state.
    model.fit(train, epochs=epochs, verbose=verbose, callbacks=list(callbacks), shuffle=False)
    return model


def evaluate_multi_clip(model, videos, labels, clip_len=16, crop_size=112, num_clips=10, size=None):
    """`{"video_accuracy", "clip_accuracy"}` of `model` on `num_clips` evenly spaced centre clips per video
    (`multi_clip_predict` + `multi_clip_accuracy`).

    Example:

    >>> from keras_motion.models import R2Plus1D
    >>> net = R2Plus1D(depth=10, num_classes=2, filters=(4, 4, 4, 4, 4), stem="small")
    >>> sorted(evaluate_multi_clip(net, [np.zeros((6, 16, 16, 3), "uint8")], [1], clip_len=4, crop_size=16))
    ['clip_accuracy', 'video_accuracy']
    """
    probs = multi_clip_predict(model, videos, clip_len=clip_len, crop_size=crop_size, num_clips=num_clips, size=size)
    return multi_clip_accuracy(probs, labels)


def summarize_runs(runs, baseline="scratch"):
    """Mean, std and list of video- and clip-level accuracy per initialisation of `runs` (`few_shot_finetune`'s
    record: key → {"init", "video_accuracy", "clip_accuracy", ...}); with exactly one other initialisation than
    `baseline`, also `video_accuracy_gain` = its mean − the baseline's.

    >>> runs = {"a_seed1": {"init": "a", "video_accuracy": 0.5, "clip_accuracy": 0.4},
    ...         "scratch_seed1": {"init": "scratch", "video_accuracy": 0.25, "clip_accuracy": 0.2}}
    >>> summarize_runs(runs)["video_accuracy_gain"]
    0.25
    """
    out = {}
    for init in dict.fromkeys(r["init"] for r in runs.values()):
        rows = [r for r in runs.values() if r["init"] == init]
        out[init] = {}
        for what in ("video_accuracy", "clip_accuracy"):
            values = np.array([r[what] for r in rows])
            out[init][what] = {"mean": float(values.mean()), "std": float(values.std()), "runs": values.tolist()}
    others = [init for init in out if init != baseline]
    if baseline in out and len(others) == 1:
        out["video_accuracy_gain"] = out[others[0]]["video_accuracy"]["mean"] - out[baseline]["video_accuracy"]["mean"]
    return out


def few_shot_finetune(
    inits,
    videos,
    labels,
    test_videos,
    test_labels,
    num_classes=None,
    shots=5,
    seeds=(0,),
    clip_len=16,
    crop_size=112,
    size=None,
    epochs=40,
    warmup_epochs=4,
    learning_rate=1e-3,
    weight_decay=1e-3,
    batch_size=10,
    eval_clips=10,
    run=None,
    runs_file="finetune_runs.json",
    baseline="scratch",
    drop_remainder=False,
):
    """Few-shot finetuning of several initialisations of a video classifier over several seeds, with multi-clip
    evaluation; resumable run by run.

    For each seed, then each initialisation: draw `shots` videos per class (`few_shot_indices`, seeded), seed Keras
    with the seed, build the model (`inits[name](model_name)`), finetune it (`finetune_video_classifier`), save it
    as `<out>/finetune_<name>_seed<seed>.keras`, evaluate it (`evaluate_multi_clip`) and record the run in
    `<out>/<runs_file>`; runs already recorded there are skipped.

    Args:
        inits: `{name: build}`, `build(model_name)` returning a fresh classifier (logits) of `num_classes`, e.g.
            `{"mosi": pretrained_copy, "scratch": random_init}`; all initialisations of a seed share its random
            weights where they are not loaded.
        videos, labels: the pool the few-shot sets are drawn from (decoded uint8 videos (T, H, W, 3), or lazy
            `VideoFrames` as `labeled_video_splits` gives them).
        test_videos, test_labels: held-out videos (decoded or lazy) and their classes.
        num_classes: number of classes (default: max label + 1).
        shots: labeled videos per class; seeds: the seeds (one run per seed and initialisation).
        clip_len, crop_size, size, epochs, warmup_epochs, learning_rate, weight_decay, batch_size: finetuning.
        eval_clips: clips per test video.
        run: a `km.utils.Run` (models, logs, the runs file, progress); `None` writes nothing.
        runs_file: the record of finished runs; baseline: the initialisation gains are measured against.
        drop_remainder: finetuning leaves out each epoch's last, partial batch (batches that divide across devices).

    Returns:
        `summarize_runs` of every recorded run, with `shots_per_class`, `test_videos` and `clips_per_video`.

    Example:

    >>> def scratch(name):  # a fresh classifier (logits): R2Plus1D(num_classes=2, name=name) ..., here the smallest
    ...     return keras.Sequential([keras.Input((None, None, None, 3)), keras.layers.GlobalAveragePooling3D(),
    ...                              keras.layers.Dense(2)], name=name)
    >>> videos = [np.full((6, 16, 16, 3), 40 * i, "uint8") for i in range(4)]
    >>> report = few_shot_finetune({"scratch": scratch}, videos, [0, 1, 0, 1], videos, [0, 1, 0, 1], shots=1,
    ...                            seeds=(1, 2), clip_len=4, crop_size=16, epochs=1, eval_clips=2)
    >>> len(report["scratch"]["video_accuracy"]["runs"]), report["shots_per_class"]
    (2, 1)

    Reference: MoSI (Huang et al., CVPR 2021), §4.1 and Table 3 (few labeled videos per class).
    """
    run = run or Run(None, verbose=False)
    labels = np.asarray(labels)
    runs = run.load_json(runs_file, {})
    for seed in seeds:
        for init, build in inits.items():
            key = f"{init}_seed{seed}"
            if key in runs:
                continue
            run.log(f"finetuning {key}: {shots} labeled videos per class")
            chosen = few_shot_indices(labels, shots, seed, num_classes)
            keras.utils.set_random_seed(seed)
            name = f"finetune_{key}"
            model = build(name)
            finetune_video_classifier(
                model,
                [videos[i] for i in chosen],
                labels[chosen],
                clip_len=clip_len,
                crop_size=crop_size,
                size=size,
                epochs=epochs,
                warmup_epochs=warmup_epochs,
                learning_rate=learning_rate,
                weight_decay=weight_decay,
                batch_size=batch_size,
                seed=seed,
                callbacks=run.callbacks(name, backup=False),
                drop_remainder=drop_remainder,
            )
            run.save_model(model, f"{name}.keras")
            result = evaluate_multi_clip(model, test_videos, test_labels, clip_len, crop_size, eval_clips, size)
            runs[key] = dict(init=init, seed=seed, **result, train_videos=int(len(chosen)))
            run.log(
                f"{key}: video accuracy {result['video_accuracy']:.3f}, clip accuracy {result['clip_accuracy']:.3f}"
            )
            run.write_json(runs_file, runs)
    return {
        **summarize_runs(runs, baseline),
        "shots_per_class": int(shots),
        "test_videos": len(test_labels),
        "clips_per_video": int(eval_clips),
    }


# ------------------------------------------------------------------------------------------- labeled video splits
def labeled_video_splits(
    ucf101=None,
    hmdb51=None,
    labeled_videos=None,
    split=1,
    shots=5,
    repeats=1,
    size=None,
    max_test_videos=None,
    seed=0,
    run=None,
):
    """The few-shot pool and the test set of a labeled video data set: UCF101 or HMDB51 (official split files), or
    a class-per-folder tree split 70/30 by video (seeded). The pool holds only what finetuning can use: `shots ×
    repeats` videos per class of the training split (drawn with `seed`). Nothing is decoded here: pool and test
    videos are lazy `VideoFrames` (`open_videos`), equal to `read_video(path, size)` and decoded per batch, clip by
    clip; each file is opened once now to count its frames, and unreadable ones are skipped and counted.

    Args:
        ucf101, hmdb51: the data set's root (give one of the three sources).
        labeled_videos: a folder of videos, one sub-folder per class.
        split: the official split (1..3) of UCF101 / HMDB51.
        shots, repeats: labeled videos per class per run, and the number of runs (seeds).
        size: short side the videos are resized to.
        max_test_videos: evaluate on at most this many test videos (a seeded random subset).
        seed: seed of the 70/30 split, the pool and the test subset.
        run: a `km.utils.Run` for progress messages.

    Returns:
        `((pool_videos, pool_labels), (test_videos, test_labels), class_names, skipped)`: lists of `VideoFrames`
        (uint8 (T, H, W, 3), their `.path` the file) and int labels; the count of unreadable files.

    Example:

    >>> pool, test, names, skipped = labeled_video_splits(ucf101="data/UCF101", shots=5, repeats=3,
    ...                                                   size=128)  # doctest: +SKIP

    Reference: UCF101 (Soomro et al., 2012) and HMDB51 (Kuehne et al., 2011) official splits.
    """
    run = run or Run(None, verbose=False)
    if labeled_videos:
        everything = VideoFolder(labeled_videos, labeled=True)
        train_idx, test_idx = split_groups(np.arange(len(everything)), (0.7, 0.3), seed=seed)
        train, test = everything.subset(train_idx), everything.subset(test_idx)
    elif ucf101 or hmdb51:
        loader, root = (UCF101, ucf101) if ucf101 else (HMDB51, hmdb51)
        train, test = (loader(root, split=split, subset=s) for s in ("train", "test"))
    else:
        raise ValueError("labeled_video_splits needs one of ucf101=ROOT, hmdb51=ROOT or labeled_videos=DIR")
    train = few_shot(train, shots * repeats, seed)
    if max_test_videos and len(test) > max_test_videos:
        test = test.subset(np.random.default_rng(seed).choice(len(test), max_test_videos, replace=False))
    splits = []
    for name, dataset in (("few-shot pool", train), ("test videos", test)):
        videos, kept = open_videos(
            dataset.paths, size, dataset.skips, progress=f"opening the {name}" if run.verbose else None
        )
        run.log(dataset.skips.summary())
        splits.append((videos, dataset.labels[kept]))
    return splits[0], splits[1], train.class_names, train.skips.count + test.skips.count
