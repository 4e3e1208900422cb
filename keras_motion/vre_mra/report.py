"""The figures of a run of `recipes/vre_mra.py`, printed from its `metrics.json`."""

from keras_motion.vre_mra.task import ROWS, ablation_rows


def print_report(metrics):
    """The figures of a run's metrics.json."""
    flags = metrics["args"]  # the flags of the run, as stored in metrics.json
    label_report, table = metrics["pseudo_labels"], metrics
    seeds, num_classes = list(range(flags["seed"], flags["seed"] + flags["seeds"])), len(metrics["data"]["classes"])
    print(
        f"\nPseudo-motion labels: NMI {label_report.get('nmi', float('nan')):.3f}, purity "
        f"{label_report.get('purity', float('nan')):.3f} ({label_report['num_videos']} videos, {flags['num_labels']} "
        "clusters)"
    )
    print(
        f"\nHeld-out ({flags['holdout']}) accuracy, {flags['shots']} labeled images per class, seeds {seeds} (chance "
        f"{100 / num_classes:.1f} %)"
    )
    for row in (row for row in ROWS if row in ablation_rows(flags["rows"])):
        print(f"  {row:<16}{100 * table['ablation'][row]['mean']:6.1f} ± {100 * table['ablation'][row]['std']:.1f} %")
    if table["retrieval"]["same_class_rate"] is not None:
        print(
            f"\nRetrieval: the nearest clip by f̃ has the image's class for "
            f"{100 * table['retrieval']['same_class_rate']:.1f} % of held-out images"
        )
