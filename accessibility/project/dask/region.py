"""A synthetic multi-county region (copies of the demo county side by side, joined by
inter-county roads) and a project file for it, for tests and benchmarks of partitioned runs."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..._files import atomic_path
from ...datasets import DEMO_HEIGHT_M, DEMO_WIDTH_M, load_demo, make_demo_county
from ...errors import ConfigError
from ...io import write_geopackage

__all__ = ["Region", "make_region", "write_region_project"]


@dataclasses.dataclass
class Region:
    """A synthetic multi-county region: layers like the demo county plus a ``county`` column."""

    roads: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame
    crs: Any

    def __repr__(self) -> str:
        return (
            f"<Region {self.villages['county'].nunique()} counties, {len(self.villages)} villages, "
            f"{len(self.facilities)} facilities, {len(self.roads)} roads>"
        )


def _link_roads(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame, *, axis: int, n: int) -> list[Any]:
    """Straight roads joining road vertices of county ``a`` to those of ``b`` across their border
    (``b`` lies east of ``a`` for axis 0, north for axis 1); ends are existing vertices, so the new
    roads join both networks."""
    major = ("expressway", "national", "provincial", "county", "township")
    out = []

    def verts(g: gpd.GeoDataFrame) -> np.ndarray:
        sel = g[g["road_class"].isin(major)]
        return shapely.get_coordinates((sel if len(sel) else g).geometry.to_numpy())

    va, vb = verts(a), verts(b)
    other = 1 - axis
    lo = max(va[:, other].min(), vb[:, other].min())
    hi = min(va[:, other].max(), vb[:, other].max())
    edges = np.linspace(lo, hi, n + 1)
    for k in range(n):
        ina = va[(va[:, other] >= edges[k]) & (va[:, other] <= edges[k + 1])]
        inb = vb[(vb[:, other] >= edges[k]) & (vb[:, other] <= edges[k + 1])]
        if len(ina) == 0 or len(inb) == 0:
            continue
        pa = ina[np.argmax(ina[:, axis])]
        pb = inb[np.argmin(inb[:, axis])]
        out.append(shapely.LineString([pa, pb]))
    return out


def make_region(
    n_counties: int = 3,
    *,
    columns: int | None = None,
    seeds: Sequence[int] | None = None,
    links_per_border: int = 2,
    link_class: str = "national",
) -> Region:
    """Several synthetic demo counties side by side, joined by inter-county roads.

    County ``i`` is placed at column ``i % columns`` and row ``i // columns`` of a grid (40 x
    35 km cells, the demo county's extent), its ids prefixed with its code (``C00-``, ``C01-``, ...)
    and a ``county`` column added to villages, facilities, townships and roads. Neighbouring
    counties are joined by ``links_per_border`` straight roads of class ``link_class`` between
    their major roads' outermost vertices, so trips (and catchments) cross county borders.

    Parameters
    ----------
    n_counties
        Number of counties.
    columns
        Counties per row (default: all in one row).
    seeds
        Generator seeds (:func:`accessibility.datasets.make_demo_county`, about 6 s each); the
        default copies the shipped demo county (fast), each copy shifted.
    links_per_border
        Roads joining each pair of neighbouring counties.
    link_class
        Road class of the joining roads.

    Examples
    --------
    >>> from accessibility.project.dask import make_region
    >>> region = make_region(2)
    >>> sorted(region.villages["county"].unique())
    ['C00', 'C01']
    """

    cols_n = columns or n_counties
    cache: dict[Any, Any] = {}
    layers: dict[str, list[gpd.GeoDataFrame]] = {
        "roads": [],
        "villages": [],
        "facilities": [],
        "townships": [],
    }
    roads_of: dict[tuple[int, int], gpd.GeoDataFrame] = {}
    crs = None
    for i in range(n_counties):
        seed = None if seeds is None else int(seeds[i % len(seeds)])
        if seed not in cache:
            if seed is None:
                cache[seed] = load_demo()
            else:
                with tempfile.TemporaryDirectory() as tmp:
                    cache[seed] = make_demo_county(tmp, seed=seed, population_raster=False)
        demo = cache[seed]
        crs = demo.crs
        col, row = i % cols_n, i // cols_n
        dx, dy = col * DEMO_WIDTH_M, row * DEMO_HEIGHT_M
        code = f"C{i:02d}"
        for name in layers:
            g = getattr(demo, name).copy()
            g = g.set_geometry(g.geometry.translate(dx, dy))
            if name in ("villages", "facilities"):
                g.index = pd.Index([f"{code}-{v}" for v in g.index], name=g.index.name)
            if "township" in g.columns:
                g["township"] = code + "-" + g["township"].astype(str)
            if name == "facilities" and "village_id" in g.columns:
                g["village_id"] = code + "-" + g["village_id"].astype(str)
            if name == "roads" and "road_id" in g.columns:
                g["road_id"] = code + "-" + g["road_id"].astype(str)
            g["county"] = code
            layers[name].append(g)
        roads_of[(col, row)] = layers["roads"][-1]
    links: list[Any] = []
    for (col, row), g in roads_of.items():
        for axis, nb in ((0, (col + 1, row)), (1, (col, row + 1))):
            if nb in roads_of:
                for line in _link_roads(g, roads_of[nb], axis=axis, n=links_per_border):
                    links.append((line, f"link-{col}{row}-{nb[0]}{nb[1]}-{len(links)}"))
    roads = pd.concat(layers["roads"], ignore_index=True)
    if links:
        extra = gpd.GeoDataFrame(
            {
                "road_id": [name for _, name in links],
                "road_class": link_class,
                "name": "跨县公路",
                "oneway": False,
                "county": "link",
            },
            geometry=[line for line, _ in links],
            crs=crs,
        )
        roads = pd.concat([roads, extra], ignore_index=True)
    roads = gpd.GeoDataFrame(roads, geometry=roads.geometry.name, crs=crs)
    out = {k: gpd.GeoDataFrame(pd.concat(v), crs=crs) for k, v in layers.items() if k != "roads"}
    return Region(
        roads=roads,
        villages=out["villages"],
        facilities=out["facilities"],
        townships=out["townships"].reset_index(drop=True),
        crs=crs,
    )


def _toml_value(value: Any) -> str:
    """``value`` as a TOML value: JSON's scalars (strings with their escapes, numbers, true and
    false) are TOML's; sequences become arrays, mappings inline tables."""
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in value.items()) + " }"
    if isinstance(value, Sequence) and not isinstance(value, str):
        return "[" + ", ".join(_toml_value(x) for x in value) + "]"
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # inf, nan (JSON would write Infinity, NaN)
    if isinstance(value, str | bool | int | float):
        return json.dumps(value, ensure_ascii=False)
    raise ConfigError(f"cannot write {value!r} to TOML")  # pragma: no cover


