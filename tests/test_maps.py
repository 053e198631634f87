"""Static and interactive maps (accessibility.maps).

Static maps are checked through their artists (legend entries, scale bar, north arrow, labels) and
by rendering them with Agg and checking the image is not blank. Scale bars and north arrows are
checked against pyproj (geodesic distances on WGS-84, meridian convergence). Interactive maps are
checked for being self-contained (no http(s) script or stylesheet) and, when Debian's chromium is
installed, rendered headless with every host name unresolvable (no network).
"""

from __future__ import annotations

import logging
import math
import re
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

matplotlib.use("Agg")

from accessibility import charts, maps
from accessibility.errors import (
    CRSError,
    EmptyLayerError,
    InvalidValueError,
    MissingColumnError,
)

# ------------------------------------------------------------------------------------------ data

UTM50 = "EPSG:32650"  # central meridian 117 E
X0, Y0 = 700_000.0, 3_875_000.0  # ~119.2 E, 35.0 N: east of the central meridian


def _villages(crs: str = UTM50) -> gpd.GeoDataFrame:
    """12 villages on a 4 x 3 grid, 2 km apart; two unreachable (NaN, inf)."""
    pts, names, pinyin = [], [], []
    for j in range(3):
        for i in range(4):
            pts.append(Point(X0 + 2000 * i, Y0 + 2000 * j))
    names = [
        "东村",
        "西村",
        "南村",
        "北村",
        "上坪村",
        "下坪村",
        "李家村",
        "王家村",
        "张庄",
        "河口",
        "新塘",
        "白沙",
    ]
    pinyin = ["Dongcun", "Xicun", "Nancun", "Beicun", "Shangping", "Xiaping", "Lijia", "Wangjia",
              "Zhangzhuang", "Hekou", "Xintang", "Baisha"]  # fmt: skip
    t = [3.0, 7.5, 12.0, 16.0, 22.0, 28.0, 35.0, 44.0, 58.0, 61.0, np.nan, np.inf]
    gdf = gpd.GeoDataFrame(
        {"name": names, "name_pinyin": pinyin, "clinic_nearest_min": t, "population": range(12)},
        geometry=pts,
        index=pd.Index([f"V{i:02d}" for i in range(12)], name="village_id"),
        crs=UTM50,
    )
    return gdf.to_crs(crs)


def _roads() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"road_class": ["national", "county", "village", "footway"]},
        geometry=[
            LineString([(X0 - 500, Y0 + 1000), (X0 + 6500, Y0 + 1000)]),
            LineString([(X0 + 3000, Y0 - 500), (X0 + 3000, Y0 + 4500)]),
            LineString([(X0, Y0), (X0, Y0 + 4000)]),
            LineString([(X0 + 6000, Y0), (X0 + 6000, Y0 + 4000)]),
        ],
        crs=UTM50,
    )


def _facilities() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"service": ["clinic", "health_centre", "library"], "name": ["卫生室", "卫生院", "图书馆"]},
        geometry=[Point(X0 + 1000, Y0 + 1000), Point(X0 + 3000, Y0 + 3000), Point(X0 + 5000, Y0)],
        index=pd.Index(["F1", "F2", "F3"], name="facility_id"),
        crs=UTM50,
    )


def _catchments() -> gpd.GeoDataFrame:
    c1, c2 = Point(X0 + 1000, Y0 + 1000), Point(X0 + 5000, Y0 + 3000)
    return gpd.GeoDataFrame(
        {
            "facility": ["F1", "F1", "F2", "F2"],
            "service": ["clinic"] * 4,
            "band_min": [15.0, 30.0, 15.0, 30.0],
        },
        geometry=[c1.buffer(1500), c1.buffer(3000), c2.buffer(1500), c2.buffer(2500)],
        crs=UTM50,
    )


# ------------------------------------------------------------------------------------ helpers


def _gid(fig, gid):
    return fig.findobj(lambda a: a.get_gid() == gid)


def _legend_texts(fig, gid="legend"):
    (leg,) = _gid(fig, gid)
    return [t.get_text() for t in leg.get_texts()]


def _pixels(fig) -> np.ndarray:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3]


