"""Applying an inference model to a folder of images or videos: what `tools/predict.py` does, callable from code.

Each input file gets its outputs under `out/predictions/`, at its path relative to the input folder with the
output's name appended: flow (an (H, W, 2) output) as `<file>.flow.npz` (array `flow`, px) and a colour
`<file>.flow.png` (`keras_motion.flow.flow_to_color`); any other output as `<file>.<output>.npy` (features, and
the raw logits). Every output named `...logits` also becomes `out/<output>.csv`: one row per file with the
predicted class and the softmax probability of each class.
"""

import csv
import hashlib
import io
import json
import os

import numpy as np

from keras_motion.datasets.folders import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, files_under
from keras_motion.errors import DatasetLayoutError, InvalidArgumentError, KerasMotionError
from keras_motion.utils.files import atomic_path, atomic_save_npz, atomic_write_text
from keras_motion.utils.progress import progress
from keras_motion.utils.runs import Run
from keras_motion.utils.skips import SkipLog

PREDICTIONS = "predictions"


def model_fingerprint(model):
    """A digest of `model`'s class, config and weights: what tells two models apart in a run's settings."""
    digest = hashlib.sha256(type(model).__name__.encode())
    digest.update(json.dumps(model.get_config(), sort_keys=True, default=str).encode())
    for weight in model.get_weights():
        digest.update(np.ascontiguousarray(weight).tobytes())
    return digest.hexdigest()[:16]


