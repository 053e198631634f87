"""The tutorials' commands run as written (``docs/tutorial_*.md``, every ```bash block, in order,
in an empty folder). ``accessibility`` is run as ``python -m accessibility`` with this checkout
first on the path; ``../shared/data`` is the shared data folder, and the blocks that need it are
left out when it is absent."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TUTORIALS = sorted(p.name for p in (REPO / "docs").glob("tutorial_*.md"))
BASH = re.compile(r"\n```bash\n(?P<code>.*?)\n```", re.S)
SHARED = "../shared/data"
SHARED_DATA = Path(os.environ.get("ACCESSIBILITY_SHARED_DATA", REPO.parent / "shared" / "data"))


def command_blocks(page: str) -> list[list[str]]:
    """The command lines of every ```bash block of a tutorial."""
    text = (REPO / "docs" / page).read_text(encoding="utf-8")
    return [
        [line for line in m.group("code").splitlines() if line.strip()]
        for m in BASH.finditer("\n" + text)
    ]


def test_tutorials_have_commands():
    assert {"tutorial_osm.md", "tutorial_china_county.md"} <= set(TUTORIALS)
    for page in TUTORIALS:
        lines = [line for block in command_blocks(page) for line in block]
        assert any(line.startswith("accessibility init ") for line in lines), page
        assert any(line.startswith("accessibility run ") for line in lines), page
        for line in lines:
            assert line.split()[0] in ("accessibility", "python", "mkdir", "cp"), line


def _command(line: str) -> str:
    line = line.replace(SHARED, shlex.quote(str(SHARED_DATA)))
    python = shlex.quote(sys.executable)
    if line.startswith("accessibility "):
        return f"{python} -m accessibility -q " + line.removeprefix("accessibility ")
    if line.startswith("python "):
        return python + line.removeprefix("python")
    return line


@pytest.mark.slow
@pytest.mark.parametrize("page", TUTORIALS)
def test_tutorial_commands_run(page, tmp_path):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    ran = []
    for block in command_blocks(page):
        if any(SHARED in line for line in block) and not SHARED_DATA.is_dir():
            continue  # the reader's shared data folder is absent here
        for line in block:
            done = subprocess.run(
                _command(line), shell=True, cwd=tmp_path, env=env, capture_output=True, text=True
            )
            assert done.returncode == 0, f"docs/{page}: `{line}` failed:\n{done.stderr[-3000:]}"
            ran.append(line)
    runs = [line.split()[-1] for line in ran if line.startswith("accessibility run ")]
    assert runs, f"docs/{page}: no `accessibility run` was executed"
    for project in runs:
        out = (tmp_path / project).parent / "accessibility_output"
        for name in ("accessibility.gpkg", "villages.csv", "report.html"):
            assert (out / name).stat().st_size > 0, f"{project}: {name} was not written"
