"""The figures of a run of `recipes/mosi.py`, printed from its `metrics.json`."""


def print_report(metrics):
    """The figures of a run's metrics.json."""
    flags = metrics["args"]  # the flags of the run, as stored in metrics.json
    pretext, finetune, cam = metrics["pretext"], metrics["finetune"], metrics["gradcam"]
    print(
        f"\nheld-out pretext accuracy: {100 * pretext['heldout_accuracy']:.1f} % "
        f"(chance {100 * pretext['chance']:.1f} %)"
    )
    for init in ("mosi", "scratch"):
        if init in finetune:
            v, c = finetune[init]["video_accuracy"], finetune[init]["clip_accuracy"]
            print(
                f"{init:<8} video-level {100 * v['mean']:.1f} ± {100 * v['std']:.1f} %   clip-level "
                f"{100 * c['mean']:.1f} ± {100 * c['std']:.1f} %   ({flags['shots']} labeled videos per class, "
                f"{flags['seeds']} seeds)"
            )
    for where, entry in (cam or {}).items():
        if isinstance(entry, dict):
            print(
                f"Grad-CAM motion mass ratio, {where.replace('_', ' ')} ({entry['clip_size']} px clips, conv5 "
                f"maps {entry['map_size_conv5']}): conv5 {entry['conv5']:.2f}, conv4 {entry['conv4']:.2f} "
                f"(moving area share {100 * entry['moving_area_share']:.1f} %)"
            )
