"""Training single streams and scoring two-stream late fusion on held-out data (Im2Flow Table 2 protocol)."""

import keras
import numpy as np

from keras_motion.evaluation.fusion import choose_fusion_weight, late_fusion


def fit_stream(model, train, val, epochs=20, batch_size=32, learning_rate=1e-3, patience=None, callbacks=(),
               verbose="auto"):
    """Fits a softmax classifier on `train = (x, y)`, keeping the weights of its best epoch on `val = (x, y)`.

    Early stopping on validation accuracy (`patience` epochs, default epochs // 3); returns the model.
    """
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping("val_accuracy", patience=patience or max(epochs // 3, 3),
                                         restore_best_weights=True)
    model.fit(*train, validation_data=val, epochs=epochs, batch_size=batch_size, callbacks=[stop, *callbacks],
              verbose=verbose)
    return model


def accuracy(scores, labels):
    return float((np.asarray(scores).argmax(-1) == np.asarray(labels)).mean())


def recognition_table(scores, val_labels, test_labels, fusions=()):
    """Held-out accuracies of single streams and of late-fused pairs.

    Args:
        scores: `{stream name: (validation scores (N_val, C), test scores (N_test, C))}`.
        fusions: `(name, stream a, stream b)` triples; each pair's weight is chosen on validation only.

    Returns `{name: {"accuracy": test accuracy}}`, fused entries also holding their `"weight"` (share of b).
    """
    table = {name: {"accuracy": accuracy(test, test_labels)} for name, (_, test) in scores.items()}
    for name, a, b in fusions:
        weight = choose_fusion_weight(scores[a][0], scores[b][0], val_labels)
        table[name] = {"accuracy": accuracy(late_fusion(scores[a][1], scores[b][1], weight), test_labels),
                       "weight": weight}
    return table
