"""The tables of an Im2Flow run, printed from its `metrics.json` (what `recipes/im2flow.py` prints)."""


def print_flow_table(flow, title, file=None):
    """The flow benchmark's table (`Im2Flow.evaluate_flow`'s dict) under `title`, to `file` (default: stdout)."""
    regions = [("", "all"), ("_edges", "edges"), ("_fg", "foreground")]
    print(f"\n{title} (EPE px, lower is better; DS, OS higher is better)", file=file)
    header = "".join(
        f"{f'{m}/{r}':>14}" for suffix, r in regions for m in ("EPE", "DS", "OS") if f"epe{suffix}" in flow["im2flow"]
    )
    print(f"{'method':<18}{header}", file=file)
    for name in ("im2flow", "zero", "mean", "nearest_neighbor"):
        row = "".join(
            f"{flow[name][f'{m}{suffix}']:>14.3f}"
            for suffix, _ in regions
            for m in ("epe", "ds", "os")
            if f"{m}{suffix}" in flow[name]
        )
        print(f"{name:<18}{row}", file=file)


def print_tables(flow, recognition, flow_real=None, file=None):
    """The flow tables (held-out images, and the real clip where measured) and the recognition table."""
    print_flow_table(flow, "Flow prediction on held-out images", file)
    if flow_real is not None:
        print_flow_table(
            flow_real, "Flow prediction on a held-out real clip (bigbuckbunny, OpenCV flow as truth)", file
        )
    print("\nStatic-image action recognition, held-out accuracy", file=file)
    for name, entry in recognition.items():
        weight = (
            f"  (motion/second-stream weight {entry['weight']:.2f}, chosen on validation)" if "weight" in entry else ""
        )
        print(f"{name:<34}{100 * entry['accuracy']:6.1f} %{weight}", file=file)


def print_report(metrics, file=None):
    """The tables of a run's metrics.json, to `file` (default: stdout at the time of the call)."""
    print_tables(metrics["flow"], metrics["recognition"], metrics.get("flow_real_clip"), file)
