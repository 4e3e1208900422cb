"""Counting what a data-set pass had to skip, so that bad input is reported, never silently lost."""

import collections
import warnings


class SkipLog:
    """Warns once per skipped item and summarises the count by reason at the end of a pass.

    >>> skips = SkipLog("UCF101 train")
    >>> skips.skip("a.avi", "cannot be decoded")
    >>> skips.count
    1
    """

    def __init__(self, name="data set"):
        self.name = name
        self.items = []

    def skip(self, path, reason):
        self.items.append((str(path), str(reason)))
        warnings.warn(f"{self.name}: skipping {path}: {reason}", RuntimeWarning, stacklevel=2)

    @property
    def count(self):
        return len(self.items)

    def summary(self):
        if not self.items:
            return f"{self.name}: nothing skipped"
        reasons = collections.Counter(reason for _, reason in self.items)
        parts = ", ".join(f"{n} {reason}" for reason, n in reasons.most_common())
        return f"{self.name}: skipped {self.count} item(s): {parts}"

    def __len__(self):
        return self.count
