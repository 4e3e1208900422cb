import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from keras_motion.flow import extract_flows, load_flow, video_flow
from keras_motion.flow.extraction import shard
from keras_motion.video import read_video


@pytest.fixture()
def video_tree(tmp_path, carphone_path):
    root = tmp_path / "videos"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    shutil.copy(carphone_path, root / "a" / "carphone.mp4")
    shutil.copy(carphone_path, root / "b" / "carphone_copy.mp4")
    (root / "b" / "corrupt.mp4").write_bytes(os.urandom(2048))
    return root


def test_extract_flows_parallel_resumable_and_counts_failures(video_tree, tmp_path):
    out = tmp_path / "flows"
    videos = sorted(str(p) for p in video_tree.rglob("*.mp4"))
    with pytest.warns(RuntimeWarning, match="corrupt.mp4"):
        summary = extract_flows(videos, video_tree, out, size=64, max_frames=6, workers=2, show_progress=False)
    assert summary["written"] == 2 and summary["flow_maps"] == 10 and summary["failed"].count == 1
    saved = out / "a" / "carphone.mp4.npz"
    flow = load_flow(saved)
    frames = read_video(video_tree / "a" / "carphone.mp4", size=64, max_frames=6)
    assert flow.shape == (5,) + frames.shape[1:3] + (2,)
    expected = np.clip(video_flow(frames), -20, 20)
    assert np.abs(flow - expected).max() <= 20 / 255 + 1e-5  # quantisation error only
    assert not [p for p in out.rglob("*") if ".tmp" in p.name]  # atomic writes leave no temporaries

    before = saved.stat().st_mtime_ns
    with pytest.warns(RuntimeWarning):
        again = extract_flows(videos, video_tree, out, size=64, max_frames=6, workers=1, show_progress=False)
    assert again["written"] == 0 and again["skipped_existing"] == 2 and saved.stat().st_mtime_ns == before


def test_shards_are_disjoint_and_cover():
    items = [f"v{i}.avi" for i in range(10)]
    shards = [shard(items, 3, i) for i in range(3)]
    assert sorted(sum(shards, [])) == sorted(items)
    assert all(not set(a) & set(b) for a in shards for b in shards if a is not b)
    with pytest.raises(ValueError):
        shard(items, 3, 3)


def test_extract_flow_tool(video_tree, tmp_path):
    out = tmp_path / "tool_out"
    tool = os.path.join(os.path.dirname(__file__), "..", "tools", "extract_flow.py")
    args = [
        sys.executable,
        tool,
        "--videos",
        str(video_tree),
        "--out",
        str(out),
        "--size",
        "48",
        "--max-frames",
        "3",
        "--num-shards",
        "2",
        "--shard-index",
        "0",
        "--workers",
        "1",
    ]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "shard 1/2" in result.stdout
    # shard 0 of the sorted list holds a/carphone.mp4 and b/corrupt.mp4
    assert sorted(p.name for p in out.rglob("*.npz")) == ["carphone.mp4.npz"]
    assert "wrote 1 videos" in result.stdout and "skipped 1 item(s)" in result.stdout
