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


def test_the_readme_reads_in_five_minutes():
    # what it is, the set-up commands, an example per method, links; results and long material live in docs/
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        assert len(f.read().splitlines()) <= 150


def _anchor(heading):
    """GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_links_between_the_readme_and_docs_resolve():
    pages = ["README.md"] + [
        f"docs/{name}" for name in sorted(os.listdir(os.path.join(ROOT, "docs"))) if name.endswith(".md")
    ]
    texts = {}
    for page in pages:
        with open(os.path.join(ROOT, page), encoding="utf-8") as f:
            texts[page] = f.read()
    prose = {page: re.sub(r"^```.*?^```", "", text, flags=re.M | re.S) for page, text in texts.items()}
    anchors = {page: {_anchor(h) for h in re.findall(r"^#+ (.+)$", text, re.M)} for page, text in prose.items()}
    broken = []
    for page, text in prose.items():
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue  # a web address
            path, _, anchor = target.partition("#")
            path = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
            if not os.path.exists(os.path.join(ROOT, path)):
                broken.append(f"{page}: {target} (no such file)")
            elif anchor and path in anchors and anchor not in anchors[path]:
                broken.append(f"{page}: {target} (no such heading)")
    assert not broken, "broken links:\n" + "\n".join(broken)


@pytest.mark.parametrize(
    "name, code",
    [
        pytest.param(name, code, id=name, marks=() if name == "A first look" else pytest.mark.slow)
        for name, code in EXAMPLES
    ],
)
def test_example_runs(name, code, tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, f"README example '{name}' failed:\n{result.stderr[-3000:]}"
    assert result.stdout.strip(), f"README example '{name}' printed nothing"


def _figure_tables():
    """(file, line, table, the 12 lines of text above it) of every Markdown table in the README and docs/ that holds a
    measured figure (a decimal, a percentage or a ratio); listings of commands (a table naming recipes/ or tools/
    scripts in its cells) and docs/reliability.md (cases and tests) are not results."""
    figure, command = re.compile(r"\d\.\d|\d ?%|\d×"), re.compile(r"(recipes|tools)/\w+\.py")
    paths = ["README.md"] + sorted(
        f"docs/{name}"
        for name in os.listdir(os.path.join(ROOT, "docs"))
        if name.endswith(".md") and name != "reliability.md"
    )
    for path in paths:
        with open(os.path.join(ROOT, path), encoding="utf-8") as f:
            lines = f.read().split("\n")
        i = 0
        while i < len(lines):
            j = i
            while j < len(lines) and lines[j].startswith("|"):
                j += 1
            table = "\n".join(lines[i:j])
            if j > i and figure.search(table) and not command.search(table):
                above, k = [], i - 1  # 12 lines of text above, across the tables just before (one caption for all)
                while k >= 0 and len([line for line in above if not line.startswith("|")]) < 12:
                    above.insert(0, lines[k])
                    k -= 1
                yield path, i + 1, table, "\n".join(above)
            i = max(j, i + 1)


def test_every_table_of_figures_names_the_command_and_commit_that_made_it():
    # issue 14, class 13: a table that says how it was made cannot go stale unseen
    made = re.compile(r"(recipes|tools)/\w+\.py"), re.compile(r"\bcommits? [0-9a-f]{7,40}\b")
    missing = [
        f"{path}:{line}: {table.splitlines()[0][:70]}"
        for path, line, table, above in _figure_tables()
        if not (made[0].search(above) and made[1].search(above))
    ]
    assert not missing, (
        "tables of figures without `recipes/… .py` / `tools/… .py` and `commit <hash>` in the "
        "12 lines above them:\n" + "\n".join(missing)
    )
