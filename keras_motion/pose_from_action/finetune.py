"""Few-shot finetuning of image classifiers from several initialisations, repeated over seeds (the downstream
protocol of Pose from Action: a classifier initialised from a pretrained ConvNet against a random one)."""

import keras
import numpy as np

from keras_motion.distribution import predict, trim
from keras_motion.evaluation.recognition import accuracy, outputs_logits
from keras_motion.utils.runs import Run


def compare_initialisations(
    builders,
    draw,
    test_x,
    test_y,
    seeds,
    epochs=60,
    learning_rate=3e-4,
    batch_size=16,
    run=None,
    runs_file="downstream_runs.json",
):
    """Per seed: draws the few labeled examples, then builds, finetunes (Adam, cross-entropy) and tests one
    classifier per initialisation, each built right after `keras.utils.set_random_seed(seed)` so that the
    initialisations differ only where their builders do.

    Args:
        builders: `{name: callable() → classifier}` (e.g. `{"verifier_init": ..., "random_init": ...}`); a
            classifier maps `test_x`-like inputs to class probabilities.
        draw: `callable(seed) → (x, y)`, the labeled examples of that seed's run.
        test_x, test_y: the test set (already in the classifiers' input range).
        seeds: the seeds of the runs.
        epochs, learning_rate, batch_size: finetuning (all layers train).
        run: a `km.utils.Run`: TensorBoard logs `downstream_<name>_seed<seed>` and progress (None: nothing).
        runs_file: finished runs are recorded in the run's `<runs_file>` and skipped when called again (each run
            is built from its seed alone, so a resumed job gives the figures of an uninterrupted one).

    Returns:
        `{name: {"mean", "std", "runs"}}` of test accuracies, plus `"labeled"` (examples of the last run) and
        `"test_images"`.

    Example:

    >>> build = lambda: keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    >>> data = np.eye(4, dtype="float32"), np.array([0, 1, 0, 1])
    >>> table = compare_initialisations({"a": build}, lambda seed: data, *data, seeds=(0, 1), epochs=1)
    >>> len(table["a"]["runs"]), table["labeled"], table["test_images"]
    (2, 4, 4)

    Reference:
        Purushwalkam & Gupta 2016, §4.4 (Table 4: 50 labeled PASCAL images, mean over 5 runs).
    """
    run = run or Run(None, verbose=False)
    results = {name: [] for name in builders}
    y = ()
    done = run.load_json(runs_file, {})
    for seed in seeds:
        x, y = draw(seed)
        for name, build in builders.items():
            key = f"{name}_seed{seed}"
            if key in done:
                results[name].append(done[key])
                continue
            keras.utils.set_random_seed(seed)
            model = build()
            loss = keras.losses.SparseCategoricalCrossentropy(from_logits=outputs_logits(model))
            model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss, metrics=["accuracy"])
            model.fit(
                *trim(x, y),
                epochs=epochs,
                batch_size=batch_size,
                callbacks=run.callbacks(f"downstream_{name}_seed{seed}", backup=False),
                verbose=0,
            )
            score = accuracy(predict(model, test_x), test_y)
            results[name].append(score)
            done[key] = score
            run.write_json(runs_file, done)
            run.log(
                f"seed {seed}, {name}: {len(y)} labeled images ({len(np.unique(y))} classes) → "
                f"test accuracy {100 * score:.1f} % on {len(test_x)} images"
            )
    table = {
        name: {"mean": float(np.mean(r)), "std": float(np.std(r)), "runs": [float(v) for v in r]}
        for name, r in results.items()
    }
    table.update(labeled=int(len(y)), test_images=int(len(test_x)))
    return table
