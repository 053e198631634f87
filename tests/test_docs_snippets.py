"""The ```python blocks of the user docs run against the current code.

Each doc's blocks run in order in one namespace (a later block may use names from an earlier one),
from a temporary folder, so files they write land there. A block that cannot run here (it needs the
reader's own files, or is a fragment with placeholders) is marked with an HTML comment
``<!-- not-run -->`` on the line before its opening fence; that is the only way to skip one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

# the repository itself uses the current names: an old one (a FutureWarning) fails here
pytestmark = pytest.mark.filterwarnings("error::accessibility.errors.APIChangeWarning")

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = ("measures.md", "equity.md", "raster.md", "routing.md", "siting.md")
BLOCK = re.compile(r"(?P<before>[^\n]*)\n```python\n(?P<code>.*?)\n```", re.S)
NOT_RUN = "<!-- not-run -->"


def blocks(page: str) -> list[tuple[int, str, bool]]:
    """(line number, code, runnable) of every ```python block of a doc page."""
    text = (DOCS / page).read_text(encoding="utf-8")
    out = []
    for m in BLOCK.finditer("\n" + text):
        line = text.count("\n", 0, max(m.start("code") - 1, 0)) + 1
        out.append((line, m.group("code"), NOT_RUN not in m.group("before")))
    return out


def test_every_page_has_python_blocks():
    for page in PAGES:
        assert blocks(page), f"docs/{page} has no ```python block"


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_doc_blocks_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": f"docs_{page.removesuffix('.md')}"}
    ran = 0
    for line, code, runnable in blocks(page):
        if not runnable:
            continue
        try:
            exec(compile(code, f"docs/{page}:{line}", "exec"), namespace)  # our own docs
        except Exception as exc:
            pytest.fail(f"docs/{page}, block at line {line} fails: {type(exc).__name__}: {exc}")
        ran += 1
    assert ran, f"docs/{page}: every block is marked not-run"


TOML_BLOCK = re.compile(r"\n```toml\n(?P<code>.*?)\n```", re.S)
TOML_FILES = [*sorted(DOCS.glob("*.md")), DOCS.parent / "README.md"]


@pytest.mark.parametrize("path", TOML_FILES, ids=lambda p: p.name)
def test_toml_blocks_parse(path):
    """Every ```toml block of README.md and docs/*.md is valid TOML (e.g. `"县道" = 45` quoted)."""
    import tomllib

    text = path.read_text(encoding="utf-8")
    for m in TOML_BLOCK.finditer("\n" + text):
        line = text.count("\n", 0, max(m.start("code") - 1, 0)) + 1
        try:
            tomllib.loads(m.group("code"))
        except tomllib.TOMLDecodeError as exc:
            pytest.fail(f"{path.name}, ```toml block at line {line}: {exc}")


def test_inline_toml_examples_quote_non_ascii_keys():
    """`县道 = 45` in running text or tables is invalid TOML too: keys that are not ASCII are quoted."""
    bare = re.compile(r"`\s*[^\x00-\x7f`\"'\s][^`=\"']*=[^`]*`")
    for path in TOML_FILES:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            assert not bare.search(line), f"{path.name}:{n}: quote the key: {line.strip()}"
