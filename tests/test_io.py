"""Tests of accessibility.io (GeoPackage with QGIS styles, CSV, reading layers) and
accessibility.styles (QML builders). Real-QGIS checks of the same files are in tests/qgis/."""

from __future__ import annotations

import os
import sqlite3
import xml.etree.ElementTree as ET

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import LineString, Point, box

from accessibility import io
from accessibility.errors import (
    ConfigError,
    CRSError,
    InvalidValueError,
    MissingColumnError,
    OutputError,
)
from accessibility.styles import (
    categorized_qml,
    default_qml,
    default_styles,
    graduated_qml,
    road_qml,
    single_qml,
    township_qml,
    village_qml,
)

CRS = "EPSG:4547"  # CGCS2000 / 3-degree Gauss-Kruger CM 114E


@pytest.fixture
def layers() -> dict[str, gpd.GeoDataFrame]:
    villages = gpd.GeoDataFrame(
        {
            "name": ["上河村", "下河村", "石门村", "Lijiazhuang"],
            "population": [1200, 800, 450, 300],
            "clinic_nearest_min": [4.5, 22.0, np.inf, np.nan],
            "clinic_reachable": [True, True, False, False],
            "school_ok": pd.array([True, None, False, True], dtype="boolean"),
            "n_beds": pd.array([3, None, 0, 1], dtype="Int64"),
        },
        geometry=[Point(500000 + 1000 * i, 3300000 + 500 * i) for i in range(4)],
        crs=CRS,
        index=pd.Index(["V1", "V2", "V3", "V4"], name="village_id"),
    )
    facilities = gpd.GeoDataFrame(
        {
            "name": ["县医院", "石门村卫生室"],
            "service": ["hospital", "clinic"],
            "capacity": [300.0, 2.0],
        },
        geometry=[Point(500500, 3300200), Point(502100, 3301000)],
        crs=CRS,
        index=pd.Index(["F1", "F2"], name="facility_id"),
    )
    roads = gpd.GeoDataFrame(
        {
            "road_class": ["national", "county", "village"],
            "name": ["G107", "X012", ""],
            "oneway": [False, True, False],
        },
        geometry=[
            LineString([(499000, 3299000), (504000, 3302000)]),
            LineString([(500000, 3300000), (501000, 3300500)]),
            LineString([(502000, 3301000), (503000, 3301500)]),
        ],
        crs=CRS,
    )
    return {"villages": villages, "facilities": facilities, "roads": roads}


# --------------------------------------------------------------------------------------------------
# GeoPackage
# --------------------------------------------------------------------------------------------------


def test_geopackage_round_trip(tmp_path, layers):
    path = io.write_geopackage(tmp_path / "out.gpkg", layers)
    assert path == tmp_path / "out.gpkg"
    got = io.list_layers(path)
    assert got == {
        "villages": "Point",
        "facilities": "Point",
        "roads": "LineString",
        "layer_styles": None,
    }

    v = io.read_layer(path, "villages", index_col="village_id")
    src = layers["villages"]
    assert list(v.index) == list(src.index)
    assert v.crs == src.crs
    # Chinese text round-trips
    assert list(v["name"]) == list(src["name"])
    # booleans come back as booleans; with NULLs as pandas' nullable boolean
    assert v["clinic_reachable"].dtype == bool
    assert list(v["clinic_reachable"]) == [True, True, False, False]
    assert str(v["school_ok"].dtype) == "boolean"
    assert v["school_ok"].isna().tolist() == [False, True, False, False]
    assert v["school_ok"].iloc[[0, 2, 3]].tolist() == [True, False, True]
    assert str(v["n_beds"].dtype) == "Int64"
    assert v["n_beds"].isna().tolist() == [False, True, False, False]
    # inf -> NULL plus an explicit flag; NaN stays NULL without a flag
    assert v["clinic_nearest_min"].iloc[0] == 4.5
    assert v["clinic_nearest_min"].iloc[2:].isna().all()
    assert v["clinic_nearest_min_is_inf"].tolist() == [False, False, True, False]
    assert v.geometry.equals(src.geometry)
    # the caller's frame is untouched
    assert np.isinf(src["clinic_nearest_min"].iloc[2])
    assert "clinic_nearest_min_is_inf" not in src.columns

    f = io.read_layer(path, "facilities", index_col="facility_id")
    assert list(f["name"]) == ["县医院", "石门村卫生室"]
    r = io.read_layer(path, "roads")
    assert r["oneway"].tolist() == [False, True, False]
    # an unnamed RangeIndex is not written as a column
    assert "id" not in r.columns and "index" not in r.columns


