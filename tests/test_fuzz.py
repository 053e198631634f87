"""Fuzz tests (hypothesis): garbage in, a clear error (or a result) out.

The package promises that bad input is answered with an :class:`AccessibilityError` subclass that
says what was found and how to fix it, never with a bare ``KeyError``/``IndexError``/
``TypeError``/``ZeroDivisionError`` from deep inside. Here ``network_from_roads``,
``validate_locations``, ``validate_roads``, ``read_costs``, ``read_layer``, ``validate_config``
(also through ``load_config`` on mutated project files) and ``planning.load_scenario`` get random
column names and values (NaN, inf, text, negative numbers, lists, bytes), empty, invalid, 3D and
wrongly typed geometries, random CRSs, random options, random and mutated TOML. Each call must
either succeed or raise an ``AccessibilityError``.

Crashes found by these tests are pinned by the tests at the end (one precise input each, named in
docs/reliability.md). While a bug is open its test is a strict ``xfail`` and the fuzzers tolerate
exactly the inputs that trigger it (a ``_known_*`` helper), so that they keep looking for new ones;
the tolerance goes together with the xfail once the bug is fixed. All found so far are fixed.
"""

from __future__ import annotations

import math
import string
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accessibility.config import DEFAULTS, SERVICE_KEYS, load_config, validate_config
from accessibility.costs import read_costs
from accessibility.errors import (
    AccessibilityError,
    ConfigError,
    CRSError,
    InputFileError,
    InvalidValueError,
)
from accessibility.io import read_layer, write_geopackage
from accessibility.network import network_from_roads
from accessibility.planning import ACTIONS, load_scenario
from accessibility.validate import validate_locations, validate_roads

FUZZ = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
REPO = Path(__file__).resolve().parents[1]
EXISTING = str(Path(__file__).resolve())  # a file that exists, for path-valued config keys
CRSS = [None, "EPSG:32649", "EPSG:4326", "EPSG:3857", "EPSG:4547"]


