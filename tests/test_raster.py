"""Tests of accessibility.raster: population rasters, Tobler walking on DEMs, friction travel time.

Hand-worked numbers are spelled out next to each assertion. Checks on real data use the shared
data folder (skipped when absent) and independent references: scikit-image's MCP_Geometric,
scipy's csgraph Dijkstra with pyproj geodesic lengths, shapely point-in-polygon sums.
"""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine
from shapely.geometry import LineString, Point, box

from accessibility import raster as R
from accessibility.errors import (
    CRSError,
    GeometryError,
    InvalidValueError,
    MissingColumnError,
    OutputError,
)
from accessibility.raster._cells import bilinear, cell_centres, rowcol, transform_xy
from accessibility.raster._search import OFFSETS_8

UTM = "EPSG:32650"


def grid(values, cell=100.0, crs=UTM, x0=0.0, y0=None) -> R.Raster:
    values = np.asarray(values, dtype=float)
    if y0 is None:
        y0 = values.shape[0] * cell
    return R.Raster(values, Affine(cell, 0, x0, 0, -cell, y0), crs)


def centre(r: R.Raster, row: int, col: int) -> tuple[float, float]:
    return r.transform @ (col + 0.5, row + 0.5)


def pts(xy, crs=UTM, index=None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        geometry=[Point(x, y) for x, y in xy], crs=crs, index=index or range(len(xy))
    )


# ------------------------------------------------------------------------------------------------
# friction surface: hand-checked small rasters
# ------------------------------------------------------------------------------------------------


def test_uniform_3x3_centre_source():
    # 100 m cells at 0.01 min/m (6 km/h): a side step costs 100 * 0.01 = 1 min, a diagonal
    # sqrt(2) * 100 * 0.01 = 1.41421 min.
    r = grid(np.full((3, 3), 0.01))
    tt = R.travel_time_surface(r, np.array([centre(r, 1, 1)]))
    s = math.sqrt(2)
    expected = np.array([[s, 1, s], [1, 0, 1], [s, 1, s]])
    np.testing.assert_allclose(tt.values, expected, rtol=1e-12)
    assert tt.description == "travel_time_min"


def test_heterogeneous_row_uses_mean_of_cell_frictions():
    # friction 0.01, 0.03, 0.01, 0.01 along one row of 100 m cells, source in column 0:
    # col1 = 100 (0.01 + 0.03) / 2 = 2; col2 = 2 + 100 (0.03 + 0.01) / 2 = 4; col3 = 4 + 1 = 5.
    r = grid([[0.01, 0.03, 0.01, 0.01]])
    tt = R.travel_time_surface(r, np.array([centre(r, 0, 0)]))
    np.testing.assert_allclose(tt.values, [[0, 2, 4, 5]], rtol=1e-12)


def test_sixteen_neighbour_knight_move():
    # 3 x 5 uniform 0.01 min/m, 100 m, source at (1, 0). Cell (0, 2): 8-neighbour best is one
    # diagonal plus one side step, 1.41421 + 1 = 2.41421 min; a knight move is straight,
    # sqrt(1 + 4) * 100 * 0.01 = 2.23607 min.
    r = grid(np.full((3, 5), 0.01))
    src = np.array([centre(r, 1, 0)])
    t8 = R.travel_time_surface(r, src, connectivity=8).values
    t16 = R.travel_time_surface(r, src, connectivity=16).values
    assert t8[0, 2] == pytest.approx(1 + math.sqrt(2), rel=1e-12)
    assert t16[0, 2] == pytest.approx(math.sqrt(5), rel=1e-12)
    # (1, 4): four side steps either way
    assert t16[1, 4] == pytest.approx(4.0, rel=1e-12)
    assert (t16 <= t8 + 1e-12).all()


def test_knight_move_averages_the_cells_it_crosses():
    # 2 x 3, source (0, 0), target (1, 2). Frictions: crossed cells (0, 1) and (1, 1) are 0.05.
    # knight: sqrt(5) * 100 * (0.01 + 0.01 + 0.05 + 0.05) / 4 = 6.7082 min;
    # the best 8-neighbour path is (0,0)->(1,0)->(1,1)->(1,2):
    # 100 * 0.01 + 100 (0.01 + 0.05) / 2 + 100 (0.05 + 0.01) / 2 = 1 + 3 + 3 = 7 min.
    f = [[0.01, 0.05, 0.01], [0.01, 0.05, 0.01]]
    r = grid(f)
    t16 = R.travel_time_surface(r, np.array([centre(r, 0, 0)]), connectivity=16).values
    t8 = R.travel_time_surface(r, np.array([centre(r, 0, 0)]), connectivity=8).values
    assert t8[1, 2] == pytest.approx(7.0, rel=1e-12)
    assert t16[1, 2] == pytest.approx(math.sqrt(5) * 100 * 0.12 / 4, rel=1e-12)


def test_barrier_blocks_and_bridge_opens():
    # 5 x 5, 100 m, 0.01 min/m; a river along x = 250 (column 2, full height) without a bridge
    # cuts the right half off. With a bridge at row 2 the cell (2, 4) is 4 side steps away: 4 min.
    r = grid(np.full((5, 5), 0.01))
    river = gpd.GeoDataFrame(geometry=[LineString([(250, 0), (250, 500)])], crs=UTM)
    blocked = R.add_barriers(r, river)
    assert np.isnan(blocked.values[:, 2]).all()
    tt = R.travel_time_surface(blocked, np.array([centre(r, 2, 0)]), connectivity=16).values
    assert np.isnan(tt[:, 2:]).all()
    assert np.isfinite(tt[:, :2]).all()
    bridge = gpd.GeoDataFrame(geometry=[Point(250, 250)], crs=UTM)
    opened = R.add_barriers(r, river, bridges=bridge)
    tt2 = R.travel_time_surface(opened, np.array([centre(r, 2, 0)])).values
    assert tt2[2, 4] == pytest.approx(4.0, rel=1e-12)
    assert np.isnan(tt2[0, 2]) and np.isnan(tt2[4, 2])


