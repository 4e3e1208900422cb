"""The README's Python examples run as written: each in a fresh interpreter, in a scratch folder (they write runs/)."""

import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _examples():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    examples = []
    for match in re.finditer(r"^## (.+?)$(.*?)(?=^## |\Z)", text, re.M | re.S):
        for block in re.findall(r"^```python\n(.*?)^```", match.group(2), re.M | re.S):
            examples.append((match.group(1).strip(), block))
    return examples


EXAMPLES = _examples()


def test_the_readme_has_an_example_per_method():
    sections = {name for name, _ in EXAMPLES}
    assert {"A first look", "Im2Flow", "MoSI", "VRE + MRA", "Pose from Action"} <= sections


@pytest.mark.parametrize("name, code", [pytest.param(name, code, id=name, marks=() if name == "A first look"
                                                      else pytest.mark.slow) for name, code in EXAMPLES])
def test_example_runs(name, code, tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, f"README example '{name}' failed:\n{result.stderr[-3000:]}"
    assert result.stdout.strip(), f"README example '{name}' printed nothing"