def test_geopackage_is_version_1_2(tmp_path, layers):
    path = io.write_geopackage(tmp_path / "out.gpkg", layers)
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47  # 'GPKG'
        assert con.execute("PRAGMA user_version").fetchone()[0] == 10200
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()
    assert not (tmp_path / "out.gpkg-wal").exists()


def test_layer_styles_table_as_qgis_expects(tmp_path, layers):
    path = io.write_geopackage(tmp_path / "out.gpkg", layers)
    con = sqlite3.connect(path)
    try:
        ddl = con.execute("SELECT sql FROM sqlite_master WHERE name = 'layer_styles'").fetchone()
        assert ddl[0] == io.LAYER_STYLES_DDL
        contents = con.execute(
            "SELECT data_type, identifier FROM gpkg_contents WHERE table_name = 'layer_styles'"
        ).fetchall()
        assert contents == [("attributes", "layer_styles")]
        geom_cols = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
        rows = con.execute(
            "SELECT f_table_schema, f_table_name, f_geometry_column, styleName, styleQML, "
            "useAsDefault FROM layer_styles ORDER BY id"
        ).fetchall()
    finally:
        con.close()
    assert [r[1] for r in rows] == ["villages", "facilities", "roads"]
    for schema, table, geom_col, style_name, qml, default in rows:
        assert schema == ""  # not NULL: QGIS ignores the style otherwise
        assert geom_col == geom_cols[table] == "geom"
        assert style_name == table
        assert default == 1
        assert ET.fromstring(qml).tag == "qgis"
    renderers = {r[1]: ET.fromstring(r[4]).find("renderer-v2") for r in rows}
    assert renderers["villages"].get("type") == "graduatedSymbol"
    assert renderers["villages"].get("attr") == 'coalesce("clinic_nearest_min", 1000000000000000)'
    assert renderers["facilities"].get("type") == "categorizedSymbol"
    assert renderers["facilities"].get("attr") == "service"
    assert renderers["roads"].get("attr") == "road_class"
    assert io.read_styles(path).keys() == {"villages", "facilities", "roads"}


def test_custom_styles_and_no_styles(tmp_path, layers):
    qml = single_qml("Point", "#ff0000")
    path = io.write_geopackage(tmp_path / "a.gpkg", layers, styles={"villages": qml, "roads": None})
    assert io.read_styles(path) == {"villages": qml}
    path = io.write_geopackage(tmp_path / "b.gpkg", layers, styles={})
    assert io.read_styles(path) == {}
    assert "layer_styles" not in io.list_layers(path)


def test_attribute_table_and_empty_layer(tmp_path, layers):
    costs = pd.DataFrame(
        {"origin": ["V1", "V2"], "destination": ["F1", "F1"], "travel_time_min": [3.0, 7.5]}
    )
    empty = layers["facilities"].iloc[:0]
    path = io.write_geopackage(
        tmp_path / "out.gpkg", {"facilities": empty, "costs": costs, "roads": layers["roads"]}
    )
    assert io.list_layers(path)["costs"] is None
    back = pyogrio.read_dataframe(path, layer="costs", read_geometry=False)
    pd.testing.assert_frame_equal(back, costs, check_dtype=False)
    assert len(pyogrio.read_dataframe(path, layer="facilities")) == 0
    assert set(io.read_styles(path)) == {"facilities", "roads"}


