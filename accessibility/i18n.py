"""The words the outputs speak: one message catalogue for Chinese (``"zh"``) and English (``"en"``).

The report, the charts, the QGIS layer names, legends and field aliases, the CSV and workbook
headers and the CLI's summary lines all take their text from here, so the two languages stay in
step. Service and standard names come from the standards file (its ``[names]`` table, e.g.
``[names.health_centre] zh = "乡镇卫生院"``); a name the file does not give falls back to the
built-in table's, then to the code name.

Examples
--------
>>> from accessibility.i18n import text, service_name, column_label
>>> text("villages", "zh")
'村庄'
>>> service_name("health_centre", "zh")
'乡镇卫生院'
>>> column_label("clinic_walk_nearest_min", "zh")
'到最近村卫生室步行时间（分钟）'
>>> column_label("clinic_walk_nearest_min", "en")
'Time to nearest village clinic on foot (min)'
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from .errors import ConfigError, suggest

__all__ = [
    "LANGUAGES",
    "MESSAGES",
    "area_name",
    "check_language",
    "column_label",
    "column_labels",
    "level_name",
    "mode_name",
    "project_language",
    "service_name",
    "text",
]

#: The languages of the outputs.
LANGUAGES: tuple[str, ...] = ("zh", "en")

#: key -> text per language; ``{name}`` fields are filled by :func:`text`.
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "villages": "villages",
        "facilities": "facilities",
        "roads": "roads",
        "catchments": "catchments",
        "townships": "townships",
        "basemap": "Base map",
        "further_layers": "Further layers",
        "layer_catchments": "Catchments per facility",
        "layer_coverage_radii": "Coverage radii",
        "layer_referrals": "Referral links (people referred)",
        "layer_tier_upgrades": "Facilities that could move up a tier",
        "layer_tier_closure": "Townships: people whose nearest facility lies outside",
        "layer_schools_audit": "Schools: audit indicators met",
        "layer_bus_lines": "Bus lines",
        "layer_bus_stops": "Bus stops",
        "unreachable": "unreachable",
        "no_data": "no data",
        "other": "other",
        "minutes": "min",
        "village_layer": "Villages: time to nearest {service} ({mode}, min)",
        "facility_layer": "{service}",
        "catchment_layer": "{service}: catchments by {mode} (min)",
        "township_layer": "Townships: {standard} coverage (% of people meeting the standard)",
        "band_label": "within {band} min",
        "time_class": "{lo}–{hi} min",
        "time_open": "> {lo} min",
        "pct_class": "{lo}–{hi} %",
        "layout_title": "{project}: access to {service}",
        "layout_source": "Data: {project}; travel times over the road network ({mode}). Made {date} with accessibility.",
        "summary_villages": "{n} villages, {people} residents",
        "summary_standard": "{standard}: {rate} of the people concerned meet the standard ({threshold})",
        "summary_file": "{kind}: {path}",
        "file_geopackage": "GeoPackage",
        "file_csv": "CSV table",
        "file_report": "report",
        "file_qgis_project": "QGIS project",
        "file_workbook": "Excel workbook",
        "sheet_villages": "Villages",
        "sheet_townships": "Townships",
        "sheet_standards": "Standards",
        "sheet_underserved": "Underserved villages",
        "col_standard": "Standard",
        "col_area": "Area type",
        "col_mode": "Travel mode",
        "col_threshold": "Threshold",
        "col_unit": "Unit",
        "col_level": "Level",
        "col_source": "Source",
        "col_coverage": "Coverage (%)",
        "col_people": "People concerned",
        "col_people_meeting": "People meeting the standard",
        "col_villages_not_meeting": "Villages not meeting",
        "col_rank": "Rank",
        "col_value": "Travel time (min)",
        "col_shortfall": "Beyond the standard (min)",
        "col_score": "People × minutes beyond",
    },
    "zh": {
        "villages": "村庄",
        "facilities": "设施",
        "roads": "道路",
        "catchments": "服务区",
        "townships": "乡镇",
        "basemap": "底图",
        "further_layers": "其他图层",
        "layer_catchments": "各设施服务区",
        "layer_coverage_radii": "服务半径",
        "layer_referrals": "转诊联系（转诊人口）",
        "layer_tier_upgrades": "可升级的设施",
        "layer_tier_closure": "乡镇：最近设施在本乡镇以外的人口",
        "layer_schools_audit": "学校：督导评估指标达标情况",
        "layer_bus_lines": "公交线路",
        "layer_bus_stops": "公交站点",
        "unreachable": "不可达",
        "no_data": "无数据",
        "other": "其他",
        "minutes": "分钟",
        "village_layer": "村庄：到最近{service}的{mode}时间（分钟）",
        "facility_layer": "{service}",
        "catchment_layer": "{service}：{mode}服务区（分钟）",
        "township_layer": "乡镇：{standard}达标率（达标人口占比，%）",
        "band_label": "{band}分钟内",
        "time_class": "{lo}–{hi}分钟",
        "time_open": "{lo}分钟以上",
        "pct_class": "{lo}%–{hi}%",
        "layout_title": "{project}：{service}可达性",
        "layout_source": "数据：{project}；沿路网计算的出行时间（{mode}）。{date}由 accessibility 生成。",
        "summary_villages": "共{n}个村庄，{people}人",
        "summary_standard": "{standard}：{rate}的相关人口达到标准（{threshold}）",
        "summary_file": "{kind}：{path}",
        "file_geopackage": "GeoPackage 数据",
        "file_csv": "CSV 表格",
        "file_report": "报告",
        "file_qgis_project": "QGIS 工程",
        "file_workbook": "Excel 工作簿",
        "sheet_villages": "村庄",
        "sheet_townships": "乡镇",
        "sheet_standards": "标准",
        "sheet_underserved": "服务不足村庄",
        "col_standard": "标准",
        "col_area": "城乡类型",
        "col_mode": "出行方式",
        "col_threshold": "时间标准",
        "col_unit": "单位",
        "col_level": "标准层级",
        "col_source": "依据",
        "col_coverage": "达标率（%）",
        "col_people": "相关人口",
        "col_people_meeting": "达标人口",
        "col_villages_not_meeting": "未达标村庄数",
        "col_rank": "排序",
        "col_value": "出行时间（分钟）",
        "col_shortfall": "超出标准（分钟）",
        "col_score": "人口×超出分钟",
    },
}

_MODES: dict[str, dict[str, str]] = {
    "en": {
        "walk": "on foot",
        "bike": "by bicycle",
        "ebike": "by e-bike",
        "motorbike": "by motorbike",
        "car": "by car",
        "bus": "by bus",
        "transit": "by public transport",
    },
    "zh": {
        "walk": "步行",
        "bike": "自行车",
        "ebike": "电动自行车",
        "motorbike": "摩托车",
        "car": "机动车",
        "bus": "公交",
        "transit": "公共交通",
    },
}
_AREAS: dict[str, dict[str, str]] = {
    "en": {"urban": "urban", "rural": "rural", "all": "all", "overall": "overall"},
    "zh": {"urban": "城镇", "rural": "农村", "all": "全部", "overall": "全县"},
}
_LEVELS: dict[str, dict[str, str]] = {
    "en": {
        "national": "national standard",
        "policy": "national policy goal",
        "typical": "typical planning value",
        "local": "local standard",
    },
    "zh": {
        "national": "国家标准",
        "policy": "国家政策目标",
        "typical": "常用规划取值",
        "local": "地方标准",
    },
}
#: Fixed village and township columns (the rest follow the per-service patterns below).
_COLUMNS: dict[str, dict[str, str]] = {
    "en": {
        "village_id": "Village ID",
        "facility_id": "Facility ID",
        "name": "Name",
        "name_pinyin": "Name (pinyin)",
        "township": "Township",
        "area_type": "Area type",
        "settlement": "Settlement",
        "terrain": "Terrain",
        "population": "Population",
        "pop_school_age": "School-age population",
        "pop_elderly": "Elderly population",
        "income_yuan": "Income (yuan)",
        "elevation_m": "Elevation (m)",
        "snap_distance_m": "Distance to the road network (m)",
        "snapped": "Joined to the road network",
        "on_main_network": "On the main road network",
        "villages": "Villages",
        "population_summary": "Population counted",
        "service": "Service",
        "band_min": "Band (min)",
        "facility": "Facility",
        "n_facilities": "Facilities",
        "n_villages": "Villages inside",
        "radius_m": "Radius (m)",
        "level": "Level",
        "capacity": "Capacity",
        "doctors": "Doctors",
        "teachers": "Teachers",
    },
    "zh": {
        "village_id": "村庄编号",
        "facility_id": "设施编号",
        "name": "名称",
        "name_pinyin": "名称（拼音）",
        "township": "乡镇",
        "area_type": "城乡类型",
        "settlement": "聚落类型",
        "terrain": "地形",
        "population": "人口",
        "pop_school_age": "学龄人口",
        "pop_elderly": "老年人口",
        "income_yuan": "人均收入（元）",
        "elevation_m": "海拔（米）",
        "snap_distance_m": "到路网距离（米）",
        "snapped": "已接入路网",
        "on_main_network": "位于主路网",
        "villages": "村庄数",
        "population_summary": "统计人口",
        "service": "服务类型",
        "band_min": "时间圈（分钟）",
        "facility": "设施",
        "n_facilities": "设施数",
        "n_villages": "覆盖村庄数",
        "radius_m": "服务半径（米）",
        "level": "等级",
        "capacity": "容量",
        "doctors": "医生数",
        "teachers": "教师数",
    },
}
#: Per-service column patterns: (regex on the rest of the name, English, Chinese).
_PATTERNS: tuple[tuple[str, str, str], ...] = (
    (r"nearest_min", "Time to nearest {s} (min)", "到最近{s}时间（分钟）"),
    (r"(?P<m>[a-z]+)_nearest_min", "Time to nearest {s} {m} (min)", "到最近{s}{m}时间（分钟）"),
    (r"nearest_km", "Route to nearest {s} (km)", "到最近{s}路程（公里）"),
    (r"nearest_id", "Nearest {s} (ID)", "最近{s}编号"),
    (r"reachable", "{s} reachable", "可到达{s}"),
    (r"n_(?P<t>[\d.]+)min", "{s} within {t} min (count)", "{t}分钟内{s}数量"),
    (r"2sfca_(?P<t>[\d.]+)min", "{s}: 2SFCA index ({t} min)", "{s}：两步移动搜索法指数（{t}分钟）"),
    (
        r"e2sfca_(?P<t>[\d.]+)min",
        "{s}: enhanced 2SFCA index ({t} min)",
        "{s}：增强两步移动搜索法指数（{t}分钟）",
    ),
    (r"gravity_.*", "{s}: gravity index", "{s}：重力模型可达性指数"),
    (
        r"outside_(?P<t>[\d.]+)min_catchment",
        "Outside the {t}-min {s} catchment",
        "位于{s}{t}分钟服务区外",
    ),
    (r"radius_vs_network", "{s}: radius vs network", "{s}：服务半径与路网对比"),
    (r"meets", "Meets the {s} standard", "达到{s}标准"),
    (r"shortfall_min", "Beyond the {s} standard (min)", "超出{s}标准（分钟）"),
    (r"coverage", "{s}: coverage (share of people)", "{s}达标率"),
    (r"population_not_meeting", "{s}: people not meeting", "{s}未达标人口"),
    (r"(?P<sup>[a-z]+)_(?P<t>[\d.]+)min", "{sup} of {s} within {t} min", "{t}分钟内{s}{sup}"),
)


def check_language(lang: Any) -> str:
    """``lang`` if it is one of :data:`LANGUAGES`, else a :class:`ConfigError` saying which.

    Examples
    --------
    >>> check_language("zh")
    'zh'
    """
    if lang not in LANGUAGES:
        raise ConfigError(
            f"language = {lang!r} is not supported; use one of {list(LANGUAGES)} "
            f'("zh" Chinese, "en" English).{suggest(str(lang), LANGUAGES)}'
        )
    return str(lang)


def project_language(cfg: Mapping[str, Any]) -> str:
    """The language of a project's outputs: ``[project] language``, else Chinese for the Chinese
    road profile and English otherwise.

    Examples
    --------
    >>> project_language({"project": {"language": None}, "network": {"profile": "china"}})
    'zh'
    """
    lang = (cfg.get("project") or {}).get("language")
    if lang:
        return check_language(lang)
    return "zh" if (cfg.get("network") or {}).get("profile", "china") == "china" else "en"


def text(key: str, lang: str, **fields: Any) -> str:
    """The message ``key`` in ``lang``, with ``{fields}`` filled in.

    Examples
    --------
    >>> text("band_label", "zh", band=10)
    '10分钟内'
    """
    return MESSAGES[check_language(lang)][key].format(**fields)


@functools.cache
def _default_names() -> dict[str, dict[str, str]]:
    from .standards import default_standards

    return dict(default_standards().attrs.get("names", {}))


def service_name(name: str, lang: str, standards: Any = None) -> str:
    """The name of a service or standard in ``lang``: from the standards table's ``[names]``
    (``standards.attrs["names"]``), else the built-in table's, else the code name.

    Examples
    --------
    >>> service_name("medical_15min", "zh")
    '15分钟医疗卫生服务圈'
    >>> service_name("bakery", "zh")
    'bakery'
    """
    lang = check_language(lang)
    for names in (getattr(standards, "attrs", {}).get("names", {}), _default_names()):
        got = (names.get(name) or {}).get(lang)
        if got:
            return str(got)
    return name if lang == "zh" else name.replace("_", " ")


def mode_name(mode: str | None, lang: str) -> str:
    """A travel mode in words (``"walk"`` -> ``"步行"`` / ``"on foot"``).

    Examples
    --------
    >>> mode_name("car", "zh")
    '机动车'
    """
    if not mode:
        return ""
    return _MODES[check_language(lang)].get(mode, mode)


def area_name(area: str, lang: str) -> str:
    """An area type in words (``"rural"`` -> ``"农村"``)."""
    return _AREAS[check_language(lang)].get(str(area), str(area))


def level_name(level: str, lang: str) -> str:
    """A standard's level in words (``"national"`` -> ``"国家标准"``)."""
    return _LEVELS[check_language(lang)].get(str(level), str(level))


