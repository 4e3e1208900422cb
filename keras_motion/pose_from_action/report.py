"""The figures of a run of `recipes/pose_from_action.py`, printed from its `metrics.json`."""


def print_report(metrics):
    """The figures of a run's metrics.json."""
    flags = metrics["args"]  # the flags of the run, as stored in metrics.json
    v, d = metrics["verification"], metrics["downstream"]
    print(
        f"\nHeld-out verification ({v['triplets']} triplets of {metrics['data']['heldout_videos']} unseen videos, "
        f"{flags['negatives']} negatives per positive)"
    )
    print(
        f"  accuracy {100 * v['heldout_accuracy']:.1f} %   chance {100 * v['chance']:.1f} %   "
        f"ranking (true stack above its negatives) {100 * v['ranking_accuracy']:.1f} %"
    )
    print(
        f"  probes: frames without change {100 * v['static_frames_accuracy']:.1f} %, "
        f"time-reversed stacks rejected {100 * v['reversed_rejected']:.1f} %"
    )
    print(
        f"\nAction recognition from {d['labeled']} labeled images ({len(metrics['classes'])} classes, "
        f"{d['test_images']} test images, {flags['seeds']} seeds; chance {100 * d['chance']:.1f} %)"
    )
    for init in ("verifier_init", "random_init"):
        print(f"  {init:<14}{100 * d[init]['mean']:6.1f} ± {100 * d[init]['std']:.1f} %")
