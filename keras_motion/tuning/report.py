"""What a search ends with: a table of its trials (printed, and `trials.csv`), a PNG of the objective against each
tuned value, `best_hparams.json` and the best trial's model as `.keras`, all written atomically."""

import csv
import io
import json
import math
import os

import cv2
import numpy as np

from keras_motion.flow.grid import save_png
from keras_motion.utils.files import atomic_path, atomic_write_text
from keras_motion.utils.runs import Run


def trial_rows(tuner):
    """One dict per trial, in trial order: `trial`, `status`, the tuned values, `objective` (None until scored)."""
    rows = []
    for trial_id, trial in sorted(tuner.oracle.trials.items()):
        values = {k: v for k, v in trial.hyperparameters.values.items() if not k.startswith("tuner/")}
        score = trial.score
        rows.append(
            {
                "trial": trial_id,
                "status": str(trial.status),
                **values,
                "objective": None if score is None else float(score),
            }
        )
    return rows


def _columns(rows):
    names = []
    for row in rows:
        names += [k for k in row if k not in names]
    return ["trial", "status"] + [k for k in names if k not in ("trial", "status", "objective")] + ["objective"]


def _text(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def objective_plot(rows, objective_name, panel=(260, 200)):
    """uint8 RGB: one scatter panel per tuned value (x: the value, log-spaced where it spans ≥ 2 decades, evenly
    spaced categories for strings and booleans; y: the objective), the best trial in red."""
    scored = [r for r in rows if r["objective"] is not None]
    names = [c for c in _columns(rows) if c not in ("trial", "status", "objective")]
    width, height = panel
    canvas = np.full((height, width * max(1, len(names)), 3), 255, np.uint8)
    if not scored or not names:
        cv2.putText(canvas, "no scored trial yet", (10, height // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1)
        return canvas
    ys = np.array([r["objective"] for r in scored])
    best = int(np.argmin(ys) if objective_name.startswith("min:") else np.argmax(ys))
    y_low, y_high = float(ys.min()), float(ys.max())
    y_high += 1e-12 if y_high == y_low else 0.0
    left, right, top, bottom = 40, 12, 22, 34
    for p, name in enumerate(names):
        x0 = p * width
        values = [r.get(name) for r in scored]
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        if numeric:
            xs = np.array(values, float)
            if xs.min() > 0 and xs.max() / xs.min() >= 100:
                xs = np.log10(xs)
            low, high = float(xs.min()), float(xs.max())
            positions = (xs - low) / (high - low) if high > low else np.full(len(xs), 0.5)
        else:
            categories = sorted({str(v) for v in values})
            positions = np.array([(categories.index(str(v)) + 0.5) / len(categories) for v in values])
            for c, label in enumerate(categories):
                x = int(x0 + left + (c + 0.5) / len(categories) * (width - left - right))
                cv2.putText(canvas, label[:10], (x - 20, height - 20), cv2.FONT_HERSHEY_SIMPLEX, 0.32, (0, 0, 0), 1)
        cv2.rectangle(canvas, (x0 + left, top), (x0 + width - right, height - bottom), (0, 0, 0), 1)
        cv2.putText(canvas, name[:32], (x0 + left, height - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (0, 0, 0), 1)
        if numeric:
            cv2.putText(
                canvas, f"{min(values):.3g}", (x0 + left, height - 20), cv2.FONT_HERSHEY_SIMPLEX, 0.32, (0, 0, 0), 1
            )
            cv2.putText(
                canvas,
                f"{max(values):.3g}",
                (x0 + width - right - 40, height - 20),
                cv2.FONT_HERSHEY_SIMPLEX,
                0.32,
                (0, 0, 0),
                1,
            )
        cv2.putText(canvas, f"{y_high:.3g}", (x0 + 2, top + 8), cv2.FONT_HERSHEY_SIMPLEX, 0.3, (0, 0, 0), 1)
        cv2.putText(canvas, f"{y_low:.3g}", (x0 + 2, height - bottom), cv2.FONT_HERSHEY_SIMPLEX, 0.3, (0, 0, 0), 1)
        for i, (position, y) in enumerate(zip(positions, ys)):
            px = int(x0 + left + 6 + position * (width - left - right - 12))
            py = int(height - bottom - 6 - (y - y_low) / (y_high - y_low) * (height - top - bottom - 12))
            cv2.circle(canvas, (px, py), 4, (220, 30, 30) if i == best else (30, 60, 200), -1)
    cv2.putText(canvas, objective_name.split(":")[-1], (6, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (0, 0, 0), 1)
    return canvas


def summarize(tuner, out, model_name="best_model.keras", verbose=True):
    """Writes a search's results into `out`: `trials.csv`, `objective.png` (`objective_plot`), `best_hparams.json`
    (the best trial's values, objective and id) and the best trial's model as `model_name` (KerasTuner's best-epoch
    checkpoint, rebuilt by the hypermodel); prints the table. Returns the best trial's summary dict (or None when
    no trial was scored). `out`: a folder, or the search's `Run` (its files are then recorded as the run's: what
    --overwrite deletes)."""
    if isinstance(out, Run):
        place = out.path
    else:
        out = os.fspath(out)
        os.makedirs(out, exist_ok=True)

        def place(name):
            return os.path.join(out, name)

    rows = trial_rows(tuner)
    objective = tuner.oracle.objective
    columns = _columns(rows)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({c: _text(row.get(c)) for c in columns} for row in rows)
    atomic_write_text(place("trials.csv"), buffer.getvalue())
    direction = getattr(objective, "direction", "max")
    save_png(place("objective.png"), objective_plot(rows, f"{direction}:{objective.name}"))
    if verbose:
        widths = [max(len(c), *(len(_text(r.get(c))) for r in rows)) if rows else len(c) for c in columns]
        print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
        for row in rows:
            print("  ".join(_text(row.get(c)).ljust(w) for c, w in zip(columns, widths)))
    scored = [r for r in rows if r["objective"] is not None and math.isfinite(r["objective"])]
    if not scored:
        return None
    best_trial = tuner.oracle.get_best_trials(1)[0]
    best = {
        "trial": best_trial.trial_id,
        "objective": {objective.name: float(best_trial.score), "direction": direction},
        "hyperparameters": {k: v for k, v in best_trial.hyperparameters.values.items() if not k.startswith("tuner/")},
    }
    atomic_write_text(place("best_hparams.json"), json.dumps(best, indent=2, default=str) + "\n")
    model = tuner.load_model(best_trial)
    with atomic_path(place(model_name)) as tmp:
        model.save(tmp)
    if verbose:
        print(
            f"best: trial {best['trial']}, {objective.name} {best_trial.score:.4g}, "
            f"{json.dumps(best['hyperparameters'], default=str)}"
        )
    return best
