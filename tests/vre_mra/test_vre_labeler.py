import warnings

import numpy as np
import pytest
from skimage.filters import threshold_otsu

from keras_motion.datasets import synthetic_actions
from keras_motion.errors import VideoError
from keras_motion.vre_mra import MotionLabeler, otsu_threshold


def test_otsu_equals_scikit_image_on_flow_magnitudes(bikes_frames):
    from keras_motion.flow import video_flow

    flows = video_flow(bikes_frames[:7:3])
    magnitudes = [np.sqrt((f**2).sum(-1)) for f in flows]
    assert otsu_threshold(magnitudes) == threshold_otsu(np.concatenate([m.ravel() for m in magnitudes]))
    rng = np.random.default_rng(0)
    for _ in range(5):
        values = np.abs(rng.normal(size=2000)).astype("float32") * rng.uniform(0.5, 5)
        assert otsu_threshold(np.array_split(values, 3)) == threshold_otsu(values)
    assert otsu_threshold(np.full(10, 2.5)) == 2.5  # one value: that value, as scikit-image


@pytest.fixture(scope="module")
def synthetic():
    return synthetic_actions(48, num_frames=16, size=48, seed=3)


def test_labels_agree_with_true_actions_on_real_flow(synthetic, tmp_path):
    from sklearn.metrics import normalized_mutual_info_score

    labeler = MotionLabeler(
        codebook_size=16, num_labels=6, key_frames=6, interval=3, pooling="mean", show_progress=False
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a few squat/clap clips may have no motion above OTSU
        labels = labeler.fit_predict(synthetic.frames)  # DIS flow computed from the rendered frames
    assert labels.shape == (48,) and set(np.unique(labels)) <= set(range(6))
    assert labeler.codebook_.shape == (16, 2) and labeler.threshold_ > 0
    assert normalized_mutual_info_score(synthetic.labels, labels) > 0.2  # chance is ~0.05 for 48 items
    labeler.save(tmp_path / "labeler.npz")
    restored = MotionLabeler.load(tmp_path / "labeler.npz", show_progress=False)
    assert restored.pooling == "mean" and restored.threshold_ == labeler.threshold_
    np.testing.assert_array_equal(restored.predict(synthetic.frames[:12]), labeler.predict(synthetic.frames[:12]))


def test_concat_embedding_is_one_vlad_per_map(synthetic):
    labeler = MotionLabeler(codebook_size=8, num_labels=3, key_frames=4, show_progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        labeler.fit(synthetic.frames[:12])
    assert labeler.embeddings_.shape == (12, 3 * 2 * 8)


def test_short_videos_are_skipped_padded_or_refused(synthetic):
    videos = [synthetic.frames[i] for i in range(8)] + [synthetic.frames[8, :5]]
    labeler = MotionLabeler(codebook_size=8, num_labels=2, key_frames=6, interval=3, show_progress=False)
    with pytest.warns(RuntimeWarning, match="5 frame"):
        labels = labeler.fit_predict(videos)
    assert labels[-1] == -1 and (labels[:-1] >= 0).all() and labeler.skips.count == 1
    padded = MotionLabeler(codebook_size=8, num_labels=2, key_frames=6, on_short="pad", show_progress=False)
    assert (padded.fit_predict(videos) >= 0).all()
    strict = MotionLabeler(codebook_size=8, num_labels=2, key_frames=6, on_short="error", show_progress=False)
    with pytest.raises(VideoError, match="video 8: 5 frame"):
        strict.fit(videos)


def test_static_videos_are_reported():
    static = np.repeat(synthetic_actions(4, num_frames=1, size=32, seed=0).frames, 10, axis=1)
    with pytest.raises(ValueError, match="static"):
        MotionLabeler(codebook_size=4, num_labels=2, key_frames=3, show_progress=False).fit(static)


def test_unreadable_video_file_is_skipped(tmp_path, synthetic):
    from keras_motion.video import write_video

    paths = []
    for i in range(4):
        paths.append(str(tmp_path / f"v{i}.mp4"))
        write_video(paths[-1], synthetic.frames[i])
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    labeler = MotionLabeler(codebook_size=4, num_labels=2, key_frames=4, show_progress=False)
    with pytest.warns(RuntimeWarning, match="broken.mp4"):
        labels = labeler.fit_predict(paths + [str(broken)])
    assert labels[-1] == -1 and (labels[:4] >= 0).all()


def test_pseudo_labels_tool_writes_csv_and_reusable_labeler(tmp_path, capsys):
    import csv
    import importlib.util
    import os

    from keras_motion.datasets import write_synthetic

    write_synthetic(tmp_path / "syn", 12, num_frames=10, size=32, show_progress=False)
    spec = importlib.util.spec_from_file_location(
        "pseudo_labels", os.path.join(os.path.dirname(__file__), "..", "..", "tools", "pseudo_labels.py")
    )
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    videos, out = str(tmp_path / "syn" / "videos"), str(tmp_path / "out")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert (
            tool.main(
                [
                    "--videos",
                    videos,
                    "--out",
                    out,
                    "--codebook-size",
                    "8",
                    "--num-labels",
                    "3",
                    "--key-frames",
                    "4",
                    "--pooling",
                    "mean",
                ]
            )
            == 0
        )
        rows = list(csv.DictReader(open(os.path.join(out, "labels.csv"))))
        assert len(rows) == 12 and {r["path"].split("/")[0] for r in rows} <= {
            "walk_left",
            "walk_right",
            "jump",
            "squat",
            "wave",
            "clap",
        }
        assert "NMI" in capsys.readouterr().out
        again = str(tmp_path / "again")
        assert tool.main(["--videos", videos, "--out", again, "--labeler", os.path.join(out, "labeler.npz")]) == 0
    assert open(os.path.join(again, "labels.csv")).read() == open(os.path.join(out, "labels.csv")).read()
