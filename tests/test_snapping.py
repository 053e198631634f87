"""Polygons to points, explicitly."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

import accessibility as acc
from accessibility.errors import InvalidValueError


def test_to_points_methods(tmp_path):
    # an L-shaped village whose centroid lies outside it
    ell = shapely.Polygon([(0, 0), (1000, 0), (1000, 100), (100, 100), (100, 1000), (0, 1000)])
    layer = gpd.GeoDataFrame({"population": [10]}, geometry=[ell], index=["v"], crs="EPSG:32649")
    rep = acc.to_points(layer, method="representative")
    assert rep.geometry.iloc[0].within(ell)
    cen = acc.to_points(layer, method="centroid")
    assert not cen.geometry.iloc[0].within(ell)
    # a raster with all people in the cell at x 900-1000, y 0-100
    data = np.zeros((10, 10), dtype="float32")
    data[9, 9] = 500
    path = tmp_path / "pop.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=10,
        height=10,
        count=1,
        dtype="float32",
        crs="EPSG:32649",
        transform=from_origin(0, 1000, 100, 100),
    ) as dst:
        dst.write(data, 1)
    pop = acc.to_points(layer, method="population", population_raster=path)
    assert pop.geometry.iloc[0].equals_exact(shapely.Point(950, 50), 1e-6)
    assert layer.geometry.iloc[0].geom_type == "Polygon"  # input unchanged
    with pytest.raises(InvalidValueError, match="representative"):
        acc.to_points(layer, method="middle")
    with pytest.raises(InvalidValueError, match="population_raster"):
        acc.to_points(layer, method="population")