def clean_outcome(fn, *args, tolerate: tuple[type[BaseException], ...] = (), **kwargs):
    """Call ``fn``: a result or an AccessibilityError is fine; ``tolerate`` = known bugs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn(*args, **kwargs)
        except AccessibilityError:
            return None
        except tolerate:
            return None


# =================================================================================================
# garbage values and geometries
# =================================================================================================

texts = st.text(
    alphabet=st.sampled_from(string.ascii_letters + string.digits + " _-.,约人县道村\t"), max_size=8
)
scalars = st.one_of(
    st.none(),
    st.just(float("nan")),
    st.sampled_from([float("inf"), -float("inf"), 0, -1, -0.5, 1e9, True, False]),
    st.integers(-1000, 100_000),
    st.floats(-1e6, 1e6, allow_nan=False),
    texts,
    st.sampled_from(["1,200", " 800 ", "n/a", "", "约500", "-3", "1e3", "inf", "nan"]),
    st.binary(max_size=4),
)
cells = st.one_of(scalars, st.lists(st.sampled_from(["primary", "secondary", 1]), max_size=2))
column_names = st.one_of(
    st.sampled_from(
        ["road_class", "oneway", "name", "population", "capacity", "village_id", "speed", "等级"]
    ),
    texts.filter(lambda t: t not in ("geometry", "")),
    st.integers(0, 3),
)
coord = st.one_of(
    st.floats(-2000, 2000, allow_nan=False),
    st.sampled_from([float("nan"), float("inf"), 0.0, 1e12, 120.5, 30.2]),
)
xy = st.tuples(coord, coord)


def _line(pts):
    return shapely.LineString(pts)


geometries = st.one_of(
    st.none(),
    st.lists(xy, min_size=2, max_size=4).map(_line),
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=2, max_size=3).map(
        _line
    ),  # short, overlapping, zero-length and self-touching lines
    st.just(shapely.LineString()),
    xy.map(shapely.Point),
    st.just(shapely.Point()),
    st.lists(xy, min_size=2, max_size=3).map(shapely.MultiPoint),
    st.lists(st.lists(xy, min_size=2, max_size=3), min_size=1, max_size=2).map(
        shapely.MultiLineString
    ),
    st.just(shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])),  # self-intersecting
    st.just(shapely.box(0, 0, 10, 10)),
    st.just(shapely.LinearRing([(0, 0), (5, 0), (5, 5)])),
    st.just(shapely.GeometryCollection([shapely.Point(1, 1), _line([(0, 0), (1, 0)])])),
    st.just(shapely.LineString([(0, 0, 5), (10, 0, 7)])),
    st.just(shapely.LineString([(3, 3), (3, 3)])),
)


@st.composite
def layers(draw, *, force: dict | None = None, max_rows: int = 5) -> gpd.GeoDataFrame:
    """A GeoDataFrame with random columns, values, geometries, index and CRS."""
    n = draw(st.integers(0, max_rows))
    cols = {}
    for name in draw(st.lists(column_names, max_size=3, unique=True)):
        cols[name] = draw(st.lists(cells, min_size=n, max_size=n))
    for name, values in (force or {}).items():
        if draw(st.integers(0, 9)) > 0:  # the expected column is usually there
            cols[name] = draw(st.lists(values, min_size=n, max_size=n))
    geoms = draw(st.lists(geometries, min_size=n, max_size=n))
    index = draw(
        st.one_of(
            st.just(pd.RangeIndex(n)),
            st.lists(st.one_of(texts, st.integers(0, 3)), min_size=n, max_size=n).map(pd.Index),
        )
    )
    frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in cols.items()}, index=range(n))
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms), crs=draw(st.sampled_from(CRSS)))
    gdf.index = index
    return gdf


def _coords(gdf) -> np.ndarray:
    g = gdf.geometry.to_numpy()
    return shapely.get_coordinates(g[~shapely.is_missing(g)], include_z=False)


def _known_network_crash(roads: gpd.GeoDataFrame, kwargs: dict) -> tuple[type[Exception], ...]:
    """Exceptions of open network_from_roads bugs this input triggers: none are open now."""
    return ()


@st.composite
def network_options(draw) -> dict:
    opts: dict = {}
    if draw(st.booleans()):
        opts["class_column"] = draw(st.sampled_from(["road_class", "highway", "等级"]))
    if draw(st.booleans()):
        opts["oneway_column"] = draw(st.sampled_from([None, "oneway", "one_way"]))
    if draw(st.booleans()):
        opts["speed_column"] = draw(
            st.sampled_from([None, "speed", {"car": "speed"}, {"walk": "speed"}, "maxspeed"])
        )
    if draw(st.booleans()):
        opts["tolerance_m"] = draw(
            st.one_of(st.floats(0, 50), st.sampled_from([-1.0, 0.0, float("nan"), float("inf")]))
        )
    if draw(st.booleans()):
        opts["profile"] = draw(st.sampled_from(["china", "osm", "chnia", "OSM"]))
    if draw(st.booleans()):
        opts["modes"] = draw(
            st.lists(st.sampled_from(["car", "walk", "bike", "ebike", "plane"]), max_size=3)
        )
    if draw(st.integers(0, 4)) == 0:
        opts["speeds"] = draw(
            st.dictionaries(
                st.sampled_from(["car", "walk", "plane"]),
                st.one_of(scalars, st.dictionaries(st.sampled_from(["county", "县道"]), scalars)),
                max_size=2,
            )
        )
    if draw(st.integers(0, 4)) == 0:
        opts["split_crossings"] = True
    return opts


@FUZZ
@given(
    roads=layers(
        force={
            "road_class": st.one_of(
                st.sampled_from(["county", "village", "national", "县道", "track", "motorway"]),
                cells,
            ),
            "oneway": st.one_of(st.sampled_from([True, False, "yes", "-1", 0, 1]), scalars),
            "speed": st.one_of(st.floats(-10, 150), scalars),
        },
        max_rows=6,
    ),
    opts=network_options(),
)
def test_network_from_roads_gives_a_network_or_a_clear_error(roads, opts):
    net = clean_outcome(
        network_from_roads, roads, tolerate=_known_network_crash(roads, opts), **opts
    )
    if net is not None:
        assert len(net.edges) == len(net.edges.dropna(subset=["u", "v"]))
        for mode in net.modes:
            t = net.edges[[f"{mode}_fwd_min", f"{mode}_bwd_min"]].to_numpy()
            assert not np.isnan(t).any() and (t >= 0).all()


@FUZZ
@given(
    gdf=layers(
        force={
            "village_id": st.one_of(texts, st.integers(0, 5), scalars),
            "population": st.one_of(st.floats(-10, 1e4), scalars),
            "name": st.one_of(texts, st.binary(max_size=6), st.just("\udcff"), scalars),
        }
    ),
    id_column=st.sampled_from([None, "village_id", "vid"]),
    polygons=st.sampled_from(["error", "centroid", "representative", "weighted", "centre"]),
    required=st.lists(st.sampled_from(["name", "population", "Name", "人口", 5, None]), max_size=2),
    reference=st.sampled_from(
        [
            None,
            (0.0, 0.0, 1000.0, 1000.0),
            (100.0, 20.0, 130.0, 50.0),
            (1.0, 2.0, 3.0),
            (0.0, 0.0, float("nan"), 1.0),
            (10.0, 0.0, 0.0, 10.0),
            "extent",
            5,
        ]
    ),
)
def test_validate_locations_cleans_or_says_what_is_wrong(
    gdf, id_column, polygons, required, reference
):
    kwargs = {"population_raster": None} if polygons != "weighted" else {}
    out = clean_outcome(
        validate_locations,
        gdf,
        kind="villages",
        id_column=id_column,
        polygons=polygons,
        required_columns=required,
        nonnegative_columns=["population"],
        reference_extent=reference,
        **kwargs,
    )
    if out is not None:  # a clean layer: unique ids, points, finite non-negative population
        assert out.index.is_unique
        assert set(out.geom_type) <= {"Point"}
        if "population" in out:
            assert np.isfinite(out["population"].to_numpy(float)).all()
            assert (out["population"].to_numpy(float) >= 0).all()


@FUZZ
@given(
    gdf=layers(
        force={
            "road_class": st.one_of(st.sampled_from(["county", "primary", "县道", ""]), cells),
            "speed": st.one_of(st.floats(-10, 300), scalars),
        }
    ),
    class_column=st.sampled_from(["road_class", "highway", "Road_Class"]),
    speed_column=st.sampled_from([None, "speed", "maxspeed"]),
    fill_class=st.sampled_from([None, "village"]),
    known=st.sampled_from([None, ["county"], ()]),
)
def test_validate_roads_cleans_or_says_what_is_wrong(
    gdf, class_column, speed_column, fill_class, known
):
    out = clean_outcome(
        validate_roads,
        gdf,
        class_column,
        speed_column,
        fill_class=fill_class,
        known_classes=known,
    )
    if out is not None:
        assert set(out.geom_type) <= {"LineString", "LinearRing"}
        assert (out.length > 0).all()


# =================================================================================================
# cost tables
# =================================================================================================


@FUZZ
@given(
    names=st.lists(
        st.one_of(st.sampled_from(["origin", "destination", "travel_time_min", "from"]), texts),
        min_size=1,
        max_size=4,
        unique=True,
    ),
    data=st.data(),
    mapping=st.sampled_from(
        [{}, {"origin": "from"}, {"cost": "minutes"}, {"origin": "from", "cost": "from"}]
    ),
)
def test_read_costs_from_a_frame_reads_or_says_what_is_wrong(names, data, mapping):
    n = data.draw(st.integers(0, 5))
    df = pd.DataFrame(
        {
            k: pd.Series(data.draw(st.lists(cells, min_size=n, max_size=n)), dtype=object)
            for k in names
        }
    )
    out = clean_outcome(read_costs, df, **mapping)
    if out is not None:
        assert {"origin", "destination", "travel_time_min"} <= set(out.columns)
        assert out.columns.is_unique
        t = out["travel_time_min"].to_numpy(float)
        assert np.isfinite(t).all() and (t >= 0).all()


csv_texts = st.one_of(
    st.binary(max_size=60),
    st.lists(
        st.lists(st.one_of(texts, st.sampled_from(['"', ",", "nan", "-1", "3.5"])), max_size=4),
        max_size=5,
    ).map(lambda rows: "\n".join(",".join(r) for r in rows).encode()),
    st.just("origin,destination,travel_time_min\n村,x,1\n".encode("gbk")),
)


@FUZZ
@given(content=csv_texts)
def test_read_costs_from_a_file_reads_or_says_what_is_wrong(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("costs") / "od.csv"
    path.write_bytes(content)
    clean_outcome(read_costs, path)


# =================================================================================================
# GIS files
# =================================================================================================


@FUZZ
@given(
    content=st.one_of(
        st.binary(max_size=200),
        st.just(b'{"type": "FeatureCollection", "features": []}'),
        st.just(b'{"type": "FeatureCollection", "features": [{"type": "Feature"}]}'),
        st.just(b"SQLite format 3\x00" + bytes(100)),
    ),
    suffix=st.sampled_from([".gpkg", ".geojson", ".shp", ".csv", ""]),
    layer=st.sampled_from([None, "roads", "villages"]),
    index_col=st.sampled_from([None, "village_id"]),
    encoding=st.sampled_from([None, "GBK", "utf-8", "bogus", ""]),
)
def test_read_layer_reads_or_says_what_is_wrong(
    tmp_path_factory, content, suffix, layer, index_col, encoding
):
    path = tmp_path_factory.mktemp("layer") / f"input{suffix}"
    path.write_bytes(content)
    clean_outcome(read_layer, path, layer, index_col=index_col, encoding=encoding)


# =================================================================================================
# project files and scenarios
# =================================================================================================

toml_values = st.recursive(
    st.one_of(
        st.booleans(),
        st.integers(-5, 100),
        st.floats(allow_nan=True, allow_infinity=True),
        texts,
        st.just(EXISTING),
        st.just("no/such/file.gpkg"),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(texts, inner, max_size=3)),
    max_leaves=6,
)


def typo(key: str) -> st.SearchStrategy[str]:
    """A key as written, or with a typical typo."""
    return st.one_of(
        st.just(key),
        st.just(key.upper()),
        st.just(key.replace("_", "-")),
        st.just(key[:-1]),
        st.just(key + "s"),
        st.just(key.replace("_min", "")),
    )


@st.composite
def tables(draw, schema: dict, depth: int = 0) -> dict:
    """A random table shaped like ``schema``: its keys (some misspelled), random values, and the
    schema's own value types half of the time."""
    out: dict = {}
    keys = draw(st.lists(st.sampled_from(sorted(schema)), max_size=4, unique=True))
    for key in keys:
        name = draw(typo(key)) if draw(st.integers(0, 5)) == 0 else key
        default = schema[key]
        if isinstance(default, dict) and depth < 2:
            out[name] = draw(st.one_of(tables(default, depth + 1), toml_values))
        elif draw(st.booleans()) and default is not None and not isinstance(default, dict):
            out[name] = default
        else:
            out[name] = draw(toml_values)
    return out