def write_region_project(
    region: Region,
    folder: str | os.PathLike,
    *,
    services: Mapping[str, Mapping[str, Any]],
    mode: str = "car",
    thresholds_min: Sequence[float] = (15, 30, 60),
    max_snap_m: float = 1000.0,
    tolerance_m: float = 2.5,
    standards: str = "none",
    report: bool = False,
) -> Path:
    """Write a region's layers to ``folder/region.gpkg`` and a project file for them; returns the
    path of ``folder/project.toml`` (run it with :func:`run_partitioned` or ``run_project``).

    ``services`` is the ``[services]`` table, e.g. ``{"clinic": {"thresholds_min": [10, 20]}}``.
    """

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    write_geopackage(
        out / "region.gpkg",
        {
            "roads": region.roads,
            "villages": region.villages,
            "facilities": region.facilities,
            "townships": region.townships,
        },
        overwrite=True,
    )
    lines = [
        "# SYNTHETIC multi-county region (accessibility.distributed.make_region)",
        "[project]",
        'name = "Synthetic region"',
        "[input]",
    ]
    for layer in ("roads", "villages", "facilities", "townships"):
        lines += [f'{layer} = "region.gpkg"', f'{layer}_layer = "{layer}"']
    lines += [
        "[columns]",
        'village_id = "village_id"',
        'facility_id = "facility_id"',
        "[network]",
        f"tolerance_m = {float(tolerance_m)!r}",
        f"max_snap_m = {float(max_snap_m)!r}",
        "[analysis]",
        f'mode = "{mode}"',
        f"thresholds_min = {_toml_value([float(t) for t in thresholds_min])}",
    ]
    for name, spec in services.items():
        lines.append(f"[services.{name}]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in spec.items()]
    lines += [
        "[equity]",
        f'standards = "{standards}"',
        "[output]",
        'folder = "out"',
        'geopackage = "accessibility.gpkg"',
        'csv = "villages.csv"',
        f'report = "{"report.html" if report else ""}"',
    ]
    path = out / "project.toml"
    with atomic_path(path) as tmp:
        Path(tmp).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
