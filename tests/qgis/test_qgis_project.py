"""The demo's QGIS project (.qgz, written without QGIS) opens in real QGIS: every layer valid with
its intended renderer, legends matching the data's classes, and the print layout renders."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from qgis_helpers import run_qgis_script

from accessibility import io

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_project_report(qgis, tmp_path_factory):
    from accessibility.project import run_project

    work = tmp_path_factory.mktemp("qgis_project")
    data = Path(__file__).resolve().parents[2] / "data" / "demo_project.toml"
    result = run_project(data, out_dir=work / "out")
    png = Path(os.environ.get("ACCESSIBILITY_QGIS_PNG_DIR", work)) / "layout.png"
    spec = {"project": str(result.files["qgis_project"]), "png": str(png), "dpi": 60}
    return result, run_qgis_script("check_project.py", spec, work), png


def test_every_layer_is_valid_with_its_renderer(demo_project_report):
    result, report, _ = demo_project_report
    assert report["read"]
    assert report["layers"], "the project has no layers"
    for layer in report["layers"]:
        assert layer["valid"], f"{layer['name']} did not load: {layer['source']}"
        assert layer["feature_count"] > 0, layer["name"]
    kinds = {
        lyr["name"]: lyr["renderer"] for lyr in report["layers"] if lyr["name"].startswith("村庄")
    }
    assert len(kinds) == len(result.costs)  # one village layer per service
    assert set(kinds.values()) == {"graduatedSymbol"}
    groups = [g["name"] for g in report["groups"]]
    assert groups[-1] == "底图" and "乡镇卫生院" in groups and "村卫生室" in groups
    # roads are in the base map, beneath every service group
    assert report["groups"][-1]["layers"] == ["乡镇", "道路"]
    # field aliases: readers' names, the GeoPackage keeps its column names
    village = next(lyr for lyr in report["layers"] if lyr["name"].startswith("村庄"))
    assert village["aliases"]["village_id"] == "村庄编号"


def test_legends_match_the_data(demo_project_report):
    result, report, _ = demo_project_report
    gpkg = result.files["geopackage"]
    bands = io.read_layer(gpkg, "catchments_by_service")
    by_name = {lyr["name"]: lyr for lyr in report["layers"]}
    for service, label in (("health_centre", "乡镇卫生院：机动车服务区（分钟）"),
                           ("clinic", "村卫生室：步行服务区（分钟）")):  # fmt: skip
        want = sorted(bands.loc[bands["service"] == service, "band_min"].unique())
        layer = by_name[label]
        assert layer["renderer"] == "graduatedSymbol" and layer["attr"] == "band_min"
        assert layer["legend"] == [f"{b:g}分钟内" for b in want]
        assert layer["feature_count"] == len(want)
    clinic = by_name["村庄：到最近村卫生室的步行时间（分钟）"]
    limits = result.config["services"]["clinic"]["thresholds_min"]
    assert clinic["legend"][0] == f"0–{limits[0]:g}分钟"
    assert clinic["legend"][-2:] == [f"{limits[-1]:g}分钟以上", "不可达"]
    assert "clinic_nearest_min" in clinic["attr"]
    town = by_name["乡镇：村卫生室达标率（达标人口占比，%）"]
    assert town["legend"] == ["0%–60%", "60%–90%", "90%–100%", "无数据"]


def test_layout_renders_to_png(demo_project_report):
    _, report, png = demo_project_report
    kinds = sorted(item["type"] for item in report["layout_items"])
    assert kinds == sorted(
        ["QgsLayoutItemMap", "QgsLayoutItemLegend", "QgsLayoutItemScaleBar",
         "QgsLayoutItemPicture", "QgsLayoutItemLabel", "QgsLayoutItemLabel"]
    )  # fmt: skip
    labels = [i["text"] for i in report["layout_items"] if "text" in i]
    assert any(t.startswith("示范县") for t in labels)
    assert any(t.startswith("数据：") for t in labels)
    assert report["export"] == 0 and png.exists()
    stats = report["png"]
    # the map is drawn: black text and frame, the villages' green/orange classes, the
    # township classes in the legend; not a blank page
    share = stats["non_background_pixels"] / stats["total_pixels"]
    assert 0.02 < share < 0.6
    colors = {tuple(int(c) for c in k.split(",")): n for k, n in stats["colors"].items()}
    assert colors.get((0, 0, 0), 0) > 500  # text, frame, north arrow
    assert any(np.allclose(c, (26, 152, 80), atol=3) for c in colors)  # 0-15 min, green


def test_further_layers_are_in_the_project_styled_and_switched_off(demo_project_report):
    _, report, _ = demo_project_report
    groups = {g["name"]: g["layers"] for g in report["groups"]}
    further = groups.get("其他图层")
    assert further, f"no group of further layers: {list(groups)}"
    for name in ("转诊联系（转诊人口）", "学校：督导评估指标达标情况"):
        assert name in further, further
    for layer in report["layers"]:
        if layer["group"] == "其他图层":
            assert layer["valid"] and layer["renderer"] is not None, layer["name"]
            assert not layer["visible"], layer["name"]