@st.composite
def configs(draw) -> dict:
    schema = {**DEFAULTS, "services": {"clinic": SERVICE_KEYS, "school": SERVICE_KEYS}}
    raw = draw(tables(schema))
    if draw(st.booleans()):  # usually give the required inputs, so later checks run too
        raw.setdefault("input", {})
        if isinstance(raw["input"], dict):
            for key in ("roads", "villages", "facilities"):
                raw["input"].setdefault(key, EXISTING)
    return raw


@FUZZ
@given(raw=configs())
def test_validate_config_accepts_or_names_the_problem(raw):
    cfg = clean_outcome(validate_config, raw, base_dir=REPO)
    if cfg is not None:  # a valid configuration is complete
        assert set(DEFAULTS) <= set(cfg)
        assert all(t > 0 for t in cfg["analysis"]["thresholds_min"])
        for key in ("tolerance_m", "max_snap_m", "connector_speed_kmh"):
            assert math.isfinite(cfg["network"][key]) and cfg["network"][key] >= 0
        for key in ("roads", "villages", "facilities", "osm", "townships"):
            assert cfg["input"].get(key) is None or isinstance(cfg["input"][key], str)


def _mutate(text: str, data) -> str:
    """Delete, duplicate or replace a few characters or lines of a TOML text."""
    lines = text.splitlines()
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        if not lines:
            break
        i = data.draw(st.integers(0, len(lines) - 1), label="line")
        how = data.draw(st.sampled_from(["drop", "dup", "char", "value", "key"]), label="how")
        line = lines[i]
        if how == "drop":
            del lines[i]
        elif how == "dup":
            lines.insert(i, line)
        elif how == "char" and line:
            j = data.draw(st.integers(0, len(line) - 1), label="char")
            c = data.draw(st.sampled_from(list("=[]{}\",'x1 .-")), label="new char")
            lines[i] = line[:j] + c + line[j + 1 :]
        elif how == "value" and "=" in line:
            v = data.draw(
                st.sampled_from(["5", "-1", "nan", "inf", "true", '""', "[]", "{}", '"x"', "[1, "]),
                label="value",
            )
            lines[i] = line.split("=", 1)[0] + "= " + v
        elif how == "key" and "=" in line:
            key, rest = line.split("=", 1)
            lines[i] = data.draw(typo(key.strip()), label="key") + " =" + rest
    return "\n".join(lines) + "\n"


