"""Shared test fixtures.

Real data lives beside the project in ``../shared/data`` and is never copied into the repository;
tests that need it skip cleanly when the folder is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from accessibility import set_options

# CI replays the same generated examples on every run (a red CI is then a real regression, not a
# new random draw); locally hypothesis keeps exploring new examples.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("ACCESSIBILITY_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ``../shared/data``; skips the test when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent")
    return SHARED_DATA


@pytest.fixture(autouse=True, scope="session")
def _quiet_progress():
    with set_options(progress=False):
        yield
