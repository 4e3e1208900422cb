"""Source code that hides TensorFlow from a Python process, as on the GPU machine (where it is not installed): run
first in a child (`-c HIDE_TENSORFLOW + script`, or as a `sitecustomize`), it makes `import tensorflow` fail."""

HIDE_TENSORFLOW = r"""
import importlib.abc
import importlib.machinery
import sys


class NoTensorFlow(importlib.abc.MetaPathFinder):
    # As if TensorFlow were not installed: importing it or a submodule fails.

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "tensorflow":
            return importlib.machinery.ModuleSpec(name, self)

    def create_module(self, spec):
        raise ModuleNotFoundError(f"No module named {spec.name!r} (hidden by the test)", name=spec.name)

    def exec_module(self, module):
        pass


sys.meta_path.insert(0, NoTensorFlow())
"""