def test_diagonal_barrier_not_leaked_by_diagonal_moves():
    # a diagonal line rasterised all_touched is 4-connected, so 8-neighbour moves cannot slip
    # through its corners: everything beyond the line is unreachable.
    r = grid(np.full((6, 6), 0.01))
    line = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (600, 600)])], crs=UTM)
    blocked = R.add_barriers(r, line)
    # the line y = x marks the cells (5, 0), (4, 1), ... (0, 5) and their 4-neighbours
    tt = R.travel_time_surface(blocked, np.array([centre(r, 0, 0)]), connectivity=16).values
    assert np.isfinite(tt[0, 0]) and np.isnan(tt[5, 5])
    assert np.isnan(tt[np.tril_indices(6, -1)][::-1]).any()


def test_burn_roads_and_speed_table():
    # land cover 1 (grass, 3 km/h) everywhere, class 9 (water) impassable; road at 60 km/h along
    # row 0 from x = 0 to x = 380. Friction grass 0.06 / 3 = 0.02 min/m, road 0.06/60 = 0.001.
    lc = grid([[1, 1, 1, 1, 1], [1, 1, 9, 1, 1]])
    speed = R.speed_from_landcover(lc, {1: 3.0, 9: 0})
    assert np.isnan(speed.values[1, 2]) and speed.values[0, 0] == 3.0
    fr = R.friction_from_speed(speed)
    np.testing.assert_allclose(fr.values[0], 0.02)
    roads = gpd.GeoDataFrame(
        {"car_speed_kmh": [60.0, 0.0]},
        geometry=[LineString([(0, 150), (380, 150)]), LineString([(0, 50), (500, 50)])],
        crs=UTM,
    )
    fr2 = R.burn_roads(fr, roads)
    np.testing.assert_allclose(fr2.values[0, :4], 0.001)  # road cells
    assert fr2.values[0, 4] == pytest.approx(0.02)  # beyond the road end
    assert np.isnan(fr2.values[1, 2])  # the closed road (speed 0) does not bridge the water
    tt = R.travel_time_surface(fr2, np.array([centre(fr2, 0, 0)])).values
    # along the road 100 m * 0.001 = 0.1 min per cell; last step off the road 100 (0.001+0.02)/2
    np.testing.assert_allclose(tt[0], [0, 0.1, 0.2, 0.3, 0.3 + 1.05], rtol=1e-12)
    with pytest.raises(MissingColumnError, match="Did you mean"):
        R.burn_roads(fr, roads, speed_kmh="car_speed_kph")


def test_anisotropic_tobler_hand_checked():
    # one row of 100 m cells rising 10 m per cell (10 % grade), friction 0.01 min/m (6 km/h flat).
    # Uphill the time is multiplied by exp(3.5 (|0.1 + 0.05| - 0.05)) = exp(0.35) = 1.419068;
    # downhill (s = -0.1) by exp(3.5 (|-0.05| - 0.05)) = 1.
    r = grid(np.full((1, 3), 0.01))
    dem = r.replace(np.array([[0.0, 10.0, 20.0]]))
    src = np.array([centre(r, 0, 0)])
    up = R.travel_time_surface(r, src, dem=dem, direction="from_sources").values
    np.testing.assert_allclose(up, [[0, math.exp(0.35), 2 * math.exp(0.35)]], rtol=1e-12)
    down = R.travel_time_surface(r, src, dem=dem, direction="to_sources").values
    np.testing.assert_allclose(down, [[0, 1, 2]], rtol=1e-12)
    # 5 % downhill is Tobler's fastest: exp(3.5 (0 - 0.05)) = 0.83946 of the flat time
    dem5 = r.replace(np.array([[0.0, 5.0, 10.0]]))
    d5 = R.travel_time_surface(r, src, dem=dem5, direction="to_sources").values
    assert d5[0, 1] == pytest.approx(math.exp(-0.175), rel=1e-12)


def test_slope_exemption_for_fast_cells():
    # road cells (60 km/h) are exempt from slope with slope_max_speed_kmh=10
    r = grid(np.full((1, 3), 0.001))
    dem = r.replace(np.array([[0.0, 10.0, 20.0]]))
    src = np.array([centre(r, 0, 0)])
    tt = R.travel_time_surface(
        r, src, dem=dem, direction="from_sources", slope_max_speed_kmh=10.0
    ).values
    np.testing.assert_allclose(tt, [[0, 0.1, 0.2]], rtol=1e-12)


def test_flat_dem_reproduces_flat_ground():
    rng = np.random.default_rng(1)
    f = rng.uniform(0.001, 0.05, (30, 40))
    f[rng.random(f.shape) < 0.1] = np.nan
    r = grid(f)
    src = np.array([centre(r, 3, 4), centre(r, 20, 30)])
    src = src[np.isfinite([f[3, 4], f[20, 30]])]
    flat = r.replace(np.full(f.shape, 312.0))
    for conn in (8, 16):
        a = R.travel_time_surface(r, src, connectivity=conn).values
        for direction in ("to_sources", "from_sources"):
            b = R.travel_time_surface(
                r, src, connectivity=conn, dem=flat, direction=direction
            ).values
            np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
            np.testing.assert_allclose(a, b, rtol=0, atol=0, equal_nan=True)


def test_max_time_and_catchments():
    # one row, sources at both ends of 7 cells at 1 min per cell. Catchment split in the middle
    # (cell 3 is a tie); max_time 2 leaves cell 3 (3 min from both) unreached.
    r = grid(np.full((1, 7), 0.01))
    src = gpd.GeoDataFrame(
        geometry=[Point(*centre(r, 0, 0)), Point(*centre(r, 0, 6))], crs=UTM, index=["a", "b"]
    )
    tt = R.travel_time_surface(r, src, max_time_min=2.0).values
    np.testing.assert_allclose(tt[0, [0, 1, 2, 4, 5, 6]], [0, 1, 2, 2, 1, 0])
    assert np.isnan(tt[0, 3])
    catch, labels = R.catchment_surface(r, src)
    assert list(labels[catch.values[0, [0, 1, 2, 4, 5, 6]]]) == ["a", "a", "a", "b", "b", "b"]
    assert catch.values[0, 3] in (0, 1)


