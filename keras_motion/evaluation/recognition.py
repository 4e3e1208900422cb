"""Training single streams and scoring two-stream late fusion on held-out data (Im2Flow Table 2 protocol)."""

import keras
import numpy as np

from keras_motion.distribution import predict, trim
from keras_motion.evaluation.fusion import choose_fusion_weight, late_fusion


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
    scores = keras.ops.convert_to_numpy(predict(model, x, batch_size=batch_size))
    if outputs_logits(model):
        scores = keras.ops.convert_to_numpy(keras.ops.softmax(scores.astype("float32"), axis=-1))
    return scores


def fit_stream(model, train, val, epochs=20, batch_size=32, learning_rate=1e-3, patience=None, callbacks=(),
               verbose="auto", from_logits=None):
    """Fits a classifier on `train = (x, y)`, keeping the weights of its best epoch on `val = (x, y)`.

    Adam and sparse categorical cross-entropy; early stopping on validation accuracy (`patience` epochs, default
    epochs // 3, at least 3). `from_logits`: whether the model outputs logits (None: from its output layer, see
    `outputs_logits`). On several devices (a data-parallel distribution in scope) `train` and `val` are cut to a
    multiple of the devices (`keras_motion.distribution.trim`). Returns the model.
    """
    from_logits = outputs_logits(model) if from_logits is None else bool(from_logits)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True) if from_logits \
        else "sparse_categorical_crossentropy"
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss, metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping("val_accuracy", patience=patience or max(epochs // 3, 3),
                                         restore_best_weights=True)
    model.fit(*trim(*train), validation_data=trim(*val), epochs=epochs, batch_size=batch_size,
              callbacks=[stop, *callbacks], verbose=verbose)
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
        table[name] = {"accuracy": accuracy(late_fusion(scores[a][1], scores[b][1], weight), test_labels),
                       "weight": weight}
    return table
