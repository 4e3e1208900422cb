"""`keras_motion.predict.predict_folder` and `tools/predict.py` end to end on tiny models: flow `.npz` + colour PNG
from images, class probabilities and features from videos, a resume that predicts only what is missing, a rerun with
another model refused, and bad files warned about, skipped and counted."""

import csv
import importlib.util
import os

import cv2
import numpy as np
import pytest
from test_inference_models import METHODS

from keras_motion.errors import InvalidArgumentError, SettingsMismatchError
from keras_motion.predict import predict_folder
from keras_motion.utils.cli import run_main
from keras_motion.video import write_video

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RNG = np.random.default_rng(0)


def _images(folder, sizes=((40, 56), (33, 47), (64, 64))):
    os.makedirs(folder / "sub", exist_ok=True)
    for i, (h, w) in enumerate(sizes):
        cv2.imwrite(str(folder / ("sub" if i == 2 else "") / f"img{i}.png"), RNG.integers(0, 256, (h, w, 3), np.uint8))
    return folder


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """method → its tiny inference model saved as .keras."""
    folder = tmp_path_factory.mktemp("models")
    out = {}
    for name in ("im2flow", "mosi"):
        task, *_ = METHODS[name]()
        out[name] = str(folder / f"{name}_inference.keras")
        task.inference_model().save(out[name])
    return out


def _tool():
    spec = importlib.util.spec_from_file_location("predict_tool", os.path.join(ROOT, "tools", "predict.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_flow_of_images_then_a_resume_and_another_model_refused(models, tmp_path, capsys):
    import keras

    images, out = _images(tmp_path / "images"), tmp_path / "out"
    tool = _tool()
    assert run_main(tool.main, [models["im2flow"], "--images", str(images), "--out", str(out)]) == 0
    assert "predicted 3" in capsys.readouterr().out
    model = keras.saving.load_model(models["im2flow"])
    for relative, (h, w) in (("img0.png", (40, 56)), ("img1.png", (33, 47)), ("sub/img2.png", (64, 64))):
        with np.load(out / "predictions" / f"{relative}.flow.npz") as data:
            flow = data["flow"]
        assert flow.shape == (h, w, 2)
        image = cv2.imread(str(images / relative))[..., ::-1][None]
        np.testing.assert_allclose(flow, model.predict(image, verbose=0)[0], atol=1e-5)
        assert cv2.imread(str(out / "predictions" / f"{relative}.flow.png")).shape == (h, w, 3)
    # Resume: a lost output is predicted again, the rest kept; a new image is added.
    os.remove(out / "predictions" / "img1.png.flow.png")
    _images(tmp_path / "images", sizes=((40, 56), (33, 47), (64, 64), (20, 30)))
    result = predict_folder(models["im2flow"], images, out, show_progress=False, verbose=False)
    assert (result["predicted"], result["reused"], result["skipped"]) == (2, 2, 0)
    with pytest.raises(SettingsMismatchError, match="model"):
        predict_folder(models["mosi"], images, out, verbose=False)
    assert run_main(tool.main, [models["mosi"], "--images", str(images), "--out", str(out)]) == 2
    assert "error: " in capsys.readouterr().err


def test_class_probabilities_and_features_of_videos_with_a_bad_file_skipped(models, tmp_path):
    import keras

    videos = tmp_path / "videos"
    os.makedirs(videos)
    clips = {}
    for i, length in enumerate((12, 3)):  # a video shorter than the clip repeats frames
        clips[f"v{i}.avi"] = RNG.integers(0, 256, (length, 24, 32, 3), np.uint8)
        write_video(str(videos / f"v{i}.avi"), clips[f"v{i}.avi"])
    (videos / "broken.mp4").write_bytes(b"not a video")
    out = tmp_path / "out"
    with pytest.warns(RuntimeWarning, match="broken.mp4"):
        result = predict_folder(
            models["mosi"], videos, out, kind="videos", num_frames=4, verbose=False, show_progress=False
        )
    assert (result["predicted"], result["skipped"]) == (2, 1) and result["outputs"] == ["features", "logits"]
    with open(out / "logits.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["path"] for r in rows] == ["v0.avi", "v1.avi"]
    model = keras.saving.load_model(models["mosi"])
    for row in rows:
        p = np.array([float(row[f"p{k}"]) for k in range(9)])
        assert abs(p.sum() - 1) < 1e-4 and int(row["class"]) == p.argmax()
        logits = np.load(out / "predictions" / f"{row['path']}.logits.npy")
        np.testing.assert_allclose(p, np.exp(logits) / np.exp(logits).sum(), atol=1e-5)
        assert np.load(out / "predictions" / f"{row['path']}.features.npy").shape == (4,)
    with pytest.raises(InvalidArgumentError, match="--frames"):
        predict_folder(model, videos, tmp_path / "other", kind="videos")
