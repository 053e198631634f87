"""Regenerating the demo county with the generator of a source checkout (``data/generator/``).

The generator (about 1,300 lines) is not shipped with the package: it lives next to the data it
writes, in the repository's ``data/generator/``. :func:`make_demo_county` loads it from there.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from .county import DEMO_SEED, SOURCE_DATA_DIR, Demo
from .load import load_demo

__all__ = ["load_generator", "make_demo_county"]

#: Module name under which the checkout's generator package is imported.
GENERATOR_MODULE = "accessibility_demo_generator"


def load_generator() -> ModuleType:
    """The demo generator package of this source checkout (``data/generator/``), imported once.

    Returns
    -------
    ModuleType
        The package, with ``generate(seed)`` (layers and rasters in memory) and
        ``write_demo_county(out_dir, ...)``.

    Raises
    ------
    FileNotFoundError
        If ``data/generator/`` is not next to the package (an installed copy has no generator).
    """
    if GENERATOR_MODULE in sys.modules:
        return sys.modules[GENERATOR_MODULE]
    folder = SOURCE_DATA_DIR / "generator"
    init = folder / "__init__.py"
    if not init.exists():
        raise FileNotFoundError(
            f"the demo county generator {str(folder)!r} is not there: it is not shipped with the "
            "package; run `python data/make_demo_county.py` from a source checkout of accessibility "
            "(the shipped demo files load with `accessibility.datasets.load_demo()`)"
        )
    spec = importlib.util.spec_from_file_location(
        GENERATOR_MODULE, init, submodule_search_locations=[str(folder)]
    )
    if spec is None or spec.loader is None:  # pragma: no cover - a folder with __init__.py loads
        raise ImportError(f"cannot load the demo county generator from {str(folder)!r}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[GENERATOR_MODULE] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[GENERATOR_MODULE]
        raise
    return module


def make_demo_county(
    out_dir: str | os.PathLike,
    *,
    seed: int = DEMO_SEED,
    population_raster: bool = True,
    overwrite: bool = True,
) -> Demo:
    """Generate the synthetic demo county and write it to ``out_dir``.

    Writes ``demo_county.gpkg`` (GeoPackage 1.2; layers roads, villages, facilities, townships,
    county), ``demo_dem.tif`` (elevation, m) and optionally ``demo_population.tif`` (people per
    cell), each atomically. The same seed gives the same layer content on every run (and, with the
    same GDAL version, the same file bytes: the GeoPackage timestamp is fixed).

    Parameters
    ----------
    out_dir
        Folder to write into (created if missing).
    seed
        Seed of the random generator; :data:`DEMO_SEED` reproduces the shipped files.
    population_raster
        Also write ``demo_population.tif``.
    overwrite
        Replace existing files; if False an existing file raises :class:`~accessibility.errors.OutputError`.

    Returns
    -------
    Demo
        The county as read back from ``out_dir``.

    Raises
    ------
    FileNotFoundError
        If the generator is not there: it lives in the repository's ``data/generator/`` and is
        not shipped with the package (run from a source checkout).

    Examples
    --------
    >>> import tempfile
    >>> from accessibility.datasets import make_demo_county
    >>> demo = make_demo_county(tempfile.mkdtemp())  # doctest: +SKIP
    """
    load_generator().write_demo_county(
        out_dir, seed=seed, population_raster=population_raster, overwrite=overwrite
    )
    return load_demo(Path(out_dir))
