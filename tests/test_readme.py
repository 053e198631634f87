"""The README's commands are the ones CI runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

# the repository itself uses the current names: an old one (a FutureWarning) fails here
pytestmark = pytest.mark.filterwarnings("error::accessibility.errors.APIChangeWarning")

REPO = Path(__file__).resolve().parents[1]


def test_readme_test_command_is_what_ci_runs():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    run_line = next(line for line in ci.splitlines() if "pytest" in line and "venv" in line)
    command = run_line.strip().strip("()")
    assert command in readme


def test_readme_leads_with_the_two_commands():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:bash|sh)\n(.*?)```", readme, flags=re.S)
    assert "accessibility demo" in blocks[0]
    assert "pytest" in blocks[1]


def test_readme_python_quickstart_runs(tmp_path, monkeypatch):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.findall(r"```python\n(.*?)```", readme, flags=re.S)[0]
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)  # our own README
    layer = namespace["layer"]
    assert layer["clinic_doctors_per_head"].notna().all()
    assert (tmp_path / "clinics.gpkg").exists()
