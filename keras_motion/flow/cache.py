"""The on-disk flow cache every method reads per sample: flow computed once per (video, settings), read per map.

    cache = FlowCache("flows/", root="UCF-101/", size=128)
    cache.extract(cache.missing(videos))          # parallel, resumable (`extract_flows`); a no-op once done
    flow = cache.read(video, [3, 4, 5, 6, 7])     # float32 (5, H, W, 2) px: only those 5 maps are read

Flow index i is the flow from decoded frame i to i+1 of `read_video(video, size=size, step=step,
max_frames=max_frames)`. The cache is a folder of `extract_flows` outputs (one file per video, one PNG per map: see
`keras_motion.flow.extraction`); its settings are recorded for the folder (`.flow_extraction.json`) and in every
file, so one folder is shared by every method and run with the same settings, and a folder or file made with other
settings is refused (`SettingsMismatchError`, naming the setting) instead of being read.

A `FlowCache` holds no open file: each call opens the file of its video, reads the maps asked for and closes it. It
can be used from many threads at once and pickled into (or inherited by, across `fork`) worker processes, and it
never holds more flow than one call returns.
"""

import os

from keras_motion.flow.extraction import (
    RECORD,
    check_folder_settings,
    count_flows,
    extract_flows,
    flow_output_path,
    flow_settings,
    read_flow_file,
)


class FlowCache:
    """Flow of the videos under `root`, cached in `directory` with one set of settings (see the module docstring).

    Args:
        directory: the cache folder (made by `extract`); one folder per set of settings.
        root: the folder that holds every video (a video's file mirrors its path under `root`).
        method, size, step, max_frames, bound: the settings, as `extract_flows` takes them.

    Raises `SettingsMismatchError` naming the setting when `directory` was made with other settings.
    """

    def __init__(self, directory, root, method="dis", size=None, step=1, max_frames=None, bound=20.0):
        self.directory, self.root = os.fspath(directory), os.fspath(root)
        self.settings = flow_settings(method, size, step, max_frames, bound)
        self._fix = (
            f"use another flow-cache directory (--flow-cache) for these settings, or the settings it was made "
            f"with; to recompute it with these, run tools/extract_flow.py --videos {self.root} "
            f"--out {self.directory} --overwrite"
        )
        check_folder_settings(self.directory, self.settings, self._fix)

    def __repr__(self):
        shown = ", ".join(f"{key}={value!r}" for key, value in self.settings.items() if key != "format")
        return f"FlowCache({self.directory!r}, root={self.root!r}, {shown})"

    def path(self, video):
        """The cache file of `video` (`<directory>/<path under root>.npz`), whether or not it exists yet."""
        return flow_output_path(video, self.root, self.directory)

    def missing(self, videos):
        """The videos of `videos` (in their order) that have no cache file yet: what `extract` would compute.

        A file made with other settings is not listed: `read` and `extract` refuse it, naming the setting."""
        return [video for video in videos if not os.path.exists(self.path(video))]

    def extract(self, videos, workers=None, show_progress=True, num_shards=1, shard_index=0):
        """Computes the flow of `videos` into the cache with `extract_flows` (parallel on `workers` processes,
        resumable, sharded across machines by `num_shards` / `shard_index`). Returns its summary dict: `written`,
        `flow_maps`, `skipped_existing`, `failed` (a `SkipLog` of the videos that could not be decoded) and
        `removed_temporaries`."""
        args = {key: value for key, value in self.settings.items() if key != "format"}
        return extract_flows(
            videos,
            self.root,
            self.directory,
            workers=workers,
            num_shards=num_shards,
            shard_index=shard_index,
            show_progress=show_progress,
            **args,
        )

    def _file(self, video):
        path = self.path(video)
        if not os.path.exists(path):
            if not os.path.isdir(self.directory) or not os.path.exists(os.path.join(self.directory, RECORD)):
                where = f"the flow cache {self.directory} has not been made"
            else:
                where = f"it has no flow in the cache {self.directory} ({path})"
            raise FileNotFoundError(
                f"no cached flow for {video}: {where}; extract it first: FlowCache.extract(cache.missing(videos)), "
                f"or python tools/extract_flow.py --videos {self.root} --out {self.directory} with these settings"
            )
        return path

    def num_flows(self, video):
        """The number of flow maps cached for `video` (its decoded frames less one)."""
        return count_flows(self._file(video), self.settings, self._read_fix(video))

    def read(self, video, indices):
        """Flow maps `indices` of `video` → float32 (len(indices), H, W, 2) in px, within ±bound (quantised to
        2·bound/255 px); reads and decodes only those maps. An index outside 0..num_flows(video)-1 raises
        `IndexError`; a file made with other settings `SettingsMismatchError`; a damaged file `CorruptFileError`
        naming it."""
        return read_flow_file(self._file(video), indices, self.settings, self._read_fix(video))

    def read_all(self, video):
        """Every flow map of `video` (a whole-video read)."""
        return read_flow_file(self._file(video), None, self.settings, self._read_fix(video))

    def _read_fix(self, video):
        return (
            f"delete it and extract it again (FlowCache.extract([{str(video)!r}]), or tools/extract_flow.py "
            f"--out {self.directory} with these settings), or use another flow-cache directory for these settings"
        )
