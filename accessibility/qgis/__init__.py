"""Running the package from QGIS.

:file:`accessibility_algorithm.py` in this folder is a QGIS Processing script (and provider) that
runs ``accessibility run`` on layers picked in QGIS. QGIS loads it by file path; it never imports
this package (QGIS's Python and this package's environment must stay apart). See docs/qgis.md.

Importing this module does not import QGIS.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

__all__ = ["cli_path", "script_path"]


def script_path() -> Path:
    """Path of the QGIS Processing script to add to the QGIS toolbox.

    Examples
    --------
    >>> script_path().name
    'accessibility_algorithm.py'
    """
    return Path(__file__).resolve().parent / "accessibility_algorithm.py"


def cli_path() -> str | None:
    """Path of the ``accessibility`` command of this Python environment, or None when absent.

    Examples
    --------
    >>> cli_path()  # doctest: +SKIP
    '/home/me/venv/bin/accessibility'
    """
    folder = Path(sys.executable).parent
    for name in ("accessibility", "accessibility.exe"):
        if (folder / name).exists():
            return str(folder / name)
    return shutil.which("accessibility")
