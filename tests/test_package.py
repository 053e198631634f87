"""Package hygiene: nothing happens at import, every public name resolves."""

from __future__ import annotations

import subprocess
import sys

import accessibility


def test_import_is_lazy_and_quiet():
    code = (
        "import sys, logging; import accessibility;"
        "heavy = [m for m in ('geopandas', 'numba', 'osmnx', 'rasterio') if m in sys.modules];"
        "print(heavy); print(logging.getLogger('accessibility').handlers)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[0] == "[]"
    assert "NullHandler" in out.stdout
    assert out.stderr == ""


def test_every_public_name_resolves():
    for name in accessibility.__all__:
        assert getattr(accessibility, name) is not None, name


def test_locate_is_the_function_even_after_submodules_load():
    import accessibility.costs

    assert callable(accessibility.locate)
    assert accessibility.locate.__module__ == "accessibility.snapping"
