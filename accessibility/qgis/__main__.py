"""``python -m accessibility.qgis``: print what QGIS needs to run the package."""

from __future__ import annotations

import sys

from . import cli_path, script_path


def main() -> int:
    """Print the Processing script to add to QGIS and the command to point it at."""
    cli = cli_path()
    sys.stdout.write(
        "QGIS Processing script (Processing Toolbox -> Scripts -> Add Script to Toolbox...):\n"
        f"  {script_path()}\n"
        "accessibility command (algorithm field 'accessibility command', or the QGIS setting "
        "accessibility/cli_path, or the environment variable ACCESSIBILITY_CLI):\n"
        f"  {cli or 'not found: install the package in this environment'}\n"
    )
    return 0 if cli else 1


if __name__ == "__main__":
    sys.exit(main())