def _service_prefix(column: str, services: list[str]) -> tuple[str, str] | None:
    for s in sorted(services, key=len, reverse=True):
        if column.startswith(s + "_"):
            return s, column[len(s) + 1 :]
    return None


def column_label(column: str, lang: str, standards: Any = None, services: Any = None) -> str:
    """A reader's header for a column of the village or township layer (the stable English
    column name stays in the GeoPackage; this is the alias and the CSV/workbook header).

    Examples
    --------
    >>> column_label("health_centre_meets", "zh")
    '达到乡镇卫生院标准'
    >>> column_label("population", "en")
    'Population'
    """
    lang = check_language(lang)
    if column in _COLUMNS[lang]:
        return _COLUMNS[lang][column]
    known = set(_default_names()) | set(getattr(standards, "attrs", {}).get("names", {}))
    known |= set(services or ())
    base, suffix = column, ""
    for tail, en, zh in (
        ("_mean", "{c} (mean)", "{c}（平均）"),
        ("_unreachable_population", "{c}: unreachable people", "{c}：不可达人口"),
    ):
        if column.endswith(tail) and _service_prefix(column, list(known)):
            base, suffix = column[: -len(tail)], {"en": en, "zh": zh}[lang]
            break
    hit = _service_prefix(base, list(known))
    if hit is not None:
        service, rest = hit
        for pattern, en, zh in _PATTERNS:
            m = re.fullmatch(pattern, rest)
            if m is None or (m.groupdict().get("m") and m["m"] not in _MODES["en"]):
                continue
            g = m.groupdict()
            label = (en if lang == "en" else zh).format(
                s=service_name(service, lang, standards),
                m=mode_name(g.get("m"), lang),
                t=g.get("t", ""),
                sup=column_label(g["sup"], lang) if g.get("sup") else "",
            )
            label = label[0].upper() + label[1:] if lang == "en" else label
            return suffix.format(c=label) if suffix else label
    return column


def column_labels(
    columns: Any, lang: str, standards: Any = None, services: Any = None
) -> dict[str, str]:
    """:func:`column_label` for each column, made unique (a repeated label gets the column name).

    Examples
    --------
    >>> column_labels(["population", "clinic_nearest_min"], "zh")["clinic_nearest_min"]
    '到最近村卫生室时间（分钟）'
    """
    out: dict[str, str] = {}
    seen: set[str] = set()
    for c in columns:
        label = column_label(str(c), lang, standards, services)
        if label in seen:
            label = f"{label} ({c})"
        seen.add(label)
        out[str(c)] = label
    return out