def test_sources_off_raster_are_ignored_and_none_raises(caplog):
    r = grid(np.full((2, 2), 0.01))
    tt = R.travel_time_surface(r, np.array([centre(r, 0, 0), (1e6, 1e6)]))
    assert tt.values[1, 1] == pytest.approx(math.sqrt(2))
    assert "ignored" in caplog.text
    with pytest.raises(InvalidValueError, match="no source"):
        R.travel_time_surface(r, np.array([(1e6, 1e6)]))
    with pytest.raises(InvalidValueError, match="connectivity"):
        R.travel_time_surface(r, np.array([centre(r, 0, 0)]), connectivity=4)


def test_geographic_steps_are_geodesic():
    # a 0.01 degree raster at 60 N: one cell east is ~557 m, one cell north ~1,113 m. The travel
    # time at f = 0.001 min/m equals f times the geodesic distance between cell centres.
    from pyproj import Geod

    r = grid(np.full((3, 3), 0.001), cell=0.01, crs="EPSG:4326", x0=10.0, y0=60.015)
    tt = R.travel_time_surface(r, np.array([centre(r, 1, 1)])).values
    g = Geod(ellps="WGS84")
    lon, lat = centre(r, 1, 1)
    east = g.inv(lon, lat, lon + 0.01, lat)[2]
    north = g.inv(lon, lat, lon, lat + 0.01)[2]
    ne = g.inv(lon, lat, lon + 0.01, lat + 0.01)[2]
    assert tt[1, 2] == pytest.approx(0.001 * east, rel=1e-9)
    assert tt[0, 1] == pytest.approx(0.001 * north, rel=1e-9)
    assert tt[0, 2] == pytest.approx(0.001 * ne, rel=1e-9)
    assert 0.45 < east / north < 0.55  # cos 60 = 0.5


# ------------------------------------------------------------------------------------------------
# friction surface on real data, against independent implementations
# ------------------------------------------------------------------------------------------------

SEN_CITIES = [  # lon, lat: Dakar, Thiès, Kaolack, Saint-Louis, Tambacounda, Ziguinchor, Kédougou
    (-17.44, 14.69),
    (-16.93, 14.79),
    (-16.07, 14.15),
    (-16.49, 16.03),
    (-13.67, 13.77),
    (-16.27, 12.58),
    (-12.18, 12.56),
]


@pytest.fixture(scope="module")
def sen_utm(shared_data):
    """The MAP friction surface warped to UTM 28N at 1 km (nearest neighbour)."""
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    path = shared_data / "friction" / "SEN_friction_surface.tif"
    with rasterio.open(path) as src:
        dst_crs = "EPSG:32628"
        t, w, h = calculate_default_transform(
            src.crs, dst_crs, src.width, src.height, *src.bounds, resolution=1000
        )
        out = np.full((h, w), np.nan, dtype="float64")
        reproject(
            src.read(1).astype("float64"),
            out,
            src_transform=src.transform,
            src_crs=src.crs,
            src_nodata=src.nodata,
            dst_transform=t,
            dst_crs=dst_crs,
            dst_nodata=np.nan,
            resampling=Resampling.nearest,
        )
    return R.Raster(out, t, dst_crs)


def test_senegal_matches_skimage_mcp(sen_utm):
    from skimage.graph import MCP_Geometric

    src = gpd.GeoDataFrame(geometry=[Point(xy) for xy in SEN_CITIES], crs="EPSG:4326").to_crs(
        sen_utm.crs
    )
    tt = R.travel_time_surface(sen_utm, src).values
    # skimage: impassable cells as inf cost, the same source cells, 8-neighbour, 1 km sampling
    cost = np.where(np.isfinite(sen_utm.values), sen_utm.values, np.inf)
    rows, cols, inside = rowcol(sen_utm, src.geometry.x.to_numpy(), src.geometry.y.to_numpy())
    assert inside.all()
    mcp = MCP_Geometric(cost, fully_connected=True, sampling=(1000.0, 1000.0))
    ref, _ = mcp.find_costs(list(zip(rows, cols, strict=True)))
    ref[~np.isfinite(cost)] = np.nan
    ref[np.isinf(ref)] = np.nan
    np.testing.assert_array_equal(np.isnan(tt), np.isnan(ref))
    ok = np.isfinite(ref)
    assert ok.sum() > 150_000
    np.testing.assert_allclose(tt[ok], ref[ok], rtol=1e-9, atol=1e-9)
    # the times "to a set of points": sample both at a few towns
    towns = gpd.GeoDataFrame(
        geometry=[Point(-15.39, 15.62), Point(-14.94, 13.09), Point(-12.8, 14.45)],
        crs="EPSG:4326",
    )
    got = R.sample_raster(R.Raster(tt, sen_utm.transform, sen_utm.crs), towns)
    r2, c2, _ = rowcol(
        sen_utm, *transform_xy(towns.geometry.x, towns.geometry.y, "EPSG:4326", sen_utm.crs)
    )
    np.testing.assert_allclose(got.to_numpy(), ref[r2, c2], rtol=1e-9)
    assert (got > 30).all()  # hours away from the cities, not zero