def _assert_not_blank(fig) -> None:
    img = _pixels(fig)
    non_white = (img < 245).any(axis=-1).mean()
    colours = len(np.unique(img.reshape(-1, 3)[::7], axis=0))
    assert non_white > 0.02, f"only {non_white:.1%} of the image is drawn"
    assert colours > 20, f"only {colours} colours: the map looks blank"


# ------------------------------------------------------------------------------------ classes


def test_classify_by_hand():
    # edges 0|15|30|60: 15 is in the first class (closed on the right), 15.1 in the second,
    # 70 beyond the last edge stays in the last class, NaN and inf are -1 (unreachable)
    got = maps.classify([0, 15, 15.1, 30, 59.9, 70, np.nan, np.inf], [0, 15, 30, 60])
    assert got.tolist() == [0, 0, 1, 1, 2, 2, -1, -1]


def test_class_labels_by_hand():
    assert maps.class_labels([0, 15, 30, 60, math.inf], unit="min") == [
        "≤ 15 min",
        "15–30 min",
        "30–60 min",
        "> 60 min",
    ]
    assert maps.class_labels([2, 4.5, 10]) == ["2–4.5", "4.5–10"]


def test_class_breaks_schemes():
    v = list(range(1, 11))
    assert maps.class_breaks(v, classes=2, scheme="equal") == [1.0, 5.5, 10.0]
    # quantiles at 1/4, 2/4, 3/4 of 1..10 are 3.25, 5.5, 7.75 -> 3.2, 5.5, 7.8 (2 significant)
    assert maps.class_breaks(v, classes=4, scheme="quantiles") == [1.0, 3.2, 5.5, 7.8, 10.0]
    # time: the linear quantiles of these 8 finite values are 11, 18, 36.5; the nearest nice
    # minutes are 10, 20 (|18-20| < |18-15|) and 30 (|36.5-30| < |36.5-45|)
    t = [3, 8, 12, 14, 22, 35, 41, 58, np.nan, np.inf]
    assert maps.class_breaks(t, classes=4, scheme="time") == [0.0, 10.0, 20.0, 30.0, 58.0]
    assert maps.class_breaks([np.nan, np.inf]) == [0.0, 1.0]


def test_class_options_are_checked():
    with pytest.raises(InvalidValueError, match="2 to 9"):
        maps.class_breaks([1, 2, 3], classes=12)
    with pytest.raises(InvalidValueError, match="Did you mean 'quantiles'"):
        maps.class_breaks([1, 2, 3], scheme="quantile")
    with pytest.raises(InvalidValueError, match="strictly increasing"):
        maps.classify([1, 2], [0, 30, 15])


# ------------------------------------------------------------------------------------ village_map


def test_village_map_has_legend_scale_bar_north_arrow_and_is_drawn():
    vil = _villages()
    fig = maps.village_map(
        vil,
        "clinic_nearest_min",
        roads=_roads(),
        facilities=_facilities(),
        breaks=[0, 15, 30, 60, math.inf],
        title="Clinics",
    )
    texts = _legend_texts(fig)
    # counts by hand: <=15: 3, 7.5, 12 | 15-30: 16, 22, 28 | 30-60: 35, 44, 58 | >60: 61
    assert texts[:4] == ["≤ 15 min (3)", "15–30 min (3)", "30–60 min (3)", "> 60 min (1)"]
    assert texts[4].startswith("unreachable") and texts[4].endswith("(2)")
    layers = _legend_texts(fig, "legend_layers")
    assert layers[:3] == [
        charts.chart_text("health centre 卫生院", "health centre"),
        charts.chart_text("clinic 村卫生室", "clinic"),
        "library",
    ]
    assert any(t.startswith("national") for t in layers) and "other roads" in layers
    assert len(_gid(fig, "scale_bar")) == 1
    assert len(_gid(fig, "north_arrow")) == 1
    assert fig.axes[0].get_title() == "Clinics"
    _assert_not_blank(fig)


def test_village_map_default_classes_and_given_axes():
    from matplotlib.figure import Figure

    fig0 = Figure(figsize=(8, 5))
    ax = fig0.add_subplot()
    fig = maps.village_map(_villages(), "population", ax=ax, classes=3)
    assert fig is fig0
    # population 0..11 in quantile classes: edges at 0, 3.7, 7.3, 11 (a class from 0 reads "≤")
    assert _legend_texts(fig) == ["≤ 3.7 (4)", "3.7–7.3 (4)", "7.3–11 (4)"]


