"""A national-shaped synthetic test bed: many counties tiled on a grid, grouped into provinces,
joined by roads that cross their borders, with facilities placed just beside the borders.

:func:`make_national` builds it (deterministically) from :func:`make_region`;
:func:`write_region_project` writes it with a project file. 144 counties (12 x 12) of the demo
county give 50,976 villages; ``bench/bench_national.py`` runs it.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import pandas as pd
import shapely

from ...errors import ConfigError
from .region import Region, make_region

__all__ = ["make_national", "province_of"]


def province_of(col: int, row: int, province_side: int) -> str:
    """The province code of the county at grid cell (``col``, ``row``): provinces are blocks of
    ``province_side`` x ``province_side`` counties, ``P<row><col>`` of the block.

    Examples
    --------
    >>> province_of(4, 1, 3)
    'P0001'
    """
    return f"P{row // province_side:02d}{col // province_side:02d}"


def _border_facilities(region: Region, *, service: str) -> gpd.GeoDataFrame:
    """One facility of ``service`` at one end of every road crossing a county border (the
    outermost major-road junctions of the two counties; the ends alternate), in the county of the
    nearest village: a copy of that county's first facility of the service (or of its first
    facility), so the nearest facility of many villages lies across a border."""
    fac, roads, vil = region.facilities, region.roads, region.villages
    links = roads[roads["county"] == "link"]
    tree = shapely.STRtree(vil.geometry.to_numpy())
    rows = []
    for k, line in enumerate(links.geometry):
        ends = shapely.get_coordinates(line)[[0, -1]]
        for end, xy in [("ab"[k % 2], ends[k % 2])]:
            point = shapely.Point(xy)
            code = str(vil["county"].iloc[int(tree.nearest(point))])
            own = fac[fac["county"] == code]
            pick = own[own["service"] == service]
            tmpl = (pick if len(pick) else own).iloc[[0]].copy()
            tmpl["service"] = service
            tmpl.index = pd.Index([f"{code}-B{k:03d}{end}"], name=fac.index.name)
            rows.append(tmpl.set_geometry([point], crs=fac.crs))
    if not rows:
        return fac.iloc[:0]
    return gpd.GeoDataFrame(pd.concat(rows), crs=fac.crs)


def make_national(
    n_counties: int = 144,
    *,
    columns: int = 12,
    province_side: int = 3,
    border_service: str = "hospital",
    seeds: Sequence[int] | None = None,
) -> Region:
    """A national-shaped synthetic region: ``n_counties`` demo counties on a grid of ``columns``
    per row, grouped into provinces, with facilities beside every border crossing.

    Counties are those of :func:`make_region` (ids prefixed ``C00-``, ``C01-``, ...; two roads
    cross each shared border). A ``province`` column (blocks of ``province_side`` x
    ``province_side`` counties, :func:`province_of`) is added to every layer, and a facility of
    ``border_service`` is placed at one end of every border-crossing road (alternately on either
    side; ids ``<county>-B<k>a`` / ``b``), so the nearest facility of many villages lies across a
    border and partitions must take it into account. Deterministic: the same arguments give the same layers.

    Parameters
    ----------
    n_counties
        Number of counties (354 villages each with the default demo copies).
    columns
        Counties per row of the grid.
    province_side
        Counties per side of a province block.
    border_service
        Service of the facilities placed beside borders.
    seeds
        Generator seeds for distinct counties (see :func:`make_region`); default: copies of the
        shipped demo county.

    Examples
    --------
    >>> from accessibility.project.dask import make_national
    >>> region = make_national(4, columns=2, province_side=1)
    >>> sorted(region.villages["province"].unique())
    ['P0000', 'P0001', 'P0100', 'P0101']
    >>> int(region.facilities.index.str.contains("-B").sum())
    8
    """
    if n_counties < 1 or columns < 1 or province_side < 1:
        raise ConfigError(
            f"make_national: n_counties={n_counties}, columns={columns} and province_side="
            f"{province_side} must all be at least 1"
        )
    region = make_region(n_counties, columns=columns, seeds=seeds)
    cols_n = min(columns, n_counties)
    grid = {f"C{i:02d}": (i % cols_n, i // cols_n) for i in range(n_counties)}
    extra = _border_facilities(region, service=border_service)
    fac = gpd.GeoDataFrame(pd.concat([region.facilities, extra]), crs=region.crs)
    region.facilities = fac
    for name in ("villages", "facilities", "townships", "roads"):
        g = getattr(region, name)
        g["province"] = [
            province_of(*grid[c], province_side) if c in grid else "link" for c in g["county"]
        ]
    return region
