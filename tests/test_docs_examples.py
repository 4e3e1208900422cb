"""The ```python blocks of docs/*.md run as written, like the README's: each in a fresh interpreter, in a scratch
folder.

A block that cannot run here (a GPU, a real data set, a listing of calls on the reader's own arrays) carries, on the
line just above its fence, `<!-- not run: <why> -->`; it is still parsed, so its syntax cannot go stale.
"""

import ast
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")
NOT_RUN = re.compile(r"^<!--\s*not run:(.*?)-->\s*$")
METHOD_PAGES = ("im2flow.md", "mosi.md", "vre_mra.md", "pose_from_action.md")


def _blocks():
    """(page, line of the fence, why it is not run or None, code) of every ```python block of docs/*.md."""
    blocks = []
    for page in sorted(name for name in os.listdir(DOCS) if name.endswith(".md")):
        with open(os.path.join(DOCS, page), encoding="utf-8") as f:
            lines = f.read().split("\n")
        i = 0
        while i < len(lines):
            if lines[i].strip() != "```python":
                i += 1
                continue
            end = i + 1
            while end < len(lines) and lines[end].strip() != "```":
                end += 1
            marker = NOT_RUN.match(lines[i - 1].strip()) if i > 0 else None
            why = marker.group(1).strip() if marker else None
            blocks.append((page, i + 1, why, "\n".join(lines[i + 1 : end]) + "\n"))
            i = end + 1
    return blocks


BLOCKS = _blocks()
RUN = [
    pytest.param(page, code, id=f"{page}:{line}", marks=pytest.mark.slow)
    for page, line, why, code in BLOCKS
    if why is None
]


def test_every_method_page_has_an_example_that_runs():
    running = {page for page, _, why, _ in BLOCKS if why is None}
    assert set(METHOD_PAGES) <= running, f"method pages without a runnable example: {set(METHOD_PAGES) - running}"


@pytest.mark.parametrize(
    "page, line, why, code", [pytest.param(*block, id=f"{block[0]}:{block[1]}") for block in BLOCKS]
)
def test_every_block_parses_and_a_skipped_one_says_why(page, line, why, code):
    assert why is None or why, f"docs/{page}:{line}: `<!-- not run: ... -->` needs a reason after the colon"
    ast.parse(code, filename=f"docs/{page}:{line}")


@pytest.mark.parametrize("page, code", RUN)
def test_example_runs(page, code, tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, f"docs/{page} example failed:\n{result.stderr[-3000:]}"
