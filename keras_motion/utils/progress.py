"""A dependency-free progress bar for long loops (flow extraction, labelling, data-set passes)."""

import sys
import time


def progress(iterable, total=None, desc="", stream=None, min_interval=0.5):
    """Yields from `iterable`, printing `desc  done/total  rate  ETA` on one refreshed line.

    Writes to stderr by default so that stdout stays parseable; prints at most every `min_interval` seconds.
    """
    stream = stream or sys.stderr
    if total is None:
        total = len(iterable) if hasattr(iterable, "__len__") else None
    start = last = time.monotonic()
    done = 0

    def show(final=False):
        elapsed = time.monotonic() - start
        rate = done / elapsed if elapsed > 0 else 0.0
        if total:
            eta = (total - done) / rate if rate > 0 else float("inf")
            text = f"{desc} {done}/{total} [{100 * done / total:5.1f}%] {rate:.1f}/s ETA {eta:.0f}s"
        else:
            text = f"{desc} {done} {rate:.1f}/s"
        stream.write("\r" + text + ("\n" if final else ""))
        stream.flush()

    for item in iterable:
        yield item
        done += 1
        now = time.monotonic()
        if now - last >= min_interval:
            last = now
            show()
    show(final=True)
