"""The one checker of numeric arguments (counts, sizes, bounds), shared by the public functions and the command lines.

A public function calls `check_int` / `check_number` on its argument; a tool's or recipe's parser uses the same rule as
an `argparse` type (`int_arg`, `number_arg`), so `--epochs 0` and `Im2FlowPairs(batch_size=0)` are refused by one rule
with one wording: the argument, its value and the valid range ("batch_size=0 is out of range: an integer ≥ 1").
Keras-free: tools and flow workers may import it.
"""

import argparse
import math
import numbers

from keras_motion.errors import InvalidArgumentError


def describe_range(kind, low=None, high=None, low_open=False):
    """'an integer ≥ 1', 'a number > 0', 'an integer in 2..16': how messages state a valid range."""
    what = "an integer" if kind is int else "a number"
    if low is not None and high is not None and not low_open:
        return f"{what} in {low}..{high}"
    bounds = ([f"{'>' if low_open else '≥'} {low}"] if low is not None else []) + (
        [f"≤ {high}"] if high is not None else []
    )
    return f"{what} {' and '.join(bounds)}".rstrip()


def _check(value, name, kind, low, high, low_open):
    valid = describe_range(kind, low, high, low_open)
    if (
        kind is int
        and isinstance(value, numbers.Real)
        and not isinstance(value, numbers.Integral)
        and math.isfinite(value)
        and float(value).is_integer()
    ):
        value = int(value)  # 3.0 (a count computed in floats) is unambiguous; 2.5 is refused below
    if isinstance(value, bool) or not isinstance(value, numbers.Integral if kind is int else numbers.Real):
        raise InvalidArgumentError(f"{name}={value!r} is not {valid}")
    if kind is float and not math.isfinite(value):
        raise InvalidArgumentError(f"{name}={value!r} is out of range: {valid}")
    if (low is not None and (value <= low if low_open else value < low)) or (high is not None and value > high):
        raise InvalidArgumentError(f"{name}={value!r} is out of range: {valid}")
    return int(value) if kind is int else float(value)


def check_int(value, name, low=None, high=None):
    """`value` as an int if it is a whole number (not a bool) in `low`..`high` (either bound may be None), else
    `InvalidArgumentError` naming `name`, the value and the valid range.

    >>> check_int(3, "step", low=1)
    3
    >>> try:
    ...     check_int(0, "step", low=1)
    ... except ValueError as e:
    ...     print(e)
    step=0 is out of range: an integer ≥ 1
    """
    return _check(value, name, int, low, high, False)


def check_number(value, name, low=None, high=None, low_open=False):
    """`value` as a float if it is a finite real number in its range (`low_open=True`: strictly above `low`), else
    `InvalidArgumentError` naming `name`, the value and the valid range.

    >>> try:
    ...     check_number(0, "max_magnitude", low=0, low_open=True)
    ... except ValueError as e:
    ...     print(e)
    max_magnitude=0 is out of range: a number > 0
    """
    return _check(value, name, float, low, high, low_open)


def _arg(kind, parse, low, high, low_open):
    def parse_arg(text):
        try:
            value = parse(text)
        except ValueError:  # argparse's own wording for a value that is no number
            raise argparse.ArgumentTypeError(f"invalid {kind.__name__} value: {text!r}") from None
        try:
            return _check(value, "", kind, low, high, low_open)
        except InvalidArgumentError as e:  # argparse prefixes "argument --flag: "
            raise argparse.ArgumentTypeError(str(e).lstrip("=")) from None

    parse_arg.__name__ = kind.__name__
    parse_arg.valid_range = describe_range(kind, low, high, low_open)
    return parse_arg


def int_arg(low=None, high=None):
    """`check_int` as an `argparse` type: `--epochs 0` ends with `error: argument --epochs: 0 is out of range: an
    integer ≥ 1` and exit status 2."""
    return _arg(int, int, low, high, False)


def number_arg(low=None, high=None, low_open=False):
    """`check_number` as an `argparse` type."""
    return _arg(float, float, low, high, low_open)
