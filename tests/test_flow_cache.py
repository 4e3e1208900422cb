"""The flow cache: flow computed once by the extraction, read back per flow map, refused when made otherwise."""

import concurrent.futures
import json
import os
import pickle

import cv2
import numpy as np
import pytest

from keras_motion.errors import CorruptFileError, SettingsMismatchError
from keras_motion.flow import FlowCache, extract_flows, load_flow, video_flow
from keras_motion.video import read_video

SETTINGS = dict(size=48, max_frames=8)
STEP = 20 / 255 + 1e-5  # the quantisation step at the default bound


@pytest.fixture(scope="module")
def cache_tree(tmp_path_factory, carphone_path):
    """A video tree of two links to one real clip, and a cache of both extracted with SETTINGS."""
    base = tmp_path_factory.mktemp("cache")
    root = base / "videos"
    videos = []
    for name in ("a/clip.mp4", "b/other.mp4"):
        path = root / name
        path.parent.mkdir(parents=True)
        os.symlink(carphone_path, path)
        videos.append(str(path))
    cache = FlowCache(base / "flows", root, **SETTINGS)
    assert cache.missing(videos) == videos
    summary = cache.extract(videos, workers=1, show_progress=False)
    assert summary["written"] == 2 and summary["flow_maps"] == 14
    assert cache.missing(videos) == []
    return base, root, videos, cache


def test_read_equals_the_flow_computed_directly(cache_tree):
    _, _, videos, cache = cache_tree
    frames = read_video(videos[0], **SETTINGS)
    expected = np.clip(video_flow(frames), -20, 20)
    assert cache.num_flows(videos[0]) == len(frames) - 1 == 7
    flow = cache.read(videos[0], range(7))
    assert flow.dtype == np.float32 and flow.shape == expected.shape
    assert np.abs(flow - expected).max() <= STEP  # the quantisation step only
    assert np.array_equal(load_flow(cache.path(videos[0])), flow)  # the whole-video read


def test_per_index_reads_are_slices_of_the_whole_read_and_decode_only_those(cache_tree, monkeypatch):
    _, _, videos, cache = cache_tree
    whole = cache.read_all(videos[0])
    decoded = []
    imdecode = cv2.imdecode
    monkeypatch.setattr(cv2, "imdecode", lambda *args: decoded.append(1) or imdecode(*args))
    for indices in ([0], [6], [2, 3, 4, 5, 6], [5, 0, 3], np.array([1, 1]), []):
        decoded.clear()
        got = cache.read(videos[0], indices)
        assert np.array_equal(got, whole[list(indices)]) and got.shape[1:] == whole.shape[1:]
        assert len(decoded) == len(indices)
    for bad in ([7], [-1], [0, 99]):
        with pytest.raises(IndexError, match="holds 7 flow maps"):
            cache.read(videos[0], bad)


def test_threads_and_pickled_copies_read_alike(cache_tree):
    _, _, videos, cache = cache_tree
    whole = cache.read_all(videos[1])
    copy = pickle.loads(pickle.dumps(cache))  # what a process-pool reader worker gets
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        reads = list(pool.map(lambda i: (copy if i % 2 else cache).read(videos[1], [i % 7]), range(28)))
    assert all(np.array_equal(got, whole[i % 7 : i % 7 + 1]) for i, got in enumerate(reads))


def test_a_cache_of_other_settings_is_refused_naming_the_setting(cache_tree):
    base, root, videos, _ = cache_tree
    for change, named in [
        (dict(size=32), "size 48 there, 32 now"),
        (dict(bound=10.0), "bound 20.0 there, 10.0 now"),
        (dict(method="farneback"), 'method "dis" there'),
        (dict(max_frames=None), "max_frames 8"),
    ]:
        with pytest.raises(SettingsMismatchError, match="another flow-cache directory") as info:
            FlowCache(base / "flows", root, **{**SETTINGS, **change})
        assert named in str(info.value) and str(base / "flows") in str(info.value)
    # Another shard started elsewhere with other settings is refused by the folder's record, before any file exists.
    with pytest.raises(SettingsMismatchError, match="size 48 there, 32 now"):
        extract_flows(
            videos,
            root,
            base / "flows",
            size=32,
            max_frames=8,
            num_shards=3,
            shard_index=2,
            workers=1,
            show_progress=False,
        )
    FlowCache(base / "other_flows", root, size=32)  # another folder for other settings: fine


def test_an_old_format_file_is_refused_and_a_damaged_one_named(cache_tree, tmp_path, carphone_path):
    _, root, videos, cache = cache_tree
    old_root, flows = tmp_path / "videos", tmp_path / "flows"
    (old_root / "a").mkdir(parents=True)
    os.symlink(carphone_path, old_root / "a" / "clip.mp4")
    video = str(old_root / "a" / "clip.mp4")
    here = FlowCache(flows, old_root, **SETTINGS)
    with pytest.raises(FileNotFoundError, match="extract it first"):
        here.read(video, [0])
    here.extract([video], workers=1, show_progress=False)
    path = here.path(video)
    good = open(path, "rb").read()

    # The previous layout (format 1: one compressed array): refused as a settings mismatch, not misread.
    old = {"format": 1, "method": "dis", "size": 48, "step": 1, "max_frames": 8, "bound": 20.0}
    np.savez_compressed(
        path, flow=np.zeros((7, 48, 58, 2), np.uint8), bound=np.float32(20), settings=np.array(json.dumps(old))
    )
    for call in (lambda: here.read(video, [0]), lambda: here.num_flows(video)):
        with pytest.raises(SettingsMismatchError, match="format 1 there, 2 now") as info:
            call()
        assert path in str(info.value) and "extract it again" in str(info.value)
    assert load_flow(path).shape == (7, 48, 58, 2)  # load_flow still reads it whole, as what it is

    # Truncated, or a flow map's bytes damaged (the zip's CRC catches it): CorruptFileError naming the file.
    for damage in (lambda b: b[: len(b) // 2], lambda b: b[:2000] + bytes(255 - x for x in b[2000:2100]) + b[2100:]):
        with open(path, "wb") as f:
            f.write(damage(good))
        for call in (lambda: here.read(video, range(7)), lambda: load_flow(path)):
            with pytest.raises(CorruptFileError, match="cannot be read") as info:
                call()
            assert path in str(info.value)