@FUZZ
@given(data=st.data())
def test_load_config_of_a_mutated_project_file(tmp_path_factory, data):
    text = _mutate((REPO / "data" / "demo_project.toml").read_text(encoding="utf-8"), data)
    folder = tmp_path_factory.mktemp("project")
    for name in (
        "demo_county.gpkg",
        "demo_dem.tif",
        "demo_bus_lines.toml",
    ):  # the inputs it names exist
        (folder / name).write_bytes(b"")
    path = folder / "project.toml"
    path.write_text(text, encoding="utf-8")
    clean_outcome(load_config, path)


@st.composite
def scenarios(draw) -> dict:
    schema = {"scenario": {"name": "scenario", "description": ""}}
    schema |= {action: {k: None for k in keys} for action, keys in ACTIONS.items()}
    raw = draw(tables(schema))
    for action in ACTIONS:  # actions are usually lists of tables
        if action in raw and isinstance(raw[action], dict) and draw(st.booleans()):
            raw[action] = [raw[action], *draw(st.lists(tables(schema[action]), max_size=1))]
    return raw


@FUZZ
@given(raw=scenarios())
def test_load_scenario_accepts_or_names_every_problem(raw):
    sc = clean_outcome(load_scenario, raw)
    if sc is not None:
        assert set(ACTIONS) <= set(sc)


