"""Reliability of inputs (issue #15): the Python API validates as the CLI does, Shapefile text
encodings (GBK/GB18030) are detected, warnings that change results reach notebook users and
leave a trace, errors pickle, and the command's global flags work before the subcommand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from accessibility.cli import main

REPO = Path(__file__).resolve().parents[1]
PROJECT = REPO / "data" / "demo_project.toml"


# --- global flags before or after the subcommand -----------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["-q", "check", str(PROJECT)],
        ["check", str(PROJECT), "-q"],
        ["-v", "--n-jobs", "1", "check", str(PROJECT)],
        ["--quiet", "check", str(PROJECT), "--n-jobs", "1"],
    ],
)
def test_global_flags_before_or_after_the_subcommand(argv, capsys):
    assert main(argv) == 0
    assert "354 villages" in capsys.readouterr().out


def test_global_flags_parse_to_the_same_options():
    from accessibility.cli import build_parser

    parser = build_parser()
    before = parser.parse_args(["-q", "--n-jobs", "3", "run", "p.toml"])
    after = parser.parse_args(["run", "p.toml", "-q", "--n-jobs", "3"])
    assert vars(before) == vars(after)
    assert before.quiet is True and before.n_jobs == 3
    plain = parser.parse_args(["run", "p.toml"])
    assert plain.quiet is False and plain.n_jobs is None and plain.verbose == 0
    assert parser.parse_args(["-vv", "run", "p.toml"]).verbose == 2


def test_global_flag_before_the_subcommand_in_a_real_process():
    out = subprocess.run(
        [sys.executable, "-m", "accessibility", "-q", "check", str(PROJECT)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert out.returncode == 0, out.stderr
    assert "354 villages" in out.stdout
