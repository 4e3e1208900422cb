"""A recipe's data plan, stated before any decoding: videos per split, flow to compute, disk the flow cache will
take and the part of the data held in memory; a plan whose in-memory part cannot fit is refused before work starts.

Every figure comes from the split lists, the flow cache's folder and the headers of a few videos (no frame is
decoded), so the plan costs seconds even for UCF101:

    plan = DataPlan.for_videos({"train": train.paths, "test": test.paths}, cache, memory_bytes=...)
    log(plan.summary())
    plan.check("lower --max-videos")      # refuses, naming the figure and the fix
"""

import dataclasses
import os

import numpy as np

from keras_motion.video.decode import _gb, available_memory, check_allocation, target_size, video_info

# Disk of one cached flow map per pixel (two lossless 8-bit PNG planes, `keras_motion.flow.extraction`). DIS flow
# of the synthetic UCF101-layout videos (`write_layout`, 320 × 240, maps 72 × 96 and 128 × 171) measured 0.09–0.11;
# real videos' flow is noisier and compresses less, so the estimate errs high. Used only until the cache holds
# files of its own, whose measured size replaces it.
FLOW_BYTES_PER_PIXEL = 0.5

_SAMPLE = 24  # video headers read to estimate frames per video and frame size


@dataclasses.dataclass
class DataPlan:
    """What a data path will do. `videos`: {split: number of videos}; `frames_per_video`, `map_shape`: the mean
    frame count and the flow maps' (height, width) (from a sample of headers); `flow_videos` / `flow_maps`: videos whose
    flow is missing from the cache and the maps they make (estimated); `cache_bytes`: disk of the whole cache once
    complete, `bytes_per_map` the figure it is estimated from (measured on the cache's files, else
    `FLOW_BYTES_PER_PIXEL`); `memory_bytes`: the in-memory part (`memory_detail` says of what)."""

    videos: dict
    frames_per_video: float
    map_shape: tuple
    flow_videos: int
    flow_maps: int
    bytes_per_map: float
    measured: bool
    cache_bytes: int
    memory_bytes: int
    memory_detail: str = ""
    cache: str = None

    @classmethod
    def for_videos(cls, splits, cache=None, size=None, memory_bytes=0, memory_detail="", sample=_SAMPLE):
        """The plan of `splits` ({name: video paths}) with `cache` (a `keras_motion.flow.FlowCache`, or None: flow
        computed in memory, nothing on disk); `size`: the flow's frame size where there is no cache (as in
        `read_video`); `memory_bytes` / `memory_detail`: the caller's in-memory estimate, or a callable of the
        plan's sampled figures `(num_videos, frames_per_video, (height, width))` → `(bytes, detail)`."""
        paths = [p for videos in splits.values() for p in videos]
        frames, shape = _sample_headers(paths, sample, cache.settings["size"] if cache is not None else size)
        count = len(set(paths))
        missing = cache.missing(list(dict.fromkeys(paths))) if cache is not None else []
        bytes_per_map, measured = _bytes_per_map(cache, paths, shape)
        if callable(memory_bytes):
            memory_bytes, memory_detail = memory_bytes(count, frames, shape)
        return cls(
            videos={name: len(v) for name, v in splits.items()},
            frames_per_video=frames,
            map_shape=shape,
            flow_videos=len(missing) if cache is not None else count,
            flow_maps=int(round(len(missing) * max(frames - 1, 0))),
            bytes_per_map=bytes_per_map,
            measured=measured,
            cache_bytes=int(count * max(frames - 1, 0) * bytes_per_map),
            memory_bytes=int(memory_bytes),
            memory_detail=memory_detail,
            cache=None if cache is None else cache.directory,
        )

    def summary(self):
        """The plan as a few printable lines."""
        videos = ", ".join(f"{name} {n}" for name, n in self.videos.items())
        lines = [f"data plan: videos {videos}; ≈ {self.frames_per_video:.0f} frames per video"]
        if self.cache is None:
            lines.append(f"  flow: computed in memory on every run, no cache ({self.flow_videos} video(s))")
        else:
            source = "measured on the cache" if self.measured else "estimated"
            height, width = self.map_shape
            lines.append(
                f"  flow cache {self.cache}: {self.flow_videos} video(s) to compute (≈ {self.flow_maps:,} "
                f"maps), the rest read; ≈ {_gb(self.cache_bytes)} on disk when complete "
                f"({self.bytes_per_map / 1e3:.1f} kB per map of {height} × {width}, {source})"
            )
        detail = f" ({self.memory_detail})" if self.memory_detail else ""
        available = available_memory()
        lines.append(
            f"  in memory: ≈ {_gb(self.memory_bytes)}{detail}"
            + (f" of {_gb(available)} available" if available else "")
        )
        return "\n".join(lines)

    def check(self, fix):
        """Refuses (`FrameSizeError`, naming the figure and `fix`) a plan whose in-memory part does not fit in the
        memory available now."""
        check_allocation(
            self.memory_bytes,
            "the data plan's in-memory part" + (f" ({self.memory_detail})" if self.memory_detail else ""),
            fix,
        )
        return self


def _sample_headers(paths, sample, size):
    """Mean frame count and the (height, width) frames decode to at `size`, from the headers of up to `sample`
    evenly spaced videos (no decoding); unreadable headers are left out."""
    counts, shapes = [], []
    for index in np.unique(np.linspace(0, len(paths) - 1, min(sample, len(paths))).astype(int)) if paths else ():
        try:
            info = video_info(paths[index])
        except Exception:  # noqa: BLE001 - an unreadable video is skipped later, with its reason, by the data set
            continue
        if info["num_frames"] and info["height"]:
            counts.append(info["num_frames"])
            shapes.append(
                target_size(info["height"], info["width"], size)
                if size is not None
                else (info["height"], info["width"])
            )
    if not counts:
        return 0.0, (0, 0)
    return float(np.mean(counts)), tuple(int(v) for v in np.median(np.array(shapes), axis=0))


def _bytes_per_map(cache, paths, shape):
    """(bytes per cached map, measured?): from the cache's own files for `paths` where it has some (their size over
    their maps), else `FLOW_BYTES_PER_PIXEL` × the map's pixels."""
    if cache is not None:
        total, maps = 0, 0
        for path in paths[:: max(1, len(paths) // _SAMPLE)]:
            file = cache.path(path)
            if os.path.exists(file):
                try:
                    maps += cache.num_flows(path)
                    total += os.path.getsize(file)
                except Exception:  # noqa: BLE001 - a damaged or foreign file does not make a figure
                    continue
        if maps:
            return total / maps, True
    return FLOW_BYTES_PER_PIXEL * float(np.prod(shape)), False