@FUZZ
@given(
    data=st.data(), name=st.sampled_from(sorted((REPO / "data" / "demo_scenarios").glob("*.toml")))
)
def test_load_scenario_of_a_mutated_scenario_file(tmp_path_factory, data, name):
    text = _mutate(name.read_text(encoding="utf-8"), data)
    path = tmp_path_factory.mktemp("scenario") / "plan.toml"
    path.write_text(text, encoding="utf-8")
    clean_outcome(load_scenario, path)
    clean_outcome(load_scenario, path.with_name("plan.tml"))  # a typo in the file name


# =================================================================================================
# the crashes found, one precise input each (all fixed; kept as regression tests)
# =================================================================================================

CRS = "EPSG:32649"


def _roads(*geoms, crs=CRS, **cols):
    return gpd.GeoDataFrame(
        {"road_class": ["county"] * len(geoms), **cols}, geometry=list(geoms), crs=crs
    )


def _must_be_clean(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fn(*args, **kwargs)
        except AccessibilityError:
            pass


LINE = shapely.LineString([(0, 0), (100, 0)])


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_bug1_roads_with_nan_coordinates(bad):
    _must_be_clean(network_from_roads, _roads(LINE, shapely.LineString([(0, 0), (bad, 5)])))


def test_bug2_road_metres_labelled_as_degrees():
    _must_be_clean(network_from_roads, _roads(shapely.LineString([(0, 0), (500, 0)]), crs=4326))


def test_bug3_roads_with_list_classes():
    roads = _roads(LINE, shapely.LineString([(100, 0), (100, 100)]))
    roads["road_class"] = pd.Series([["primary", "secondary"], "county"], dtype=object)
    _must_be_clean(network_from_roads, roads)


def test_bug4_roads_all_empty():
    _must_be_clean(network_from_roads, _roads(shapely.LineString(), None))


def test_bug5_roads_with_huge_coordinates():
    _must_be_clean(network_from_roads, _roads(shapely.LineString([(0, 0), (1e300, 0)])))


def test_bug6_unknown_working_crs():
    _must_be_clean(network_from_roads, _roads(LINE), crs="EPSG:999999")


@pytest.mark.parametrize("speeds", [{"car": 5}, {"car": {"county": "fast"}}])
def test_bug7_bad_speed_overrides(speeds):
    _must_be_clean(network_from_roads, _roads(LINE), speeds=speeds)


# bugs 8-14 (fixed): the named error, saying which key/column/file is wrong


@pytest.mark.parametrize("section,key", [("input", "roads"), ("network", "dem")])
def test_bug8_config_path_that_is_not_text(section, key):
    raw = {"input": {"roads": EXISTING, "villages": EXISTING, "facilities": EXISTING}}
    raw.setdefault(section, {})[key] = 5
    with pytest.raises(ConfigError, match=rf"\[{section}\] {key} = 5: must be a file path"):
        validate_config(raw)


@pytest.mark.parametrize(
    "content,error,match",
    [
        (None, InputFileError, "does not exist"),
        (b"", ConfigError, "is empty"),
        (b'a,b\n"x,1\n', ConfigError, "cannot read cost table .* as CSV"),
        ("origin,destination,travel_time_min\n村,x,1\n".encode("gbk"), ConfigError, "not UTF-8"),
        ("folder", InputFileError, "is a folder"),
    ],
    ids=["missing", "empty", "quote", "gbk", "folder"],
)
def test_bug9_unreadable_cost_files(tmp_path, content, error, match):
    path = tmp_path / "od.csv"
    if content == "folder":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(error, match=match) as info:
        read_costs(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "kwargs,frame,match",
    [
        ({"origin": "a", "cost": "a"}, {"a": ["v"]}, "three different columns"),
        ({"origin": ["a"]}, {"a": ["v"]}, "must be a column name"),
        ({}, {"origin": [["v", "w"]]}, "lists or other non-scalar"),
        ({}, {"travel_time_min": [1 + 2j]}, "complex"),
        ({}, {"travel_time_min": pd.to_datetime(["2024-01-01"])}, "datetime64"),
        ({}, {"travel_time_min": pd.to_timedelta(["5min"])}, "total_seconds"),
        ({}, {"travel_time_min": pd.Series([True], dtype=object)}, "not numbers"),
    ],
    ids=[
        "one-column-two-roles",
        "list-name",
        "list-ids",
        "complex",
        "datetime",
        "timedelta",
        "bool",
    ],
)
def test_bug10_cost_table_ambiguous_or_non_scalar(kwargs, frame, match):
    df = pd.DataFrame({"origin": ["v"], "destination": ["f"], "travel_time_min": [1.0]} | frame)
    with pytest.raises(InvalidValueError, match=match):
        read_costs(df, **kwargs)


def test_bug11_polygon_centroids_of_metres_labelled_as_degrees():
    gdf = gpd.GeoDataFrame(geometry=[shapely.box(500, 500, 600, 600)], crs=4326)
    with pytest.raises(CRSError, match=r"outside the range of degrees.*set_crs"):
        validate_locations(gdf, polygons="centroid")


def test_bug12_two_sfca_with_underflowing_weights_is_finite():
    from accessibility import decay
    from accessibility.measures import two_sfca

    # gaussian(1): exp(-38**2 / 2) ~ 1e-314 is subnormal (counts as 0), exp(-30**2 / 2) ~ 3e-196
    # is not. By hand, 38/50 min: nobody is served, A = 0; 30/38 min: all 10 units go to a (the
    # only demand with a weight), A_a = w * 10 / (1 * w) = 10, A_b = 0
    for times, expected in (([38.0, 50.0], [0.0, 0.0]), ([30.0, 38.0], [10.0, 0.0])):
        costs = pd.DataFrame(
            {"origin": ["a", "b"], "destination": ["x", "x"], "travel_time_min": times}
        )
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no overflow or invalid-value warnings either
            got = two_sfca(
                costs,
                pd.Series([1.0, 1.0], index=["a", "b"]),
                pd.Series([10.0], index=["x"]),
                decay=decay.gaussian(1),
            )
        np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-12)


