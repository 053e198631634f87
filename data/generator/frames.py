"""The generated layers as GeoDataFrames in EPSG:4546, with fixed column order and dtypes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from accessibility.datasets.county import (
    DEMO_CRS,
    ROAD_CLASSES,
)

from .files import SYNTHETIC
from .frame import SEAT, TOWNSHIPS, X0, Y0, Line, mountain_factor, terrain_class

if TYPE_CHECKING:
    import geopandas as gpd
    from shapely import Polygon


def make_frames(
    seed: int,
    county: Polygon,
    townships: dict,
    villages: list[dict[str, Any]],
    lines: list[Line],
    facilities: list[dict[str, Any]],
) -> dict[str, gpd.GeoDataFrame]:
    """GeoDataFrames in EPSG:4546, with fixed column order and dtypes."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    def shift(geom: Any) -> Any:
        return shapely.transform(geom, lambda c: np.round(c + np.array([X0, Y0]), 2))

    rank = {cls: i for i, cls in enumerate(ROAD_CLASSES)}
    order = sorted(range(len(lines)), key=lambda j: (rank[lines[j].road_class], j))
    roads = gpd.GeoDataFrame(
        {
            "road_id": [f"R{n + 1:04d}" for n in range(len(order))],
            "road_class": [lines[j].road_class for j in order],
            "ref": [lines[j].ref for j in order],
            "name": [lines[j].name for j in order],
            "oneway": np.array([lines[j].oneway for j in order], dtype=bool),
            "gap_m": np.array([lines[j].gap_m for j in order], dtype="float64"),
        },
        geometry=[shift(shapely.LineString(lines[j].xy)) for j in order],
        crs=DEMO_CRS,
    )
    vil = gpd.GeoDataFrame(
        {
            "village_id": [v["village_id"] for v in villages],
            "name": [v["name"] for v in villages],
            "name_pinyin": [v["name_pinyin"] for v in villages],
            "township": [v["township"] for v in villages],
            "area_type": [v["area_type"] for v in villages],
            "settlement": [v["settlement"] for v in villages],
            "terrain": [v["terrain"] for v in villages],
            "population": np.array([v["population"] for v in villages], dtype="int64"),
            "pop_school_age": np.array([v["pop_school_age"] for v in villages], dtype="int64"),
            "pop_elderly": np.array([v["pop_elderly"] for v in villages], dtype="int64"),
            "income_yuan": np.array([v["income_yuan"] for v in villages], dtype="int64"),
            "elevation_m": np.array([v["elevation_m"] for v in villages], dtype="float64"),
        },
        geometry=[shift(shapely.Point(v["x"], v["y"])) for v in villages],
        crs=DEMO_CRS,
    ).set_index("village_id")
    fac = gpd.GeoDataFrame(
        {
            "facility_id": [f["facility_id"] for f in facilities],
            "name": [f["name"] for f in facilities],
            "service": [f["service"] for f in facilities],
            "level": [f["level"] for f in facilities],
            "capacity": np.array([f["capacity"] for f in facilities], dtype="int64"),
            "capacity_unit": [f["capacity_unit"] for f in facilities],
            "doctors": np.array([f["doctors"] for f in facilities], dtype="int64"),
            "teachers": np.array([f["teachers"] for f in facilities], dtype="int64"),
            "township": [villages[f["village"]]["township"] for f in facilities],
            "village_id": [villages[f["village"]]["village_id"] for f in facilities],
        },
        geometry=[shift(shapely.Point(f["x"], f["y"])) for f in facilities],
        crs=DEMO_CRS,
    ).set_index("facility_id")
    pop_by_township = pd.Series(vil["population"].to_numpy(), index=vil["township"].to_numpy())
    pop_by_township = pop_by_township.groupby(level=0).sum()
    tw = gpd.GeoDataFrame(
        {
            "township": [key for key, *_ in TOWNSHIPS],
            "name": [zh for _, zh, *_ in TOWNSHIPS],
            "name_pinyin": [py for _, _, py, *_ in TOWNSHIPS],
            "area_type": ["urban" if key == SEAT else "rural" for key, *_ in TOWNSHIPS],
            "terrain": [
                terrain_class(float(mountain_factor(x * 1e3, y * 1e3))) for *_, x, y in TOWNSHIPS
            ],
            "population": np.array(
                [int(pop_by_township.get(key, 0)) for key, *_ in TOWNSHIPS], dtype="int64"
            ),
        },
        geometry=[shift(townships[key]) for key, *_ in TOWNSHIPS],
        crs=DEMO_CRS,
    )
    cty = gpd.GeoDataFrame(
        {
            "name": ["青岚县"],
            "name_pinyin": ["Qinglan Xian"],
            "note": [SYNTHETIC],
            "seed": np.array([seed], dtype="int64"),
        },
        geometry=[shift(county)],
        crs=DEMO_CRS,
    )
    return {"roads": roads, "villages": vil, "facilities": fac, "townships": tw, "county": cty}
