"""Training single streams and scoring two-stream late fusion on held-out data (Im2Flow Table 2 protocol)."""

import keras
import numpy as np

from keras_motion.distribution import predict, trim
from keras_motion.evaluation.fusion import choose_fusion_weight, late_fusion
from keras_motion.utils.resume import EpochSeeded
from keras_motion.video.lazy import LazyArray


def outputs_logits(model):
    """Whether `model` outputs logits: its output layer has no softmax activation.

    >>> outputs_logits(keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")]))
    False
    """
    return getattr(model.layers[-1], "activation", None) is not keras.activations.softmax


def class_probabilities(model, x, batch_size=None):
    """Per-class probabilities (N, C) float32 of a classifier for inputs `x`: its softmax output, or the softmax of
    its logits. Late fusion averages probabilities, never logits.

    Args:
        model: a Keras classifier (softmax or logits head); x: its inputs; batch_size: of `predict` (None: 32).

    Example:

    >>> head = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])
    >>> class_probabilities(head, np.ones((4, 2), "float32")).sum(-1).round(4).tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    if isinstance(x, LazyArray):  # read and scored a chunk at a time: the inputs need not fit in memory at once
        chunks = [class_probabilities(model, chunk, batch_size) for chunk in x.batches(16 * (batch_size or 32))]
        return np.concatenate(chunks)
    scores = keras.ops.convert_to_numpy(predict(model, x, batch_size=batch_size))
    if outputs_logits(model):
        scores = keras.ops.convert_to_numpy(keras.ops.softmax(scores.astype("float32"), axis=-1))
    return scores


class FullBatches(EpochSeeded, keras.utils.PyDataset):
    """Training batches of arrays `(x, y)` that all hold `batch_size` items: reshuffled every epoch (a pure function
    of (seed, epoch)), the last partial batch of each epoch dropped (a set smaller than one batch is one batch of
    itself). One batch shape is one compiled train step on JAX, where a last partial batch compiles the step again.

    >>> batches = FullBatches(np.zeros((10, 2)), np.arange(10), batch_size=4, seed=0)
    >>> len(batches), batches[1][0].shape
    (2, (4, 2))
    """

    def __init__(self, x, y, batch_size, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.seed = x, np.asarray(y), int(seed)
        self.batch_size = min(int(batch_size), len(self.y))
        self.epoch = 0
        self.on_epoch_end()

    def __len__(self):
        return len(self.y) // self.batch_size

    def on_epoch_end(self):
        self.order = np.random.default_rng((self.seed, self.epoch)).permutation(len(self.y))
        self.epoch += 1

    def __getitem__(self, index):
        batch = np.sort(self.order[index * self.batch_size : (index + 1) * self.batch_size])
        return self.x[batch], self.y[batch]


class OrderedBatches(keras.utils.PyDataset):
    """Batches `(x[i:i + batch_size], y[...])` in order, read per batch: evaluation data that stays lazy."""

    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, np.asarray(y), int(batch_size)

    def __len__(self):
        return -(-len(self.y) // self.batch_size)

    def __getitem__(self, index):
        rows = np.arange(index * self.batch_size, min((index + 1) * self.batch_size, len(self.y)))
        return self.x[rows], self.y[rows]


def fit_stream(
    model,
    train,
    val,
    epochs=20,
    batch_size=32,
    learning_rate=1e-3,
    patience=None,
    callbacks=(),
    verbose="auto",
    from_logits=None,
):
    """Fits a classifier on `train = (x, y)`, keeping the weights of its best epoch on `val = (x, y)`.

    Adam and sparse categorical cross-entropy; early stopping on validation accuracy (`patience` epochs, default
    epochs // 3, at least 3). `from_logits`: whether the model outputs logits (None: from its output layer, see
    `outputs_logits`). On several devices (a data-parallel distribution in scope) `train` and `val` are cut to a
    multiple of the devices (`keras_motion.distribution.trim`). Every training batch holds `batch_size` items (one
    compiled step on JAX): where `batch_size` does not divide the training set, the batches are `FullBatches`
    (reshuffled each epoch with a seed drawn from NumPy's global generator, which `keras.utils.set_random_seed`
    seeds; the last partial batch dropped), else Keras' own shuffled batches. Lazy `x` (a `LazyArray`: frames or
    flows on disk) is read per batch: `FullBatches` for training, in order for validation. Returns the model.
    """
    from_logits = outputs_logits(model) if from_logits is None else bool(from_logits)
    loss = (
        keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        if from_logits
        else "sparse_categorical_crossentropy"
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss, metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping(
        "val_accuracy", patience=patience or max(epochs // 3, 3), restore_best_weights=True
    )
    x, y = trim(*train)
    batches = dict(x=x, y=y, batch_size=batch_size)
    # Lazy inputs (`LazyArray`: e.g. frames or flows on disk) are read per batch, in FullBatches' order.
    if isinstance(x, LazyArray) or (len(y) > batch_size and len(y) % batch_size):
        batches = dict(x=FullBatches(x, y, batch_size, seed=np.random.randint(2**31)), shuffle=False)
    validation = dict(validation_data=trim(*val), validation_batch_size=batch_size)
    if isinstance(validation["validation_data"][0], LazyArray):
        validation = dict(validation_data=OrderedBatches(*validation["validation_data"], batch_size))
    model.fit(**batches, **validation, epochs=epochs, callbacks=[stop, *callbacks], verbose=verbose)
    return model


def accuracy(scores, labels):
    """Share of rows of `scores` (N, C) whose argmax is the label.

    >>> accuracy([[0.9, 0.1], [0.2, 0.8]], [0, 0])
    0.5
    """
    return float((np.asarray(scores).argmax(-1) == np.asarray(labels)).mean())


def recognition_table(scores, val_labels, test_labels, fusions=()):
    """Held-out accuracies of single streams and of late-fused pairs.

    Args:
        scores: `{stream name: (validation scores (N_val, C), test scores (N_test, C))}`, class probabilities
            (see `class_probabilities`).
        val_labels, test_labels: (N_val,) and (N_test,) integer labels.
        fusions: `(name, stream a, stream b)` triples; each pair's weight is chosen on validation only.

    Returns `{name: {"accuracy": test accuracy}}`, fused entries also holding their `"weight"` (share of b).
    """
    table = {name: {"accuracy": accuracy(test, test_labels)} for name, (_, test) in scores.items()}
    for name, a, b in fusions:
        weight = choose_fusion_weight(scores[a][0], scores[b][0], val_labels)
        table[name] = {
            "accuracy": accuracy(late_fusion(scores[a][1], scores[b][1], weight), test_labels),
            "weight": weight,
        }
    return table