def test_bug13_merge_from_that_is_not_a_list():
    with pytest.raises(ConfigError, match=r"from must be a non-empty list.*got 5") as info:
        load_scenario({"merge_facilities": {"from": 5, "into": "PS001", "sum": "x"}})
    assert "sum must be a list" in str(info.value)  # validation went on: every problem listed


def test_bug14_cost_table_renamed_onto_an_existing_column():
    df = pd.DataFrame(
        {"from": ["a"], "origin": ["b"], "destination": ["x"], "travel_time_min": [1]}
    )
    with pytest.raises(InvalidValueError, match="already has a column 'origin'"):
        read_costs(df, origin="from")


# smaller findings (fixed)


@pytest.mark.parametrize("encoding", ["bogus", ""])
def test_read_layer_with_an_unknown_encoding(tmp_path, encoding):
    path = tmp_path / "v.gpkg"
    write_geopackage(path, {"v": _roads(LINE)})
    with pytest.raises(InvalidValueError, match=r"not a known text encoding.*GBK"):
        read_layer(path, encoding=encoding)


def test_write_geopackage_replaces_lone_surrogates_and_warns(tmp_path, caplog):
    roads = _roads(LINE, shapely.LineString([(100, 0), (100, 100)]))
    # bytes decoded with errors="surrogateescape", in object columns (pandas' Arrow-backed strings
    # cannot hold a lone surrogate)
    roads["name"] = pd.Series(["上\udcff村", "ok"], dtype=object, index=roads.index)
    roads.index = pd.Index(["\ud800", "b"], name="road_id", dtype=object)
    with caplog.at_level("WARNING", logger="accessibility.io"):
        write_geopackage(tmp_path / "r.gpkg", {"roads": roads})
    back = read_layer(tmp_path / "r.gpkg", index_col="road_id")
    assert back["name"].tolist() == ["上\ufffd村", "ok"]
    assert back.index.tolist() == ["\ufffd", "b"]
    assert "column name: 1 value(s)" in caplog.text and "column road_id" in caplog.text
    assert roads["name"].iloc[0] == "上\udcff村"  # the caller's frame is untouched


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"required_columns": [5]}, "required_columns=.* must be a list of column names"),
        ({"required_columns": "name"}, "required_columns="),
        ({"numeric_columns": [None]}, "numeric_columns="),
        ({"id_column": 3}, "id_column=3"),
        ({"reference_extent": (0, 0, 1)}, "four finite numbers"),
        ({"reference_extent": (0, 0, float("nan"), 1)}, "four finite numbers"),
        ({"reference_extent": (10, 0, 0, 10)}, "four finite numbers"),
        ({"reference_extent": "extent"}, "four finite numbers"),
        ({"reference_extent": 5}, "four finite numbers"),
    ],
)
def test_validate_locations_arguments_are_checked(kwargs, match):
    gdf = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(1, 1)], crs=CRS)
    with pytest.raises(InvalidValueError, match=match):
        validate_locations(gdf, **kwargs)
    validate_locations(gdf, reference_extent=(0, 0, 10, 10))  # a valid extent is fine
