"""Tests for accessibility.validate: every bad input answered clearly, all problems at once."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, MultiLineString, MultiPoint, Point, Polygon

from accessibility.errors import (
    AccessibilityError,
    CRSError,
    DuplicateIdError,
    EmptyLayerError,
    GeometryError,
    InvalidValueError,
    MissingColumnError,
    SnapError,
)
from accessibility.validate import (
    InputWarning,
    check_extent_overlap,
    check_same_crs,
    validate_locations,
    validate_roads,
)


def villages(**overrides) -> gpd.GeoDataFrame:
    """Four good villages in Hunan (lon/lat), id in a column."""
    data = {
        "village_id": ["v1", "v2", "v3", "v4"],
        "name": ["东村", "西村", "南村", "北村"],
        "population": [1200, 800, 450, 3000],
    }
    geometry = [
        Point(113.00, 28.00),
        Point(113.02, 28.01),
        Point(113.05, 28.03),
        Point(113.1, 28.1),
    ]
    data.update({k: v for k, v in overrides.items() if k != "geometry"})
    return gpd.GeoDataFrame(data, geometry=overrides.get("geometry", geometry), crs=4326)


def check(gdf, **kw):
    kw.setdefault("id_column", "village_id")
    kw.setdefault("nonnegative_columns", ["population"])
    return validate_locations(gdf, **kw)


# --- locations: the good case ------------------------------------------------------------------


def test_clean_layer_passes_without_warnings_and_is_indexed_by_id():
    gdf = villages()
    before = gdf.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = check(gdf, required_columns=["name"])
    assert out.index.tolist() == ["v1", "v2", "v3", "v4"]
    assert out.index.name == "village_id"
    assert "village_id" not in out.columns
    assert out["population"].dtype == np.float64
    assert out is not gdf
    pd.testing.assert_frame_equal(pd.DataFrame(gdf), pd.DataFrame(before))


def test_existing_index_used_when_no_id_column():
    gdf = villages().set_index("village_id")
    out = validate_locations(gdf, nonnegative_columns=["population"])
    assert out.index.tolist() == ["v1", "v2", "v3", "v4"]
    # naming the index as id_column also works
    out = validate_locations(gdf, id_column="village_id")
    assert out.index.name == "village_id"


# --- locations: layer-level problems -----------------------------------------------------------


def test_not_a_geodataframe_gives_points_from_xy_recipe():
    df = pd.DataFrame({"id": [1], "经度": [113.0], "纬度": [28.0]})
    with pytest.raises(GeometryError, match=r"points_from_xy\(df\['经度'\], df\['纬度'\]\)"):
        validate_locations(df)


def test_empty_layer():
    with pytest.raises(EmptyLayerError, match="facilities: the layer has no features"):
        validate_locations(villages().iloc[:0], kind="facilities")


def test_no_crs_suggests_degrees():
    gdf = villages().set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match=r"no CRS.*set_crs\(4326\)"):
        check(gdf)


def test_no_crs_suggests_projected_for_metres():
    gdf = villages().to_crs(32649).set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="look projected"):
        check(gdf)


def test_bad_polygons_option():
    with pytest.raises(InvalidValueError, match="Did you mean 'centroid'"):
        check(villages(), polygons="centroids")


# --- locations: columns and ids ----------------------------------------------------------------


def test_missing_column_suggests_close_match_and_lists_columns():
    gdf = villages().rename(columns={"population": "populaton"})
    with pytest.raises(MissingColumnError) as err:
        check(gdf)
    msg = str(err.value)
    assert "'population'" in msg and "Did you mean 'populaton'?" in msg
    assert "Available columns: 'village_id', 'name', 'populaton'" in msg


def test_missing_column_case_insensitive_hint():
    gdf = villages().rename(columns={"name": "NAME_CHINESE"})
    with pytest.raises(MissingColumnError, match="Did you mean 'NAME_CHINESE'"):
        check(gdf, required_columns=["name_chinese"])


def test_missing_id_column():
    with pytest.raises(MissingColumnError, match=r"'vilage_id' .the id column.*Did you mean"):
        check(villages(), id_column="vilage_id")


def test_duplicate_ids_listed_with_counts():
    gdf = villages(village_id=["v1", "v2", "v1", "v1"])
    with pytest.raises(
        DuplicateIdError, match=r"1 id\(s\) occur more than once \(3 rows\): 'v1'='x3'"
    ):
        check(gdf)


def test_missing_ids_named_by_row():
    gdf = villages(village_id=["v1", None, "  ", "v4"])
    with pytest.raises(DuplicateIdError, match=r"2 row\(s\) have no id: 'row 1', 'row 2'"):
        check(gdf)


# --- locations: numbers ------------------------------------------------------------------------


def test_text_population_names_rows_and_values():
    gdf = villages(population=[1200, "1,200", "约500", 30])
    with pytest.raises(InvalidValueError) as err:
        check(gdf)
    msg = str(err.value)
    assert "2 value(s) that are not numbers" in msg
    assert "'v2'='1,200'" in msg and "'v3'='约500'" in msg
    assert "pd.to_numeric" in msg


def test_numbers_stored_as_text_are_converted():
    gdf = villages(population=["1200", " 800 ", 450.0, "3e3"])
    out = check(gdf)
    assert out["population"].tolist() == [1200.0, 800.0, 450.0, 3000.0]


def test_nan_population_named():
    gdf = villages(population=[1200, np.nan, None, 5])
    with pytest.raises(
        InvalidValueError, match=r"2 missing value\(s\) \(NaN/empty\) in rows 'v2', 'v3'"
    ):
        check(gdf)


def test_negative_capacity_named():
    gdf = villages(population=[1200, -5, 3, 4])
    with pytest.raises(InvalidValueError, match=r"1 negative value\(s\): 'v2'=-5.0"):
        check(gdf)


def test_negative_allowed_in_plain_numeric_column():
    gdf = villages(population=[1200, -5, 3, 4])
    out = check(gdf, nonnegative_columns=[], numeric_columns=["population"])
    assert out.loc["v2", "population"] == -5


def test_infinite_values():
    gdf = villages(population=[1200, np.inf, 3, 4])
    with pytest.raises(InvalidValueError, match=r"1 infinite value\(s\) in rows 'v2'"):
        check(gdf)


def test_every_problem_reported_at_once():
    gdf = villages(village_id=["v1", "v1", "v3", "v4"], population=[1, "many", -2, np.nan])
    gdf = gdf.set_crs(None, allow_override=True)
    with pytest.raises(AccessibilityError) as err:
        check(gdf, required_columns=["township"])
    e = err.value
    # one error that is every matching kind at once, so each `except` still works
    for cls in (CRSError, MissingColumnError, DuplicateIdError, InvalidValueError):
        assert isinstance(e, cls)
    assert isinstance(e, ValueError) and isinstance(e, KeyError)
    kinds = [k for k, _ in e.problems]
    assert kinds.count("InvalidValueError") == 3  # text, NaN, negative
    assert {"CRSError", "MissingColumnError", "DuplicateIdError"} <= set(kinds)
    assert str(e).startswith(f"villages: {len(kinds)} problems found:\n  1. ")


# --- locations: geometry -----------------------------------------------------------------------


def test_missing_and_empty_geometry_named():
    gdf = villages(geometry=[Point(113, 28), None, Point(), Point(113.1, 28.1)])
    with pytest.raises(GeometryError, match=r"2 row\(s\) have no geometry .*'v2', 'v3'"):
        check(gdf)


def test_nan_coordinates():
    gdf = villages(
        geometry=[Point(113, 28), Point(np.nan, np.nan), Point(113, 28.1), Point(113.1, 28.1)]
    )
    with pytest.raises(GeometryError, match=r"1 geometries have NaN or infinite coordinates: 'v2'"):
        check(gdf)


def test_3d_points_dropped_z_with_warning():
    gdf = villages(
        geometry=[Point(113, 28, 50), Point(113.02, 28.01), Point(113, 28.1, 7), Point(113.1, 28.1)]
    )
    with pytest.warns(InputWarning, match=r"2 geometries have Z .*'v1', 'v3'"):
        out = check(gdf)
    assert not out.geometry.has_z.any()
    assert out.geometry["v1"].equals(Point(113, 28))
    assert out.attrs["validation"]["dropped_z"] == ["v1", "v3"]


def test_multipoint_replaced_by_representative_point():
    mp = MultiPoint([(113.0, 28.0), (113.01, 28.0)])
    gdf = villages(geometry=[mp, Point(113.02, 28.01), Point(113, 28.1), Point(113.1, 28.1)])
    with pytest.warns(InputWarning, match="multi-part point geometries .* 'v1'"):
        out = check(gdf)
    assert out.geometry["v1"].geom_type == "Point"
    assert out.geometry["v1"].equals(mp.representative_point())
    assert mp.contains(out.geometry["v1"]) or mp.touches(out.geometry["v1"])


def _polys():
    # an L-shaped (concave) polygon whose centroid lies outside it, and a square
    ell = Polygon([(0, 0), (1000, 0), (1000, 100), (100, 100), (100, 1000), (0, 1000)])
    square = Polygon([(2000, 0), (2100, 0), (2100, 100), (2000, 100)])
    return gpd.GeoDataFrame(
        {"village_id": ["L", "sq"], "population": [10, 20]},
        geometry=[ell, square],
        crs=32649,
    )


def test_polygons_are_an_error_by_default():
    with pytest.raises(GeometryError, match="polygons='representative'"):
        check(_polys())


def test_polygons_centroid_and_representative():
    gdf = _polys()
    out = check(gdf, polygons="centroid")
    assert out.geometry["L"].equals_exact(gdf.geometry[0].centroid, 1e-6)
    assert not gdf.geometry[0].contains(out.geometry["L"])  # concave: centroid falls outside
    out = check(gdf, polygons="representative")
    assert gdf.geometry[0].contains(out.geometry["L"])
    assert out.attrs["validation"]["polygon_to_point"]["method"] == "representative"


def test_polygon_centroid_in_geographic_crs_is_computed_in_metres():
    gdf = _polys().to_crs(4326)
    out = check(gdf, polygons="centroid")
    expect = _polys().geometry.centroid.to_crs(4326)
    assert out.geometry["sq"].distance(expect.iloc[1]) < 1e-7  # ~1 cm


def test_invalid_polygon_repaired_before_point(recwarn):
    bowtie = Polygon([(0, 0), (100, 100), (100, 0), (0, 100)])
    gdf = gpd.GeoDataFrame({"village_id": ["b"]}, geometry=[bowtie], crs=32649)
    with pytest.warns(InputWarning, match="invalid polygons were repaired"):
        out = validate_locations(gdf, id_column="village_id", polygons="representative")
    assert shapely.make_valid(bowtie).intersects(out.geometry["b"])


def test_polygons_population_weighted_with_raster(tmp_path):
    import rasterio
    from rasterio.transform import from_origin

    # 10 x 10 cells of 100 m; all population in the cell (row 8, col 1) -> centre (150, 150)
    data = np.zeros((10, 10), dtype="float32")
    data[8, 1] = 100.0
    path = tmp_path / "pop.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=10,
        width=10,
        count=1,
        dtype="float32",
        crs="EPSG:32649",
        transform=from_origin(0, 1000, 100, 100),
    ) as dst:
        dst.write(data, 1)
    gdf = gpd.GeoDataFrame(
        {"village_id": ["a", "empty"]},
        geometry=[
            Polygon([(0, 0), (500, 0), (500, 500), (0, 500)]),
            Polygon([(600, 600), (900, 600), (900, 900), (600, 900)]),
        ],
        crs=32649,
    )
    out = validate_locations(gdf, id_column="village_id", population_raster=path)
    assert out.geometry["a"].equals_exact(Point(150, 150), 1e-6)
    # no population inside -> representative point
    assert out.geometry["empty"].equals(gdf.geometry[1].representative_point())
    assert out.attrs["validation"]["polygon_to_point"]["method"] == "weighted"
    with pytest.raises(InvalidValueError, match="needs a population raster"):
        validate_locations(gdf, id_column="village_id", polygons="weighted")


def test_lines_are_not_locations():
    gdf = villages(
        geometry=[
            LineString([(113, 28), (113.1, 28)]),
            Point(113, 28),
            Point(113, 28.1),
            Point(113.1, 28.1),
        ]
    )
    with pytest.raises(GeometryError, match=r"1 geometries are LineString, not points: 'v1'"):
        check(gdf)


# --- locations: text ---------------------------------------------------------------------------


def test_non_utf8_bytes_replaced_with_warning():
    gbk = "东村".encode("gbk")  # not valid UTF-8
    gdf = villages(name=[gbk, "西村".encode(), "南村", "北村"])
    with pytest.warns(
        InputWarning,
        match=r"1 value\(s\) in column 'name' are not valid UTF-8 .*'v1'.*encoding='gbk'",
    ):
        out = check(gdf)
    assert "\ufffd" in out.loc["v1", "name"]
    assert out.loc["v2", "name"] == "西村"  # valid UTF-8 bytes decoded silently
    assert out.attrs["validation"]["text_repaired"] == {"name": ["v1"]}


def test_lone_surrogates_replaced():
    bad = b"\xb6\xab".decode("utf-8", errors="surrogateescape")
    # an object column: pandas' Arrow-backed strings (pandas 3 with pyarrow) cannot hold a lone
    # surrogate at all, but readers that decode with surrogateescape hand them over this way
    gdf = villages(name=pd.Series([bad, "西村", "南村", "北村"], dtype=object))
    with pytest.warns(InputWarning, match="not valid UTF-8"):
        out = check(gdf)
    out.loc["v1", "name"].encode("utf-8")  # now encodable


def test_valid_utf8_bytes_decoded_without_warning():
    gdf = villages(name=[s.encode() for s in ["东村", "西村", "南村", "北村"]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = check(gdf)
    assert out["name"].tolist() == ["东村", "西村", "南村", "北村"]


def test_arrow_strings_are_not_scanned_and_come_back_unchanged(monkeypatch):
    # pandas' Arrow-backed strings are valid UTF-8 by construction (they cannot hold bytes or a
    # lone surrogate), so their values are not cleaned one by one; object text still is
    from accessibility.validate import text

    names = ["东村", None, "南村", ""]
    arrow = villages(name=pd.array(names, dtype=pd.StringDtype("pyarrow")))
    objects = villages(name=pd.Series(names, dtype=object))
    calls: list[object] = []
    clean = text._clean_text

    def spy(value):
        calls.append(value)
        return clean(value)

    monkeypatch.setattr(text, "_clean_text", spy)
    out = check(arrow)
    assert calls == []
    pd.testing.assert_series_equal(  # same values, same dtype
        out["name"].reset_index(drop=True), arrow["name"].reset_index(drop=True)
    )
    assert not out.attrs["validation"].get("text_repaired")
    check(objects)
    assert len(calls) == len(names)


# --- locations: coordinates --------------------------------------------------------------------


def test_swapped_lat_lon_in_china_detected_without_reference():
    gdf = villages(
        geometry=[Point(28.0, 113.0), Point(28.01, 113.02), Point(28, 113), Point(28, 113)]
    )
    with pytest.raises(CRSError, match=r"latitude and longitude look swapped.*points_from_xy"):
        check(gdf)


def test_swap_fix_in_the_message_works():
    gdf = villages(
        geometry=[Point(28.0, 113.0), Point(28.01, 113.02), Point(28, 113), Point(28, 113)]
    )
    layer = gdf  # the message's code uses the name `layer`
    with pytest.raises(CRSError) as err:
        check(layer)
    code = str(err.value).split("Swap them: `")[1].split("`")[0]
    namespace = {"gpd": gpd, "layer": layer}
    exec(code, namespace)  # runs the fix we print
    fixed = check(namespace["layer"])
    assert fixed.geometry["v1"].equals(Point(113.0, 28.0))


def test_duplicate_fix_in_the_message_works():
    layer = villages(village_id=["v1", "v2", "v1", "v4"])
    with pytest.raises(DuplicateIdError) as err:
        check(layer)
    code = str(err.value).split("drop repeated rows (`")[1].split("`")[0]
    namespace = {"layer": layer}
    exec(code, namespace)
    assert check(namespace["layer"]).index.tolist() == ["v1", "v2", "v4"]


def test_swapped_lat_lon_detected_with_reference_extent():
    # Bayreuth: lon 11.6, lat 49.9 -- both are valid latitudes, only the extent can tell
    roads = gpd.GeoDataFrame(geometry=[LineString([(11.5, 49.8), (11.7, 50.0)])], crs=4326)
    pts = [Point(49.85, 11.55), Point(49.9, 11.6), Point(49.95, 11.65), Point(49.9, 11.62)]
    gdf = villages(geometry=pts)
    with pytest.raises(CRSError, match=r"swapped: 4 of 4 points fall outside the reference extent"):
        check(gdf, reference_extent=roads)
    # the right way round passes, and a bounds tuple works too
    good = villages(geometry=[Point(p.y, p.x) for p in pts])
    assert len(check(good, reference_extent=(11.5, 49.8, 11.7, 50.0))) == 4


def test_metres_labelled_as_degrees():
    gdf = villages().to_crs(32649).set_crs(4326, allow_override=True)
    with pytest.raises(CRSError, match=r"outside the range of degrees.*probably projected"):
        check(gdf)


def test_degrees_labelled_as_metres():
    gdf = villages().set_crs(32649, allow_override=True)
    with pytest.raises(CRSError, match=r"look like degrees.*set_crs\(4326, allow_override=True\)"):
        check(gdf)


def test_small_metric_coordinates_are_not_mistaken_for_degrees():
    # a hand-made layout near the origin of a UTM zone: read as degrees it lies far outside the
    # zone's area of use (108-114 E), so it is accepted
    gdf = villages(geometry=[Point(12.5, 75.0), Point(0, 0), Point(100, 0), Point(50, 50)])
    gdf = gdf.set_crs(32649, allow_override=True)
    assert len(check(gdf)) == 4


# --- roads -------------------------------------------------------------------------------------


def roads(**overrides) -> gpd.GeoDataFrame:
    data = {"road_class": ["county", "县道", "primary"], "speed_kmh": [40.0, 35.0, 60.0]}
    geometry = [
        LineString([(0, 0), (1000, 0)]),
        LineString([(1000, 0), (1000, 800)]),
        LineString([(1000, 800), (0, 800)]),
    ]
    data.update({k: v for k, v in overrides.items() if k != "geometry"})
    return gpd.GeoDataFrame(data, geometry=overrides.get("geometry", geometry), crs=32649)


def test_roads_clean_layer_passes():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = validate_roads(roads(), "road_class", speed_column="speed_kmh")
    assert len(out) == 3 and out.attrs["validation"]["self_loops"] == []


def test_roads_empty_and_no_crs():
    with pytest.raises(EmptyLayerError):
        validate_roads(roads().iloc[:0], "road_class")
    with pytest.raises(CRSError, match=r"no CRS.*look projected"):
        validate_roads(roads().set_crs(None, allow_override=True), "road_class")


def test_roads_missing_class_column_lists_candidates():
    gdf = roads().rename(columns={"road_class": "等级"})
    gdf["fclass"] = "primary"
    with pytest.raises(MissingColumnError) as err:
        validate_roads(gdf, "road_class")
    msg = str(err.value)
    assert "Columns that may hold the road class: 'fclass', '等级'" in msg
    assert "class_column='highway'" in msg


def test_roads_missing_class_column_suggests_typo():
    gdf = roads().rename(columns={"road_class": "road_clas"})
    with pytest.raises(MissingColumnError, match="Did you mean 'road_clas'"):
        validate_roads(gdf, "road_class")


def test_roads_unknown_classes_warned_and_listed():
    gdf = roads(road_class=["county", "mystery", "mystery"])
    with pytest.warns(InputWarning, match=r"1 road class\(es\) .* not known: 'mystery' \(2\)"):
        out = validate_roads(gdf, "road_class")
    assert out.attrs["validation"]["unknown_classes"] == {"mystery": 2}


def test_roads_known_classes_can_be_given():
    gdf = roads(road_class=["a", "b", "A"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        validate_roads(gdf, "road_class", known_classes=["a", "b"])
    with pytest.warns(InputWarning, match="'county'"):
        validate_roads(roads(), "road_class", known_classes=["primary", "县道"])


def test_roads_osmnx_list_classes():
    gdf = roads(road_class=[["primary", "secondary"], "tertiary", ["residential", "oddity"]])
    with pytest.warns(InputWarning, match="'oddity' \\(1\\)"):
        validate_roads(gdf, "road_class")


def test_roads_without_class_error_or_fill():
    gdf = roads(road_class=["county", None, ""])
    with pytest.raises(InvalidValueError, match=r"2 road\(s\) have no class .*fill_class="):
        validate_roads(gdf, "road_class")
    with pytest.warns(InputWarning, match="given 'village'"):
        out = validate_roads(gdf, "road_class", fill_class="village")
    assert out["road_class"].tolist() == ["county", "village", "village"]


def test_roads_zero_and_negative_speeds():
    gdf = roads(speed_kmh=[0.0, -10.0, 30.0])
    with pytest.raises(InvalidValueError, match=r"2 zero or negative value\(s\): 0=0.0, 1=-10.0"):
        validate_roads(gdf, "road_class", speed_column="speed_kmh")


def test_roads_text_speed_and_missing_speed_column():
    gdf = roads(speed_kmh=["40", "fast", 30])
    with pytest.raises(InvalidValueError, match="not numbers: 1='fast'"):
        validate_roads(gdf, "road_class", speed_column="speed_kmh")
    with pytest.raises(MissingColumnError, match="Did you mean 'speed_kmh'"):
        validate_roads(roads(), "road_class", speed_column="speed_kph")


def test_roads_nan_speed_allowed_and_fast_speed_warned():
    out = validate_roads(roads(speed_kmh=[np.nan, 40, 50]), "road_class", speed_column="speed_kmh")
    assert np.isnan(out["speed_kmh"].iloc[0])
    with pytest.warns(InputWarning, match="above 200 km/h"):
        validate_roads(roads(speed_kmh=[400, 40, 50]), "road_class", speed_column="speed_kmh")


def test_roads_empty_and_zero_length_geometries_dropped():
    gdf = roads(geometry=[None, LineString([(5, 5), (5, 5)]), LineString([(1000, 800), (0, 800)])])
    with pytest.warns(InputWarning, match="dropped 1 missing or empty and 1 of zero length"):
        out = validate_roads(gdf, "road_class")
    assert out.index.tolist() == [2]
    assert out.attrs["validation"]["dropped"] == [0, 1]


def test_roads_self_loops_reported_and_kept():
    loop = LineString([(0, 0), (100, 0), (100, 100), (0, 0)])
    gdf = roads(geometry=[loop, LineString([(0, 0), (1, 1)]), LineString([(1, 1), (2, 5)])])
    with pytest.warns(InputWarning, match=r"1 road\(s\) start and end at the same point .*: 0"):
        out = validate_roads(gdf, "road_class")
    assert len(out) == 3 and out.attrs["validation"]["self_loops"] == [0]


def test_roads_non_line_geometries_rejected():
    gdf = roads(
        geometry=[Point(0, 0), Polygon([(0, 0), (1, 0), (1, 1)]), LineString([(0, 0), (1, 1)])]
    )
    with pytest.raises(GeometryError, match="2 geometries are Point, Polygon, not lines: 0, 1"):
        validate_roads(gdf, "road_class")


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_roads_nan_coordinates_rejected():
    gdf = roads(
        geometry=[
            LineString([(0, 0), (np.nan, 1)]),
            LineString([(0, 0), (1, 1)]),
            LineString([(1, 1), (2, 2)]),
        ]
    )
    with pytest.raises(GeometryError, match=r"1 road\(s\) have NaN"):
        validate_roads(gdf, "road_class")


def test_roads_multilinestring_split_and_3d_flattened():
    multi = MultiLineString([[(0, 0), (10, 0)], [(20, 0), (30, 0)]])
    gdf = roads(geometry=[multi, LineString([(0, 0, 5), (1, 1, 6)]), LineString([(1, 1), (2, 5)])])
    with pytest.warns(InputWarning) as rec:
        out = validate_roads(gdf, "road_class")
    messages = " ".join(str(w.message) for w in rec)
    assert "multi-part lines were split" in messages and "Z values" in messages
    assert out.index.tolist() == [0, 0, 1, 2]
    assert (out.geom_type == "LineString").all() and not out.has_z.any()
    assert out["road_class"].tolist() == ["county", "county", "县道", "primary"]


def test_roads_problems_collected():
    gdf = roads(
        speed_kmh=[0.0, 1, 2],
        geometry=[Point(0, 0), LineString([(0, 0), (1, 1)]), LineString([(1, 1), (2, 2)])],
    )
    with pytest.raises(AccessibilityError) as err:
        validate_roads(
            gdf.set_crs(None, allow_override=True), "road_class", speed_column="speed_kmh"
        )
    assert {k for k, _ in err.value.problems} == {"CRSError", "InvalidValueError", "GeometryError"}


# --- several layers ----------------------------------------------------------------------------


def test_check_same_crs():
    a = villages()
    assert check_same_crs(a, a.geometry).to_epsg() == 4326
    with pytest.raises(CRSError, match=r"different CRSs \(villages: EPSG:4326.*roads: EPSG:32649"):
        check_same_crs(a, roads(), names=["villages", "roads"])
    with pytest.raises(CRSError, match="roads has no CRS"):
        check_same_crs(a, roads().set_crs(None, allow_override=True), names=["villages", "roads"])
    with pytest.raises(InvalidValueError, match="2 layers but 1 names"):
        check_same_crs(a, a, names=["x"])


def _county():
    road_ll = gpd.GeoDataFrame(
        geometry=[
            LineString([(113.0, 28.0), (113.2, 28.0)]),
            LineString([(113.1, 27.9), (113.1, 28.1)]),
        ],
        crs=4326,
    )
    return road_ll


def test_extent_overlap_inside_returns_distances():
    out = check_extent_overlap(villages(), _county().to_crs(32649))
    assert out.index.equals(villages().index) and out.name == "outside_extent_m"
    assert (out == 0.0).all()
    # 0.03 degrees of latitude (~3.3 km) north of the box: within the default 10 km margin
    gdf = villages(geometry=[Point(113.1, 28.13)] * 4)
    out = check_extent_overlap(gdf, _county())
    assert out.iloc[0] == pytest.approx(0.03 * 110_800, rel=0.01)


def test_extent_overlap_few_outside_is_snap_error():
    gdf = villages(
        geometry=[Point(113, 28), Point(113.05, 28), Point(113.1, 28.05), Point(114.5, 28)]
    )
    gdf = gdf.set_index("village_id")
    with pytest.raises(
        SnapError, match=r"1 of 4 points lie more than 10 km outside .*'v4'='\d+ km out'"
    ):
        check_extent_overlap(gdf, _county(), points_name="villages")


def test_extent_overlap_swapped_coordinates():
    gdf = villages(
        geometry=[Point(28.0, 113.0), Point(28.0, 113.05), Point(28.05, 113.1), Point(28, 113)]
    )
    with pytest.raises(CRSError, match="swapped latitude/longitude"):
        check_extent_overlap(gdf, _county().to_crs(32649))


def test_extent_overlap_wrong_crs():
    # metres mislabelled as CGCS2000 Gauss-Kruger of another zone land far away
    gdf = villages().to_crs(32649).set_crs(32650, allow_override=True)
    with pytest.raises(CRSError, match="likely cause is a wrong CRS"):
        check_extent_overlap(gdf, _county())


def test_demo_county_layers_validate_cleanly():
    try:
        from accessibility.datasets import load_demo

        demo = load_demo()
    except (ImportError, FileNotFoundError) as exc:  # demo data not generated yet
        pytest.skip(f"demo county unavailable: {exc}")
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputWarning)
        v = validate_locations(
            demo.villages,
            nonnegative_columns=["population", "pop_school_age", "pop_elderly"],
            required_columns=["name", "township"],
            reference_extent=demo.roads,
        )
        f = validate_locations(demo.facilities, kind="facilities", nonnegative_columns=["capacity"])
        r = validate_roads(demo.roads, "road_class")
    assert v.index.equals(demo.villages.index) and f.index.equals(demo.facilities.index)
    assert len(r) == len(demo.roads)
    assert check_same_crs(v, f, r) == demo.crs
    assert (check_extent_overlap(v, r) < 10_000).all()
