"""The generator of the SYNTHETIC demo county (not shipped with the package).

:func:`generate` builds every layer and raster in memory from one seed (a fixed-seed
:class:`numpy.random.Generator` per stage, no network); :func:`write_demo_county` writes them to a
folder. Run it through ``python data/make_demo_county.py`` or
:func:`accessibility.datasets.make_demo_county` from a source checkout.

One stage per module, in the order they run:

* :mod:`.land` — county boundary, township polygons, elevation model (and the population raster);
* :mod:`.settlements` — the county seat's street grid and the villages;
* :mod:`.roads` — the road network;
* :mod:`.facilities` — public facilities;
* :mod:`.schools` — the school table of the compulsory-education audit (own stage);
* :mod:`.frames` — the layers as GeoDataFrames; :mod:`.files` — writing them;
* :mod:`.buses` — the bus line table ``demo_bus_lines.toml`` (its own generator, from the layers).

Everything is built in a local frame in metres (:mod:`.frame`), shifted into EPSG:4546 at the end.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from accessibility.datasets.county import DEM_NAME, DEMO_SEED, GPKG_NAME, POPULATION_NAME

from .buses import BUS_LINES_NAME, write_bus_lines
from .facilities import make_facilities
from .files import write_gpkg, write_tif
from .frame import SEAT, TOWNSHIPS, X0, Y0, stage_rng
from .frames import make_frames
from .land import county_boundary, make_dem, make_population_raster, township_polygons
from .roads import make_roads
from .schools import STAGE as SCHOOLS_STAGE
from .schools import make_schools
from .settlements import make_villages, urban_grid

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["generate", "write_demo_county"]

logger = logging.getLogger(__name__)


def generate(
    seed: int,
) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, tuple[np.ndarray, Any, float]]]:
    """Build every layer and raster in memory (no I/O)."""

    centres = {key: (x * 1000.0, y * 1000.0) for key, _, _, x, y in TOWNSHIPS}
    county = county_boundary(stage_rng(seed, 1), centres)
    townships = township_polygons(county, centres)
    dem, transform, valid = make_dem(stage_rng(seed, 2), county)
    grid = urban_grid(stage_rng(seed, 3), centres[SEAT])
    villages = make_villages(stage_rng(seed, 4), county, townships, centres, grid, dem, transform)
    lines = make_roads(stage_rng(seed, 5), county, centres, grid, villages)
    facilities = make_facilities(stage_rng(seed, 6), county, villages, centres, grid)
    population = make_population_raster(villages, county, transform, dem.shape)
    dem = np.where(valid, dem, np.float32(-9999.0)).astype(np.float32)
    population = np.where(valid, population, np.float32(-1.0)).astype(np.float32)
    layers = make_frames(seed, county, townships, villages, lines, facilities)
    layers["schools"] = make_schools(stage_rng(seed, SCHOOLS_STAGE), layers["facilities"])
    from affine import Affine

    shifted = Affine(
        transform.a, transform.b, transform.c + X0, transform.d, transform.e, transform.f + Y0
    )
    return layers, {"dem": (dem, shifted, -9999.0), "population": (population, shifted, -1.0)}


def write_demo_county(
    out_dir: str | os.PathLike,
    *,
    seed: int = DEMO_SEED,
    population_raster: bool = True,
    overwrite: bool = True,
) -> None:
    """Generate the demo county and write its files to ``out_dir``, each atomically.

    Parameters
    ----------
    out_dir
        Folder to write into (created if missing).
    seed
        Seed of the random generator; ``DEMO_SEED`` reproduces the shipped files.
    population_raster
        Also write ``demo_population.tif``.
    overwrite
        Replace existing files; if False an existing file raises
        :class:`~accessibility.errors.OutputError` before anything is generated.
    """
    from accessibility._files import check_writable

    out = Path(out_dir)
    names = [GPKG_NAME, DEM_NAME] + ([POPULATION_NAME] if population_raster else [])
    names.append(BUS_LINES_NAME)
    for name in names:  # fail before the work, not after it
        check_writable(out / name, overwrite=overwrite)
    layers, rasters = generate(seed)
    write_gpkg(layers, out / GPKG_NAME, overwrite=overwrite)
    write_bus_lines(seed, layers, out / BUS_LINES_NAME, overwrite=overwrite)
    for key, name, band, units in (
        ("dem", DEM_NAME, "elevation_m", "m"),
        ("population", POPULATION_NAME, "population", "people per cell"),
    ):
        if name in names:
            array, transform, nodata = rasters[key]
            write_tif(
                array,
                transform,
                out / name,
                nodata=nodata,
                band=band,
                units=units,
                overwrite=overwrite,
            )
    logger.info("wrote the synthetic demo county to %s", out)
