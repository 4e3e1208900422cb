"""A recipe's flags from a method object's constructor: one flag per hyperparameter, its default the constructor's
(or a preset's), its help the class docstring's `Args:` entry, so that each hyperparameter is written once."""

import argparse
import inspect
import re

_NAMES = r"(?:[a-z_][a-z0-9_]*, )*[a-z_][a-z0-9_]*"


def argument_help(cls):
    """`{argument: text}` from the `Args:` section of `cls`'s docstring (Google style). An entry may name several
    arguments (`epochs, batch_size: ...`) or hold several `name: text` parts separated by "; ".

    >>> class Task:
    ...     '''Summary.
    ...     Args:
    ...         size: crop side; depth: layers
    ...             (a continuation).
    ...         epochs, batch_size: the training.
    ...     '''
    >>> argument_help(Task)
    {'size': 'crop side', 'depth': 'layers (a continuation).', 'epochs': 'the training.', 'batch_size': 'the training.'}
    """
    lines = (inspect.getdoc(cls) or "").splitlines()
    if "Args:" not in lines:
        return {}
    entries = []
    for line in lines[lines.index("Args:") + 1 :]:
        if not line.strip() or not line.startswith("    "):
            break
        if line.startswith("        ") and entries:
            entries[-1] += " " + line.strip()
        else:
            entries.append(line.strip())
    helps = {}
    for entry in entries:
        for part in re.split(rf";\s+(?={_NAMES}:)", entry):
            match = re.match(rf"({_NAMES}): (.*)", part, re.S)
            if match:
                helps.update(dict.fromkeys(match.group(1).split(", "), match.group(2).strip()))
    return helps


def _none_or(kind):
    def parse(text):
        return None if text.lower() == "none" else kind(text)

    parse.__name__ = kind.__name__  # argparse names the type in its error messages
    return parse


def add_hyperparameter_flags(group, cls, names, **specs):
    """Adds to `group` (an `argparse` parser or argument group) a flag `--some-name` for each constructor argument
    `some_name` of `cls` in `names`: its default is `cls.hyperparameters()`'s (presets replace it through
    `parse_with_presets`), its help the docstring's entry for it (`argument_help`), its type the default's (bool: a
    `--name / --no-name` pair; a tuple: that many values; None: the type named in `specs`, "none" giving None).
    `specs[name]` (a dict) overrides any of `add_argument`'s keywords (e.g. `choices`), and may give `flag` (another
    flag name).

    Example:

    >>> import keras_motion as km
    >>> p = argparse.ArgumentParser()
    >>> add_hyperparameter_flags(p, km.im2flow.Im2Flow, ["epochs", "dilated", "constant_epochs"],
    ...                          constant_epochs={"type": int})
    >>> args = p.parse_args(["--epochs", "3", "--dilated", "--constant-epochs", "none"])
    >>> args.epochs, args.dilated, args.constant_epochs
    (3, True, None)
    """
    defaults, helps = cls.hyperparameters(), argument_help(cls)
    for name in names:
        if name not in defaults:
            raise ValueError(f"{cls.__name__} has no hyperparameter {name!r}")
        spec = dict(specs.get(name, {}))
        flag = spec.pop("flag", "--" + name.replace("_", "-"))
        default = defaults[name]
        kwargs = {"dest": name, "default": default, "help": helps.get(name, "")}
        if isinstance(default, bool):
            kwargs["action"] = argparse.BooleanOptionalAction
        elif isinstance(default, tuple):
            kwargs.update(nargs=len(default), type=type(default[0]))
        elif default is None:
            kwargs["type"] = _none_or(spec.pop("type", str))
        else:
            kwargs["type"] = type(default)
        kwargs.update(spec)
        group.add_argument(flag, **kwargs)
