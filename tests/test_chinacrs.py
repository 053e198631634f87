"""Tests for accessibility.chinacrs: GCJ-02 / BD-09 / WGS-84 conversion and the datum-offset check.

Reference points (published values, cited where they are used):

- googollee/eviltransform, ``go/transform_test.go`` and ``python/test.py`` (MIT): three WGS-84 ->
  GCJ-02 pairs (Shanghai, Shenzhen, Beijing).
- wandergis/coordtransform, ``README.md`` (MIT): results of ``wgs84togcj02``, ``gcj02tobd09`` and
  ``bd09togcj02`` at (116.404, 39.915).
- Amap (Gaode) Web Service API documentation, coordinate convert, response example
  (https://lbs.amap.com/api/webservice/guide/api/convert/, mirrored at
  https://apifox.com/apidoc/docs-site/759159/api-14671355): GPS (116.481499, 39.990475) and
  (116.481499, 39.990375) -> Amap coordinates; these are the official service's answers, not the
  public formula, so they check that formula against the real thing.
- Alibaba Cloud address-purification API documentation, TransferCoord example
  (https://help.aliyun.com/zh/address-purification/addrpapi/developer-reference/
  coordinate-system-conversion): GCJ-02 (120.026268, 30.279164) -> BD-09 (120.032768, 30.285238)
  and WGS-84 (120.021519, 30.281543).
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point

from accessibility.chinacrs import (
    DatumOffsetReport,
    bd09_to_gcj02,
    bd09_to_wgs84,
    convert_points,
    detect_datum_offset,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_china,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from accessibility.errors import CRSError, EmptyLayerError, InvalidValueError
from accessibility.validate import InputWarning

R_EARTH_M = 6_371_008.8


def ground_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Haversine distance in metres (to ~0.5 %: plenty for 1 cm and 1 m checks)."""
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * R_EARTH_M * np.arcsin(np.sqrt(a))


# (wgs lon, wgs lat, gcj lon, gcj lat) -- googollee/eviltransform go/transform_test.go
EVILTRANSFORM = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),  # Shanghai
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),  # Shenzhen
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),  # Beijing
]
# Amap web service documentation, coordinate convert example (coordsys=gps)
AMAP_DOC = [
    (116.481499, 39.990475, 116.487585177952, 39.991754014757),
    (116.481499, 39.990375, 116.487585177952, 39.991653917101),
]


@pytest.mark.parametrize(("wlon", "wlat", "glon", "glat"), EVILTRANSFORM + AMAP_DOC)
def test_wgs84_to_gcj02_matches_published_points(wlon, wlat, glon, glat):
    lon, lat = wgs84_to_gcj02(wlon, wlat)
    assert ground_m(lon, lat, glon, glat) < 1.0


@pytest.mark.parametrize(("wlon", "wlat", "glon", "glat"), EVILTRANSFORM + AMAP_DOC)
def test_gcj02_to_wgs84_matches_published_points(wlon, wlat, glon, glat):
    lon, lat = gcj02_to_wgs84(glon, glat)
    assert ground_m(lon, lat, wlon, wlat) < 1.0


def test_eviltransform_points_are_reproduced_to_the_millimetre():
    # eviltransform's values come from the same public formula, so they must agree to fp noise
    w = np.array(EVILTRANSFORM)
    lon, lat = wgs84_to_gcj02(w[:, 0], w[:, 1])
    assert np.all(ground_m(lon, lat, w[:, 2], w[:, 3]) < 1e-3)
    lon, lat = gcj02_to_wgs84(w[:, 2], w[:, 3])
    assert np.all(ground_m(lon, lat, w[:, 0], w[:, 1]) < 1e-3)


def test_wandergis_readme_values():
    # wandergis/coordtransform README, "result" block for input (116.404, 39.915)
    lon, lat = wgs84_to_gcj02(116.404, 39.915)
    assert ground_m(lon, lat, 116.41024449916938, 39.91640428150164) < 1e-3
    lon, lat = gcj02_to_bd09(116.404, 39.915)
    assert ground_m(lon, lat, 116.41036949371029, 39.92133699351021) < 1e-3
    # wandergis uses the closed-form approximate BD-09 inverse; ours iterates, within a few cm
    lon, lat = bd09_to_gcj02(116.404, 39.915)
    assert ground_m(lon, lat, 116.39762729119315, 39.90865673957631) < 0.1