def test_write_is_atomic(tmp_path, layers, monkeypatch):
    path = tmp_path / "out.gpkg"
    io.write_geopackage(path, {"roads": layers["roads"]})
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("interrupted")

    monkeypatch.setattr(io, "_write_layer_styles", boom)
    with pytest.raises(RuntimeError, match="interrupted"):
        io.write_geopackage(path, layers)
    assert path.read_bytes() == before  # the old file is intact
    assert sorted(os.listdir(tmp_path)) == ["out.gpkg"]  # no temp files left behind


def test_geopackage_errors(tmp_path, layers):
    path = tmp_path / "out.gpkg"
    io.write_geopackage(path, {"roads": layers["roads"]})
    with pytest.raises(OutputError, match="already exists"):
        io.write_geopackage(path, layers, overwrite=False)
    with pytest.raises(CRSError, match=r"villages.*no CRS"):
        io.write_geopackage(
            tmp_path / "x.gpkg", {"villages": layers["villages"].set_crs(None, allow_override=True)}
        )
    with pytest.raises(InvalidValueError, match="reserved"):
        io.write_geopackage(tmp_path / "x.gpkg", {"layer_styles": layers["roads"]})
    with pytest.raises(InvalidValueError, match="case-insensitive"):
        io.write_geopackage(
            tmp_path / "x.gpkg", {"Roads": layers["roads"], "roads": layers["roads"]}
        )
    with pytest.raises(InvalidValueError, match="Did you mean 'roads'"):
        io.write_geopackage(tmp_path / "x.gpkg", layers, styles={"raods": single_qml("line")})
    with pytest.raises(InvalidValueError, match="not a valid QML"):
        io.write_geopackage(tmp_path / "x.gpkg", layers, styles={"roads": "<qgis><renderer-v2>"})
    with pytest.raises(InvalidValueError, match="expected <qgis>"):
        io.write_geopackage(tmp_path / "x.gpkg", layers, styles={"roads": "<html/>"})
    clash = layers["villages"].assign(village_id=1)
    with pytest.raises(InvalidValueError, match="also a column"):
        io.write_geopackage(tmp_path / "x.gpkg", {"villages": clash})
    assert not (tmp_path / "x.gpkg").exists()


# --------------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------------


def test_write_table_csv_for_excel(tmp_path, layers):
    path = io.write_table(tmp_path / "villages.csv", layers["villages"], geometry="xy")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel detects UTF-8
    assert "上河村".encode() in raw
    back = pd.read_csv(path, encoding="utf-8-sig")
    assert list(back.columns[:2]) == ["village_id", "name"]
    assert back["name"].tolist() == layers["villages"]["name"].tolist()
    assert back["clinic_nearest_min"].iloc[2:].isna().all()
    assert back["clinic_nearest_min_is_inf"].tolist() == [False, False, True, False]
    assert back["clinic_reachable"].tolist() == [True, True, False, False]
    assert back["x"].tolist() == [500000.0, 501000.0, 502000.0, 503000.0]
    assert "geometry" not in back.columns
    assert "inf" not in raw.decode("utf-8-sig").lower().replace("_is_inf", "")


def test_write_table_options(tmp_path, layers):
    plain = io.write_table(tmp_path / "r.csv", layers["roads"], bom=False, geometry="wkt")
    raw = plain.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(plain)
    assert back["wkt"].iloc[0].startswith("LINESTRING")
    assert "id" not in back.columns
    with pytest.raises(InvalidValueError, match="geometry must be"):
        io.write_table(tmp_path / "r2.csv", layers["roads"], geometry="geojson")
    with pytest.raises(OutputError):
        io.write_table(plain, layers["roads"], overwrite=False)


# --------------------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------------------


