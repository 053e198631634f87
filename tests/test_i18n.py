"""Outputs for their readers: the language catalogue, Chinese/English headers and legends, the
QGIS project (.qgz) written without QGIS, the Excel workbook and the report in both languages."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from accessibility.errors import ConfigError
from accessibility.i18n import column_label, column_labels, project_language, service_name, text
from accessibility.standards import load_standards


def test_names_come_from_the_standards_file(tmp_path):
    assert service_name("health_centre", "zh") == "乡镇卫生院"
    assert service_name("primary_school", "zh") == "小学"
    assert service_name("elder_care", "zh") == "养老服务中心"
    assert service_name("day_care", "en") == "elderly day-care centre"
    own = tmp_path / "mine.toml"
    own.write_text(
        '[names.clinic]\nzh = "村级卫生室"\nen = "village health room"\n'
        '[standards.clinic.all]\nmode = "walk"\nthreshold_min = 20\nsource = "county plan"\n',
        encoding="utf-8",
    )
    table = load_standards(own, extend_default=True)
    assert service_name("clinic", "zh", table) == "村级卫生室"
    assert service_name("hospital", "zh", table) == "县级医院"  # the built-in names stay
    # each built-in standard has its source in Chinese with the official title
    default = load_standards()
    assert (default["source_zh"].str.len() > 0).all()
    gb = default[default["source"].str.startswith("GB 50180")]
    assert gb["source_zh"].str.contains("《城市居住区规划设计标准》|GB 50180-2018").all()


def test_column_labels_in_both_languages():
    assert (
        column_label("health_centre_car_nearest_min", "zh") == "到最近乡镇卫生院机动车时间（分钟）"
    )
    assert column_label("clinic_walk_nearest_min", "en") == (
        "Time to nearest village clinic on foot (min)"
    )
    assert column_label("medical_15min_meets", "zh") == "达到15分钟医疗卫生服务圈标准"
    assert column_label("hospital_doctors_30min", "zh") == "30分钟内县级医院医生数"
    assert column_label("clinic_coverage", "zh") == "村卫生室达标率"
    assert column_label("some_other_column", "zh") == "some_other_column"
    labels = column_labels(["name", "name_pinyin", "population"], "zh")
    assert list(labels.values()) == ["名称", "名称（拼音）", "人口"]


def test_language_setting_and_default():
    assert (
        project_language({"project": {"language": None}, "network": {"profile": "china"}}) == "zh"
    )
    assert project_language({"project": {"language": None}, "network": {"profile": "osm"}}) == "en"
    assert (
        project_language({"project": {"language": "en"}, "network": {"profile": "china"}}) == "en"
    )
    with pytest.raises(ConfigError, match="language = 'cn' is not supported"):
        project_language({"project": {"language": "cn"}, "network": {}})
    assert text("band_label", "en", band=10) == "within 10 min"


def test_project_file_language_is_validated(tmp_path):
    from accessibility.project import demo_project, validate_config

    cfg = demo_project()
    raw = {k: v for k, v in cfg.items() if not k.startswith("_")}
    raw["project"] = {**raw["project"], "language": "fr"}
    with pytest.raises(ConfigError, match="'fr' is not supported"):
        validate_config(raw)
    raw["project"]["language"] = "en"
    raw["output"] = {**raw["output"], "workbook": "villages.xls"}
    with pytest.raises(ConfigError, match=r"workbook = 'villages.xls': must end with .xlsx"):
        validate_config(raw)
    raw["output"] = {**raw["output"], "workbook": "v.xlsx", "qgis_project": "p.qgs"}
    with pytest.raises(ConfigError, match=r"qgis_project = 'p.qgs': must end with .qgz"):
        validate_config(raw)


def test_new_outputs_are_guarded_against_inputs(tmp_path):
    from accessibility._files import check_output_paths
    from accessibility.errors import OutputError
    from accessibility.project import demo_project

    cfg = demo_project()
    out = tmp_path / "out"
    out.mkdir()
    (out / "same.xlsx").symlink_to(cfg["input"]["villages"])
    cfg["output"] = {**cfg["output"], "workbook": "same.xlsx"}
    with pytest.raises(OutputError, match="workbook"):
        check_output_paths(cfg, out)


# --------------------------------------------------------------------------------- small county


def _layers():
    villages = gpd.GeoDataFrame(
        {
            "village_id": ["V1", "V2", "V3"],
            "name": ["东村", "西村", "南村"],
            "population": [100, 200, 300],
            "clinic_nearest_min": [5.0, 25.0, np.inf],
            "health_centre_nearest_min": [12.0, 40.0, 70.0],
        },
        geometry=[Point(0, 0), Point(1000, 0), Point(2000, 500)],
        crs="EPSG:4547",
    )
    facilities = gpd.GeoDataFrame(
        {"service": ["clinic", "health_centre"]},
        geometry=[Point(100, 0), Point(1500, 0)],
        crs="EPSG:4547",
    )
    catch = gpd.GeoDataFrame(
        {"service": ["clinic"] * 3, "band_min": [10.0, 20.0, 30.0]},
        geometry=[box(0, -100, 500, 100), box(0, -200, 1000, 200), box(0, -300, 1500, 300)],
        crs="EPSG:4547",
    )
    towns = gpd.GeoDataFrame(
        {"township": ["T1"], "name": ["河口镇"], "clinic_coverage": [0.75]},
        geometry=[box(-100, -500, 2100, 600)],
        crs="EPSG:4547",
    )
    return {
        "villages": villages,
        "facilities": facilities,
        "townships": towns,
        "catchments_by_service": catch,
    }


SERVICES = {
    "clinic": {"mode": "walk", "thresholds_min": [15, 30]},
    "health_centre": {"mode": "car", "thresholds_min": [15, 30, 60]},
}


def test_qgis_project_written_without_qgis(tmp_path):
    from accessibility.styles.project import write_qgis_project

    layers = _layers()
    path = write_qgis_project(
        tmp_path / "a.qgz", tmp_path / "a.gpkg", layers, services=SERVICES, lang="zh",
        project_name="示范县", catchment_services=["clinic"],
    )  # fmt: skip
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist() == ["a.qgs"]
        root = ET.fromstring(zf.read("a.qgs"))
    groups = [g.get("name") for g in root.find("layer-tree-group").findall("layer-tree-group")]
    assert groups == ["村卫生室", "乡镇卫生院", "底图"]
    layers_xml = {m.findtext("layername"): m for m in root.iter("maplayer")}
    village = layers_xml["村庄：到最近村卫生室的步行时间（分钟）"]
    # classes from the service's own thresholds, on the service's column
    ranges = [r.get("label") for r in village.iter("range")]
    assert ranges == ["0–15分钟", "15–30分钟", "30分钟以上", "不可达"]
    assert "clinic_nearest_min" in village.find("renderer-v2").get("attr")
    assert village.findtext("datasource") == "./a.gpkg|layername=villages"
    assert {a.get("field"): a.get("name") for a in village.iter("alias")}["name"] == "名称"
    # catchment classes from the data's bands, a distinct colour each
    catch = layers_xml["村卫生室：步行服务区（分钟）"]
    assert [r.get("label") for r in catch.iter("range")] == ["10分钟内", "20分钟内", "30分钟内"]
    fills = {
        o.get("value") for o in catch.iter("Option") if o.get("name") == "color" and o.get("value")
    }
    assert len(fills) == 3
    assert catch.findtext("datasource").endswith("subset=\"service\" = 'clinic'")
    towns = layers_xml["乡镇：村卫生室达标率（达标人口占比，%）"]
    assert [r.get("label") for r in towns.iter("range")][:3] == ["0%–60%", "60%–90%", "90%–100%"]
    # layer order: in each group facilities above villages above catchments; roads at the bottom
    order = [m.findtext("layername") for m in root.iter("maplayer")]
    assert (
        order.index("村卫生室")
        < order.index(village.findtext("layername"))
        < order.index(catch.findtext("layername"))
    )
    layout = root.find("Layouts/Layout")
    kinds = sorted(i.get("type") for i in layout.iter("LayoutItem"))
    # page, map, picture (north arrow), label x2, legend, scale bar
    assert kinds == ["65638", "65639", "65640", "65641", "65641", "65642", "65646"]
    labels = [i.get("labelText") for i in layout.iter("LayoutItem") if i.get("type") == "65641"]
    assert any("示范县" in t for t in labels) and any("数据" in t for t in labels)
    # written again: the same bytes (ids do not change from run to run)
    again = write_qgis_project(
        tmp_path / "b.qgz", tmp_path / "a.gpkg", layers, services=SERVICES, lang="zh",
        project_name="示范县", catchment_services=["clinic"],
    )  # fmt: skip
    with zipfile.ZipFile(again) as zf:
        assert zf.read("b.qgs") == ET.tostring(root) or zf.read("b.qgs") == (
            zipfile.ZipFile(path).read("a.qgs")
        )


def test_qgis_project_shows_further_styled_layers_switched_off(tmp_path):
    import geopandas as gpd
    import shapely

    from accessibility.styles.project import write_qgis_project

    layers = dict(_layers())
    layers["referrals"] = gpd.GeoDataFrame(
        {"people": [10.0]}, geometry=[shapely.LineString([(0, 0), (1, 1)])], crs=4547
    )
    layers["unstyled"] = layers["referrals"]
    styles = {"referrals": '<qgis><renderer-v2 type="singleSymbol"/></qgis>', "villages": "x"}
    path = write_qgis_project(
        tmp_path / "a.qgz", tmp_path / "a.gpkg", layers, services=SERVICES, lang="zh",
        project_name="示范县", further_styles=styles,
    )  # fmt: skip
    with zipfile.ZipFile(path) as zf:
        root = ET.fromstring(zf.read("a.qgs"))
    groups = root.find("layer-tree-group").findall("layer-tree-group")
    assert [g.get("name") for g in groups] == ["村卫生室", "乡镇卫生院", "其他图层", "底图"]
    further = groups[2].findall("layer-tree-layer")
    # only the styled layer that no service group shows, named for its reader, switched off
    assert [(n.get("name"), n.get("checked")) for n in further] == [
        ("转诊联系（转诊人口）", "Qt::Unchecked")
    ]


def test_workbook_has_chinese_headers_numbers_and_frozen_rows(tmp_path):
    from openpyxl import load_workbook

    from accessibility.report.workbook import workbook_sheets, write_workbook

    layers = _layers()
    sheets = workbook_sheets(layers["villages"], None, townships=layers["townships"], lang="zh")
    path = write_workbook(tmp_path / "t.xlsx", sheets)
    book = load_workbook(path)
    assert book.sheetnames == ["村庄", "乡镇"]
    ws = book["村庄"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["村庄编号", "名称", "人口"]
    assert "到最近村卫生室时间（分钟）" in header
    assert ws.freeze_panes == "A2"
    col = header.index("到最近村卫生室时间（分钟）") + 1
    values = [ws.cell(row=r, column=col).value for r in range(2, 5)]
    assert values == [5.0, 25.0, None]  # numbers as numbers; unreachable = empty cell
    assert isinstance(ws.cell(row=2, column=3).value, int)
    en = workbook_sheets(layers["villages"], None, lang="en")
    assert "Time to nearest village clinic (min)" in en["Villages"].columns


def test_workbook_equals_one_built_cell_by_cell(tmp_path):
    """The streamed workbook holds what openpyxl's cell-by-cell workbook of the same tables
    holds: values and types, bold wrapped headers, frozen header rows, column widths."""
    import numpy as np
    import pandas as pd
    from openpyxl import Workbook, load_workbook
    from openpyxl.styles import Alignment, Font

    from accessibility.report.workbook import write_workbook

    t = pd.DataFrame(
        {
            "村庄编号": ["V1", "V2", "V3"],
            "人口": np.array([120, 0, 7], dtype=np.int64),
            "时间（分钟）": [5.5, np.nan, np.inf],
            "ok": [True, False, pd.NA],
            "a_long_english_header_of_many_characters_more_than_forty": [None, "x", "y"],
        }
    )
    sheets = {"村庄": t, "x" * 40: t.head(1), "空": pd.DataFrame()}
    ours = load_workbook(write_workbook(tmp_path / "ours.xlsx", sheets))
    ref = Workbook()
    ref.remove(ref.active)
    for name, table in sheets.items():
        ws = ref.create_sheet(str(name)[:31])
        ws.append(list(table.columns))
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in table.astype(object).itertuples(index=False):
            ws.append(
                [
                    None
                    if v is None or v is pd.NA or (isinstance(v, float) and not np.isfinite(v))
                    else v
                    for v in row
                ]
            )
        ws.freeze_panes = "A2"
        for i, c in enumerate(table.columns, start=1):
            wide = sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(c))
            ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = max(
                8, min(40, wide + 2)
            )
    ref.save(tmp_path / "ref.xlsx")
    ref = load_workbook(tmp_path / "ref.xlsx")
    assert ours.sheetnames == ref.sheetnames
    for a, b in zip(ours.worksheets, ref.worksheets, strict=True):

        def cells_of(ws):
            return [
                [(c.value, type(c.value), c.font.b, c.alignment.wrap_text, c.alignment.vertical)
                 for c in r]
                for r in ws.iter_rows()
            ]  # fmt: skip

        assert cells_of(a) == cells_of(b)
        assert a.freeze_panes == b.freeze_panes == "A2"
        widths = {k: d.width for k, d in a.column_dimensions.items() if d.width}
        assert widths == {k: d.width for k, d in b.column_dimensions.items() if d.width}


def test_default_styles_carry_aliases_and_data_bands():
    from accessibility.styles import default_styles

    layers = _layers()
    layers["catchments"] = layers.pop("catchments_by_service")
    styles = default_styles(layers, lang="zh")
    assert 'alias field="population" index="2" name="人口"' in styles["villages"]
    assert (
        'label="10分钟内"' in styles["catchments"]
        and 'label="≤ 15 min"' not in styles["catchments"]
    )
    assert 'label="60%–90%"' in styles["townships"]


# ------------------------------------------------------------------------------------- report


def _report(lang, tmp_path):
    import test_report as tr

    from accessibility.report import write_report

    villages, townships = tr._county()
    path = tmp_path / f"report_{lang}.html"
    write_report(
        path,
        villages,
        townships=townships,
        standard_columns={"car": "{service}_nearest_min", "walk": "{service}_walk_nearest_min"},
        permutations=0,
        clusters=False,
        lang=lang,
    )
    return path


@pytest.mark.slow
def test_report_in_chinese_speaks_without_code_names(tmp_path):
    text_zh = _report("zh", tmp_path).read_text(encoding="utf-8")
    for heading in (
        "主要结论",
        "阅读说明",
        "各类地区对照各自标准",
        "标准达标率",
        "数据、标准与方法",
    ):
        assert heading in text_zh
    assert "养老服务中心" in text_zh and "《城市居住区规划设计标准》" in text_zh
    visible = pd.Series([text_zh]).str.replace(r"<[^>]+>", " ", regex=True).iloc[0]
    for code in ("health_centre", "elder_care", "primary_school", "as given", "0 of "):
        assert code not in visible, code
    assert "@media print" in text_zh and "size:A4" in text_zh


def _chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _has_cjk_font() -> bool:
    fc = shutil.which("fc-list")
    if not fc:
        return False
    out = subprocess.run([fc, ":lang=zh"], capture_output=True, text=True).stdout
    return bool(out.strip())


@pytest.mark.slow
@pytest.mark.skipif(_chromium() is None, reason="Debian's chromium is not installed")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_renders_in_headless_chromium(lang, tmp_path):
    from PIL import Image

    if lang == "zh" and not _has_cjk_font():
        pytest.skip("no CJK font (install fonts-wqy-microhei)")
    page = _report(lang, tmp_path)
    png = tmp_path / f"{lang}.png"
    cmd = [
        _chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1100,1400", f"--screenshot={png}", page.as_uri(),
    ]  # fmt: skip
    subprocess.run(cmd, capture_output=True, timeout=120, check=True)
    img = np.asarray(Image.open(png).convert("RGB")).astype(int)
    dark = (img.sum(axis=2) < 200).mean()  # text
    blue = ((img[..., 2] > 140) & (img[..., 0] < 90)).mean()  # headings' rule, links
    assert dark > 0.01, "no text drawn"
    assert blue > 0.0005
    if lang == "zh":
        # missing glyphs are drawn as hollow boxes: the same box for every character, so the
        # page's text would have very few distinct shapes; here the title row must be dense ink
        title = img[20:90, 20:900]
        assert (title.sum(axis=2) < 300).mean() > 0.03


def test_cli_lang_option_and_summary_lines():
    from accessibility.cli import build_parser
    from accessibility.project.result import RunResult
    from accessibility.project.summary import run_summary

    args = build_parser().parse_args(["demo", "--lang", "en"])
    assert args.lang == "en"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "p.toml", "--lang", "fr"])
    layers = _layers()
    v = layers["villages"].assign(
        area_type=["urban", "rural", "rural"], clinic_meets=[True, True, False]
    )
    table = load_standards()
    result = RunResult(
        villages=v, facilities=layers["facilities"], network=None, costs={},
        config={"project": {"language": "zh"}, "columns": {}}, standards_table=table,
    )  # fmt: skip
    lines = run_summary(result)
    assert lines[0] == "共3个村庄，600人"
    # rural clinic standard: 200 of 500 rural people meet it
    assert "村卫生室（农村）：40.0%的相关人口达到标准（步行30分钟）" in lines
    assert run_summary(result, "en")[0] == "3 villages, 600 residents"


def test_demo_bus_standards_have_readers_names_beside_the_default_ones():
    from pathlib import Path

    from accessibility.i18n import service_name
    from accessibility.project.config import load_config
    from accessibility.project.standards import project_standards

    demo = Path(__file__).resolve().parents[1] / "data" / "demo_project.toml"
    table = project_standards(load_config(demo))
    assert service_name("health_centre_bus", "zh", table) == "乡镇卫生院（公交）"
    assert service_name("hospital_bus", "en", table) == "county hospital by bus"
    assert service_name("hospital", "zh", table) == "县级医院"
    assert table.loc[table["name"] == "hospital_bus", "source_zh"].str.contains("县级医院").all()


def test_bus_section_names_townships_as_the_rest_of_the_report_does():
    from accessibility.report.bus import bus_section

    villages = pd.DataFrame(
        {
            "name": ["东村", "西村"],
            "township": ["baisha", "baisha"],
            "population": [100, 200],
            "health_centre_transit_nearest_min": [np.nan, 30.0],
        },
        index=["V1", "V2"],
    )
    html_lines = "".join(bus_section(villages, "zh", township_names={"baisha": "白沙镇（Baisha）"}))
    assert "白沙镇（Baisha）: 东村" in html_lines and "baisha" not in html_lines