def test_alibaba_cloud_example():
    lon, lat = gcj02_to_bd09(120.026268, 30.279164)
    assert ground_m(lon, lat, 120.032768, 30.285238) < 1.0
    # Alibaba's WGS-84 answer is the one-step approximation g - delta(g): 1-2 m off. Ours is exact:
    # sending it forward lands on the GCJ-02 input, sending Alibaba's forward does not.
    lon, lat = gcj02_to_wgs84(120.026268, 30.279164)
    assert ground_m(lon, lat, 120.021519, 30.281543) < 2.5
    fwd = wgs84_to_gcj02(lon, lat)
    assert ground_m(*fwd, 120.026268, 30.279164) < 0.01
    fwd_ali = wgs84_to_gcj02(120.021519, 30.281543)
    assert ground_m(*fwd_ali, 120.026268, 30.279164) > 1.0


def test_bd09_composition_matches_steps():
    lon, lat = wgs84_to_bd09(120.021519, 30.281543)
    g = wgs84_to_gcj02(120.021519, 30.281543)
    b = gcj02_to_bd09(*g)
    assert ground_m(lon, lat, *b) < 1e-6
    back = bd09_to_wgs84(lon, lat)
    assert ground_m(*back, 120.021519, 30.281543) < 0.01


def test_gcj02_offset_size_is_hundreds_of_metres():
    lon, lat = wgs84_to_gcj02(113.0, 28.0)
    assert 100 < ground_m(113.0, 28.0, lon, lat) < 1000


def test_outside_china_unchanged():
    lon = np.array([11.58, -122.4, 116.4])
    lat = np.array([49.94, 37.8, 39.9])
    for func in (wgs84_to_gcj02, gcj02_to_wgs84, gcj02_to_bd09, bd09_to_gcj02):
        x, y = func(lon, lat)
        np.testing.assert_array_equal(x[:2], lon[:2])
        np.testing.assert_array_equal(y[:2], lat[:2])
        assert x[2] != lon[2]
    assert in_china(lon, lat).tolist() == [False, False, True]
    # only_china=False applies the formula anyway
    x, _ = wgs84_to_gcj02(lon, lat, only_china=False)
    assert x[0] != lon[0]


def test_nan_passes_through():
    x, y = gcj02_to_wgs84(np.array([np.nan, 116.4]), np.array([np.nan, 39.9]))
    assert np.isnan(x[0]) and np.isnan(y[0]) and np.isfinite(x[1])


def test_shape_mismatch_is_an_error():
    with pytest.raises(InvalidValueError, match="different shapes"):
        wgs84_to_gcj02([1.0, 2.0], [1.0])


