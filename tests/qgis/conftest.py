"""Real-QGIS tests: skipped unless the system Python (/usr/bin/python3) can import qgis.core.

Install QGIS with ``.ci/install_qgis.sh`` (Debian's python3-qgis, qgis-providers, qgis).
Every test here that runs QGIS (uses the ``qgis`` fixture) carries the ``qgis`` marker: ``pytest -m "not qgis"`` leaves them out.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from qgis_helpers import qgis_version

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        here = HERE in Path(str(item.fspath)).resolve().parents
        if here and "qgis" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.qgis)


@pytest.fixture(scope="session")
def qgis() -> str:
    """The QGIS version; skips the test when QGIS is not installed for the system Python."""
    version = qgis_version()
    if version is None:
        message = "QGIS is not installed for /usr/bin/python3 (run .ci/install_qgis.sh)"
        if os.environ.get("ACCESSIBILITY_REQUIRE_QGIS") == "1":
            pytest.fail(message + "; CI requires the real-QGIS tests to run")
        pytest.skip(message)
    return version
