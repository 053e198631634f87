"""The API reference site builds from the docstrings with warnings as errors, and documents every
top-level name (``python -m sphinx -W -b html docs/api build/api``)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import accessibility

ROOT = Path(__file__).resolve().parents[1]

pytest.importorskip("sphinx")


@pytest.mark.slow
def test_api_reference_builds_without_warnings_and_documents_every_public_name(tmp_path):
    out = tmp_path / "api"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            ROOT / "docs/api",
            out,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    page = (out / "index.html").read_text(encoding="utf-8")
    documented = {
        m.group(1).rsplit(".", 1)[-1] for m in re.finditer(r'id="(accessibility[\w.]*)"', page)
    }
    missing = sorted(set(accessibility._LAZY) - documented)
    assert not missing, f"top-level names without an entry in the API reference: {missing}"