def test_read_layer_formats(tmp_path, layers):
    roads = layers["roads"]
    pyogrio.write_dataframe(roads, tmp_path / "roads.geojson", driver="GeoJSON")
    pyogrio.write_dataframe(roads, tmp_path / "roads.shp", driver="ESRI Shapefile")
    for name in ("roads.geojson", "roads.shp"):
        got = io.read_layer(tmp_path / name)
        assert got["road_class"].tolist() == roads["road_class"].tolist()
        assert got.crs.to_epsg() == 4547
        assert len(got) == 3
    # a GeoDataFrame is taken as is, but as a copy
    same = io.read_layer(roads)
    same.loc[0, "road_class"] = "changed"
    assert roads.loc[0, "road_class"] == "national"


def test_read_layer_gbk_shapefile(tmp_path, layers):
    v = layers["facilities"][["name", "geometry"]]
    pyogrio.write_dataframe(v, tmp_path / "f.shp", driver="ESRI Shapefile", encoding="GBK")
    (tmp_path / "f.cpg").unlink(missing_ok=True)  # as many Chinese Shapefiles come: no .cpg
    got = io.read_layer(tmp_path / "f.shp", encoding="GBK")
    assert got["name"].tolist() == ["县医院", "石门村卫生室"]


def test_read_layer_errors(tmp_path, layers):
    path = io.write_geopackage(tmp_path / "county.gpkg", layers)
    with pytest.raises(FileNotFoundError, match=r"does not exist.*Did you mean 'county.gpkg'"):
        io.read_layer(tmp_path / "countyy.gpkg")
    with pytest.raises(io.InputFileError, match="nor does its folder"):
        io.read_layer(tmp_path / "nowhere" / "a.gpkg")
    with pytest.raises(ConfigError, match=r"no layer 'village'.*'villages', 'facilities'.*Did you"):
        io.read_layer(path, "village")
    with pytest.raises(ConfigError, match=r"3 spatial layers.*layer="):
        io.read_layer(path)
    with pytest.raises(ConfigError, match="has no geometry"):
        io.read_layer(path, "layer_styles")
    with pytest.raises(MissingColumnError, match=r"'village_idd'.*Did you mean 'village_id'"):
        io.read_layer(path, "villages", index_col="village_idd")
    with pytest.raises(MissingColumnError, match="'populaton'"):
        io.read_layer(path, "villages", columns=["populaton"])
    bad = tmp_path / "bad.gpkg"
    bad.write_text("not a geopackage")
    with pytest.raises(ConfigError, match="cannot read"):
        io.read_layer(bad)
    with pytest.raises(InvalidValueError, match="without geometry"):
        io.read_layer(pd.DataFrame({"x": [1]}))
    with pytest.raises(InvalidValueError, match="only applies to files"):
        io.read_layer(layers["roads"], "roads")


def test_read_layer_columns(tmp_path, layers):
    path = io.write_geopackage(tmp_path / "county.gpkg", layers)
    got = io.read_layer(path, "villages", columns=["village_id", "name"], index_col="village_id")
    assert list(got.columns) == ["name", "geometry"]


# --------------------------------------------------------------------------------------------------
# styles
# --------------------------------------------------------------------------------------------------


def _renderer(qml: str) -> ET.Element:
    root = ET.fromstring(qml)
    assert root.tag == "qgis"
    return root.find("renderer-v2")


