"""The package's shape: the core imports no method, no method imports another, no module imports itself back
through others, and the recipes stay wiring."""

import ast
import glob
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METHODS = ("mosi", "im2flow", "vre_mra", "pose_from_action")


def _imported_modules(path):
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            for alias in node.names:  # from keras_motion import mosi
                yield f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def _package_of(path):
    parts = os.path.relpath(path, os.path.join(ROOT, "keras_motion")).split(os.sep)
    return parts[0] if len(parts) > 1 else None


def test_arrows_point_down_only():
    wrong = []
    for path in glob.glob(os.path.join(ROOT, "keras_motion", "**", "*.py"), recursive=True):
        if path == os.path.join(ROOT, "keras_motion", "__init__.py"):
            continue  # the package's front door imports everything
        own = _package_of(path)
        for module in _imported_modules(path):
            parts = module.split(".")
            if parts[0] == "keras_motion" and len(parts) > 1 and parts[1] in METHODS and parts[1] != own:
                wrong.append(f"{os.path.relpath(path, ROOT)} imports {module}")
    assert not wrong, "the core imports no method and a method no other method:\n" + "\n".join(wrong)


def _module_name(path):
    name = os.path.relpath(path[:-3], ROOT).replace(os.sep, ".")
    return name[: -len(".__init__")] if name.endswith(".__init__") else name


def test_no_import_cycle():
    # Every import counts, a deferred one inside a function too: `from a.b import c` is an edge to the module a.b.c
    # where that is one, else to a.b (whose __init__ it runs).
    paths = glob.glob(os.path.join(ROOT, "keras_motion", "**", "*.py"), recursive=True)
    modules = {_module_name(path): path for path in paths}

    def edges(path):
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                yield from (
                    f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                    for a in node.names
                )
            elif isinstance(node, ast.Import):
                yield from (alias.name for alias in node.names)

    graph = {name: {m for m in edges(path) if m in modules and m != name} for name, path in modules.items()}
    state, cycles = {}, []

    def visit(name, stack):
        state[name] = "open"
        for other in sorted(graph[name]):
            if state.get(other) == "open":
                cycles.append(" → ".join(stack[stack.index(other) :] + [other]))
            elif other not in state:
                visit(other, stack + [other])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


@pytest.mark.parametrize("method", METHODS)
def test_recipe_is_wiring(method):
    path = os.path.join(ROOT, "recipes", f"{method}.py")
    with open(path, encoding="utf-8") as f:
        source = f.read()
    assert len(source.splitlines()) <= 200
    functions = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.FunctionDef)]
    takes_args = [f.name for f in functions if any(a.arg == "args" for a in f.args.args + f.args.kwonlyargs)]
    assert not takes_args, f"{method}: only main() may hold the parsed flags, not {takes_args}"


@pytest.mark.parametrize("method", METHODS)
def test_every_flag_has_help_and_help_shows_defaults(method, monkeypatch):
    import argparse
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"recipe_{method}", os.path.join(ROOT, "recipes", f"{method}.py"))
    recipe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recipe)
    parsers = []
    parse = argparse.ArgumentParser.parse_args
    monkeypatch.setattr(
        argparse.ArgumentParser, "parse_args", lambda self, *a, **k: (parsers.append(self), parse(self, *a, **k))[1]
    )
    recipe.parse_args([])
    parser = parsers[0]
    assert issubclass(parser.formatter_class, argparse.ArgumentDefaultsHelpFormatter)
    assert not [a.option_strings for a in parser._actions if a.option_strings and not a.help]