china_lon = st.floats(min_value=73.5, max_value=134.5, allow_nan=False)
china_lat = st.floats(min_value=18.0, max_value=53.0, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(china_lon, china_lat)
def test_round_trip_gcj02_within_1cm(lon, lat):
    g = wgs84_to_gcj02(lon, lat)
    w = gcj02_to_wgs84(*g)
    assert ground_m(lon, lat, *w) < 0.01
    # and the other way round
    w2 = gcj02_to_wgs84(lon, lat)
    g2 = wgs84_to_gcj02(*w2)
    assert ground_m(lon, lat, *g2) < 0.01


@settings(max_examples=300, deadline=None)
@given(china_lon, china_lat)
def test_round_trip_bd09_within_1cm(lon, lat):
    b = gcj02_to_bd09(lon, lat)
    assert ground_m(lon, lat, *bd09_to_gcj02(*b)) < 0.01
    b = wgs84_to_bd09(lon, lat)
    assert ground_m(lon, lat, *bd09_to_wgs84(*b)) < 0.01


def test_vectorised_equals_scalar():
    rng = np.random.default_rng(1)
    lon = rng.uniform(74, 134, 500)
    lat = rng.uniform(19, 52, 500)
    vx, vy = gcj02_to_wgs84(lon, lat)
    for i in range(0, 500, 50):
        sx, sy = gcj02_to_wgs84(lon[i], lat[i])
        assert ground_m(sx, sy, vx[i], vy[i]) < 1e-4


# --- convert_points --------------------------------------------------------------------------


def _points(crs=4326):
    gdf = gpd.GeoDataFrame(
        {"name": ["a", "b", "c"]},
        geometry=[Point(116.377817, 39.911954), Point(113.912316, 22.543847), None],
        index=["v3", "v1", "v2"],
        crs=4326,
    )
    return gdf.to_crs(crs)


def test_convert_points_geographic():
    gdf = _points()
    before = gdf.copy()
    out = convert_points(gdf, "wgs84", "gcj02")
    assert list(out.index) == ["v3", "v1", "v2"]
    assert out.crs == gdf.crs
    assert out["name"].tolist() == ["a", "b", "c"]
    assert out.geometry.iloc[2] is None
    assert ground_m(out.geometry.x.iloc[0], out.geometry.y.iloc[0], 116.38404722, 39.91334546) < 1
    # the input is untouched
    assert gdf.geom_equals(before).iloc[:2].all()


@pytest.mark.parametrize("crs", ["EPSG:32650", "EPSG:4490", "EPSG:3857"])
def test_convert_points_any_crs(crs):
    gdf = _points(crs)
    out = convert_points(gdf, "gcj-02", "WGS84")
    assert out.crs == gdf.crs
    ll = out.to_crs(4326)
    expect = gcj02_to_wgs84(np.array([116.377817, 113.912316]), np.array([39.911954, 22.543847]))
    d = ground_m(ll.geometry.x.iloc[:2], ll.geometry.y.iloc[:2], *expect)
    assert np.all(d < 0.01)


def test_convert_points_round_trip_bd09():
    gdf = _points()
    back = convert_points(convert_points(gdf, "wgs84", "bd09"), "bd09", "cgcs2000")
    d = ground_m(
        back.geometry.x.iloc[:2],
        back.geometry.y.iloc[:2],
        gdf.geometry.x.iloc[:2],
        gdf.geometry.y.iloc[:2],
    )
    assert np.all(d < 0.01)


def test_convert_points_lines_move_every_vertex():
    roads = gpd.GeoDataFrame(geometry=[LineString([(113.0, 28.0), (113.01, 28.01)])], crs=4326)
    out = convert_points(roads, "wgs84", "gcj02")
    xy = np.asarray(out.geometry.iloc[0].coords)
    exp = np.column_stack(wgs84_to_gcj02(np.array([113.0, 113.01]), np.array([28.0, 28.01])))
    np.testing.assert_allclose(xy, exp)


def test_convert_points_outside_china_warns_and_keeps():
    gdf = gpd.GeoDataFrame(geometry=[Point(11.58, 49.94), Point(116.4, 39.9)], crs=4326)
    with pytest.warns(InputWarning, match="1 of 2 coordinates lie outside China"):
        out = convert_points(gdf, "gcj02", "wgs84")
    assert out.geometry.iloc[0].equals(gdf.geometry.iloc[0])
    assert not out.geometry.iloc[1].equals(gdf.geometry.iloc[1])


def test_convert_points_errors():
    gdf = _points()
    with pytest.raises(InvalidValueError, match="Did you mean 'gcj02'"):
        convert_points(gdf, "gcj20", "wgs84")
    with pytest.raises(CRSError, match="set_crs"):
        convert_points(gdf.set_crs(None, allow_override=True), "gcj02", "wgs84")


def test_convert_points_same_datum_is_a_copy():
    gdf = _points()
    out = convert_points(gdf, "wgs84", "cgcs2000")
    assert out is not gdf and out.geom_equals(gdf).iloc[:2].all()


# --- detect_datum_offset ---------------------------------------------------------------------


def _layout(seed=0, n_points=120):
    """A road grid (3 km spacing, 12 x 12 km) near Changsha, WGS-84, and points within 30 m."""
    rng = np.random.default_rng(seed)
    utm = "EPSG:32649"
    x0, y0 = 700_000.0, 3_100_000.0
    lines = []
    for k in range(5):
        lines.append(LineString([(x0, y0 + 3000 * k), (x0 + 12_000, y0 + 3000 * k)]))
        lines.append(LineString([(x0 + 3000 * k, y0), (x0 + 3000 * k, y0 + 12_000)]))
    roads = gpd.GeoDataFrame({"road_class": ["county"] * len(lines)}, geometry=lines, crs=utm)
    pts = []
    for _ in range(n_points):
        line = lines[rng.integers(len(lines))]
        p = line.interpolate(rng.uniform(0, line.length))
        pts.append(Point(p.x + rng.uniform(-30, 30), p.y + rng.uniform(-30, 30)))
    points = gpd.GeoDataFrame(
        {"name": [f"p{i}" for i in range(n_points)]}, geometry=pts, crs=utm
    ).to_crs(4326)
    return points, roads.to_crs(4326)


def test_detect_gcj02_shift():
    points, roads = _layout()
    shifted = convert_points(points, "wgs84", "gcj02")
    with pytest.warns(InputWarning, match=r"facilities layer looks like it is in GCJ-02") as rec:
        report = detect_datum_offset(shifted, roads, layer_name="facilities")
    assert 'convert_points(facilities, "gcj02", "wgs84")' in str(rec[0].message)
    assert isinstance(report, DatumOffsetReport)
    assert report.verdict == "gcj02" and report.shifted
    assert report.median_snap_m > 100
    assert report.median_snap_if_gcj02_m < 25
    assert report.n_points == len(points)


def test_detect_bd09_shift():
    points, roads = _layout(seed=1)
    shifted = convert_points(points, "wgs84", "bd09")
    with pytest.warns(InputWarning, match="BD-09"):
        report = detect_datum_offset(shifted, roads, layer_name="villages")
    assert report.verdict == "bd09"
    assert 'convert_points(villages, "bd09", "wgs84")' in report.fix


def test_detect_roads_in_gcj02():
    points, roads = _layout(seed=2)
    with pytest.warns(InputWarning, match="road layer looks like it is in GCJ-02"):
        report = detect_datum_offset(points, convert_points(roads, "wgs84", "gcj02"))
    assert report.verdict == "roads_gcj02"


def test_detect_consistent_layers_do_not_warn():
    points, roads = _layout(seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = detect_datum_offset(points, roads, layer_name="villages")
    assert report.verdict == "consistent" and not report.shifted and report.fix == ""
    assert report.median_snap_m < 25


def test_detect_works_in_projected_crs():
    points, roads = _layout(seed=4)
    shifted = convert_points(points, "wgs84", "gcj02").to_crs("EPSG:32649")
    with pytest.warns(InputWarning):
        report = detect_datum_offset(shifted, roads.to_crs("EPSG:4490"), warn=True)
    assert report.verdict == "gcj02"


def test_detect_thresholds_are_respected():
    # a layer shifted by GCJ-02 but with a 100 % drop demanded can never be flagged
    points, roads = _layout(seed=5)
    shifted = convert_points(points, "wgs84", "gcj02")
    report = detect_datum_offset(shifted, roads, min_drop_fraction=1.0, warn=False)
    assert report.verdict == "consistent"
    report = detect_datum_offset(shifted, roads, min_drop_m=5_000, warn=False)
    assert report.verdict == "consistent"


def test_detect_errors():
    points, roads = _layout(n_points=5)
    with pytest.raises(CRSError, match="no CRS"):
        detect_datum_offset(points.set_crs(None, allow_override=True), roads)
    with pytest.raises(EmptyLayerError, match="0 point geometries"):
        detect_datum_offset(points.iloc[:0], roads)


def _demo_or_skip():
    try:
        from accessibility.datasets import load_demo

        return load_demo()
    except (ImportError, FileNotFoundError) as exc:  # demo data not generated yet
        pytest.skip(f"demo county unavailable: {exc}")


def test_demo_county_facilities_shifted_into_gcj02_are_caught():
    demo = _demo_or_skip()
    report = detect_datum_offset(demo.facilities, demo.roads, warn=False)
    assert report.verdict == "consistent"
    amap = convert_points(demo.facilities, "wgs84", "gcj02")
    with pytest.warns(InputWarning, match="GCJ-02"):
        report = detect_datum_offset(amap, demo.roads, layer_name="facilities")
    assert report.verdict == "gcj02"
    fixed = convert_points(amap, "gcj02", "wgs84")
    assert fixed.index.equals(demo.facilities.index)
    assert fixed.geometry.distance(demo.facilities.geometry).max() < 0.01
