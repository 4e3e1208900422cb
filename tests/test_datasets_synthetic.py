"""The synthetic action benchmark: determinism, exactness of its flow, and its on-disk round trip."""

import csv
import os

import cv2
import numpy as np
import pytest

pytest.importorskip("skimage")

from keras_motion.datasets.synthetic import ACTIONS, SyntheticVideos, label_of, synthetic_actions, write_synthetic  # noqa: E402
from keras_motion.errors import DatasetLayoutError  # noqa: E402


@pytest.fixture(scope="module")
def clips64():
    """One video of every class, 64x64, 6 frames."""
    return synthetic_actions(6, num_frames=6, size=64, seed=3)


def test_same_seed_same_arrays_and_chunks_match_one_shot():
    a = synthetic_actions(6, num_frames=3, size=32, seed=5)
    b = synthetic_actions(6, num_frames=3, size=32, seed=5)
    for name in ("frames", "labels", "flows", "masks", "parts"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    # Rendering depends only on (seed, index): a chunk starting at 3 is the second half of the one-shot set.
    tail = synthetic_actions(3, num_frames=3, size=32, seed=5, start=3)
    np.testing.assert_array_equal(tail.frames, a.frames[3:])
    np.testing.assert_array_equal(tail.flows, a.flows[3:])
    other = synthetic_actions(6, num_frames=3, size=32, seed=6)
    assert not np.array_equal(other.frames, a.frames)


def test_shapes_dtypes_and_every_class_present():
    data = synthetic_actions(12, num_frames=4, size=(32, 48), seed=0)
    assert data.frames.shape == (12, 4, 32, 48, 3) and data.frames.dtype == np.uint8
    assert data.flows.shape == (12, 4, 32, 48, 2) and data.flows.dtype == np.float32
    assert data.masks.shape == (12, 4, 32, 48) and data.masks.dtype == bool
    assert data.labels.shape == (12,) and data.labels.dtype == np.int64
    assert data.class_names == list(ACTIONS)
    assert np.bincount(data.labels, minlength=len(ACTIONS)).tolist() == [2] * len(ACTIONS)
    assert np.isfinite(data.flows).all()
    # The figure is there in every frame, and covers a fair part of it.
    coverage = data.masks.mean(axis=(2, 3))
    assert coverage.min() > 0.03 and coverage.mean() > 0.06
    assert [label_of(i, len(ACTIONS)) for i in range(12)] == data.labels.tolist()


def test_motion_magnitudes_are_a_few_pixels(clips64):
    speed = np.linalg.norm(clips64.flows, axis=-1)
    names = [clips64.class_names[k] for k in clips64.labels]
    for n, name in enumerate(names):
        fig = speed[n][clips64.masks[n]]
        assert fig.max() < 16, (name, fig.max())
        if name.startswith("walk"):
            # The whole body moves with the walk: most figure pixels move by 1-3 px per frame.
            assert 0.8 < np.median(fig) < 3.5, (name, np.median(fig))
        # Every action moves something by more than a pixel.
        assert fig.max() > 1.0, (name, fig.max())
    # Without camera jitter the background is still.
    assert np.abs(clips64.flows[~clips64.masks]).max() == 0


def _interior(parts, t):
    """Pixels of frame t whose 3x3 neighbourhood is one part (no part edges)."""
    p = parts[t]
    same = p >= 0
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            same &= np.roll(np.roll(p, dy, 0), dx, 1) == p
    return same


def test_exact_flow_warps_next_frame_onto_this_frame(clips64):
    errors, counted = [], 0
    for n in range(len(clips64)):
        parts = clips64.parts[n]
        height, width = parts.shape[1:]
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
        for t in range(clips64.frames.shape[1] - 1):
            flow = clips64.flows[n, t]
            map_x, map_y = xs + flow[..., 0], ys + flow[..., 1]
            warped = cv2.remap(clips64.frames[n, t + 1].astype(np.float32), map_x, map_y, cv2.INTER_LINEAR)
            # Visible in both frames: the bilinear footprint of the target lies on the same part at t + 1.
            x0, y0 = np.floor(map_x).astype(int), np.floor(map_y).astype(int)
            ok = _interior(parts, t) & (x0 >= 0) & (y0 >= 0) & (x0 < width - 1) & (y0 < height - 1)
            x0, y0 = np.clip(x0, 0, width - 2), np.clip(y0, 0, height - 2)
            for oy in (0, 1):
                for ox in (0, 1):
                    ok &= parts[t + 1][y0 + oy, x0 + ox] == parts[t]
            diff = np.abs(warped - clips64.frames[n, t].astype(np.float32))[ok]
            errors.append(diff)
            counted += ok.sum()
    error = float(np.concatenate(errors).mean())
    print(f"warp error of the exact flow on interior figure pixels: {error:.2f} grey levels ({counted} pixels)")
    assert counted > 3000
    assert error < 3.0  # measured ≈ 0.5 (interpolation of the texture + uint8 rounding)


def test_dis_flow_agrees_with_exact_flow(clips64):
    from keras_motion.flow.compute import FlowEstimator

    estimator = FlowEstimator("dis")
    epe = []
    for n in range(len(clips64)):
        for t in range(clips64.frames.shape[1] - 1):
            estimate = estimator(clips64.frames[n, t], clips64.frames[n, t + 1])
            mask = clips64.masks[n, t]
            epe.append(np.linalg.norm(estimate - clips64.flows[n, t], axis=-1)[mask])
    epe = float(np.concatenate(epe).mean())
    print(f"DIS (preset fast) end-point error on figure pixels at 64x64: {epe:.2f} px")
    assert epe < 1.0  # measured ≈ 0.6 px


def test_camera_jitter_is_in_the_background_flow():
    data = synthetic_actions(2, num_frames=5, size=48, seed=1, jitter=2.0)
    still = synthetic_actions(2, num_frames=5, size=48, seed=1)
    for n in range(2):
        for t in range(5):
            bg = data.flows[n, t][~data.masks[n, t]]
            shift = bg[0]
            np.testing.assert_allclose(bg, np.broadcast_to(shift, bg.shape), atol=1e-5)  # one global translation
            assert np.abs(shift).max() <= 4.0  # |c(t+1) - c(t)| <= 2 * jitter
        shifts = data.flows[n][~data.masks[n]]
        assert np.abs(shifts).max() > 0.3
    # Jitter changes the camera only: the figure's own motion is the same, plus the camera's translation.
    assert data.labels.tolist() == still.labels.tolist()
    n, t = 0, 2
    cam = data.flows[n, t][~data.masks[n, t]][0]
    moved = np.linalg.norm(data.flows[n, t][data.masks[n, t]] - cam, axis=-1).mean()
    own = np.linalg.norm(still.flows[n, t][still.masks[n, t]], axis=-1).mean()
    assert abs(moved - own) < 0.05 * own + 0.05


def test_write_synthetic_round_trip_and_resume(tmp_path):
    from keras_motion.video import read_video

    root = tmp_path / "syn"
    ds = write_synthetic(root, 6, num_frames=5, size=32, seed=2, show_progress=False)
    assert ds.num_written == 6 and len(ds) == 6
    with open(root / "labels.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["path", "label", "class"]
    assert sorted(int(r["label"]) for r in rows) == list(range(6))
    for r in rows:
        assert r["path"] == f"videos/{r['class']}/{os.path.basename(r['path'])}"
        assert ACTIONS[int(r["label"])] == r["class"]

    reference = synthetic_actions(6, num_frames=5, size=32, seed=2)
    loaded = SyntheticVideos(root)
    assert loaded.class_names == list(ACTIONS) and loaded.labels.tolist() == reference.labels.tolist()
    for i in range(len(loaded)):
        video = read_video(loaded.paths[i])
        assert video.shape == (5, 32, 32, 3) and video.dtype == np.uint8
        # MPEG-4 is lossy, but the decoded video is the rendered one.
        assert np.abs(video.astype(float) - reference.frames[i]).mean() < 20
        flow = loaded.exact_flow(i)
        assert flow.dtype == np.float32 and flow.shape == (5, 32, 32, 2)
        np.testing.assert_allclose(flow, reference.flows[i], atol=0.02, rtol=1e-3)  # stored as float16
        np.testing.assert_array_equal(loaded.exact_mask(i), reference.masks[i])
    assert loaded.load(0).shape == (5, 32, 32, 3)

    # Resume: existing files are kept, only the new videos are rendered.
    first = loaded.paths[0]
    stamp = os.stat(first).st_mtime_ns
    more = write_synthetic(root, 8, num_frames=5, size=32, seed=2, show_progress=False)
    assert more.num_written == 2 and len(more) == 8
    assert os.stat(first).st_mtime_ns == stamp
    # Other settings on the same root would mix two data sets.
    with pytest.raises(DatasetLayoutError, match="seed"):
        write_synthetic(root, 8, num_frames=5, size=32, seed=3, show_progress=False)


def test_missing_labels_csv_names_the_file(tmp_path):
    with pytest.raises(DatasetLayoutError, match="labels.csv"):
        SyntheticVideos(tmp_path)


def test_unknown_action_and_odd_size_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown action"):
        synthetic_actions(1, actions=("walk_left", "moonwalk"))
    with pytest.raises(ValueError, match="even"):
        write_synthetic(tmp_path, 1, size=33, show_progress=False)


def test_late_fusion_and_weight_choice():
    from keras_motion.evaluation import choose_fusion_weight, late_fusion

    a = np.array([[0.9, 0.1], [0.9, 0.1]])
    b = np.array([[0.4, 0.6], [1.0, 0.0]])
    np.testing.assert_allclose(late_fusion(a, b, 0.25), 0.75 * a + 0.25 * b)
    assert choose_fusion_weight(a, b, [1, 0], grid=[0.0, 0.5, 1.0]) == 1.0
    # Ties go to the weight nearest 0.5.
    assert choose_fusion_weight(a, a, [0, 0], grid=[0.0, 0.4, 1.0]) == 0.4
    with pytest.raises(ValueError):
        late_fusion(a, b[:1], 0.5)