def test_senegal_geographic_grid_matches_geodesic_csgraph(shared_data):
    # native EPSG:4326 grid, cropped to 80 x 100 cells; reference: scipy csgraph Dijkstra on an
    # explicitly built 8-neighbour graph whose edge lengths are pyproj geodesics between cell
    # centres, computed edge by edge (independent of the per-row shortcut in the module).
    from pyproj import Geod
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    fr = R.read_raster(
        shared_data / "friction" / "SEN_friction_surface.tif",
        bounds=(-16.5, 13.6, -15.7, 14.3),
        pad_cells=0,
    )
    f = fr.values
    nr, nc = f.shape
    src = np.array([centre(fr, nr // 2, nc // 3), centre(fr, 5, nc - 7)])
    tt = R.travel_time_surface(fr, src).values
    g = Geod(ellps="WGS84")
    rows, cols = np.indices((nr, nc))
    ia, ib = [], []
    for dr, dc in OFFSETS_8:
        r2, c2 = rows + dr, cols + dc
        ok = (r2 >= 0) & (r2 < nr) & (c2 >= 0) & (c2 < nc)
        ia.append((rows * nc + cols)[ok])
        ib.append((r2 * nc + c2)[ok])
    a, b = np.concatenate(ia), np.concatenate(ib)
    lon = fr.transform.c + (a % nc + 0.5) * fr.transform.a
    lat = fr.transform.f + (a // nc + 0.5) * fr.transform.e
    lon2 = fr.transform.c + (b % nc + 0.5) * fr.transform.a
    lat2 = fr.transform.f + (b // nc + 0.5) * fr.transform.e
    d = np.asarray(g.inv(lon, lat, lon2, lat2)[2])
    w = d * (f.ravel()[a] + f.ravel()[b]) / 2
    m = coo_matrix((w, (a, b)), shape=(nr * nc, nr * nc)).tocsr()
    s_rows, s_cols, _ = rowcol(fr, src[:, 0], src[:, 1])
    ref = dijkstra(m, indices=s_rows * nc + s_cols, min_only=True).reshape(nr, nc)
    np.testing.assert_allclose(tt, ref, rtol=1e-9)


def test_write_raster_geotiff(tmp_path):
    r = grid(np.array([[0.0, 1.5], [np.nan, np.inf]]))
    out = tmp_path / "tt.tif"
    R.write_raster(r.replace(r.values, "travel_time_min"), out)
    with rasterio.open(out) as ds:
        assert ds.dtypes[0] == "float32"
        assert ds.descriptions[0] == "travel_time_min"
        assert ds.nodata == R.NODATA
        assert ds.compression.name.lower() == "deflate"
        assert ds.profile["tiled"] is True
        a = ds.read(1, masked=True)
        assert a.mask.tolist() == [[False, False], [True, True]]
        assert a[0, 1] == 1.5
        assert ds.crs.to_epsg() == 32650
    assert [p.name for p in tmp_path.iterdir()] == ["tt.tif"]  # no temp file left
    with pytest.raises(OutputError, match="exists"):
        R.write_raster(r, out, overwrite=False)


# ------------------------------------------------------------------------------------------------
# per-village statistics and comparison
# ------------------------------------------------------------------------------------------------


def test_zonal_travel_time_points_and_polygons():
    r = grid(np.array([[0.0, 1.0, 2.0], [3.0, np.nan, 5.0]]))
    villages = gpd.GeoDataFrame(
        geometry=[
            Point(150, 150),  # cell (0, 1): 1.0
            box(0, 0, 300, 100),  # row 1: centres of 3, NaN, 5 -> min 3, mean 4
            Point(150, 50),  # unreachable cell
            Point(5000, 5000),  # off the raster
        ],
        crs=UTM,
        index=["p", "poly", "nan", "off"],
    )
    z = R.zonal_travel_time(r, villages)
    assert list(z.index) == ["p", "poly", "nan", "off"]
    assert z.loc["p", "travel_time_min"] == 1.0
    assert z.loc["poly", "min_travel_time_min"] == 3.0
    assert z.loc["poly", "mean_travel_time_min"] == 4.0
    assert z["reachable"].tolist() == [True, True, False, False]
    costs = pd.DataFrame(
        {
            "origin": ["p", "p", "poly"],
            "destination": ["h1", "h2", "h1"],
            "travel_time_min": [2.0, 0.5, 6.0],
        }
    )
    cmp = R.compare_with_network(z, costs)
    assert cmp.loc["p", "network_travel_time_min"] == 0.5
    assert cmp.loc["p", "difference_min"] == 0.5
    assert cmp.loc["p", "ratio"] == 2.0
    assert np.isnan(cmp.loc["off", "network_travel_time_min"])


# ------------------------------------------------------------------------------------------------
# population rasters
# ------------------------------------------------------------------------------------------------


def pop_grid():
    # 4 x 4 cells of 100 m, one nodata cell (NaN) and one zero cell
    v = np.array(
        [
            [1.0, 2.0, 3.0, 4.0],
            [5.0, np.nan, 7.0, 8.0],
            [9.0, 10.0, 0.0, 12.0],
            [13.0, 14.0, 15.0, 16.0],
        ]
    )
    return grid(v)


def test_population_points_conserve_counts():
    r = pop_grid()
    p = R.population_points(r)
    assert len(p) == 14  # 16 cells minus nodata minus the empty cell
    assert p["population"].sum() == pytest.approx(np.nansum(r.values))
    assert p.loc[4 * 3 + 3, "population"] == 16.0
    assert p.geometry.iloc[0].equals(Point(50, 350))
    p2 = R.population_points(r, crs="EPSG:4326")
    assert p2["population"].sum() == p["population"].sum()


def test_population_rejects_negative():
    with pytest.raises(InvalidValueError, match="negative"):
        R.population_points(grid([[1.0, -5.0]]))


def test_zonal_population_centre_and_area():
    r = pop_grid()
    zones = gpd.GeoDataFrame(
        geometry=[box(0, 200, 200, 400), box(200, 0, 400, 400), box(50, 0, 150, 100)],
        crs=UTM,
        index=["nw", "east", "small"],
    )
    z = R.zonal_population(r, zones)
    # centre rule: nw holds the centres of cells 1, 2, 5 and the nodata cell: 8; east holds
    # 3 + 4 + 7 + 8 + 0 + 12 + 15 + 16 = 65
    assert z["nw"] == 8.0
    assert z["east"] == 65.0
    za = R.zonal_population(r, zones, method="area")
    # area: small covers half of cell (3,0) (13) and half of (3,1) (14): 6.5 + 7 = 13.5
    assert za["small"] == pytest.approx(13.5, rel=1e-12)
    assert za["nw"] == pytest.approx(8.0) and za["east"] == pytest.approx(65.0)
    with pytest.raises(GeometryError):
        R.zonal_population(r, pts([(10, 10)]))


def test_zonal_population_geographic_raster_reprojects_vectors():
    # a raster in degrees and zones in UTM: the zones are reprojected, not the raster, so the sum
    # over a zone covering everything equals the raster total exactly.
    r = grid(np.arange(12.0).reshape(3, 4), cell=0.01, crs="EPSG:4326", x0=116.0, y0=40.0)
    area = gpd.GeoDataFrame(geometry=[box(115.9, 39.9, 116.1, 40.1)], crs="EPSG:4326")
    z = R.zonal_population(r, area.to_crs("EPSG:32650"))
    assert z.iloc[0] == pytest.approx(66.0, rel=1e-12)


def test_allocate_by_distance_uses_metres_in_geographic_rasters():
    # at 60 N a degree of longitude is half a degree of latitude. A cell 0.02 deg east of village
    # "e" and 0.015 deg south of village "n" is nearer "e" in metres (~1.1 km vs ~1.7 km) though
    # farther in degrees.
    r = grid([[7.0]], cell=0.001, crs="EPSG:4326", x0=10.0, y0=60.0)
    cx, cy = centre(r, 0, 0)
    v = gpd.GeoDataFrame(
        geometry=[Point(cx + 0.02, cy), Point(cx, cy + 0.015)], crs="EPSG:4326", index=["e", "n"]
    )
    cells = R.assign_population_cells(r, v)
    assert cells["village"].iloc[0] == "e"
    alloc = R.allocate_population(r, v)
    assert alloc.to_dict() == {"e": 7.0, "n": 0.0}
    assert alloc.name == "population"


def test_allocate_limits_travel_time_and_cost_function():
    r = pop_grid()
    v = pts([(50, 350), (350, 50)], index=["a", "b"])
    near = R.allocate_population(r, v, max_distance_m=150)
    # within 150 m of a: cells (0,0)=1, (0,1)=2, (1,0)=5, (1,1)=NaN; of b: 16 + 15 + 12 + 0
    assert near.to_dict() == {"a": 8.0, "b": 43.0}
    full = R.allocate_population(r, v)
    assert full.sum() == pytest.approx(np.nansum(r.values))
    # friction: uniform, the diagonal tie cells go to one of the two; totals conserved
    fr = r.replace(np.full(r.shape, 0.01))
    ft = R.assign_population_cells(r, v, by="travel_time", friction=fr)
    assert ft.loc[0, "village"] == "a" and ft.loc[15, "village"] == "b"
    assert ft.loc[15, "travel_time_min"] == 0.0
    # with a wall of water down column 2 everything reachable only goes to its own side
    wall = fr.values.copy()
    wall[:, 2] = np.nan
    fw = R.allocate_population(r, v, by="travel_time", friction=fr.replace(wall))
    assert fw.to_dict() == {"a": 1 + 2 + 5 + 9 + 10 + 13 + 14, "b": 4 + 8 + 12 + 16}

    def cost_function(cells, villages):
        # a router that only knows village b, 1 min per 100 m straight line
        d = cells.distance(villages.geometry["b"])
        return pd.DataFrame({"origin": cells.index, "destination": "b", "travel_time_min": d / 100})

    cf = R.allocate_population(r, v, by="travel_time", cost_function=cost_function)
    assert cf.to_dict() == {"a": 0.0, "b": pytest.approx(np.nansum(r.values))}
    with pytest.raises(InvalidValueError, match="exactly one"):
        R.allocate_population(r, v, by="travel_time")


@pytest.fixture(scope="module")
def ahr(shared_data):
    pop = R.read_raster(shared_data / "population" / "wpop_ahrvalley.tif")
    # osm_id repeats (one OSM node, several place names); the names are unique
    places = gpd.read_file(shared_data / "population" / "affected_places.gpkg")
    places = places.set_index("name")
    assert places.index.is_unique
    return pop, places


def test_ahr_valley_allocation_sums_to_raster_total(ahr):
    pop, places = ahr
    total = float(np.nansum(pop.values))
    assert total == pytest.approx(191_420, rel=1e-4)
    alloc = R.allocate_population(pop, places)
    assert alloc.index.equals(places.index)
    assert alloc.sum() == pytest.approx(total, rel=1e-9)
    assert (alloc > 0).sum() >= 30

    # within a study area (villages' hull + 3 km): the sum equals the raster total over the cells
    # whose centres fall inside, counted independently with shapely
    utm = places.estimate_utm_crs()
    area_utm = places.to_crs(utm).union_all().convex_hull.buffer(3000)
    area = gpd.GeoSeries([area_utm], crs=utm).segmentize(10).to_crs(pop.crs).iloc[0]
    rows, cols = np.nonzero(np.isfinite(pop.values))
    x, y = cell_centres(pop, rows, cols)
    inside = shapely.intersects_xy(area, x, y)
    ref = float(pop.values[rows[inside], cols[inside]].sum())
    assert 0 < ref < total
    within = R.allocate_population(pop, places, within=area)
    assert within.sum() == pytest.approx(ref, rel=1e-9)

    # zonal sums over the villages' Voronoi cells (clipped to the area) give the same totals,
    # and nearly the same per village (cells on Voronoi edges may differ)
    vor = shapely.voronoi_polygons(
        shapely.MultiPoint(list(places.to_crs(utm).geometry)), extend_to=area_utm
    )
    # (densified in UTM, reprojected, then clipped by the very area polygon used above)
    cells = gpd.GeoSeries(list(vor.geoms), crs=utm).segmentize(10).to_crs(pop.crs)
    cells = gpd.GeoDataFrame(geometry=cells).clip(area)
    join = gpd.sjoin(places[["geometry"]], cells, predicate="within")
    zones = gpd.GeoDataFrame(
        geometry=cells.geometry.loc[join["index_right"]].to_numpy(), crs=pop.crs, index=join.index
    )
    assert len(zones) == len(places)
    zonal = R.zonal_population(pop, zones)
    assert zonal.sum() == pytest.approx(ref, rel=1e-6)
    diff = (zonal - within.reindex(zonal.index)).abs().sum()
    assert diff < 0.01 * ref


# ------------------------------------------------------------------------------------------------
# Tobler walking on DEMs
# ------------------------------------------------------------------------------------------------


def test_tobler_speeds():
    # 6 exp(-3.5 * 0.05) = 5.0369; 6 at -5 %; 6 exp(-3.5 * 0.15) = 3.5493 at +10 %
    v = R.tobler_speed_kmh([0.0, -0.05, 0.1, -0.15])
    np.testing.assert_allclose(
        v, [6 * math.exp(-0.175), 6.0, 6 * math.exp(-0.525), 6 * math.exp(-0.35)], rtol=1e-12
    )
    assert R.tobler_speed_kmh(0.0, flat_speed_kmh=4.5) == pytest.approx(4.5)
    with pytest.raises(InvalidValueError):
        R.tobler_speed_kmh(0.0, flat_speed_kmh=0)


def plane_dem(grade=0.1):
    # a DEM of 10 m cells in which z = grade * x (rising to the east); bilinear sampling of a
    # plane is exact
    cols = np.arange(60)
    z = grade * (cols + 0.5) * 10.0
    return R.Raster(np.tile(z, (20, 1)), Affine(10, 0, 0, 0, -10, 200), UTM)


def edges_frame(lines, lengths=None):
    gdf = gpd.GeoDataFrame(
        {"u": range(len(lines)), "v": range(1, len(lines) + 1)}, geometry=lines, crs=UTM
    )
    gdf["length_m"] = gdf.length if lengths is None else lengths
    return gdf


def test_edge_walk_times_on_a_plane_hand_checked():
    # an edge 200 m due east on a 10 % plane: uphill at 6 exp(-3.5 * 0.15) km/h = 59.155 m/min
    # -> 3.3810 min; back downhill at 6 exp(-3.5 * 0.05) = 83.948 m/min -> 2.3824 min. A
    # north-south edge on the same plane is flat: 150 m / 83.948 m/min = 1.7868 min both ways.
    e = edges_frame([LineString([(50, 100), (250, 100)]), LineString([(300, 20), (300, 170)])])
    e.index = ["east", "north"]
    w = R.edge_walk_times(e, plane_dem(), spacing_m=30)
    up = 200 / (6 * math.exp(-0.525) * 1000 / 60)
    down = 200 / (6 * math.exp(-0.175) * 1000 / 60)
    flat = 150 / (6 * math.exp(-0.175) * 1000 / 60)
    assert list(w.index) == ["east", "north"]
    assert w.loc["east", "walk_fwd_min"] == pytest.approx(up, rel=1e-9)
    assert w.loc["east", "walk_bwd_min"] == pytest.approx(down, rel=1e-9)
    assert w.loc["east", "climb_m"] == pytest.approx(20.0)
    assert w.loc["north", "walk_fwd_min"] == pytest.approx(flat, rel=1e-9)
    assert w.loc["north", "walk_bwd_min"] == pytest.approx(flat, rel=1e-9)


def test_edge_walk_downhill_speed_hand_checked():
    # downhill 10 %: |-0.1 + 0.05| = 0.05, so the speed equals the flat speed: 200 m at
    # 83.948 m/min = 2.3824 min
    e = edges_frame([LineString([(50, 100), (250, 100)])])
    w = R.edge_walk_times(e, plane_dem())
    assert w["walk_bwd_min"].iloc[0] == pytest.approx(200 / (6 * math.exp(-0.175) * 1000 / 60))


def test_flat_dem_gives_flat_walking_times():
    # flat DEM -> length / flat speed exactly, also with the network's own flat speed
    e = edges_frame(
        [LineString([(5, 5), (100, 150), (400, 160)]), LineString([(10, 10), (12, 10)])],
        lengths=[480.0, 2.0],
    )
    flat = plane_dem(0.0).replace(np.full((20, 60), 250.0))
    w = R.edge_walk_times(e, flat, flat_speed_kmh=4.5)
    np.testing.assert_allclose(w["walk_fwd_min"], np.array([480.0, 2.0]) / (4500 / 60), rtol=1e-12)
    np.testing.assert_allclose(w["walk_bwd_min"], w["walk_fwd_min"], rtol=1e-12)


def test_edge_walk_accepts_network_like_and_geographic_edges():
    class FakeNetwork:
        def __init__(self, edges):
            self.edges = edges
            self.crs = edges.crs

    e = edges_frame([LineString([(50, 100), (250, 100)])])
    a = R.edge_walk_times(FakeNetwork(e), plane_dem())
    b = R.edge_walk_times(e.to_crs("EPSG:4326"), plane_dem())
    assert a["walk_fwd_min"].iloc[0] == pytest.approx(b["walk_fwd_min"].iloc[0], rel=1e-3)
    with pytest.raises(InvalidValueError):
        R.edge_walk_times(object(), plane_dem())
    with pytest.raises(CRSError):
        R.edge_walk_times(e.set_crs(None, allow_override=True), plane_dem())


def test_connector_walk_times():
    villages = pts([(50, 100), (300, 100)], index=["low", "same"])
    snaps = gpd.GeoSeries([Point(150, 100), Point(300, 40)], crs=UTM, index=["low", "same"])
    c = R.connector_walk_times(villages, snaps, plane_dem())
    assert c.loc["low", "distance_m"] == pytest.approx(100.0)
    # village -> road is 100 m uphill at 10 %
    assert c.loc["low", "walk_to_snap_min"] == pytest.approx(
        100 / (6 * math.exp(-0.525) * 1000 / 60), rel=1e-9
    )
    assert c.loc["low", "walk_from_snap_min"] == pytest.approx(
        100 / (6 * math.exp(-0.175) * 1000 / 60), rel=1e-9
    )
    assert c.loc["same", "walk_to_snap_min"] == pytest.approx(c.loc["same", "walk_from_snap_min"])


def test_srtm_zip_tiles_read(shared_data):
    dem = R.read_raster(shared_data / "dem" / "N49E011.hgt.zip")
    assert dem.shape == (1201, 1201)
    assert dem.crs.is_geographic
    assert 200 < np.nanmin(dem.values) and np.nanmax(dem.values) < 1000
    both = R.read_raster(
        [shared_data / "dem" / "N49E011.hgt.zip", shared_data / "dem" / "N50E011.hgt.zip"],
        bounds=(11.4, 49.95, 11.7, 50.1),
    )
    assert both.bounds[1] < 50.0 < both.bounds[3]
    assert not np.isnan(both.values).any()
    # the mosaic keeps the tiles' grid: its southern rows equal the N49 tile's cells exactly
    south = R.read_raster(shared_data / "dem" / "N49E011.hgt.zip", bounds=(11.4, 49.95, 11.7, 50.1))
    assert south.transform.c == both.transform.c
    np.testing.assert_array_equal(both.values[-south.shape[0] :], south.values)


def bayreuth_edges(path) -> gpd.GeoDataFrame:
    """Road edges of the Bayreuth extract: highway ways split at nodes shared between ways (the
    same edges as osmnx's simplified graph, read with pyosmium in under a second)."""
    import collections

    import osmium

    ways = []
    fp = (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    for o in fp:
        if o.is_way():
            try:
                ways.append(([n.ref for n in o.nodes], [(n.lon, n.lat) for n in o.nodes]))
            except osmium.InvalidLocationError:
                continue
    uses = collections.Counter(ref for refs, _ in ways for ref in refs)
    lines = []
    for refs, coords in ways:
        cut = [0] + [i for i in range(1, len(refs) - 1) if uses[refs[i]] > 1] + [len(refs) - 1]
        lines += [LineString(coords[a : b + 1]) for a, b in itertools.pairwise(cut)]
    edges = gpd.GeoDataFrame(geometry=lines, crs="EPSG:4326").to_crs("EPSG:32632")
    edges["length_m"] = edges.length
    return edges[edges["length_m"] > 0].reset_index(drop=True)


def test_bayreuth_steep_roads_walk_in_the_expected_direction(shared_data):
    edges = bayreuth_edges(shared_data / "osm" / "north-bayreuth.osm.gz")
    assert len(edges) > 3000
    tiles = [shared_data / "dem" / "N49E011.hgt.zip", shared_data / "dem" / "N50E011.hgt.zip"]
    w = R.edge_walk_times(edges, tiles, spacing_m=30)
    flat = edges["length_m"] / (R.TOBLER_FLAT_KMH * 1000 / 60)
    grade = (w["climb_m"] - w["descent_m"]) / edges["length_m"]
    steep = (grade.abs() > 0.12) & (edges["length_m"] > 50)
    assert steep.sum() >= 100
    up = np.where(grade[steep] > 0, w["walk_fwd_min"][steep], w["walk_bwd_min"][steep])
    down = np.where(grade[steep] > 0, w["walk_bwd_min"][steep], w["walk_fwd_min"][steep])
    assert (up > down).all()  # uphill slower than downhill
    assert (down > flat[steep]).all()  # beyond -10 % downhill is slower than flat too
    assert (up > flat[steep]).all()
    # gentle descents (-2 % .. -8 % net, smooth profiles) are faster than flat ground
    gentle = (grade.abs() > 0.02) & (grade.abs() < 0.08) & (edges["length_m"] > 200)
    smooth = (w["climb_m"] + w["descent_m"]) < 1.2 * (grade.abs() * edges["length_m"])
    sel = gentle & smooth
    assert sel.sum() >= 20
    down_g = np.where(grade[sel] > 0, w["walk_bwd_min"][sel], w["walk_fwd_min"][sel])
    assert (down_g < flat[sel]).mean() > 0.9
    # flat-ground sanity: edges that neither climb nor descend are walked at the flat speed
    level = (w["climb_m"] + w["descent_m"]) == 0
    np.testing.assert_allclose(w["walk_fwd_min"][level], flat[level], rtol=1e-9)


def test_edge_walk_keeps_closed_directions_closed():
    e = edges_frame([LineString([(50, 100), (250, 100)]), LineString([(50, 50), (250, 50)])])
    e["walk_fwd_min"] = [2.0, np.inf]
    e["walk_bwd_min"] = [np.inf, 2.0]
    w = R.edge_walk_times(e, plane_dem())
    assert np.isinf(w["walk_bwd_min"].iloc[0]) and np.isinf(w["walk_fwd_min"].iloc[1])
    assert np.isfinite(w["walk_fwd_min"].iloc[0]) and np.isfinite(w["walk_bwd_min"].iloc[1])


def test_bilinear_dem_sampling_next_to_nodata():
    # a sample exactly on a cell centre is that cell's value even when a neighbour is nodata;
    # a sample between a valid cell and a nodata cell is unknown (NaN)
    dem = grid([[10.0, np.nan], [30.0, 40.0]], cell=10.0)
    z = bilinear(dem, np.array([5.0, 5.0, 10.0]), np.array([15.0, 10.0, 15.0]))
    assert z[0] == 10.0
    assert z[1] == 20.0  # halfway between 10 and 30
    assert np.isnan(z[2])


def test_edge_walk_per_edge_flat_speeds():
    # per-edge flat speeds from a column: on the 10 % plane edge 0 (4 km/h flat) uphill takes
    # 200 m / (4000/60 m/min * exp(-3.5 * 0.1)) = 4.2572 min; edge 1 has speed 0: closed
    e = edges_frame([LineString([(50, 100), (250, 100)]), LineString([(50, 50), (250, 50)])])
    e["walk_speed_kmh"] = [4.0, 0.0]
    w = R.edge_walk_times(e, plane_dem(), flat_speed_kmh="walk_speed_kmh")
    assert w["walk_fwd_min"].iloc[0] == pytest.approx(200 / (4000 / 60 * math.exp(-0.35)))
    assert w["walk_bwd_min"].iloc[0] == pytest.approx(200 / (4000 / 60))
    assert np.isinf(w.iloc[1][["walk_fwd_min", "walk_bwd_min"]]).all()
    with pytest.raises(MissingColumnError, match="Did you mean"):
        R.edge_walk_times(e, plane_dem(), flat_speed_kmh="walk_speed_kph")


def test_edge_walk_times_plug_into_a_real_network(shared_data):
    network = pytest.importorskip("accessibility.network")
    net = network.network_from_osm(shared_data / "osm" / "north-bayreuth.osm.gz")
    tiles = [shared_data / "dem" / "N49E011.hgt.zip", shared_data / "dem" / "N50E011.hgt.zip"]
    w = R.edge_walk_times(net, tiles, flat_speed_kmh="walk_speed_kmh")
    assert w.index.equals(net.edges.index)
    net2 = net.with_edge_times("walk", w["walk_fwd_min"], w["walk_bwd_min"])
    e = net.edges
    # closed stays closed, open stays open; level edges keep the network's own flat time
    np.testing.assert_array_equal(np.isinf(w["walk_fwd_min"]), np.isinf(e["walk_fwd_min"]))
    level = ((w["climb_m"] + w["descent_m"]) == 0) & np.isfinite(e["walk_fwd_min"])
    np.testing.assert_allclose(w["walk_fwd_min"][level], e["walk_fwd_min"][level], rtol=1e-9)
    assert (net2.edges["walk_fwd_min"] != net2.edges["walk_bwd_min"]).sum() > 1000


def test_raster_validation_and_memory_estimate():
    with pytest.raises(InvalidValueError, match="rotated"):
        R.Raster(np.ones((2, 2)), Affine(10, 1, 0, 0, -10, 0), UTM)
    with pytest.raises(CRSError):
        R.Raster(np.ones((2, 2)), Affine(10, 0, 0, 0, -10, 0), None)
    with pytest.raises(InvalidValueError, match="2-D"):
        R.Raster(np.ones(3), Affine(10, 0, 0, 0, -10, 0), UTM)
    from accessibility.errors import MemoryEstimateError
    from accessibility.options import set_options

    r = grid(np.full((50, 50), 0.01))
    with set_options(max_memory_bytes=1000), pytest.raises(MemoryEstimateError, match="GB"):
        R.travel_time_surface(r, np.array([centre(r, 0, 0)]))


def test_read_raster_window_and_roundtrip(tmp_path):
    r = grid(np.arange(20.0).reshape(4, 5))
    path = R.write_raster(r, tmp_path / "a.tif", description="value")
    full = R.read_raster(path)
    np.testing.assert_array_equal(full.values, r.values)
    assert full.description == "value"
    # window around the cell (2, 3) (centre x=350, y=150) without padding
    win = R.read_raster(path, bounds=(320, 120, 380, 180), pad_cells=0)
    assert win.values.tolist() == [[13.0]]
    assert win.transform.c == 300 and win.transform.f == 200
    # bounds given in another CRS
    b = gpd.GeoSeries([box(320, 120, 380, 180)], crs=UTM).to_crs("EPSG:4326").total_bounds
    win2 = R.read_raster(path, bounds=tuple(b), bounds_crs="EPSG:4326", pad_cells=0)
    assert 13.0 in win2.values
    with pytest.raises(InvalidValueError, match="overlap"):
        R.read_raster(path, bounds=(1e6, 1e6, 1e6 + 1, 1e6 + 1))
    with pytest.raises(FileNotFoundError):
        R.read_raster(tmp_path / "missing.tif")


def test_geographic_friction_with_dem_in_another_crs():
    # the DEM (UTM, flat) is sampled at the degree grid's cell centres; a flat DEM changes nothing
    r = grid(np.full((5, 6), 0.002), cell=0.01, crs="EPSG:4326", x0=116.0, y0=40.0)
    dem = R.Raster(np.full((20, 20), 50.0), Affine(1000, 0, 400_000, 0, -1000, 4_440_000), UTM)
    src = np.array([centre(r, 2, 2)])
    a = R.travel_time_surface(r, src).values
    b = R.travel_time_surface(r, src, dem=dem).values
    np.testing.assert_allclose(a, b, rtol=0, atol=0)
    # a DEM rising 5 % to the east: eastward trips are slower than on the flat, westward ones
    # (5 % down, Tobler's fastest grade) faster
    tilt = R.Raster(
        np.tile(np.arange(20.0) * 50.0, (20, 1)),
        Affine(1000, 0, 400_000, 0, -1000, 4_440_000),
        UTM,
    )
    c = R.travel_time_surface(r, src, dem=tilt, direction="from_sources").values
    assert c[2, 4] > a[2, 4] and c[2, 0] < a[2, 0]


def test_catchments_from_coordinates_and_geotiff(tmp_path):
    r = grid(np.full((1, 4), 0.01))
    catch, labels = R.catchment_surface(r, np.array([centre(r, 0, 0), centre(r, 0, 3)]))
    assert list(labels) == [0, 1]
    assert catch.values.tolist() == [[0, 0, 1, 1]] or catch.values.tolist() == [[0, 1, 1, 1]]
    path = R.write_raster(catch, tmp_path / "c.tif", dtype="int32", nodata=-1)
    with rasterio.open(path) as ds:
        assert ds.dtypes[0] == "int32" and ds.nodata == -1
        assert ds.descriptions[0] == "catchment"
        np.testing.assert_array_equal(ds.read(1), catch.values)