def test_village_map_polygons():
    vil = _villages()
    polys = vil.copy()
    polys["geometry"] = [box(p.x - 900, p.y - 900, p.x + 900, p.y + 900) for p in vil.geometry]
    fig = maps.village_map(polys, "clinic_nearest_min", breaks=[0, 30, 90])
    assert _legend_texts(fig)[:2] == ["≤ 30 min (6)", "30–90 min (4)"]
    _assert_not_blank(fig)


def test_scale_bar_is_true_ground_distance_in_utm_and_web_mercator():
    from pyproj import Geod, Transformer

    for crs in (UTM50, "EPSG:3857"):
        fig = maps.village_map(_villages(crs), "population")
        ax = fig.axes[0]
        (bar,) = _gid(fig, "scale_bar")
        assert bar.length_km in (0.5, 1.0, 2.0, 5.0)
        # measure the bar's ground length with pyproj at the map centre
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        tr = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        lon0, lat0 = tr.transform(cx - bar.size_map_units / 2, cy)
        lon1, lat1 = tr.transform(cx + bar.size_map_units / 2, cy)
        ground_m = Geod(ellps="WGS84").inv(lon0, lat0, lon1, lat1)[2]
        assert ground_m == pytest.approx(bar.length_km * 1000, rel=2e-3)
        if crs == "EPSG:3857":  # Web Mercator stretches by 1 / cos(latitude) (~35 N here)
            assert bar.size_map_units / (bar.length_km * 1000) == pytest.approx(
                1 / math.cos(math.radians(lat0)), rel=5e-3
            )


def test_north_arrow_follows_meridian_convergence():
    from pyproj import Proj, Transformer

    fig = maps.village_map(_villages(), "population")
    ax = fig.axes[0]
    (arrow,) = _gid(fig, "north_arrow")
    cx, cy = np.mean(ax.get_xlim()), np.mean(ax.get_ylim())
    lon, lat = Transformer.from_crs(UTM50, "EPSG:4326", always_xy=True).transform(cx, cy)
    conv = Proj(UTM50).get_factors(lon, lat).meridian_convergence  # degrees, east of the CM > 0
    assert conv > 1.0
    # grid north is rotated clockwise from true north by the convergence, so true north on the
    # map points anticlockwise from "up"
    assert math.degrees(arrow.north_angle_rad) == pytest.approx(-conv, abs=0.01)


def test_geographic_input_is_drawn_in_metres():
    fig = maps.village_map(_villages("EPSG:4326"), "clinic_nearest_min")
    ax = fig.axes[0]
    assert ax.get_xlim()[1] - ax.get_xlim()[0] > 5000  # metres, not degrees
    (bar,) = _gid(fig, "scale_bar")
    assert bar.length_km in (0.5, 1.0, 2.0)


def test_village_map_with_catchments_units_and_all_layers():
    units = gpd.GeoDataFrame(
        {"name": ["甲乡", "乙乡"]},
        geometry=[box(X0 - 1000, Y0 - 1000, X0 + 3000, Y0 + 5000), box(X0 + 3000, Y0 - 1000, X0 + 7000, Y0 + 5000)],
        crs=UTM50,
    )  # fmt: skip
    fig = maps.village_map(
        _villages(), "clinic_nearest_min", catchments=_catchments(), units=units, roads=_roads()
    )
    layers = _legend_texts(fig, "legend_layers")
    assert layers[:2] == ["≤ 15 min", "≤ 30 min"]
    _assert_not_blank(fig)


# ------------------------------------------------------------------------------------ labels, CJK


def test_labels_in_chinese_with_a_cjk_font():
    if charts.cjk_font() is None:
        pytest.skip("no CJK font installed (apt install fonts-wqy-microhei)")
    vil = _villages()
    fig = maps.village_map(vil, "clinic_nearest_min", labels=["V00", "V04", "V09"])
    labels = [t.get_text() for t in _gid(fig, "village_label")]
    assert labels == ["东村", "上坪村", "河口"]
    (lab,) = [t for t in _gid(fig, "village_label") if t.get_text() == "东村"]
    assert lab.get_fontfamily()[0] == charts.cjk_font()
    # the glyphs are really drawn: no "missing glyph" warning when rendering
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _pixels(fig)


