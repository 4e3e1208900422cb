"""Settings records: what made an output (a run, a phase, a backup), compared with what a rerun asks for.

Kept free of Keras: `keras_motion.utils` is imported by the flow extraction's worker processes, which must start
without loading Keras and a backend.
"""

import json

from keras_motion.errors import SettingsMismatchError


def differences(stored, current):
    """`[(key, stored value, current value)]` of the keys whose values differ (JSON-compared)."""
    a, b = canonical(stored or {}), canonical(current or {})
    return [(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


def check_settings(stored, current, made, fix, key=str):
    """Raises `SettingsMismatchError` "<made> with other settings: <key> <stored> there, <current> now; …. <fix>"
    when the JSON-compared settings differ (`key` names a setting, e.g. as its flag)."""
    changed = differences(stored, current)
    if changed:
        shown = "; ".join(f"{key(k)} {_show(a)} there, {_show(b)} now" for k, a, b in changed)
        raise SettingsMismatchError(f"{made} with other settings: {shown}. {fix}")


def _show(value):
    return "(not set)" if value is None else json.dumps(value)


def canonical(value):
    """`value` as JSON reads it back (tuples as lists, arrays as lists, other objects as strings)."""
    return json.loads(json.dumps(value, default=lambda v: v.tolist() if hasattr(v, "tolist") else str(v)))
