"""The demo job's real output (`accessibility demo`) opens styled in QGIS and renders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from qgis_helpers import assert_layer_ok, check_layers, gpkg_layer_specs

from accessibility import io

# running the whole demo job takes 10-80 s depending on the machine and its load
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_report(qgis, tmp_path_factory):
    from accessibility.pipeline import run_demo

    work = tmp_path_factory.mktemp("qgis_demo")
    result = run_demo(work / "out")
    gpkg = Path(result.files["geopackage"])
    names = [n for n, kind in io.list_layers(gpkg).items() if kind is not None]
    pngs = Path(os.environ.get("ACCESSIBILITY_QGIS_PNG_DIR", work / "png"))
    report = check_layers(gpkg_layer_specs(gpkg, names, pngs), work, size=(640, 640))
    return gpkg, names, report["layers"]


def test_demo_geopackage_opens_styled_in_qgis(demo_report):
    gpkg, names, layers = demo_report
    assert {"villages", "facilities", "roads"} <= set(names)
    styles = io.read_styles(gpkg)
    for name in names:
        frame = io.read_layer(gpkg, name)
        info = layers[name]
        expected = {
            "villages": ("graduatedSymbol", None),
            "facilities": ("categorizedSymbol", "service"),
            "roads": ("categorizedSymbol", "road_class"),
        }.get(name, (None, None))
        assert name in styles, f"layer {name} was written without a style"
        assert_layer_ok(
            info,
            crs=f"EPSG:{frame.crs.to_epsg()}",
            feature_count=len(frame),
            renderer_type=expected[0],
            class_attribute=expected[1],
            min_pixels=500,
        )
    v = layers["villages"]
    assert v["class_attribute"].startswith('coalesce("') and "_nearest_min" in v["class_attribute"]
    # the villages map shows several travel-time classes, not one colour
    classes = [(26, 152, 80), (166, 217, 106), (253, 174, 97), (215, 48, 39)]
    drawn = [c for c in classes if v["colors"].get(",".join(map(str, c)), 0) >= 4]
    assert len(drawn) >= 2, v["colors"]