def test_labels_fall_back_to_pinyin_without_a_cjk_font(monkeypatch, caplog):
    monkeypatch.setattr(charts, "cjk_font", lambda: None)
    monkeypatch.setattr(charts, "_warned", set())
    with caplog.at_level(logging.WARNING, logger="accessibility.charts"):
        fig = maps.village_map(
            _villages(), "clinic_nearest_min", facilities=_facilities(), labels=True
        )
    labels = [t.get_text() for t in _gid(fig, "village_label")]
    assert labels[:4] == ["Dongcun", "Xicun", "Nancun", "Beicun"] and len(labels) == 12
    assert "no Chinese (CJK) font" in caplog.text and "fonts-noto-cjk" in caplog.text
    # bilingual legend entries keep their English half
    assert "unreachable (2)" in _legend_texts(fig)
    assert _legend_texts(fig, "legend_layers")[:2] == ["health centre", "clinic"]
    assert not any(re.search(r"[\u4e00-\u9fff]", t.get_text()) for t in fig.findobj(
        lambda a: hasattr(a, "get_text") and a.get_visible()))  # fmt: skip


def test_label_errors():
    with pytest.raises(InvalidValueError, match="not in the layer"):
        maps.village_map(_villages(), "population", labels=["V00", "nope"])
    with pytest.raises(MissingColumnError, match="label column 'nom'"):
        maps.village_map(_villages(), "population", labels=True, label_column="nom")


def test_village_map_input_errors():
    vil = _villages()
    with pytest.raises(MissingColumnError, match="Did you mean 'clinic_nearest_min'"):
        maps.village_map(vil, "clinic_nearest_mins")
    with pytest.raises(CRSError, match="set_crs"):
        maps.village_map(vil.set_crs(None, allow_override=True), "population")
    with pytest.raises(EmptyLayerError):
        maps.village_map(vil.iloc[:0], "population")
    with pytest.raises(InvalidValueError, match="GeoDataFrame"):
        maps.village_map(pd.DataFrame(vil.drop(columns="geometry")), "population")


# ------------------------------------------------------------------------------------ catchment_map


def test_catchment_map_bands_and_uncovered_villages():
    fig = maps.catchment_map(
        _catchments(), villages=_villages(), facilities=_facilities(), roads=_roads()
    )
    texts = _legend_texts(fig)
    assert texts[:2] == ["≤ 15 min", "≤ 30 min"]
    # 30-min discs: radius 3 km around (1000, 1000), 2.5 km around (5000, 3000) (relative to
    # X0, Y0). Worked by hand on the 2-km grid: (4000, 0), (6000, 0), (0, 4000) and (2000, 4000)
    # are 3.16 km or more from the first centre and 3.16 km or more from the second -> outside;
    # the other 8 are within 1.42 km of one centre -> inside.
    assert texts[2] == "village (8)" and texts[3] == "outside all bands (4)"
    assert len(_gid(fig, "scale_bar")) == 1 and len(_gid(fig, "north_arrow")) == 1
    _assert_not_blank(fig)


def test_catchment_map_selects_a_service_and_checks_columns():
    c = _catchments()
    c.loc[2:, "service"] = "school"
    fig = maps.catchment_map(c, service="school", title="Schools")
    assert fig.axes[0].get_title() == "Schools"
    with pytest.raises(EmptyLayerError, match="services present"):
        maps.catchment_map(c, service="hospital")
    with pytest.raises(MissingColumnError, match="radius_m"):
        maps.catchment_map(c.drop(columns="band_min"))


# ------------------------------------------------------------------------------------ interactive

_REMOTE = re.compile(
    r"""<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*["']?\s*(https?:)?//""", re.I
)


def _interactive():
    return maps.interactive_map(
        _villages(),
        "clinic_nearest_min",
        facilities=_facilities(),
        roads=_roads(),
        catchments=_catchments(),
        breaks=[0, 15, 30, 60, math.inf],
        title="诊所 clinics",
    )


