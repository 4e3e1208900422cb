"""Data-set flow extraction: every video of a list → one compressed file of quantised flow, in parallel.

Runs over thousands of videos: uses all cores, shards across machines, writes each output atomically, skips videos
whose output exists (so a killed job resumes where it stopped) and counts the videos it could not decode.
"""

import multiprocessing
import os

import cv2
import numpy as np

from keras_motion.errors import KerasMotionError
from keras_motion.flow.compute import FlowEstimator, video_flow
from keras_motion.flow.encoding import dequantize, quantize
from keras_motion.utils.files import atomic_save_npz
from keras_motion.utils.progress import progress
from keras_motion.utils.skips import SkipLog

_worker_estimator = None


def flow_output_path(video_path, root, out_dir):
    """`out_dir/<path of the video relative to root, extension replaced by .npz>`."""
    relative = os.path.relpath(os.path.abspath(video_path), os.path.abspath(root))
    return os.path.join(out_dir, os.path.splitext(relative)[0] + ".npz")


def extract_video_flow(video_path, out_path, method="dis", size=None, step=1, max_frames=None, bound=20.0,
                       estimator=None):
    """Flow between consecutive decoded frames of one video, saved as `out_path` (.npz, written atomically).

    The file holds `flow` uint8 (T-1, H, W, 2) quantised to ±`bound` px (see `quantize`) and `bound`; read it back with
    `load_flow`. Returns the number of flow maps written.
    """
    from keras_motion.video import read_video

    frames = read_video(video_path, size=size, step=step, max_frames=max_frames, min_frames=2)
    flows = video_flow(frames, method, estimator=estimator)
    atomic_save_npz(out_path, flow=quantize(flows, bound), bound=np.float32(bound))
    return len(flows)


def load_flow(path):
    """Flow saved by `extract_video_flow` → float32 (T-1, H, W, 2) in px."""
    with np.load(path) as data:
        return dequantize(data["flow"], float(data["bound"]))


def _init_worker(method):
    global _worker_estimator
    cv2.setNumThreads(1)  # one process per core already; OpenCV's own threads would oversubscribe
    _worker_estimator = FlowEstimator(method)


def _extract_one(job):
    video_path, out_path, kwargs = job
    try:
        return video_path, extract_video_flow(video_path, out_path, estimator=_worker_estimator, **kwargs), None
    except KerasMotionError as e:
        return video_path, 0, str(e)


def shard(items, num_shards=1, shard_index=0):
    """Every `num_shards`-th item of the sorted list starting at `shard_index`: disjoint shards that cover it."""
    if not 0 <= shard_index < num_shards:
        raise ValueError(f"shard_index must be in [0, {num_shards}), got {shard_index}")
    return sorted(items)[shard_index::num_shards]


def extract_flows(videos, root, out_dir, method="dis", size=None, step=1, max_frames=None, bound=20.0,
                  workers=None, num_shards=1, shard_index=0, overwrite=False, show_progress=True):
    """Extracts the flow of every video (paths under `root`) into `out_dir`, mirroring the folder layout.

    Returns a dict: `written` (videos), `flow_maps`, `skipped_existing`, `failed` (a `SkipLog` of undecodable
    videos, also warned about one by one).
    """
    kwargs = dict(method=method, size=size, step=step, max_frames=max_frames, bound=bound)
    jobs, existing = [], 0
    for path in shard([os.fspath(v) for v in videos], num_shards, shard_index):
        out_path = flow_output_path(path, root, out_dir)
        if not overwrite and os.path.exists(out_path):
            existing += 1
            continue
        jobs.append((path, out_path, kwargs))
    failed = SkipLog("flow extraction")
    written = flow_maps = 0
    workers = workers or os.cpu_count() or 1
    if workers > 1 and len(jobs) > 1:
        # spawn, not fork: the parent may hold TensorFlow / OpenCV threads that a forked child would inherit.
        pool = multiprocessing.get_context("spawn").Pool(min(workers, len(jobs)), _init_worker, (method,))
        results = pool.imap_unordered(_extract_one, jobs)
    else:
        pool = None
        _init_worker(method)
        results = map(_extract_one, jobs)
    try:
        shown = progress(results, total=len(jobs), desc="flow") if show_progress else results
        for path, count, error in shown:
            if error:
                failed.skip(path, error)
            else:
                written += 1
                flow_maps += count
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    return dict(written=written, flow_maps=flow_maps, skipped_existing=existing, failed=failed)
