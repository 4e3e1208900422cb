"""Scoring a Pose-from-Action verifier on held-out triplets, with probes of what it relies on."""

import numpy as np

from keras_motion.evaluation.recognition import class_probabilities
from keras_motion.flow import reverse_flow_stack


def verification_report(model, batches):
    """Held-out accuracies of a `TripletVerifier` on the batches of a `TripletBatches` (`training=False`).

    Args:
        model: a `TripletVerifier` (or any model with its inputs and its (B, 2) output, logits or probabilities).
        batches: evaluation `TripletBatches` of held-out videos (expanded or `in_batch`).

    Returns a dict:
        accuracy: over all triplets (positives and their in-batch negatives from other videos).
        chance: negatives / (1 + negatives), the score of always answering "negative".
        positive_accuracy, negative_accuracy: per label.
        ranking_accuracy: how often the true stack scores above all of its positive's negatives (chance 1 / (1 + K)).
        static_frames_accuracy: accuracy when frame t + Δ is replaced by frame t, so that the frames show no change:
            a verifier that relates motion to the change of appearance loses accuracy here, one that only matches
            *where* the motion is to where the person stands does not.
        reversed_rejected: share of positives whose stack, reversed in time (and negated) but with the frames
            unchanged, is rejected: 0.5 or below means the motion's direction is ignored.
        triplets: how many triplets were scored.

    Example:

    >>> from keras_motion.pose_from_action import TripletBatches, TripletVerifier, TripletVideos
    >>> videos = TripletVideos(np.random.default_rng(0).integers(0, 255, (4, 5, 16, 16, 3), np.uint8), delta=3)
    >>> verifier = TripletVerifier(image_size=16, delta=3, width=0.0625, feature_dim=8, hidden=8, stem_stride=1)
    >>> report = verification_report(verifier, TripletBatches(videos, batch_positives=4, training=False))
    >>> report["triplets"], round(report["chance"], 3)
    (12, 0.667)

    Reference:
        Purushwalkam & Gupta 2016, §3 ("Implementation Details": ≈ 96 % on a held-out set, chance 66 %).
    """
    k = batches.negatives
    hits, static_hits, rejected, ranked, pos_hits, neg_hits = [], [], [], [], [], []
    for index in range(len(batches)):
        x, y = batches[index][:2]
        x = dict(x)
        p = class_probabilities(model, x)[:, 1]
        hits.append((p > 0.5) == (y == 1))
        pos_hits.append(p[y == 1] > 0.5)
        neg_hits.append(p[y == 0] <= 0.5)
        n = int((y == 1).sum())
        negative_scores = p[n:].reshape(n, k)
        ranked.append(p[:n] > negative_scores.max(axis=1))
        static = class_probabilities(model, {**x, "frame_b": x["frame_a"]})[:, 1]
        static_hits.append((static > 0.5) == (y == 1))
        # the first n inputs are the positives, in expanded and in in-batch batches alike
        positives = {name: value[:n] for name, value in x.items() if name != "partners"}
        positives["flow"] = reverse_flow_stack(positives["flow"])
        rejected.append(class_probabilities(model, positives)[:, 1] <= 0.5)
    mean = lambda parts: float(np.concatenate(parts).mean())  # noqa: E731
    return {
        "accuracy": mean(hits),
        "chance": batches.chance,
        "positive_accuracy": mean(pos_hits),
        "negative_accuracy": mean(neg_hits),
        "ranking_accuracy": mean(ranked),
        "static_frames_accuracy": mean(static_hits),
        "reversed_rejected": mean(rejected),
        "triplets": int(sum(len(h) for h in hits)),
    }