def _frames(path, num_frames):
    """`num_frames` frames of the video at `path`, evenly spaced over it (uint8 RGB (T, H, W, 3)); only about twice
    that many frames are decoded and kept (every `step`-th frame, from the header's count)."""
    from keras_motion.video import read_video, video_info

    step = max(1, video_info(path)["num_frames"] // (2 * num_frames))
    frames = read_video(path, step=step)
    return frames[np.round(np.linspace(0, len(frames) - 1, num_frames)).astype(int)]


def _outputs(model, x):
    import keras

    y = model(x[None], training=False)
    y = y if isinstance(y, dict) else {"features" if len(y.shape) == 2 else "flow": y}
    return {name: np.asarray(keras.ops.convert_to_numpy(value))[0] for name, value in y.items()}


def _files(stem, names):
    """The files an input with output path `stem` gets for the outputs `names`."""
    return [stem + (".flow.npz" if name == "flow" else f".{name}.npy") for name in names] + [
        stem + ".flow.png" for name in names if name == "flow"
    ]


def _write(stem, outputs):
    from keras_motion.flow import flow_to_color, save_png

    os.makedirs(os.path.dirname(stem), exist_ok=True)
    for name, value in outputs.items():
        if name == "flow":
            atomic_save_npz(stem + ".flow.npz", flow=value.astype(np.float32))
            save_png(stem + ".flow.png", flow_to_color(value))
        else:
            with atomic_path(stem + f".{name}.npy") as tmp:
                np.save(tmp, value)


def _softmax(logits):
    z = np.exp(logits - logits.max())
    return z / z.sum()


def _class_table(relatives, stems, name):
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    header = False
    for relative, stem in zip(relatives, stems):
        path = stem + f".{name}.npy"
        if not os.path.exists(path):
            continue
        probabilities = _softmax(np.load(path).astype(np.float64))
        if not header:
            writer.writerow(["path", "class"] + [f"p{k}" for k in range(len(probabilities))])
            header = True
        writer.writerow([relative, int(probabilities.argmax())] + [f"{p:.6f}" for p in probabilities])
    return text.getvalue()


def predict_folder(
    model, inputs, out, kind="images", num_frames=None, overwrite=False, verbose=True, show_progress=True
):
    """Applies an inference `model` to every image (or video) under `inputs`, writing under `out` (see the module).

    Images are decoded with OpenCV as uint8 RGB at their own size; videos with `keras_motion.video` as clips of
    `num_frames` frames evenly spaced over the video. A clip model given images sees each as a one-frame clip; an
    image model cannot take videos. A file that cannot be read is warned about, skipped and counted.

    Resumes: the outputs of a file are written atomically, so a file whose outputs all exist is skipped; the folder
    records the settings (the model's fingerprint, the inputs, `kind`, `num_frames`), and a rerun with others is
    refused (`SettingsMismatchError`) unless `overwrite` (which deletes what earlier runs wrote there first).

    Args:
        model: a keras_motion inference model, or the path of its `.keras` file.
        inputs: the folder, searched recursively. out: the output folder.
        kind: "images" or "videos".
        num_frames: frames per clip of videos for a clip model (its trained T: the `.keras` file does not store it).

    Returns `{"predicted": n, "reused": n, "skipped": n, "outputs": [names], "tables": [csv paths]}` (also written
    as `out/metrics.json`).
    """
    from keras_motion.export import check_inference_model
    from keras_motion.utils.files import load_model

    if kind not in ("images", "videos"):
        raise InvalidArgumentError(f"kind: {kind!r} is not 'images' or 'videos'")
    path = None
    if isinstance(model, (str, os.PathLike)):
        path = os.fspath(model)
        model = load_model(path, fix="pass the <method>_inference.keras file a recipe wrote")
    check_inference_model(model)
    clips = len(model.inputs[0].shape) == 5
    num_frames = num_frames if clips and kind == "videos" else None
    if clips and kind == "videos" and num_frames is None:
        raise InvalidArgumentError(
            f"num_frames (--frames): {model.name} takes clips, and its .keras file does not say how many frames it "
            "was trained on; pass that number (e.g. MoSI's clip length, VRE + MRA's key frames)"
        )
    if num_frames is not None and (int(num_frames) != num_frames or num_frames < 1):
        raise InvalidArgumentError(f"num_frames (--frames): {num_frames!r} is not a count ≥ 1")
    if kind == "videos" and not clips:
        raise InvalidArgumentError(
            f"kind (--videos): {model.name} takes images, not clips; extract the frames you want as images and use "
            "--images"
        )
    flag = "--" + kind
    if not os.path.isdir(inputs):
        raise DatasetLayoutError(f"{flag} {inputs} is not a folder; pass the folder holding your {kind}")
    extensions = IMAGE_EXTENSIONS if kind == "images" else VIDEO_EXTENSIONS
    found = files_under(inputs, extensions)
    if not found:
        raise DatasetLayoutError(f"{flag} {inputs} holds no {kind} (looked for {', '.join(extensions)} below it)")
    settings = {
        "model": model_fingerprint(model),
        "model_name": model.name,
        "inputs": os.path.abspath(inputs),
        "kind": kind,
        "frames": None if num_frames is None else int(num_frames),
    }
    run = Run(out, verbose=verbose, settings=settings, overwrite=overwrite, what="prediction")
    root = run.path(PREDICTIONS)
    relatives = [os.path.relpath(f, inputs).replace(os.sep, "/") for f in found]
    stems = [os.path.join(root, *relative.split("/")) for relative in relatives]
    names = _outputs(model, np.zeros((1,) * clips + (8, 8, 3), np.uint8)).keys()  # a dry call names the outputs
    skips, counts = SkipLog(f"predict {inputs}"), {"predicted": 0, "reused": 0}
    items = list(zip(found, stems))
    for source, stem in progress(items, desc=f"predict {kind}") if show_progress else items:
        if all(os.path.exists(f) for f in _files(stem, names)):
            counts["reused"] += 1
            continue
        try:
            if kind == "videos":
                x = _frames(source, int(num_frames))
            else:
                from keras_motion.video import read_image

                x = read_image(source)[None] if clips else read_image(source)
        except KerasMotionError as e:
            skips.skip(source, str(e))
            continue
        _write(stem, _outputs(model, x))
        counts["predicted"] += 1
    tables = []
    for name in (n for n in names if n.endswith("logits")):
        tables.append(run.path(f"{name}.csv"))
        atomic_write_text(tables[-1], _class_table(relatives, stems, name))
    if counts["reused"]:
        run.log(f"{counts['reused']} file(s) predicted by an earlier run with these settings: kept")
    if skips.count:
        run.log(skips.summary())
    result = {**counts, "skipped": skips.count, "outputs": sorted(names), "tables": tables, "model_file": path}
    run.write_metrics(result)
    run.close()
    return result