def test_interactive_map_is_self_contained(tmp_path):
    m = _interactive()
    page = m.html
    assert _REMOTE.search(page) is None
    assert "<script src" not in page and "<link" not in page
    assert "url(images/" not in page  # no relative image fetches either
    assert "Leaflet 1.9.4" in page  # Leaflet itself is inlined
    # data: the 12 villages as GeoJSON in EPSG:4326 with NaN/inf as null
    cfg = json_config(page)
    villages = next(layer for layer in cfg["layers"] if layer["tooltip"] == "name")
    feats = villages["data"]["features"]
    assert len(feats) == 12
    lon, lat = feats[0]["geometry"]["coordinates"]
    assert 119 < lon < 120 and 34.5 < lat < 35.5
    t = {f["properties"]["id"]: f["properties"]["clinic_nearest_min"] for f in feats}
    assert t["V00"] == 3.0 and t["V10"] is None and t["V11"] is None
    colour = {f["properties"]["id"]: f["properties"]["_color"] for f in feats}
    assert colour["V10"] == colour["V11"] == maps.UNREACHABLE_COLOR
    labels = [it["label"] for it in cfg["legend"][0]["items"]]
    assert labels == ["≤ 15 min (3)", "15–30 min (3)", "30–60 min (3)", "> 60 min (1)", "unreachable 不可达 (2)"]  # fmt: skip
    assert cfg["tiles"] is None
    # notebook display and saving
    assert m._repr_html_().startswith("<iframe srcdoc=")
    out = tmp_path / "map.html"
    assert m.save(out) == str(out)
    assert out.read_text(encoding="utf-8") == page


def json_config(page: str) -> dict:
    import json

    text = re.search(r"var cfg = (\{.*?\});\n", page, re.S).group(1)
    return json.loads(text.replace("<\\/", "</"))


def test_interactive_map_escapes_script_breakers_and_takes_own_tiles():
    vil = _villages()
    vil.loc["V00", "name"] = "</script><script>alert(1)</script>"
    m = maps.interactive_map(vil, "population", tiles="tiles/{z}/{x}/{y}.png")
    assert m.html.count("</script>") == 2  # Leaflet's and ours, nothing from the data
    assert json_config(m.html)["tiles"] == "tiles/{z}/{x}/{y}.png"
    with pytest.raises(MissingColumnError, match="popup_columns"):
        maps.interactive_map(vil, "population", popup_columns=["nmae"])


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


_OFFLINE_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # no network: every host name fails to resolve
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


@pytest.mark.skipif(_chromium() is None, reason="Debian's chromium is not installed")
def test_interactive_map_renders_offline_in_headless_chromium(tmp_path):
    page = tmp_path / "map.html"
    _interactive().save(page)
    cmd = [
        _chromium(),
        *_OFFLINE_FLAGS,
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=3000",
        "--dump-dom",
        page.as_uri(),
    ]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=90, check=True).stdout
    # Leaflet turned the GeoJSON into SVG paths: 12 villages + 3 facilities + 4 roads + 2 bands
    assert dom.count('class="leaflet-interactive"') == 21
    assert "acc-legend" in dom and "unreachable 不可达 (2)" in dom
    assert "leaflet-control-scale" in dom


# ------------------------------------------------------------------------------------ demo county


def test_demo_county_map_renders():
    import accessibility as acc

    demo = acc.load_demo()
    fig = maps.village_map(
        demo.villages,
        "population",
        roads=demo.roads,
        facilities=demo.facilities,
        units=demo.townships,
        labels=list(demo.villages.index[:3]),
    )
    n = len(demo.villages)
    counts = [int(re.search(r"\((\d+)\)$", t).group(1)) for t in _legend_texts(fig)]
    assert sum(counts) == n
    assert len(_legend_texts(fig, "legend_layers")) >= 7 + 5  # services and road classes
    _assert_not_blank(fig)


def test_no_pyplot_figures_are_left_open():
    import matplotlib.pyplot as plt

    before = len(plt.get_fignums())
    maps.village_map(_villages(), "population")
    maps.catchment_map(_catchments())
    assert len(plt.get_fignums()) == before


def test_static_files_are_shipped_with_their_licence():
    static = Path(maps.__file__).parent / "static"
    assert (static / "leaflet.js").stat().st_size > 100_000
    assert (static / "leaflet.css").is_file()
    assert "BSD 2-Clause" in (static / "LICENSE-leaflet.txt").read_text()