def test_graduated_qml_structure():
    qml = graduated_qml(
        "t_min",
        [0, 15, 30, np.inf],
        ["#1a9850", (166, 217, 106), (253, 174, 97, 200)],
        "MultiPolygon",
        ["a", "b", "c"],
        null_class=("#762a83", "unreachable"),
    )
    r = _renderer(qml)
    assert r.get("type") == "graduatedSymbol"
    ranges = r.findall("ranges/range")
    assert [x.get("label") for x in ranges] == ["a", "b", "c", "unreachable"]
    assert [float(x.get("lower")) for x in ranges] == [0, 15, 30, 1e15]
    assert float(ranges[2].get("upper")) == 1e12  # open class: a large finite number
    symbols = r.findall("symbols/symbol")
    assert [s.get("type") for s in symbols] == ["fill"] * 4
    colors = [s.find("layer/Option/Option[@name='color']").get("value") for s in symbols]
    assert colors == ["26,152,80,255", "166,217,106,255", "253,174,97,200", "118,42,131,255"]
    # legacy <prop> elements carry the same values
    assert symbols[0].find("layer/prop[@k='color']").get("v") == "26,152,80,255"
    assert ET.fromstring(qml).find("layerGeometryType").text == "2"


def test_graduated_qml_rejects_bad_input():
    with pytest.raises(InvalidValueError, match="increase"):
        graduated_qml("t", [0, 30, 15], ["#000000", "#000000"], "Point")
    with pytest.raises(InvalidValueError, match="2 classes need 2 colours"):
        graduated_qml("t", [0, 15, 30], ["#000000"], "Point")
    with pytest.raises(InvalidValueError, match="'#rrggbb'"):
        graduated_qml("t", [0, 15], ["red"], "Point")
    with pytest.raises(InvalidValueError, match="unknown geometry type"):
        graduated_qml("t", [0, 15], ["#000000"], "Raster")


def test_categorized_qml_other_and_widths():
    qml = categorized_qml(
        "road_class",
        {"national": ("#ff7f00", "国道"), "village": ("#969696", "村道")},
        "LineString",
        sizes_mm={"national": 1.1},
        size_mm=0.3,
    )
    r = _renderer(qml)
    cats = r.findall("categories/category")
    assert [(c.get("value"), c.get("label")) for c in cats] == [
        ("national", "国道"),
        ("village", "村道"),
        ("", "other"),
    ]
    widths = [
        s.find("layer/Option/Option[@name='line_width']").get("value")
        for s in r.findall("symbols/symbol")
    ]
    assert widths == ["1.1", "0.3", "0.3"]
    assert "other" not in categorized_qml("s", {"a": ("#000000", "A")}, "Point", other=None)
    assert r.get("symbollevels") == "0"


def test_categorized_first_on_top_uses_symbol_levels():
    qml = categorized_qml(
        "service",
        {"hospital": ("#e31a1c", "医院"), "clinic": ("#ff7f00", "村卫生室")},
        "Point",
        first_on_top=True,
    )
    r = _renderer(qml)
    assert r.get("symbollevels") == "1"
    passes = [int(s.find("layer").get("pass")) for s in r.findall("symbols/symbol")]
    assert passes == [2, 1, 0]  # hospital drawn last (on top), "other" first


def test_labels_and_opacity():
    qml = single_qml("Point", label_field="name", opacity=0.5)
    root = ET.fromstring(qml)
    assert root.get("labelsEnabled") == "1"
    assert root.find("labeling/settings/text-style").get("fieldName") == "name"
    assert root.find("layerOpacity").text == "0.5"
    assert ET.fromstring(single_qml("Point")).get("labelsEnabled") == "0"
    with pytest.raises(InvalidValueError, match="opacity"):
        single_qml("Point", opacity=2)


def test_default_styles_pick_by_name_and_columns(layers):
    styles = default_styles(layers)
    assert _renderer(styles["villages"]).get("type") == "graduatedSymbol"
    assert _renderer(styles["facilities"]).get("attr") == "service"
    roads = _renderer(styles["roads"])
    # only the classes present are listed, plus "other"
    assert [c.get("value") for c in roads.findall("categories/category")] == [
        "national",
        "county",
        "village",
        "",
    ]
    # by columns when the name says nothing
    assert _renderer(default_qml("layer1", layers["roads"])).get("attr") == "road_class"
    catch = gpd.GeoDataFrame({"band_min": [15, 30]}, geometry=[box(0, 0, 1, 1)] * 2, crs=CRS)
    r = _renderer(default_qml("isochrones", catch))
    assert r.get("attr") == "band_min"
    assert ET.fromstring(default_qml("isochrones", catch)).find(".//symbol").get("type") == "fill"
    other = gpd.GeoDataFrame({"a": [1]}, geometry=[Point(0, 0)], crs=CRS)
    assert _renderer(default_qml("misc", other)).get("type") == "singleSymbol"


