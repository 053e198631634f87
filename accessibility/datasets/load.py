"""Finding and reading the shipped demo county."""

from __future__ import annotations

import os
from pathlib import Path

from .county import DEM_NAME, DEMO_CRS, GPKG_NAME, LAYERS, POPULATION_NAME, SOURCE_DATA_DIR, Demo


def _data_dir() -> Path:
    """Folder holding the packaged demo files (the repository's ``data/`` when not installed)."""
    import importlib.resources

    if (SOURCE_DATA_DIR / GPKG_NAME).exists() and (SOURCE_DATA_DIR / "generator").is_dir():
        return SOURCE_DATA_DIR  # a source checkout: its own data/, not another copy's mapping
    try:
        folder = importlib.resources.files("accessibility.data")
    except ModuleNotFoundError:
        return SOURCE_DATA_DIR
    path = Path(str(folder))
    if not (path / GPKG_NAME).exists():  # e.g. an editable install without the data mapping
        fallback = SOURCE_DATA_DIR
        if (fallback / GPKG_NAME).exists():
            return fallback
    return path


def demo_path() -> Path:
    """Path of the demo county GeoPackage shipped with the package.

    Returns
    -------
    Path
        ``.../demo_county.gpkg`` with layers roads, villages, facilities, townships, county.

    Examples
    --------
    >>> from accessibility.datasets import demo_path
    >>> demo_path().name
    'demo_county.gpkg'
    """
    return _data_dir() / GPKG_NAME


def load_demo(folder: str | os.PathLike | None = None) -> Demo:
    """Load the synthetic demo county.

    Parameters
    ----------
    folder
        Folder holding ``demo_county.gpkg`` and ``demo_dem.tif`` (for example the ``out_dir`` of
        :func:`make_demo_county`); default: the copy shipped with the package.

    Returns
    -------
    Demo
        Fresh GeoDataFrames (safe to modify) plus the raster paths; villages indexed by
        ``village_id`` and facilities by ``facility_id`` (strings).

    Raises
    ------
    FileNotFoundError
        If the GeoPackage is missing (regenerate it with ``python data/make_demo_county.py``).

    Examples
    --------
    >>> from accessibility.datasets import load_demo
    >>> demo = load_demo()
    >>> int(demo.villages["population"].sum()) > 100_000
    True
    """
    import pyogrio
    import pyproj

    base = _data_dir() if folder is None else Path(folder)
    gpkg = base / GPKG_NAME
    if not gpkg.exists():
        raise FileNotFoundError(
            f"demo GeoPackage {str(gpkg)!r} not found; regenerate it with "
            "`python data/make_demo_county.py` or "
            "`accessibility.datasets.make_demo_county(out_dir)`"
        )
    layers = {name: pyogrio.read_dataframe(gpkg, layer=name) for name in LAYERS}
    villages = layers["villages"].set_index("village_id")
    facilities = layers["facilities"].set_index("facility_id")
    population = base / POPULATION_NAME
    return Demo(
        roads=layers["roads"],
        villages=villages,
        facilities=facilities,
        townships=layers["townships"],
        county=layers["county"],
        dem_path=base / DEM_NAME,
        population_path=population if population.exists() else None,
        crs=pyproj.CRS.from_user_input(DEMO_CRS),
        schools=layers["schools"].set_index("facility_id"),
    )
