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


def test_snapping_is_stable_under_a_round_trip_through_epsg4326():
    """The demo's layers written to EPSG:4326 and back to the project CRS move by nanometres;
    village V001 lies (to 1e-10 m) equally far from two edges, and the near-tie used to flip to the
    other edge (its hospital time 4.60 -> 5.20 min). Edges within SNAP_TIE_M of the nearest are a
    tie broken by the edges' own (rounded) coordinates, so every time agrees."""
    from accessibility.options import set_options
    from accessibility.snapping import SNAP_TIE_M, locate

    demo = acc.load_demo()
    crs = demo.crs
    with set_options(progress=False):
        net = acc.network_from_roads(demo.roads, tolerance_m=2.5, crs=crs)
        net_rt = acc.network_from_roads(demo.roads.to_crs(4326), tolerance_m=2.5, crs=crs)
        villages_rt = demo.villages.to_crs(4326)
        a = locate(demo.villages, net, mode="car")
        b = locate(villages_rt, net_rt, mode="car")
        # the near-tie: two edges within a nanometre of V001's nearest distance
        p = demo.villages.geometry.loc["V001"]
        d = np.sort(shapely.distance(net.edges.geometry.to_numpy(), p))
        assert d[1] - d[0] < 1e-6 < SNAP_TIE_M
        assert (a["edge"] == b["edge"]).all()
        np.testing.assert_allclose(a["snap_distance_m"], b["snap_distance_m"], rtol=0, atol=1e-6)
        la = acc.accessibility_layer(net, demo.villages, demo.facilities)
        lb = acc.accessibility_layer(net_rt, villages_rt, demo.facilities.to_crs(4326))
    times = [c for c in la.columns if c.endswith("_nearest_min")]
    assert len(times) >= 7
    for col in times:
        np.testing.assert_allclose(lb[col], la[col], rtol=0, atol=1e-6, err_msg=col)


def test_points_with_nan_or_infinite_coordinates_are_left_unsnapped():
    # found in review: the tie-breaking query crashed with an empty GEOSException on them
    import geopandas as gpd
    import numpy as np
    from shapely.geometry import LineString, Point

    from accessibility.network import network_from_roads
    from accessibility.snapping import locate

    roads = gpd.GeoDataFrame(
        {"road_class": ["县道"]}, geometry=[LineString([(0, 0), (1000, 0)])], crs=32650
    )
    net = network_from_roads(roads)
    pts = gpd.GeoDataFrame(
        geometry=[Point(10, 10), Point(np.nan, np.nan), Point(np.inf, 5)], crs=32650
    )
    got = locate(pts, net, mode="car")
    assert got["snapped"].tolist() == [True, False, False]