def test_village_and_township_defaults():
    v = gpd.GeoDataFrame({"pop": [1]}, geometry=[Point(0, 0)], crs=CRS)
    assert _renderer(village_qml(v)).get("type") == "singleSymbol"
    with pytest.raises(MissingColumnError, match="Did you mean 'pop'"):
        village_qml(v, "popp")
    t = gpd.GeoDataFrame(
        {"name": ["城关镇", "河口乡", "石门乡"], "coverage_rate": [0.9, 0.5, 0.2], "n": [1, 2, 3]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)],
        crs=CRS,
    )
    qml = township_qml(t)
    r = _renderer(qml)
    assert r.get("attr") == 'coalesce("coverage_rate", 1000000000000000)'
    lowers = [float(x.get("lower")) for x in r.findall("ranges/range")]
    assert lowers[0] == 0.2 and lowers[-1] == 1e15
    assert ET.fromstring(qml).find("labeling/settings/text-style").get("fieldName") == "name"
    assert _renderer(road_qml()).get("attr") == "road_class"


def test_style_row_names_the_real_geometry_column(tmp_path, layers):
    roads = layers["roads"].rename_geometry("shape")
    path = io.write_geopackage(tmp_path / "g.gpkg", {"roads": roads})
    con = sqlite3.connect(path)
    try:
        geom_col = con.execute(
            "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = 'roads'"
        ).fetchone()[0]
        styled = con.execute(
            "SELECT f_geometry_column FROM layer_styles WHERE f_table_name = 'roads'"
        ).fetchone()[0]
    finally:
        con.close()
    assert styled == geom_col


def _gpkg_dump(path) -> dict:
    """Every table's DDL and rows, indexes and triggers (the clock column of gpkg_contents
    aside)."""
    con = sqlite3.connect(path)
    try:
        out = {}
        for name, sql in con.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name"
        ):
            rows = con.execute(f'SELECT * FROM "{name}"').fetchall()
            if name == "gpkg_contents":
                rows = [r[:4] + r[5:] for r in rows]
            out[name] = (sql, rows)
        out["_other"] = sorted(
            con.execute("SELECT name, sql FROM sqlite_master WHERE type IN ('index', 'trigger')")
        )
        return out
    finally:
        con.close()


def test_geopackage_rows_as_written_feature_by_feature(tmp_path, layers, monkeypatch):
    # columns that go through GDAL's Arrow writer (numbers, NaN, infinities, booleans with and
    # without missing values, nullable integers, Arrow strings with None and Chinese text,
    # datetimes with a time zone, an empty layer, a table without geometry) give the same file
    # as the feature-by-feature writer; an object column that mixes types keeps that writer
    from accessibility.io import frames

    n = 5
    mixed = gpd.GeoDataFrame(
        {
            "f": [1.0, np.nan, np.inf, -0.0, 1e300],
            "i": np.arange(n, dtype=np.int64),
            "u8": np.arange(n, dtype=np.uint8),
            "b": [True, False, True, True, False],
            "bn": pd.array([True, None, False, True, None], dtype="boolean"),
            "In": pd.array([1, None, 3, 4, 5], dtype="Int64"),
            "s": pd.array(["上村", None, "a", "", "x\ny"], dtype="str"),
            "t": pd.date_range("2020-01-01", periods=n, freq="h", tz="Asia/Shanghai"),
        },
        geometry=[Point(500000 + i, 3300000) for i in range(n)],
        crs=CRS,
    )
    objects = layers["roads"].assign(code=np.array(["a", 1, None], dtype=object))
    empty = layers["roads"].iloc[:0]
    table = pd.DataFrame({"x": [1.0, 2.0], "s": pd.array(["a", "b"], dtype="str")})
    all_layers = {**layers, "mixed": mixed, "objects": objects, "empty": empty, "table": table}
    assert frames.arrow_columns(frames.prepare_frame(mixed, "m", inf_flags=True, keep_index=None))
    assert not frames.arrow_columns(objects)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    fast = io.write_geopackage(tmp_path / "fast.gpkg", all_layers)
    monkeypatch.setattr(frames, "_arrow_writer", lambda: False)
    slow = io.write_geopackage(tmp_path / "slow.gpkg", all_layers)
    assert _gpkg_dump(fast) == _gpkg_dump(slow)


