"""The synthetic demo county: schema, determinism, geography, topology and the urban-rural gap.

The committed files in ``data/`` are compared with a fresh generation, so a change to the
generator that is not followed by ``python data/make_demo_county.py`` fails here.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from geopandas.testing import assert_geodataframe_equal
from pyproj import Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from accessibility import datasets
from accessibility.datasets import (
    LAYERS,
    ROAD_CLASSES,
    SERVICES,
    Demo,
    demo_path,
    load_demo,
    make_demo_county,
)
from accessibility.errors import OutputError

# ------------------------------------------------------------------------------------------
# fixtures
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo() -> Demo:
    """The committed demo county (data/)."""
    return load_demo()


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Demo:
    """A fresh generation written by the library function."""
    return make_demo_county(tmp_path_factory.mktemp("demo_a"))


@pytest.fixture(scope="module")
def fresh_by_script(tmp_path_factory) -> Demo:
    """A second, independent generation written by the thin script in data/."""
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "data" / "make_demo_county.py"
    spec = importlib.util.spec_from_file_location("make_demo_county", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    main = module.main
    out = tmp_path_factory.mktemp("demo_b")
    assert main(["--out", str(out)]) == 0
    return load_demo(out)


def _ends(geoms) -> tuple[np.ndarray, np.ndarray]:
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    first = np.r_[0, np.flatnonzero(np.diff(idx)) + 1]
    last = np.r_[first[1:] - 1, len(idx) - 1]
    return coords[first], coords[last]


def _vertex_graph(geoms) -> tuple[int, np.ndarray, dict]:
    """Connected components of the roads joined only where they share a vertex."""
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    keys = {}
    ids = np.array([keys.setdefault((x, y), len(keys)) for x, y in coords])
    same = idx[:-1] == idx[1:]
    a, b = ids[:-1][same], ids[1:][same]
    n = len(keys)
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    n_comp, labels = connected_components(graph, directed=False)
    return n_comp, labels, keys


# ------------------------------------------------------------------------------------------
# loading and schema
# ------------------------------------------------------------------------------------------


def test_demo_path_points_at_the_packaged_geopackage():
    path = demo_path()
    assert path.name == "demo_county.gpkg"
    assert path.is_file()
    import pyogrio

    assert [name for name, _ in pyogrio.list_layers(path)] == list(LAYERS)


def test_geopackage_is_version_1_2_with_synthetic_descriptions():
    import sqlite3

    with sqlite3.connect(demo_path()) as con:
        app_id = con.execute("pragma application_id").fetchone()[0]
        user_version = con.execute("pragma user_version").fetchone()[0]
        rows = con.execute("select table_name, description from gpkg_contents").fetchall()
    assert app_id == 0x47504B47  # 'GPKG'
    assert user_version == 10200  # GeoPackage 1.2
    assert {name for name, _ in rows} == set(LAYERS)
    assert all("SYNTHETIC" in description for _, description in rows)


def test_demo_is_a_frozen_record_with_every_layer(demo):
    assert demo.crs.to_epsg() == 4546
    for name in LAYERS:
        layer = getattr(demo, name)
        assert layer.crs.to_epsg() == 4546, name
        assert len(layer) > 0, name
    assert demo.dem_path.is_file()
    assert demo.population_path is not None and demo.population_path.is_file()
    with pytest.raises(dataclasses.FrozenInstanceError):
        demo.roads = demo.roads  # type: ignore[misc]
    assert "SYNTHETIC" in repr(demo)


def test_load_demo_returns_fresh_copies(demo):
    other = load_demo()
    other.villages.loc[other.villages.index[0], "population"] = -1
    assert demo.villages["population"].min() > 0


def test_load_demo_from_a_folder_without_files_says_how_to_regenerate(tmp_path):
    with pytest.raises(FileNotFoundError, match="make_demo_county"):
        load_demo(tmp_path)


VILLAGE_COLUMNS = {
    "name": "str",
    "name_pinyin": "str",
    "township": "str",
    "area_type": "str",
    "settlement": "str",
    "terrain": "str",
    "population": "int64",
    "pop_school_age": "int64",
    "pop_elderly": "int64",
    "income_yuan": "int64",
    "elevation_m": "float64",
}
FACILITY_COLUMNS = {
    "name": "str",
    "service": "str",
    "level": "str",
    "capacity": "int64",
    "capacity_unit": "str",
    "doctors": "int64",
    "teachers": "int64",
    "township": "str",
    "village_id": "str",
}
ROAD_COLUMNS = {
    "road_id": "str",
    "road_class": "str",
    "ref": "str",
    "name": "str",
    "oneway": "bool",
    "gap_m": "float64",
}
TOWNSHIP_COLUMNS = {
    "township": "str",
    "name": "str",
    "name_pinyin": "str",
    "area_type": "str",
    "terrain": "str",
    "population": "int64",
}


def _check_columns(frame, expected: dict[str, str]) -> None:
    assert list(frame.columns.drop("geometry")) == list(expected)
    for col, kind in expected.items():
        if kind == "str":
            assert pd.api.types.is_string_dtype(frame[col]), col
            assert frame[col].notna().all(), col
        else:
            assert str(frame[col].dtype) == kind, col


def test_village_schema(demo):
    v = demo.villages
    assert v.index.name == "village_id"
    assert v.index.is_unique
    assert pd.api.types.is_string_dtype(v.index)
    _check_columns(v, VILLAGE_COLUMNS)
    assert (v.geom_type == "Point").all()
    assert 300 <= len(v) <= 400
    assert set(v["area_type"]) == {"urban", "rural"}
    assert set(v["settlement"]) == {"county_seat", "township_seat", "village"}
    assert set(v["terrain"]) == {"plain", "hill", "mountain"}
    assert v["name"].is_unique
    assert v["name"].str.endswith(("村", "社区")).all()
    assert v["name_pinyin"].str.fullmatch(r"[A-Z][a-z']+ (Cun|Shequ)").all()


def test_facility_schema(demo):
    f = demo.facilities
    assert f.index.name == "facility_id"
    assert f.index.is_unique
    _check_columns(f, FACILITY_COLUMNS)
    assert (f.geom_type == "Point").all()
    assert set(f["service"]) == set(SERVICES)  # every kind present
    assert (f["capacity"] > 0).all()
    units = f.groupby("service")["capacity_unit"].unique().map(tuple).to_dict()
    assert units == {
        "hospital": ("beds",),
        "health_centre": ("beds",),
        "clinic": ("doctors",),
        "primary_school": ("seats",),
        "junior_school": ("seats",),
        "elder_care": ("places",),
        "day_care": ("places",),
    }
    # facilities refer to real villages, in the same township
    assert f["village_id"].isin(demo.villages.index).all()
    assert (f["township"].to_numpy() == demo.villages.loc[f["village_id"], "township"]).all()


def test_facility_counts_and_staff(demo):
    f = demo.facilities
    counts = f["service"].value_counts()
    n_town = len(demo.townships)
    assert counts["hospital"] == 1
    assert counts["health_centre"] == n_town  # one per township
    assert 100 <= counts["clinic"] <= 300
    assert counts["junior_school"] < counts["primary_school"]
    assert n_town - 2 <= counts["elder_care"] <= n_town + 2
    assert counts["day_care"] >= 20
    medical = f["service"].isin(["hospital", "health_centre", "clinic"])
    schools = f["service"].isin(["primary_school", "junior_school"])
    assert (f.loc[medical, "doctors"] > 0).all()
    assert (f.loc[~medical, "doctors"] == 0).all()
    assert (f.loc[schools, "teachers"] > 0).all()
    assert (f.loc[~schools, "teachers"] == 0).all()
    rural_clinics = f[(f["service"] == "clinic") & (f["level"] == "village")]
    rural_clinics = rural_clinics[
        demo.villages.loc[rural_clinics["village_id"], "area_type"].to_numpy() == "rural"
    ]
    assert rural_clinics["doctors"].between(1, 3).all()
    assert (rural_clinics["capacity"] == rural_clinics["doctors"]).all()
    # rural schools are small, the town ones large
    prim = f[f["service"] == "primary_school"]
    assert prim.loc[prim["level"] == "village", "capacity"].max() < 500
    assert prim.loc[prim["level"] == "county", "capacity"].min() > 1_000


def test_road_schema(demo):
    r = demo.roads
    _check_columns(r, ROAD_COLUMNS)
    assert r["road_id"].is_unique
    assert (r.geom_type == "LineString").all()
    assert r.geometry.is_simple.all()
    assert set(r["road_class"]) == set(ROAD_CLASSES)
    assert (r["road_class"] == "expressway").sum() >= 1
    assert 200 <= len(r) <= 1_000
    # one-way streets exist, only in the county seat's grid
    oneway = r[r["oneway"]]
    assert 1 <= len(oneway) <= 6
    urban = demo.townships.set_index("township").loc["Chengguan", "geometry"]
    assert oneway.within(urban).all()


def test_township_and_county_schema(demo):
    t = demo.townships
    _check_columns(t, TOWNSHIP_COLUMNS)
    assert t["township"].is_unique
    assert 8 <= len(t) <= 12
    assert (t.geom_type == "Polygon").all()
    assert set(t["area_type"]) == {"urban", "rural"}
    assert set(demo.villages["township"]) == set(t["township"])
    pop = demo.villages.groupby("township")["population"].sum()
    assert (t.set_index("township")["population"] == pop.reindex(t["township"])).all()
    c = demo.county
    assert len(c) == 1
    assert "SYNTHETIC" in c["note"].iloc[0]
    # townships tile the county: no overlaps, no holes
    county = c.geometry.iloc[0]
    assert math.isclose(t.area.sum(), county.area, rel_tol=1e-6)
    assert math.isclose(shapely.union_all(t.geometry.to_numpy()).area, county.area, rel_tol=1e-6)
    # each village lies in its township
    poly = t.set_index("township").geometry
    assert all(
        poly[tw].covers(pt)
        for tw, pt in zip(demo.villages["township"], demo.villages.geometry, strict=True)
    )


# ------------------------------------------------------------------------------------------
# determinism
# ------------------------------------------------------------------------------------------


def _assert_same_county(a: Demo, b: Demo) -> None:
    for name in LAYERS:
        assert_geodataframe_equal(getattr(a, name), getattr(b, name), check_less_precise=False)
    for path_a, path_b in ((a.dem_path, b.dem_path), (a.population_path, b.population_path)):
        with rasterio.open(path_a) as sa, rasterio.open(path_b) as sb:
            assert sa.profile == sb.profile
            np.testing.assert_array_equal(sa.read(1), sb.read(1))


def test_generator_is_deterministic_in_memory():
    first, rasters_1 = datasets.load_generator().generate(datasets.DEMO_SEED)
    second, rasters_2 = datasets.load_generator().generate(datasets.DEMO_SEED)
    for name in LAYERS:
        assert_geodataframe_equal(first[name], second[name], check_less_precise=False)
        assert (first[name].geometry.to_wkb() == second[name].geometry.to_wkb()).all()
    for key in rasters_1:
        np.testing.assert_array_equal(rasters_1[key][0], rasters_2[key][0])
        assert rasters_1[key][1:] == rasters_2[key][1:]


def test_two_generations_write_identical_files(fresh, fresh_by_script):
    _assert_same_county(fresh, fresh_by_script)
    base_a, base_b = fresh.dem_path.parent, fresh_by_script.dem_path.parent
    for name in ("demo_county.gpkg", "demo_dem.tif", "demo_population.tif"):
        assert (base_a / name).read_bytes() == (base_b / name).read_bytes(), name
    assert not [p.name for p in base_a.iterdir() if ".part" in p.name]  # no temporary files left


def test_committed_files_match_the_generator(demo, fresh):
    """If this fails after changing the generator, run `python data/make_demo_county.py`."""
    _assert_same_county(demo, fresh)


def test_another_seed_gives_another_county():
    other, _ = datasets.load_generator().generate(datasets.DEMO_SEED + 1)
    base, _ = datasets.load_generator().generate(datasets.DEMO_SEED)
    assert not other["villages"].geometry.geom_equals(base["villages"].geometry).all()


def test_make_demo_county_refuses_to_overwrite_before_generating(tmp_path, monkeypatch):
    (tmp_path / "demo_county.gpkg").write_bytes(b"old")

    def boom(seed):  # pragma: no cover - must not be reached
        raise AssertionError("generated before checking the output")

    monkeypatch.setattr(datasets.load_generator(), "generate", boom)
    with pytest.raises(OutputError, match="already exists"):
        make_demo_county(tmp_path, overwrite=False)
    assert (tmp_path / "demo_county.gpkg").read_bytes() == b"old"


# ------------------------------------------------------------------------------------------
# geography
# ------------------------------------------------------------------------------------------


def test_county_sits_around_111e_27n_and_spans_about_40_by_35_km(demo):
    minx, miny, maxx, maxy = demo.county.total_bounds
    assert 38_000 <= maxx - minx <= 41_000
    assert 33_000 <= maxy - miny <= 36_000
    centre = demo.county.geometry.iloc[0].centroid
    lon, lat = Transformer.from_crs(4546, 4490, always_xy=True).transform(centre.x, centre.y)
    assert abs(lon - 111.0) < 0.2
    assert abs(lat - 27.0) < 0.2
    for name in ("roads", "villages", "facilities", "townships"):
        assert getattr(demo, name).within(demo.county.geometry.iloc[0].buffer(1.0)).all(), name


def test_dem_has_mountains_in_the_north_west(demo):
    with rasterio.open(demo.dem_path) as src:
        assert src.crs.to_epsg() == 4546
        assert src.dtypes[0] == "float32"
        assert src.nodata is not None
        assert src.res == (100.0, 100.0)
        elev = src.read(1, masked=True)
        assert elev.mask.any() and not elev.mask.all()
        rows, cols = elev.shape
        nw = elev[: rows // 3, : cols // 3]
        se = elev[-rows // 3 :, -cols // 3 :]
    assert nw.mean() > se.mean() + 300.0
    assert elev.max() > 800.0
    # the village elevation column is the DEM value at the village
    v = demo.villages
    with rasterio.open(demo.dem_path) as src:
        sampled = np.array(
            [s[0] for s in src.sample(zip(v.geometry.x, v.geometry.y, strict=False))]
        )
    np.testing.assert_allclose(sampled, v["elevation_m"], atol=0.051)
    hi = v.groupby("terrain")["elevation_m"].mean()
    assert hi["mountain"] > hi["hill"] > hi["plain"]


def test_population_positive_with_plausible_age_shares(demo):
    v = demo.villages
    assert (v["population"] > 0).all()
    school = v["pop_school_age"] / v["population"]
    elderly = v["pop_elderly"] / v["population"]
    assert school.between(0.05, 0.20).all()
    assert elderly.between(0.07, 0.36).all()
    assert 200_000 <= v["population"].sum() <= 800_000

    def weighted(share, mask):
        return float((share * v["population"])[mask].sum() / v["population"][mask].sum())

    # an older population in the countryside, oldest in the mountains
    assert weighted(elderly, v["area_type"] == "rural") > weighted(
        elderly, v["area_type"] == "urban"
    )
    assert weighted(elderly, v["terrain"] == "mountain") > weighted(
        elderly, v["terrain"] == "plain"
    )
    # urban communities and township seats are larger than villages; mountain villages smallest
    size = v.groupby("settlement")["population"].median()
    assert size["county_seat"] > size["township_seat"] > size["village"]
    rural = v[v["settlement"] == "village"]
    by_terrain = rural.groupby("terrain")["population"].median()
    assert by_terrain["mountain"] < by_terrain["plain"]


def test_urban_income_is_higher(demo):
    income = demo.villages.groupby("area_type")["income_yuan"].median()
    assert income["urban"] > 1.5 * income["rural"]
    rural = demo.villages[demo.villages["settlement"] == "village"]
    by_terrain = rural.groupby("terrain")["income_yuan"].median()
    assert by_terrain["mountain"] < by_terrain["plain"]


def test_population_raster_holds_the_village_population(demo):
    with rasterio.open(demo.population_path) as src:
        assert src.crs.to_epsg() == 4546
        pop = src.read(1, masked=True)
    assert pop.min() >= 0
    assert math.isclose(float(pop.sum()), int(demo.villages["population"].sum()), rel_tol=1e-4)


# ------------------------------------------------------------------------------------------
# roads: hierarchy and topology
# ------------------------------------------------------------------------------------------


def test_every_village_and_facility_is_near_a_road(demo):
    roads = shapely.union_all(demo.roads.geometry.to_numpy())
    assert demo.villages.distance(roads).max() < 400.0
    assert demo.facilities.distance(roads).max() < 600.0


def test_lines_meet_only_at_shared_vertices(demo):
    """Apart from grade-separated expressway crossings, every intersection is a vertex of both."""
    r = demo.roads
    geoms = r.geometry.to_numpy()
    cls = r["road_class"].to_numpy()
    vertices = [set(map(tuple, shapely.get_coordinates(g))) for g in geoms]
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    expressway_crossings = 0
    for a, b in zip(left, right, strict=True):
        if a >= b:
            continue
        for p in map(tuple, shapely.get_coordinates(shapely.intersection(geoms[a], geoms[b]))):
            if p in vertices[a] and p in vertices[b]:
                continue
            assert "expressway" in (cls[a], cls[b]), (r["road_id"].iloc[a], r["road_id"].iloc[b])
            expressway_crossings += 1
    assert expressway_crossings >= 3  # under- and overpasses exist, and are not junctions
    # the expressway is joined to the rest at exactly one interchange
    exp = [vertices[i] for i in np.flatnonzero(cls == "expressway")]
    exp_vertices = set().union(*exp)
    shared = {p for i in np.flatnonzero(cls != "expressway") for p in vertices[i] & exp_vertices}
    assert len(shared) == 1


def test_deliberate_gaps_are_1_to_2_m_and_the_only_near_misses(demo):
    r = demo.roads
    geoms = r.geometry.to_numpy()
    gaps = r[r["gap_m"] > 0]
    assert len(gaps) == 5
    assert gaps["gap_m"].between(1.0, 2.0).all()
    assert set(gaps["road_class"]) == {"village"}
    tree = shapely.STRtree(geoms)
    owners: dict[tuple, int] = {}
    for g in geoms:
        for p in set(map(tuple, shapely.get_coordinates(g))):
            owners[p] = owners.get(p, 0) + 1
    first, last = _ends(geoms)
    for i in range(len(geoms)):
        for k, end in enumerate((first[i], last[i])):
            if owners[tuple(end)] > 1:
                continue  # a junction
            pt = shapely.Point(end)
            near = [j for j in tree.query(pt, predicate="dwithin", distance=10.0) if j != i]
            dist = min((geoms[j].distance(pt) for j in near), default=np.inf)
            if r["gap_m"].iloc[i] > 0 and k == 0:
                assert dist == pytest.approx(r["gap_m"].iloc[i], abs=0.006)
            else:
                assert dist > 10.0, r["road_id"].iloc[i]


def test_network_is_connected_once_the_gaps_are_joined(demo):
    r = demo.roads
    geoms = r.geometry.to_numpy()
    n_comp, _labels, _keys = _vertex_graph(geoms)
    gaps = r["gap_m"].to_numpy() > 0
    # unrepaired, each gap cuts off exactly one village road
    assert n_comp == 1 + gaps.sum()
    # join each gapped start to the nearest point of the nearest other line, as a repair would
    repaired = geoms.copy()
    for i in np.flatnonzero(gaps):
        start = shapely.Point(shapely.get_coordinates(geoms[i])[0])
        others = np.delete(np.arange(len(geoms)), i)
        j = others[np.argmin(shapely.distance(repaired[others], start))]
        coords = shapely.get_coordinates(repaired[j])
        segments = shapely.linestrings(np.stack([coords[:-1], coords[1:]], axis=1))
        seg = int(np.argmin(shapely.distance(segments, start)))
        target = shapely.get_coordinates(
            shapely.line_interpolate_point(
                segments[seg], shapely.line_locate_point(segments[seg], start)
            )
        )
        repaired[j] = shapely.LineString(np.vstack([coords[: seg + 1], target, coords[seg + 1 :]]))
        own = shapely.get_coordinates(geoms[i])
        repaired[i] = shapely.LineString(np.vstack([target, own[1:]]))
    assert _vertex_graph(repaired)[0] == 1


def test_hierarchy_expressway_national_provincial_reach_the_seat(demo):
    r = demo.roads
    length_km = r.length.groupby(r["road_class"]).sum() / 1000.0
    assert length_km["expressway"] > 20
    assert length_km["village"] > length_km["county"] > 20
    assert length_km["track"] < length_km["village"] / 10
    # every township seat community is within 500 m of a county-or-better road
    major = shapely.union_all(
        r[r["road_class"].isin(["national", "provincial", "county"])].geometry.to_numpy()
    )
    seats = demo.villages[demo.villages["settlement"] == "township_seat"]
    assert seats.distance(major).max() < 500.0


def test_some_villages_are_reached_only_by_track(demo):
    r = demo.roads
    geoms = r.geometry.to_numpy()
    owners: dict[tuple, int] = {}
    for g in geoms:
        for p in set(map(tuple, shapely.get_coordinates(g))):
            owners[p] = owners.get(p, 0) + 1
    tracks = r[r["road_class"] == "track"]
    assert 3 <= len(tracks) <= 12
    _, last = _ends(tracks.geometry.to_numpy())
    dead_ends = [owners[tuple(p)] == 1 for p in last]
    assert sum(dead_ends) >= 3
    # and those villages are in the mountains
    villages = demo.villages
    for p, dead in zip(last, dead_ends, strict=True):
        if dead:
            d = villages.distance(shapely.Point(p))
            assert villages.loc[d.idxmin(), "terrain"] == "mountain"


def test_mountain_roads_wind_more(demo):
    r = demo.roads
    links = r[r["road_class"].isin(["township", "village"]) & (r.length > 1_000)]
    first, last = _ends(links.geometry.to_numpy())
    sinuosity = links.length.to_numpy() / np.hypot(*(last - first).T)
    with rasterio.open(demo.dem_path) as src:
        mid = links.geometry.interpolate(0.5, normalized=True)
        elev = np.array([s[0] for s in src.sample(zip(mid.x, mid.y, strict=False))])
    high, low = sinuosity[elev > 450], sinuosity[elev < 200]
    assert len(high) >= 10 and len(low) >= 10
    assert np.median(high) > 1.15 * np.median(low)


# ------------------------------------------------------------------------------------------
# the gaps the demo exists to show
# ------------------------------------------------------------------------------------------


def _nearest_m(villages, facilities, service: str):
    pts = facilities[facilities["service"] == service].geometry.to_numpy()
    tree = shapely.STRtree(pts)
    _, dist = tree.query_nearest(villages.geometry.to_numpy(), return_distance=True)
    return pd.Series(dist, index=villages.index)


def test_urban_rural_and_mountain_gap_is_visible(demo):
    v, f = demo.villages, demo.facilities
    for service in ("hospital", "health_centre", "junior_school", "elder_care"):
        d = _nearest_m(v, f, service)
        by_area = d.groupby(v["area_type"]).mean()
        by_terrain = d.groupby(v["terrain"]).mean()
        assert by_area["urban"] < by_area["rural"], service
        assert by_terrain["mountain"] > by_terrain["plain"], service
    # facilities per person: the seat is much better supplied than the mountain townships
    t = demo.townships.set_index("township")
    mountain = t.index[t["terrain"] == "mountain"]
    junior = f[f["service"] == "junior_school"].groupby("township").size()
    assert junior.reindex(mountain, fill_value=0).lt(1).sum() >= 1  # some have none
    seats = f[f["service"].isin(["primary_school", "junior_school"])].groupby("township")[
        "capacity"
    ]
    per_child = seats.sum() / v.groupby("township")["pop_school_age"].sum()
    assert per_child["Chengguan"] > per_child[mountain].max()


# ------------------------------------------------------------------------------------------
# the generator is not shipped
# ------------------------------------------------------------------------------------------


def test_generator_lives_in_data_and_is_not_part_of_the_package():
    from pathlib import Path

    import accessibility

    generator = datasets.load_generator()
    assert Path(generator.__file__).parent.parts[-2:] == ("data", "generator")
    package = Path(accessibility.__file__).parent
    assert not list(package.rglob("generator*")), "the generator must not ship in the package"


def test_make_demo_county_without_the_generator_says_to_use_a_checkout(tmp_path, monkeypatch):
    """An installed copy has no data/generator/: a clear error, and nothing is written."""
    import sys

    from accessibility.datasets import regenerate

    monkeypatch.setattr(regenerate, "SOURCE_DATA_DIR", tmp_path / "site-packages" / "data")
    monkeypatch.delitem(sys.modules, regenerate.GENERATOR_MODULE, raising=False)
    out = tmp_path / "out"
    with pytest.raises(FileNotFoundError, match="source checkout"):
        make_demo_county(out)
    assert not out.exists()
