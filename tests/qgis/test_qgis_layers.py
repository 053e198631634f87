"""Every layer the package writes opens styled in real, headless QGIS and renders visibly.

The GeoPackage is written by accessibility.io.write_geopackage with its default styles; QGIS runs
in a subprocess under the system Python (see qgis_helpers). Negative tests break the style on
purpose and show that the same checks then fail.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from qgis_helpers import assert_layer_ok, check_layers, gpkg_layer_specs
from shapely.geometry import LineString, Point, box

from accessibility import io
from accessibility.styles import SERVICE_STYLES, single_qml

# real QGIS in subprocesses: the full suite runs these, the fast lane does not
pytestmark = pytest.mark.slow

CRS = "EPSG:4547"
X0, Y0 = 500_000.0, 3_300_000.0
LAYERS = ["villages", "facilities", "roads", "catchments", "townships"]


def _rgb(hex_color: str) -> tuple[int, int, int]:
    h = hex_color.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def synthetic_county() -> dict[str, gpd.GeoDataFrame]:
    """A small county with every kind of layer the package writes, every style class used."""
    rng = np.random.default_rng(7)
    n = 36
    xy = np.column_stack([X0 + rng.uniform(0, 20_000, n), Y0 + rng.uniform(0, 20_000, n)])
    times = np.array([5.0, 20.0, 45.0, 75.0, np.inf, np.nan] * (n // 6))
    villages = gpd.GeoDataFrame(
        {
            "name": [f"{'上下东西南北'[i % 6]}{i}村" for i in range(n)],
            "population": rng.integers(100, 3000, n),
            "clinic_nearest_min": times,
            "clinic_reachable": np.isfinite(times),
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=CRS,
        index=pd.Index([f"V{i:03d}" for i in range(n)], name="village_id"),
    )
    services = list(SERVICE_STYLES)
    facilities = gpd.GeoDataFrame(
        {
            "name": [f"设施{i}" for i in range(len(services))],
            "service": services,
            "capacity": np.arange(1.0, len(services) + 1),
        },
        geometry=[
            Point(X0 + 2500 * (i + 1), Y0 + 10_000 + 1500 * (i % 3)) for i in range(len(services))
        ],
        crs=CRS,
        index=pd.Index([f"F{i}" for i in range(len(services))], name="facility_id"),
    )
    classes = ["expressway", "national", "provincial", "county", "township", "village", "track"]
    roads = gpd.GeoDataFrame(
        {"road_class": classes, "name": [f"路{i}" for i in range(7)], "oneway": [False] * 7},
        geometry=[
            LineString([(X0, Y0 + 2500 * (i + 1)), (X0 + 20_000, Y0 + 2500 * (i + 1))])
            for i in range(7)
        ],
        crs=CRS,
    )
    centre = Point(X0 + 10_000, Y0 + 10_000)
    catchments = gpd.GeoDataFrame(
        {"facility": ["F0"] * 3, "service": ["hospital"] * 3, "band_min": [60, 30, 15]},
        geometry=[centre.buffer(r) for r in (9000, 6000, 3000)],
        crs=CRS,
    )
    townships = gpd.GeoDataFrame(
        {
            "township": ["城关镇", "河口乡", "石门乡", "高山乡"],
            "name": ["城关镇", "河口乡", "石门乡", "高山乡"],
            "coverage_rate": [0.95, 0.7, 0.4, 0.1],
        },
        geometry=[
            box(X0 + dx, Y0 + dy, X0 + dx + 10_000, Y0 + dy + 10_000)
            for dx, dy in ((0, 0), (10_000, 0), (0, 10_000), (10_000, 10_000))
        ],
        crs=CRS,
    )
    return {
        "villages": villages,
        "facilities": facilities,
        "roads": roads,
        "catchments": catchments,
        "townships": townships,
    }


def _write_geotiff(path: Path) -> None:
    import rasterio
    from affine import Affine

    rows, cols = 40, 50
    values = np.add.outer(np.arange(rows), np.arange(cols)).astype("float32")
    values[:5, :5] = -9999.0
    profile = {
        "driver": "GTiff",
        "width": cols,
        "height": rows,
        "count": 1,
        "dtype": "float32",
        "crs": CRS,
        "transform": Affine(400, 0, X0, 0, -500, Y0 + 20_000),
        "nodata": -9999.0,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values, 1)
        dst.set_band_description(1, "travel_time_min")


@pytest.fixture(scope="module")
def county_report(qgis, tmp_path_factory):
    """Write the county (GeoPackage + GeoTIFFs + CSV) and open everything in QGIS once."""
    work = tmp_path_factory.mktemp("qgis_layers")
    county = synthetic_county()
    gpkg = io.write_geopackage(work / "county.gpkg", county)
    pngs = Path(os.environ.get("ACCESSIBILITY_QGIS_PNG_DIR", work / "png"))
    specs = gpkg_layer_specs(gpkg, LAYERS, pngs)
    tif = work / "travel_time.tif"
    _write_geotiff(tif)
    specs.append(
        {"name": "geotiff", "uri": str(tif), "provider": "gdal", "png": str(pngs / "geotiff.png")}
    )
    csv = io.write_table(work / "villages.csv", county["villages"], geometry="xy")
    specs.append(
        {
            "name": "csv",
            "uri": f"file://{csv}?delimiter=,&xField=x&yField=y&crs={CRS}&encoding=UTF-8",
            "provider": "delimitedtext",
            "png": str(pngs / "csv.png"),
        }
    )
    try:
        from affine import Affine

        from accessibility.raster import Raster, write_raster

        surface = Raster(
            np.where(np.eye(30, dtype=bool), np.inf, np.arange(900.0).reshape(30, 30)),
            Affine(500, 0, X0, 0, -500, Y0 + 15_000),
            CRS,
        )
        out = write_raster(surface, work / "package_raster.tif", description="travel_time_min")
        specs.append(
            {
                "name": "package_geotiff",
                "uri": str(out),
                "provider": "gdal",
                "png": str(pngs / "package_geotiff.png"),
            }
        )
    except ImportError:
        pass
    report = check_layers(specs, work)
    return county, report


def test_qgis_opens_every_layer_styled(county_report):
    county, report = county_report
    layers = report["layers"]
    v = layers["villages"]
    assert_layer_ok(
        v,
        crs=CRS,
        feature_count=len(county["villages"]),
        renderer_type="graduatedSymbol",
        class_attribute='coalesce("clinic_nearest_min", 1000000000000000)',
        colors=[(26, 152, 80), (166, 217, 106), (253, 174, 97), (215, 48, 39), (118, 42, 131)],
    )
    assert v["legend"] == ["0-15 min", "15-30 min", "30-60 min", "> 60 min", "unreachable 不可达"]
    assert_layer_ok(
        layers["facilities"],
        crs=CRS,
        feature_count=7,
        renderer_type="categorizedSymbol",
        class_attribute="service",
        colors=[_rgb(c) for c, _ in SERVICE_STYLES.values()],
    )
    assert_layer_ok(
        layers["roads"],
        crs=CRS,
        feature_count=7,
        renderer_type="categorizedSymbol",
        class_attribute="road_class",
        colors=[(227, 26, 28), (255, 127, 0), (177, 89, 40)],
    )
    assert_layer_ok(
        layers["catchments"],
        crs=CRS,
        feature_count=3,
        renderer_type="graduatedSymbol",
        class_attribute="band_min",
        min_pixels=10_000,
    )
    # three semi-transparent bands: at least three distinct dominant fills
    assert sum(n > 500 for n in layers["catchments"]["colors"].values()) >= 3
    assert_layer_ok(
        layers["townships"],
        crs=CRS,
        feature_count=4,
        renderer_type="graduatedSymbol",
        class_attribute='coalesce("coverage_rate", 1000000000000000)',
        min_pixels=10_000,
    )
    assert layers["townships"]["labels_enabled"] is True
    assert layers["townships"]["label_field"] == "name"


def test_qgis_reads_attributes_as_written(county_report):
    county, report = county_report
    v = report["layers"]["villages"]
    assert v["geometry_type"] == "Point"
    assert {"village_id", "name", "clinic_nearest_min", "clinic_nearest_min_is_inf"} <= set(
        v["fields"]
    )
    first = v["first_rows"]
    assert [r["name"] for r in first] == list(county["villages"]["name"].iloc[:5])
    assert [r["village_id"] for r in first] == list(county["villages"].index[:5])
    assert first[4]["clinic_nearest_min"] == "NULL"  # inf stored as NULL ...
    assert first[4]["clinic_nearest_min_is_inf"] == "True"  # ... with its flag
    assert first[0]["clinic_reachable"] == "True"
    assert report["layers"]["villages"]["styles_in_database"][0] == "villages"


def test_qgis_opens_geotiffs_and_csv(county_report):
    county, report = county_report
    tif = report["layers"]["geotiff"]
    assert tif["valid"] and tif["crs"] == CRS
    assert (tif["width"], tif["height"], tif["band_count"]) == (50, 40, 1)
    assert tif["renderer_type"] == "singlebandgray"
    assert tif["non_background_pixels"] > 0.5 * tif["total_pixels"]
    if "package_geotiff" in report["layers"]:
        pkg = report["layers"]["package_geotiff"]
        assert pkg["valid"] and pkg["crs"] == CRS and pkg["width"] == 30
        assert pkg["non_background_pixels"] > 0.5 * pkg["total_pixels"]
    csv = report["layers"]["csv"]
    assert csv["valid"], csv["error"]
    assert csv["feature_count"] == len(county["villages"])
    assert csv["first_rows"][0]["name"] == county["villages"]["name"].iloc[0]
    # the byte-order mark Excel needs does not leak into QGIS's first field name
    assert csv["fields"][0] == "village_id"
    assert csv["non_background_pixels"] > 100


# --------------------------------------------------------------------------------------------------
# negative tests: a broken style must make the checks fail
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def broken_report(qgis, tmp_path_factory):
    work = tmp_path_factory.mktemp("qgis_broken")
    villages = synthetic_county()["villages"]
    white = single_qml("Point", "#ffffff", outline="#ffffff")
    gpkg = io.write_geopackage(
        work / "broken.gpkg",
        {
            "null_schema": villages,
            "bad_qml": villages,
            "wrong_field": villages,
            "white": villages,
            "good": villages,
        },
        styles={"white": white},
    )
    # good, null_schema, bad_qml and wrong_field start with the default village style
    from accessibility.styles import village_qml

    style = village_qml(villages)
    con = sqlite3.connect(gpkg)
    with con:
        for name in ("null_schema", "bad_qml", "wrong_field", "good"):
            con.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault) "
                "VALUES ('', '', ?, 'geom', ?, ?, '', 1)",
                (name, name, style),
            )
        con.execute(
            "UPDATE layer_styles SET f_table_schema = NULL WHERE f_table_name = 'null_schema'"
        )
        con.execute(
            "UPDATE layer_styles SET styleQML = substr(styleQML, 1, 900) "
            "WHERE f_table_name = 'bad_qml'"
        )
        con.execute(
            "UPDATE layer_styles SET styleQML = replace(styleQML, 'clinic_nearest_min', 'no_such') "
            "WHERE f_table_name = 'wrong_field'"
        )
    con.close()
    names = ["null_schema", "bad_qml", "wrong_field", "white", "good"]
    return check_layers(gpkg_layer_specs(gpkg, names, work / "png"), work)["layers"]


def _village_check(info):
    assert_layer_ok(
        info,
        crs=CRS,
        feature_count=36,
        renderer_type="graduatedSymbol",
        class_attribute='coalesce("clinic_nearest_min", 1000000000000000)',
        colors=[(26, 152, 80), (118, 42, 131)],
    )


def test_negative_control_passes(broken_report):
    _village_check(broken_report["good"])


def test_null_f_table_schema_is_caught(broken_report):
    with pytest.raises(AssertionError, match="default style did not load"):
        _village_check(broken_report["null_schema"])


def test_malformed_qml_is_caught(broken_report):
    with pytest.raises(AssertionError, match="default style did not load"):
        _village_check(broken_report["bad_qml"])


def test_style_on_missing_field_is_caught(broken_report):
    with pytest.raises(AssertionError):
        _village_check(broken_report["wrong_field"])


def test_blank_rendering_is_caught(broken_report):
    info = broken_report["white"]
    assert info["renderer_type"] == "singleSymbol"
    with pytest.raises(AssertionError, match="blank"):
        assert_layer_ok(info, crs=CRS, feature_count=36)