def test_geopackage_keeps_unsigned_64_bit_ids_exact(tmp_path):
    # H3 cell ids are unsigned 64-bit integers beyond 2**53: GDAL's Arrow writer would store them
    # as REAL (rounded); they must come back as the same integers
    cells = np.array([0x8A2A1072B59FFFF, 0x8A2A1072B597FFF], dtype=np.uint64)
    frame = gpd.GeoDataFrame(
        {"parent": cells + np.uint64(1), "n": pd.array([1, None], dtype="UInt64")},
        geometry=[Point(500000, 3300000), Point(500001, 3300000)],
        crs=CRS,
        index=pd.Index(cells, name="cell"),
    )
    path = io.write_geopackage(tmp_path / "cells.gpkg", {"cells": frame})
    con = sqlite3.connect(path)
    try:
        rows = con.execute(
            "SELECT cell, typeof(cell), parent, typeof(parent), n FROM cells ORDER BY fid"
        ).fetchall()
    finally:
        con.close()
    assert rows == [
        (int(c), "integer", int(c) + 1, "integer", n) for c, n in zip(cells, [1, None], strict=True)
    ]


def test_geopackage_built_without_a_sync_per_commit(tmp_path, layers, monkeypatch):
    # the file is built under a temporary name: GDAL's and SQLite's sync at every commit (some
    # 60 fsyncs for three layers) is switched off while building, and the finished file is synced
    # once before it is moved into place; the file's content is the same as with the syncs
    option = "OGR_SQLITE_SYNCHRONOUS"
    before = pyogrio.get_gdal_config_option(option)
    seen: list[object] = []
    write = pyogrio.write_dataframe

    def spy(*args, **kwargs):
        seen.append(pyogrio.get_gdal_config_option(option))
        return write(*args, **kwargs)

    synced: list[int] = []
    fsync = os.fsync

    def spy_fsync(fd):
        # opened for writing: Windows' fsync (FlushFileBuffers) refuses a read-only descriptor
        import fcntl  # (POSIX; this check runs where the suite runs)

        assert fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE != os.O_RDONLY
        synced.append(os.fstat(fd).st_ino)
        return fsync(fd)

    monkeypatch.setattr(pyogrio, "write_dataframe", spy)
    monkeypatch.setattr(os, "fsync", spy_fsync)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    fast = io.write_geopackage(tmp_path / "fast.gpkg", layers)
    assert seen == [False] * len(layers)  # "OFF", as pyogrio reads it back
    assert pyogrio.get_gdal_config_option(option) == before  # restored
    assert synced == [fast.stat().st_ino]  # once, the file then moved into place
    monkeypatch.setattr(io, "_BUILD_OPTIONS", {})  # GDAL's defaults: a sync at every commit
    synced.clear()
    slow = io.write_geopackage(tmp_path / "slow.gpkg", layers)
    assert _gpkg_dump(fast) == _gpkg_dump(slow)
    assert fast.read_bytes() == slow.read_bytes()
