"""The one metric-CRS policy (accessibility._crs) and the paths that call it.

Each rule of the policy has a test; the regression tests at the end are paths that, before the
policy was shared, used a CRS in US feet as if it were metres.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from pyproj import CRS
from shapely.geometry import LineString, Point

from accessibility import network
from accessibility._crs import is_projected_metric, metric_crs, to_metric
from accessibility.errors import CRSError

FEET = "EPSG:2227"  # NAD83 / California zone 3 (ftUS): the San Francisco Bay Area
FT = 0.3048006096012192  # metres in a US survey foot


def bay_points(crs=4326) -> gpd.GeoDataFrame:
    pts = gpd.GeoDataFrame(
        {"name": ["a", "b"]},
        geometry=[Point(-122.27, 37.80), Point(-122.20, 37.85)],
        crs=4326,
    )
    return pts.to_crs(crs)


# --- the rules ----------------------------------------------------------------------------------


def test_is_projected_metric():
    assert is_projected_metric("EPSG:4546")  # CGCS2000 Gauss-Kruger, metres
    assert is_projected_metric(32650)  # UTM
    assert not is_projected_metric(4326)  # degrees
    assert not is_projected_metric(4490)  # CGCS2000 degrees
    assert not is_projected_metric(FEET)  # US survey feet
    assert not is_projected_metric(2263)  # NY Long Island (ftUS)
    assert not is_projected_metric(None)


def test_metric_layer_keeps_its_own_crs():
    pts = bay_points(32610)
    assert metric_crs(pts) == CRS(32610)
    work, work_crs = to_metric(pts)
    assert work is pts  # nothing reprojected, nothing copied
    assert work_crs == CRS(32610)


def test_degrees_go_to_the_local_utm_zone():
    pts = bay_points()
    assert metric_crs(pts).to_epsg() == 32610
    work, work_crs = to_metric(pts)
    assert work_crs.to_epsg() == 32610 and work.crs == work_crs
    assert pts.crs.to_epsg() == 4326  # the caller's layer is untouched


def test_feet_are_converted_not_used_as_metres():
    pts = bay_points(FEET)
    work, work_crs = to_metric(pts)
    assert is_projected_metric(work_crs) and work_crs.to_epsg() == 32610
    assert pts.crs == CRS(FEET)
    ll = bay_points(32610)
    assert np.allclose(work.geometry.x, ll.geometry.x, atol=1e-3)


def test_explicit_crs_wins_when_metric():
    pts = bay_points()
    assert metric_crs(pts, crs="EPSG:26910") == CRS(26910)  # NAD83 / UTM 10N


@pytest.mark.parametrize(
    ("crs", "match"),
    [(4326, "geographic"), (FEET, "not metres"), ("EPSG:999999", "not a CRS pyproj knows")],
)
def test_explicit_crs_that_is_not_metres_is_refused(crs, match):
    with pytest.raises(CRSError, match=match):
        metric_crs(bay_points(), crs=crs)


def test_no_crs_is_an_error():
    with pytest.raises(CRSError, match="no CRS"):
        metric_crs(bay_points().set_crs(None, allow_override=True))


def test_degrees_that_are_really_metres_are_an_error():
    pts = bay_points(32610).set_crs(4326, allow_override=True)
    with pytest.raises(CRSError, match="not longitudes"):
        metric_crs(pts)


def test_network_metric_crs_is_the_policy():
    assert network.metric_crs is metric_crs  # importable where it always was


# --- regressions: feet used as metres -----------------------------------------------------------


def test_extent_check_measures_metres_for_roads_in_feet():
    # a road 5 km long and a point 3 km beyond its end; both in US feet. Before the shared policy
    # check_extent_overlap measured in the roads' own CRS and returned 9843 (feet) as "metres".
    from accessibility.validate import check_extent_overlap

    road = gpd.GeoSeries([LineString([(0, 0), (5000 / FT, 0)])], crs=FEET)
    road = road.translate(6_000_000, 2_100_000)  # inside California zone 3
    x0, y0 = road.iloc[0].coords[-1]
    point = gpd.GeoSeries([Point(x0 + 3000 / FT, y0)], crs=FEET)
    out = check_extent_overlap(point, road, margin_m=10_000)
    assert out.iloc[0] == pytest.approx(3000, rel=0.01)


def test_euclidean_costs_refuse_an_explicit_crs_in_feet():
    # before: crs='EPSG:2227' was used as is and distances in feet came back as distance_m
    from accessibility.costs import euclidean_costs

    a = bay_points().set_index("name")
    with pytest.raises(CRSError, match="not metres"):
        euclidean_costs(a, a, crs=FEET)
    ok = euclidean_costs(a.to_crs(FEET), a.to_crs(FEET))
    d = ok.set_index(["origin", "destination"])["distance_m"]
    expected = bay_points(32610).distance(
        bay_points(32610).geometry.iloc[::-1].reset_index(drop=True)
    )
    assert d[("a", "b")] == pytest.approx(expected.iloc[0], rel=1e-3)


def test_grid_candidates_spacing_is_metres_for_a_crs_in_feet():
    # issue #16: grid_candidates accepts a CRS in US feet and uses spacing_m as feet
    import accessibility as acc

    x0, y0 = 6_000_000, 2_100_000  # inside California zone 3 (ftUS)
    bounds = (x0, y0, x0 + 3000 / FT, y0 + 1500 / FT)
    grid = acc.grid_candidates(bounds, 250, crs=FEET).to_crs(32610)
    step = grid.geometry.iloc[0].distance(grid.geometry.iloc[1])
    assert step == pytest.approx(250, rel=0.01)


def _utm_by_geopandas(layer):
    """geopandas' own estimate (a query of PROJ's database), the reference of the fast path."""
    return layer.estimate_utm_crs()


@pytest.mark.slow
def test_local_utm_zone_is_what_geopandas_estimates():
    # centres on a grid that includes zone borders, the equator, 84°N, 80°S, the antimeridian and
    # zone 29N's wider area of use; plus random centres and layers in a geographic CRS other
    # than WGS 84 (geopandas reads their coordinates as longitude and latitude too)
    from accessibility._crs import local_utm_crs

    rng = np.random.default_rng(7)
    lons = [-180.0, -179.99, -114.0, -113.96, -113.94, -12.01, -12.005, -6.0, 5.96, 111.3, 180.0]
    lats = [-80.0, -79.94, -0.005, 0.0, 0.06, 30.0, 83.94, 84.005, 86.0]
    centres = [(x, y) for x in lons for y in lats]
    centres += list(zip(rng.uniform(-180, 180, 20), rng.uniform(-82, 86, 20), strict=True))
    for i, (x, y) in enumerate(centres):
        crs = "EPSG:4490" if i % 3 == 0 else "EPSG:4326"
        layer = gpd.GeoSeries([Point(x - 0.01, y - 0.02), Point(x + 0.01, y + 0.02)], crs=crs)
        try:
            expected = _utm_by_geopandas(layer)
        except RuntimeError:
            with pytest.raises(RuntimeError):
                local_utm_crs(layer)
            continue
        got = local_utm_crs(layer)
        assert got == expected and got.to_epsg() == expected.to_epsg(), (x, y)


def test_local_utm_zone_few_centres_and_a_layer_in_feet():
    from accessibility._crs import local_utm_crs

    for x, y in [(-115.5, 32.8), (111.3, 23.1), (-113.99, -0.001), (29.0, 86.0)]:
        layer = gpd.GeoSeries([Point(x, y)], crs="EPSG:4326")
        try:
            expected = _utm_by_geopandas(layer)
        except RuntimeError:
            with pytest.raises(RuntimeError):
                local_utm_crs(layer)
            continue
        assert local_utm_crs(layer) == expected

    feet = gpd.GeoSeries([Point(1e6, 2e6), Point(1.1e6, 2.1e6)], crs="EPSG:2227")
    assert local_utm_crs(feet) == _utm_by_geopandas(feet)
