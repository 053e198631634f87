"""Tests for accessibility.report and accessibility.charts on a small synthetic county."""

from __future__ import annotations

import base64
import logging
import re
from html.parser import HTMLParser

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from accessibility import charts
from accessibility import equity as eq
from accessibility.errors import MissingColumnError, OutputError
from accessibility.report import report_html, report_tables, write_report

SERVICES = ("clinic", "primary_school", "elder_care")


def _county(n_side: int = 7) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Villages on a 1 km grid: urban centre in the middle, times grow towards the edges."""
    rng = np.random.default_rng(7)
    rows, pts = [], []
    c = (n_side - 1) / 2
    for i in range(n_side):
        for j in range(n_side):
            k = i * n_side + j
            d = abs(i - c) + abs(j - c)
            urban = d <= 1
            pop = float(rng.integers(200, 2000))
            rows.append(
                {
                    "village_id": f"V{k:03d}",
                    "name": f"测试{k}村",
                    "name_pinyin": f"Ceshi {k} Cun",
                    "township": "East" if i > c else "West",
                    "area_type": "urban" if urban else "rural",
                    "population": pop,
                    "pop_school_age": round(pop * 0.1),
                    "pop_elderly": round(pop * 0.15),
                    "income_yuan": 30000 - 2000 * d + rng.normal(0, 500),
                    "clinic_nearest_min": 2 + 4 * d + rng.uniform(0, 2),
                    "primary_school_nearest_min": 3 + 6 * d + rng.uniform(0, 3),
                    "elder_care_nearest_min": 4 + 8 * d + rng.uniform(0, 3),
                    "clinic_walk_nearest_min": 5 + 15 * d,
                }
            )
            pts.append(Point(500000 + 1000 * i, 3000000 + 1000 * j))
    villages = gpd.GeoDataFrame(rows, geometry=pts, crs="EPSG:4546").set_index("village_id")
    villages.loc["V000", "elder_care_nearest_min"] = np.nan  # unreachable
    half = (n_side * 1000) / 2
    townships = gpd.GeoDataFrame(
        {
            "township": ["West", "East"],
            "name": ["西镇", "东镇"],
            "name_pinyin": ["Xi Zhen", "Dong Zhen"],
        },
        geometry=[
            box(499500, 2999500, 499500 + half + 1000, 2999500 + n_side * 1000),
            box(499500 + half + 1000, 2999500, 499500 + n_side * 1000, 2999500 + n_side * 1000),
        ],
        crs="EPSG:4546",
    )
    return villages, townships


class _Checker(HTMLParser):
    """Collects tags, checks nesting of non-void elements and external references."""

    VOID = frozenset({"meta", "img", "br", "link", "hr", "input"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[str] = []
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for key, value in attrs:
            if key in ("src", "href", "data", "poster", "action") and value:
                self.refs.append(value)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> (open: {self.stack[-3:]})")
        else:
            self.stack.pop()


@pytest.fixture(scope="module")
def county():
    return _county()


@pytest.fixture(scope="module")
def report_file(county, tmp_path_factory):
    villages, townships = county
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_report(
        path,
        villages,
        townships=townships,
        standard_columns={"car": "{service}_nearest_min", "walk": "{service}_walk_nearest_min"},
        permutations=99,
        subtitle="synthetic test county",
    )
    return path


@pytest.mark.slow
def test_report_is_valid_self_contained_html(report_file):
    text = report_file.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    checker = _Checker()
    checker.feed(text)
    checker.close()
    assert checker.errors == []
    assert checker.stack == []
    assert {"html", "head", "body", "table", "img"} <= set(checker.tags)
    # no external resources: every src is an embedded PNG, every href an in-page anchor
    assert checker.refs
    for ref in checker.refs:
        assert ref.startswith(("data:image/png;base64,", "#")), ref[:60]
    assert not re.search(r"(src|href)\s*=\s*[\"']?\s*(https?:)?//", text, re.I)
    assert "url(" not in text and "@import" not in text
    assert not re.search(r"https?://", text)
    # the embedded charts are real PNGs
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', text)
    assert len(images) >= 5
    for data in images:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_content(report_file):
    text = report_file.read_text(encoding="utf-8")
    for heading in (
        "Key findings",
        "How to read this report",
        "Each area against its own standard",
        "Coverage against standards",
        "Inequality of travel time",
        "Hot spots of poor access",
        "Most underserved villages",
        "standards and methods",
    ):
        assert heading in text
    assert "测试" in text  # Chinese village names in tables (HTML needs no font)
    assert "西镇" in text  # township names joined from the polygons
    assert "GB 50180-2018" in text  # the sources of the built-in standards
    assert "unreachable" in text


def test_report_tables_match_equity_functions(county):
    villages, _ = county
    t = report_tables(villages, permutations=0, clusters=False)
    assert t["services"] == list(SERVICES)
    assert t["columns"]["clinic"] == "clinic_nearest_min"
    # with car times only, walking standards are listed as not evaluated
    skipped = t["skipped"]
    assert ((skipped["standard"] == "clinic") & (skipped["area_type"] == "urban")).any()
    assert skipped["reason"].str.contains("needs walk times").any()
    # hospital/day_care are not in the layer: their standards are not reported at all
    assert not t["standards"]["name"].isin(["hospital", "day_care", "medical_15min"]).any()
    # inequality uses the standard's population column and the fill for unreachable villages
    assert t["populations"]["elder_care"] == "pop_elderly"
    fill = t["fills"]["elder_care"]
    assert fill == pytest.approx(villages["elder_care_nearest_min"].max())
    expected = eq.gini(
        eq.fill_unreachable(villages["elder_care_nearest_min"], fill), villages["pop_elderly"]
    )
    assert t["inequality"].loc["elder_care", "gini"] == pytest.approx(expected)
    rates = t["coverage"]
    row = rates[(rates["grouping"] == "all") & (rates["standard"] == "elder_care")].iloc[0]
    c = eq.standards_compliance(villages, t["evaluated"], mode="car")
    direct = eq.coverage_rates(villages, c, standards=t["evaluated"])
    assert row["coverage_rate"] == pytest.approx(direct.loc[("elder_care", "all"), "coverage_rate"])
    assert t["unit_summary"].index.tolist() == ["East", "West"]


def test_report_with_walk_times_checks_urban_standards(county):
    villages, _ = county
    t = report_tables(
        villages,
        standard_columns="{service}_{mode}_nearest_min",
        clusters=False,
        services=["clinic"],
    )
    # clinic urban (walk <= 5) is checked against clinic_walk_nearest_min
    assert not (t["skipped"]["standard"] == "clinic").any()
    c = t["compliance"]
    urban = villages["area_type"] == "urban"
    assert (
        c.loc[urban, "clinic_value_min"] == villages.loc[urban, "clinic_walk_nearest_min"]
    ).all()


def test_write_report_atomic_and_errors(county, tmp_path):
    villages, _ = county
    path = tmp_path / "r.html"
    write_report(path, villages, charts=False, clusters=False)
    first = path.read_text(encoding="utf-8")
    assert "<img" not in first
    with pytest.raises(OutputError):
        write_report(path, villages, charts=False, clusters=False, overwrite=False)
    # a failing run leaves the old file intact and no temporary files behind
    with pytest.raises(MissingColumnError):
        write_report(path, villages, services=["library"], charts=False)
    assert path.read_text(encoding="utf-8") == first
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]
    with pytest.raises(MissingColumnError, match="no columns matching"):
        report_tables(villages.drop(columns=[c for c in villages if "nearest" in c]))


def test_report_html_escapes_text(county):
    villages, _ = county
    v = villages.copy()
    v.loc["V001", "name"] = "<script>alert(1)</script>"
    v.loc["V001", "elder_care_nearest_min"] = 500.0  # rural, car standard: underserved
    t = report_tables(v, clusters=False, services=["elder_care"])
    text = report_html(t, v, charts=False, title="A & B")
    assert "<script>" not in text
    assert "&lt;script&gt;" in text
    assert "<title>A &amp; B</title>" in text


# ----------------------------------------------------------------------------------------------
# charts and fonts
# ----------------------------------------------------------------------------------------------


def test_chart_text_falls_back_to_pinyin_without_cjk_font(monkeypatch, caplog):
    monkeypatch.setattr(charts, "cjk_font", lambda: None)
    monkeypatch.setattr(charts, "_warned", set())
    with caplog.at_level(logging.WARNING, logger="accessibility.charts"):
        assert charts.chart_text("城关镇", "Chengguan Zhen") == "Chengguan Zhen"
        assert charts.chart_text("城关镇", "Chengguan Zhen") == "Chengguan Zhen"
    assert caplog.text.count("no Chinese (CJK) font") == 1  # warned once
    assert charts.chart_text("Baisha") == "Baisha"
    assert charts.chart_text("城关", None) == "??"
    monkeypatch.setattr(charts, "cjk_font", lambda: "Some CJK Font")
    assert charts.chart_text("城关镇", "Chengguan Zhen") == "城关镇"


def test_cjk_font_lookup(monkeypatch):
    from matplotlib import font_manager

    class FakeFont:
        def __init__(self, name):
            self.name = name

    charts.cjk_font.cache_clear()
    monkeypatch.setattr(
        font_manager.fontManager,
        "ttflist",
        [FakeFont("DejaVu Sans"), FakeFont("WenQuanYi Micro Hei"), FakeFont("Noto Sans CJK JP")],
    )
    try:
        assert charts.cjk_font() == "Noto Sans CJK JP"  # Noto is preferred over WenQuanYi
        charts.cjk_font.cache_clear()
        monkeypatch.setattr(font_manager.fontManager, "ttflist", [FakeFont("DejaVu Sans")])
        monkeypatch.setattr(font_manager, "findSystemFonts", lambda: [])
        assert charts.cjk_font() is None
        # a font installed after matplotlib built its cache is found and registered
        charts.cjk_font.cache_clear()
        fonts = ["/usr/share/fonts/x/DejaVuSans.ttf", "/usr/share/fonts/wqy/wqy-microhei.ttc"]
        monkeypatch.setattr(font_manager, "findSystemFonts", lambda: fonts)
        added = []

        def addfont(path):
            added.append(path)
            font_manager.fontManager.ttflist.append(FakeFont("WenQuanYi Micro Hei"))

        monkeypatch.setattr(font_manager.fontManager, "addfont", addfont)
        assert charts.cjk_font() == "WenQuanYi Micro Hei"
        assert added == [fonts[1]]
    finally:
        charts.cjk_font.cache_clear()
    assert charts.has_cjk("白沙镇") and not charts.has_cjk("Baisha")


@pytest.mark.slow
def test_charts_render_png(county):
    villages, townships = county
    cols = {s: f"{s}_nearest_min" for s in SERVICES}
    figs = [
        charts.village_map(villages, cols, units=townships),
        charts.cluster_map(villages, {"clinic": villages["area_type"] == "rural"}, units=townships),
        charts.distribution_chart(villages, cols, thresholds={"clinic": {"rural": 30}}),
        charts.lorenz_chart({"clinic": eq.lorenz_curve(villages["clinic_nearest_min"])}),
        charts.coverage_gap_chart(
            pd.DataFrame(
                {"coverage_urban": [1.0, np.nan], "coverage_rural": [0.5, 0.2]},
                index=["clinic", "elder_care"],
            )
        ),
    ]
    for fig in figs:
        png = charts.figure_png(fig)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(png) > 5000
