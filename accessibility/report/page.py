"""The report as one HTML page: ``templates/report.html`` filled with the report's sections.

The page's fixed words are in :mod:`.words` (Chinese and English); the functions here turn the
tables of :func:`accessibility.report.report_tables` into HTML fragments (tables, notes, charts as
base64 PNG), one function per section. :data:`SECTIONS` lists the sections in page order: a new
section is one line there (its anchor, its title per language, and a function of the
:class:`dict` context ``{"tables", "villages", "townships", "charts", "lang", "methods"}`` that
returns HTML fragments), e.g. ``("bus", {"en": "Buses", "zh": "公交"}, bus_section)``.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Callable, Sequence
from importlib import resources
from string import Template
from typing import Any

import numpy as np
import pandas as pd

from .. import equity as eq
from ..errors import InvalidValueError
from ..i18n import area_name, check_language, level_name, mode_name, service_name
from .bus import bus_section
from .cells import escape, fmt_num, fmt_pct, html_table
from .words import WORDS, word

_CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",
"WenQuanYi Micro Hei",system-ui,sans-serif;margin:0;color:#222;background:#fafafa;line-height:1.5}
main{max-width:1100px;margin:0 auto;padding:1.2em 1.6em 3em;background:#fff}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.25em;border-bottom:2px solid #3b6ea5;
padding-bottom:.2em;margin-top:2em}h3{font-size:1.05em;margin-top:1.4em}
table{border-collapse:collapse;margin:.6em 0 1em;font-size:.86em}
th,td{border:1px solid #ddd;padding:.25em .55em;text-align:right;vertical-align:top}
th{background:#eef2f7;text-align:center}td.t,th.t{text-align:left}
.small{font-size:.85em;color:#555}.note{background:#f6f6e8;border-left:4px solid #c9b458;
padding:.5em .9em;margin:1em 0}.bad{background:#f8d7d3}.warn{background:#fcecd0}
.good{background:#dcefdc}img{max-width:100%;height:auto;display:block;margin:.6em 0}
nav a{margin-right:.9em;color:#3b6ea5;text-decoration:none}nav{font-size:.9em}
ul{margin-top:.3em}code{background:#f1f1f1;padding:0 .2em}
@media print{@page{size:A4;margin:14mm 12mm}body{background:#fff;font-size:10pt}
main{max-width:none;padding:0}nav{display:none}h2{break-after:avoid;page-break-after:avoid}
h3{break-after:avoid}img,tr,.note{break-inside:avoid;page-break-inside:avoid}
img{max-height:240mm;width:auto;max-width:100%}table{font-size:8pt}
.bad,.warn,.good,th{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""

Section = tuple[str, dict[str, str], Callable[[dict[str, Any]], list[str]]]


def report_html(
    tables: dict[str, Any],
    villages: pd.DataFrame,
    *,
    townships: Any = None,
    title: str | None = None,
    subtitle: str | None = None,
    charts: bool = True,
    lang: str = "en",
    methods: dict[str, Any] | None = None,
    extra_sections: Sequence[str] = (),
) -> str:
    """Render the tables of :func:`report_tables` (and charts) as one HTML document in ``lang``
    (``"zh"`` or ``"en"``). ``methods`` may give ``"data"`` (lines naming the inputs) and
    ``"speeds"`` (a table of km/h by road class and mode) for the methods section.
    ``extra_sections`` are HTML lines of further sections (each opening with its own
    ``<h2 id="...">``, e.g. tiers and the school audit), placed before the methods section."""
    from .. import charts as ch

    lang = check_language(lang)
    c = tables["counts"]
    ctx = {
        "tables": tables,
        "villages": villages,
        "townships": townships,
        "charts": ch if charts else None,
        "lang": lang,
        "methods": methods or {},
    }
    # by bus (report/bus.py; empty without bus times), then tiers, audits ... before the methods
    towns = villages["township"].astype(str).unique() if "township" in villages.columns else []
    names = {code: _township_label(ctx, code) for code in towns}
    extra_sections = [*bus_section(villages, lang, township_names=names), *extra_sections]
    nav, body = [], []
    for anchor, titles, section in SECTIONS:
        if anchor == "standards" and extra_sections:
            for ident, heading in re.findall(
                r'<h2 id="([^"]+)">(.*?)</h2>', "".join(extra_sections)
            ):
                nav.append(f'<a href="#{ident}">{heading}</a>')
            body.append(_lines(list(extra_sections)))
        parts = section(ctx)
        if not parts:
            continue
        heading = titles.get(lang) or titles.get("en") or anchor
        nav.append(f'<a href="#{anchor}">{escape(heading)}</a>')
        body.append(f'<h2 id="{anchor}">{escape(heading)}</h2>' + _lines(parts))
    template = Template(
        resources.files("accessibility.report")
        .joinpath("templates/report.html")
        .read_text(encoding="utf-8")
    )
    title = title or word("report_title_plain", lang)
    return template.substitute(
        lang="zh-CN" if lang == "zh" else "en",
        title=escape(title),
        css=_CSS,
        subtitle=f"\n<p>{escape(subtitle)}</p>" if subtitle else "",
        generated=word(
            "generated",
            lang,
            date=_generated_on(),
            villages=c["villages"],
            population=_num(c["population"], 0),
            urban_villages=c["urban_villages"],
            urban_population=_num(c["urban_population"], 0),
            rural_villages=c["rural_villages"],
            rural_population=_num(c["rural_population"], 0),
            services=len(tables["services"]),
        ),
        nav="".join(nav),
        body="\n".join(body),
    )


def _titles(key: str) -> dict[str, str]:
    return {lang: WORDS[lang][key] for lang in WORDS}


def _lines(parts: Any) -> str:
    """Fragments, each on a new line after what precedes it in the template."""
    return "".join("\n" + p for p in parts)


def _sname(ctx: dict[str, Any], name: str) -> str:
    return service_name(name, ctx["lang"], ctx["tables"]["standards"])


def _rule(ctx: dict[str, Any], name: str, area: str) -> str:
    """The standard applied to an area type, in words: "步行15分钟" / "on foot ≤ 15 min"."""
    ev = ctx["tables"]["evaluated"]
    rows = ev[(ev["name"] == name) & (ev["area_type"].isin([area, "all"]))]
    if not len(rows):
        return "–"
    r = rows.iloc[0]
    lang = ctx["lang"]
    unit = ("分钟" if r["unit"] == "min" else "米") if lang == "zh" else r["unit"]
    if lang == "zh":
        return f"{mode_name(r['mode'], lang)}{r['threshold']:g}{unit}"
    return f"{mode_name(r['mode'], lang)} ≤ {r['threshold']:g} {unit}"


def _coverage_rows(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per (standard, area type) with its rule and coverage."""
    cov = ctx["tables"]["coverage"]
    if not len(cov):
        return []
    out = []
    for name in dict.fromkeys(cov["standard"]):
        sub = cov[(cov["standard"] == name) & (cov["grouping"] == "area_type")]
        for r in sub.itertuples(index=False):
            out.append(
                {
                    "standard": name,
                    "area": str(r.group),
                    "rate": r.coverage_rate,
                    "people": r.population,
                    "people_not": r.population - r.population_meeting,
                    "villages_not": int(r.villages - r.villages_meeting),
                }
            )
    return out


def findings_section(ctx: dict[str, Any]) -> list[str]:
    """Headline findings, one line per service in plain words, then the weakest points."""
    t, lang = ctx["tables"], ctx["lang"]
    out = []
    if not len(t["standards"]):
        out.append(_no_standard_note(t))
    rows = _coverage_rows(ctx)
    for name in dict.fromkeys(r["standard"] for r in rows):
        parts = []
        for r in (r for r in rows if r["standard"] == name):
            ev = t["evaluated"]
            e = ev[(ev["name"] == name) & ev["area_type"].isin([r["area"], "all"])]
            if not len(e) or e.iloc[0]["unit"] != "min":
                continue
            parts.append(
                word(
                    "finding_part",
                    lang,
                    rate=fmt_pct(r["rate"]),
                    area=area_name(r["area"], lang),
                    mode=mode_name(e.iloc[0]["mode"], lang),
                    threshold=f"{e.iloc[0]['threshold']:g}",
                )
            )
        if parts:
            sep = "；" if lang == "zh" else "; "
            out.append(
                word(
                    "finding_service",
                    lang,
                    service=escape(_sname(ctx, name)),
                    parts=sep.join(parts),
                )
            )
    finite = [r for r in rows if not pd.isna(r["rate"])]
    if finite:
        worst = min(finite, key=lambda r: r["rate"])
        out.append(
            word(
                "finding_worst",
                lang,
                standard=escape(_sname(ctx, worst["standard"])),
                area=area_name(worst["area"], lang),
                rate=fmt_pct(worst["rate"]),
                people=_num(worst["people_not"], 0),
                villages=worst["villages_not"],
            )
        )
    u = t["underserved"]
    if len(u):
        fin = u[np.isfinite(u["score"].astype(float))]
        if len(fin):
            top = fin.sort_values("score", ascending=False).iloc[0]
            out.append(
                word(
                    "finding_village",
                    lang,
                    village=escape(_village_label(top, lang, short=True)),
                    township=escape(_township_label(ctx, top.get(t["unit"] or "", ""), short=True)),
                    people=_num(top["population"], 0),
                    shortfall=_num(top["shortfall"], 1),
                    standard=escape(_sname(ctx, top["standard"])),
                )
            )
    return ["<ul>" + "".join(f"<li>{f}</li>" for f in out if not f.startswith("<p")) + "</ul>"] + [
        f for f in out if f.startswith("<p")
    ]


def guide_section(ctx: dict[str, Any]) -> list[str]:
    return [word("guide", ctx["lang"])]


def gap_section(ctx: dict[str, Any]) -> list[str]:
    """Each area type against its own standard: a table and a chart of one bar per pair."""
    lang, ch = ctx["lang"], ctx["charts"]
    rows = _coverage_rows(ctx)
    if not rows:
        return [f"<p>{word('no_standard', lang)}</p>"]
    body = []
    for r in rows:
        mean = _area_mean(ctx, r["standard"], r["area"])
        body.append(
            [
                escape(_sname(ctx, r["standard"])),
                escape(area_name(r["area"], lang)),
                escape(_rule(ctx, r["standard"], r["area"])),
                _rate_cell(r["rate"]),
                _num(mean, 1),
            ]
        )
    w = WORDS[lang]
    head = [w["h_standard"], w["h_area"], w["h_rule"], w["h_coverage"], w["h_mean"]]
    parts = [html_table(head, body, left=3), f'<p class="small">{word("gap_note", lang)}</p>']
    if ch is not None:
        colon = "：" if lang == "zh" else ": "
        bars = [
            (
                f"{_sname(ctx, r['standard'])} · {area_name(r['area'], lang)}{colon}"
                + _rule(ctx, r["standard"], r["area"]),
                r["rate"],
            )
            for r in rows
        ]
        fig = ch.standard_coverage_chart(
            bars, title=word("chart_coverage", lang), xlabel=word("chart_coverage_x", lang)
        )
        parts.append(_img(fig, word("chart_coverage", lang)))
    return parts


def _area_mean(ctx: dict[str, Any], name: str, area: str) -> float:
    """Population-weighted mean of the time a standard is checked against (its own mode), over
    the reachable villages of one area type."""
    t, villages = ctx["tables"], ctx["villages"]
    col = f"{name}_value_min"
    if col not in t["compliance"] or t["area_type"] not in villages.columns:
        return math.nan
    v = pd.to_numeric(t["compliance"][col], errors="coerce")
    pop_col = t["populations"].get(name, "population")
    if pop_col not in villages.columns:
        return math.nan
    w = pd.to_numeric(villages[pop_col], errors="coerce").fillna(0)
    at = villages[t["area_type"]].astype("string").str.strip().str.lower() == area
    m = at.fillna(False).to_numpy(dtype=bool) & np.isfinite(v.to_numpy(dtype=float))
    return float(np.average(v[m], weights=w[m])) if m.any() and w[m].sum() > 0 else math.nan


def coverage_section(ctx: dict[str, Any]) -> list[str]:
    t, lang, _townships = ctx["tables"], ctx["lang"], ctx["townships"]
    cov, unit = t["coverage"], t["unit"]
    w = WORDS[lang]
    parts = []
    if len(cov):
        parts.append(f"<h3>{w['overall']}</h3>")
        rows = []
        for name in dict.fromkeys(cov["standard"]):
            sub = cov[cov["standard"] == name]
            cells = [escape(_sname(ctx, name))]
            for grouping, group in (("all", "all"), ("area_type", "urban"), ("area_type", "rural")):
                r = sub[(sub["grouping"] == grouping) & (sub["group"].astype(str) == group)]
                cells.append(_rate_cell(r["coverage_rate"].iloc[0] if len(r) else np.nan))
            allrow = sub[sub["grouping"] == "all"].iloc[0]
            cells.append(_num(allrow["population"] - allrow["population_meeting"], 0))
            cells.append(f"{int(allrow['villages'] - allrow['villages_meeting'])}")
            rows.append(cells)
        head = [w["h_standard"], area_name("overall", lang), area_name("urban", lang)]
        head += [area_name("rural", lang), w["h_people_not"], w["h_villages_not"]]
        parts.append(html_table(head, rows))
        if unit:
            parts.append(f"<h3>{w['by_unit']}</h3>")
            parts.append(_coverage_by_unit(ctx, cov, unit))
    if len(t["skipped"]):
        parts.append(
            '<p class="note">'
            + ("未检验：" if lang == "zh" else "Not evaluated: ")
            + "; ".join(
                f"{escape(_sname(ctx, r.standard))} ({escape(area_name(r.area_type, lang))}): "
                + escape(_skip_text(t, r, lang))
                for r in t["skipped"].itertuples()
            )
            + "</p>"
        )
    return parts


def _skip_text(t: dict[str, Any], r: Any, lang: str) -> str:
    """Why a standard was not checked; in Chinese without column names."""
    if lang != "zh":
        return str(r.reason)
    std = t["standards"]
    rows = std[(std["name"] == r.standard) & (std["area_type"] == r.area_type)]
    mode = mode_name(rows["mode"].iloc[0], lang) if len(rows) else ""
    return f"缺少{mode}出行时间数据"


def _coverage_by_unit(ctx: dict[str, Any], cov: pd.DataFrame, unit: str) -> str:
    sub = cov[cov["grouping"] == unit]
    pivot = sub.pivot(index="group", columns="standard", values="coverage_rate")
    pivot = pivot[[s for s in dict.fromkeys(cov["standard"]) if s in pivot.columns]]
    rows = []
    for g, r in pivot.iterrows():
        rows.append([escape(_township_label(ctx, g))] + [_rate_cell(v) for v in r.to_numpy()])
    head = [WORDS[ctx["lang"]]["h_township"], *[escape(_sname(ctx, s)) for s in pivot.columns]]
    return html_table(head, rows)


def inequality_section(ctx: dict[str, Any]) -> list[str]:
    t, villages, ch, lang = ctx["tables"], ctx["villages"], ctx["charts"], ctx["lang"]
    ineq, unit = t["inequality"], t["unit"]
    rows = []
    for s in t["services"]:
        r = ineq.loc[s]
        cv_cell = _num(r.get("cv"), 3)
        limit = {"primary_school": eq.CV_LIMIT_PRIMARY, "junior_school": eq.CV_LIMIT_JUNIOR}.get(s)
        if limit is not None and np.isfinite(r.get("cv", np.nan)):
            cls = "bad" if r["cv"] > limit else "good"
            cv_cell = f'<td class="{cls}">{cv_cell} (≤ {limit:.2f})</td>'
        rows.append(
            [
                escape(_sname(ctx, s)),
                _num(r.get("mean"), 1),
                _num(r.get("mean_urban"), 1),
                _num(r.get("mean_rural"), 1),
                _num(r.get("gini"), 3),
                _num(r.get("theil_t"), 3),
                fmt_pct(r.get("between_share")),
                fmt_pct(r.get("between_share_unit")) if "between_share_unit" in ineq else "–",
                cv_cell,
                _num(r.get("concentration_index"), 3),
            ]
        )
    if lang == "zh":
        head = ["服务", "平均（分钟）", "城镇", "农村", "基尼系数", "泰尔指数T", "城乡组间占比"]
        head += ["乡镇组间占比", "差异系数", "集中指数（收入）"]
    else:
        head = ["service", "mean (min)", "urban", "rural", "Gini", "Theil T", "between urban/rural"]
        head += [f"between {escape(unit or 'units')}", "CV", "conc. index (income)"]
    parts = [html_table(head, rows)]
    if ch is not None:
        curves = {}
        for s, col in t["columns"].items():
            try:
                v = eq.fill_unreachable(villages[col], t["fills"][s])
                curves[_sname(ctx, s)] = eq.lorenz_curve(v, villages[t["populations"][s]])
            except (InvalidValueError, ValueError):
                continue
        if curves:
            kw = {}
            if lang == "zh":
                kw = {
                    "xlabel": "人口累计比例（出行时间由短到长）",
                    "ylabel": "人·分钟累计比例",
                    "equality_label": "完全均衡线",
                }
            fig = ch.lorenz_chart(curves, title=word("chart_lorenz", lang), **kw)
            parts.append(_img(fig, word("chart_lorenz", lang)))
    return parts


def distributions_section(ctx: dict[str, Any]) -> list[str]:
    """Per service, the share of urban and of rural people within x minutes, each in the travel
    mode of its own standard (the times the standard was checked against), with that standard
    dashed."""
    t, villages, ch, lang = ctx["tables"], ctx["villages"], ctx["charts"], ctx["lang"]
    if ch is None:
        return []
    ev, comp = t["evaluated"], t["compliance"]
    frame = pd.DataFrame(villages.drop(columns=getattr(villages, "geometry", pd.Series()).name)
                         if hasattr(villages, "geometry") else villages)  # fmt: skip
    thresholds, columns, pops = {}, {}, {}
    for s in t["services"]:
        d = {}
        for area in ("urban", "rural"):
            rows_ = ev[(ev["name"] == s) & ev["area_type"].isin([area, "all"])]
            rows_ = rows_[rows_["unit"] == "min"]
            if len(rows_):
                d[area] = float(rows_["threshold"].iloc[0])
        label = _sname(ctx, s)
        own = f"{s}_value_min"
        if own in comp.columns:
            frame[f"_own_{s}"] = comp[own].reindex(frame.index)
            columns[label] = f"_own_{s}"
        else:
            columns[label] = t["columns"][s]
        thresholds[label] = d
        pops[label] = t["populations"][s]
    chart = ch.distribution_chart(
        frame,
        columns,
        area_type=t["area_type"],
        population=pops,
        thresholds=thresholds,
        xlabel=word("chart_dist_x", lang),
        title=word("chart_dist", lang),
        ylabel="可到达人口比例（%）" if lang == "zh" else "Population reached (%)",
        group_labels={a: area_name(a, lang) for a in ("urban", "rural")},
        dashed_note="（虚线：各自的标准）" if lang == "zh" else "  (dashed: each one's standard)",
    )
    return [_img(chart, word("chart_dist", lang))]


def map_section(ctx: dict[str, Any]) -> list[str]:
    t, villages, ch, lang = ctx["tables"], ctx["villages"], ctx["charts"], ctx["lang"]
    if ch is None or not hasattr(villages, "geometry"):
        return []
    columns = {_sname(ctx, s): c for s, c in t["columns"].items()}
    fig = ch.village_map(
        villages,
        columns,
        units=ctx["townships"],
        title=word("chart_map", lang),
        colorbar_label="分钟" if lang == "zh" else "min",
    )
    return [_img(fig, word("chart_map", lang)), f'<p class="small">{word("map_note", lang)}</p>']


def clusters_section(ctx: dict[str, Any]) -> list[str]:
    t, villages, ch, lang = ctx["tables"], ctx["villages"], ctx["charts"], ctx["lang"]
    cl = t["clusters"]
    if cl is None or not len(cl):
        return [f"<p>{word('clusters_none', lang)}</p>"]
    rows = [
        [
            escape(_sname(ctx, s)),
            _num(r["morans_i"], 3),
            _num(r["p_sim"], 3),
            f"{int(r['hot_spot_villages'])}",
            _num(r["hot_spot_population"], 0),
        ]
        for s, r in cl.iterrows()
    ]
    if lang == "zh":
        head = ["服务", "莫兰指数", "伪p值", "集聚区村庄数", "集聚区人口"]
        note = (
            f"k = {int(cl['k'].iloc[0])} 个最近邻，行标准化；集聚区为伪p值 ≤ 0.05 的高-高局部集聚"
            "（未做多重检验校正，仅提示值得关注的地方）。"
        )
    else:
        head = ["service", "Moran's I", "pseudo p", "hot-spot villages", "people there"]
        note = (
            f"k = {int(cl['k'].iloc[0])} nearest neighbours, row-standardised; hot spots are "
            "High-High local clusters with pseudo p ≤ 0.05 (not corrected for multiple testing: "
            "read them as places to look at)."
        )
    parts = [html_table(head, rows), f'<p class="small">{note}</p>']
    if ch is not None and t["lisa"] and hasattr(villages, "geometry"):
        flags = {_sname(ctx, s): t["lisa"][s]["poor_access_cluster"] for s in t["lisa"]}
        title = "可达性较差的集聚区" if lang == "zh" else "Hot spots of poor access"
        parts.append(
            _img(ch.cluster_map(villages, flags, units=ctx["townships"], title=title), title)
        )
    return parts


def _village_label(row: Any, lang: str, short: bool = False) -> str:
    """Chinese name with pinyin (zh) or pinyin with the Chinese name (en); never mixed."""
    zh = row.get("name") if hasattr(row, "get") else None
    py = row.get("name_pinyin") if hasattr(row, "get") else None
    zh = None if zh is None or (isinstance(zh, float) and math.isnan(zh)) else str(zh)
    py = None if py is None or (isinstance(py, float) and math.isnan(py)) else str(py)
    if zh and py:
        if short:
            return zh if lang == "zh" else py
        return f"{zh}（{py}）" if lang == "zh" else f"{py} ({zh})"
    return zh or py or (str(row.iloc[1]) if hasattr(row, "iloc") else "")


def _township_label(ctx: dict[str, Any], code: Any, short: bool = False) -> str:
    # one look-up per township and form (the report asks for each many times)
    known = ctx.setdefault("township_labels", {})
    key = (code is None, str(code), short)
    if key not in known:
        known[key] = _find_township_label(ctx, code, short)
    return known[key]


def _find_township_label(ctx: dict[str, Any], code: Any, short: bool) -> str:
    towns = ctx["townships"]
    unit = ctx["tables"].get("unit")
    if towns is None or unit is None or unit not in getattr(towns, "columns", []):
        return "" if code is None else str(code)
    hit = towns[towns[unit].astype(str) == str(code)]
    if not len(hit):
        return str(code)
    r = hit.iloc[0]
    zh = r.get("name")
    py = r.get("name_pinyin") if "name_pinyin" in towns.columns else None
    if not isinstance(zh, str) or not zh:
        return str(code)
    py = py if isinstance(py, str) and py else str(code)
    if short:
        return zh if ctx["lang"] == "zh" else py
    return f"{zh}（{py}）" if ctx["lang"] == "zh" else f"{py} ({zh})"


def underserved_section(ctx: dict[str, Any]) -> list[str]:
    t, lang = ctx["tables"], ctx["lang"]
    u, unit = t["underserved"], t["unit"]
    w = WORDS[lang]
    if not len(u):
        return [f"<p>{w['all_met']}</p>"]
    parts = []
    for name in dict.fromkeys(u["standard"]):
        sub = u[u["standard"] == name]
        parts.append(f"<h3>{escape(_sname(ctx, name))}</h3>")
        rows = []
        for _, r in sub.iterrows():
            rows.append(
                [
                    f"{r['rank']}",
                    escape(_village_label(r, lang)),
                    escape(_township_label(ctx, r.get(unit))) if unit else "",
                    escape(area_name(str(r.get(t["area_type"], "")), lang)),
                    _num(r["population"], 0),
                    w["unreachable"] if np.isinf(r["value"]) else _num(r["value"], 1),
                    _num(r["threshold"], 0),
                    _num(r["shortfall"], 1),
                    _num(r["score"], 0),
                ]
            )
        head = [w["h_rank"], w["h_village"], w["h_township"], w["h_area"], w["h_people"]]
        head += [w["h_value"], w["h_threshold"], w["h_shortfall"], w["h_score"]]
        parts.append(html_table(head, rows, left=4))
    return parts


def methods_section(ctx: dict[str, Any]) -> list[str]:
    """The data, the speeds used, the standards with their sources, and the methods."""
    t, lang, methods = ctx["tables"], ctx["lang"], ctx["methods"]
    w = WORDS[lang]
    parts = []
    if methods.get("data"):
        parts.append(f"<h3>{w['data']}</h3><ul>")
        parts.append("".join(f"<li>{escape(line)}</li>" for line in methods["data"]) + "</ul>")
    speeds = methods.get("speeds")
    if speeds is not None and len(speeds):
        parts.append(f"<h3>{w['speeds']}</h3>")
        head = [w["h_road"], *[escape(mode_name(m, lang)) for m in speeds.columns]]
        rows = [[escape(cls), *[_num(v, 0) for v in r.to_numpy()]] for cls, r in speeds.iterrows()]
        parts.append(html_table(head, rows))
    parts.append(f"<h3>{w['standards_used']}</h3>")
    rows = []
    for r in t["standards"].itertuples(index=False):
        source = r.source_zh if lang == "zh" and getattr(r, "source_zh", "") else r.source
        note = r.note if lang == "en" else ""
        rows.append(
            [
                escape(_sname(ctx, r.name)),
                escape(area_name(r.area_type, lang)),
                escape(mode_name(r.mode, lang)),
                f"{r.threshold:g} {escape('分钟' if lang == 'zh' and r.unit == 'min' else r.unit)}",
                escape(level_name(r.level, lang)),
                escape(source) + (f'<br><span class="small">{escape(note)}</span>' if note else ""),
            ]
        )
    head = [w["h_standard"], w["h_area"], w["h_mode"], w["h_threshold"], w["h_level"]]
    parts.append(html_table([*head, w["h_source"]], rows, left=3))
    parts.append(f'<p class="small">{w["levels"]}</p>')
    parts.append(f'<p class="small">{w["methods"]}</p>')
    return parts


#: The sections in page order: (anchor, title per language, function of the context).
SECTIONS: list[Section] = [
    ("findings", _titles("findings"), findings_section),
    ("read", _titles("read"), guide_section),
    ("gap", _titles("gap"), gap_section),
    ("coverage", _titles("coverage"), coverage_section),
    ("inequality", _titles("inequality"), inequality_section),
    ("distributions", _titles("distributions"), distributions_section),
    ("map", _titles("map"), map_section),
    ("clusters", _titles("clusters"), clusters_section),
    ("underserved", _titles("underserved"), underserved_section),
    ("standards", _titles("standards"), methods_section),
]


def _rate_cell(rate: Any) -> str:
    return f'<td class="{_rate_class(rate)}">{fmt_pct(rate)}</td>'


def _no_standard_note(t: dict[str, Any]) -> str:
    """Plain words for a report where no standard applies to any service (else "")."""
    if len(t["standards"]):
        return ""
    known = ", ".join(t.get("standard_services") or []) or "none"
    return (
        '<p class="note"><b>No standard applies to the services of this report</b> ('
        + escape(", ".join(t["services"]))
        + "), so coverage against standards (达标率) is not computed. The standards table used "
        "is written for these services: "
        + escape(known)
        + ". To check your services, write your own standards file: "
        '<code>accessibility.standards.write_default_standards("my_standards.toml")</code> '
        "writes a copy of the built-in one to edit; name an entry after your service, or list "
        "your services in its <code>services</code>. Then set "
        '<code>[equity] standards = "my_standards.toml"</code> in the project file (or pass '
        "<code>standards=</code> to <code>write_report</code>). Travel times, inequality and "
        "the maps below do not depend on standards.</p>"
    )


def _num(value: Any, digits: int = 2) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return escape(value)
    return fmt_num(0.0 if round(v, digits) == 0 else v, digits)  # no "-0.00"


def _rate_class(value: Any) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return ""
    if math.isnan(v):
        return ""
    return "good" if v >= 0.9 else ("warn" if v >= 0.6 else "bad")


def _img(fig: Any, alt: str) -> str:
    from ..charts import figure_png_base64

    data = figure_png_base64(fig)
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def _generated_on() -> str:
    """The date the report says it was made: ``SOURCE_DATE_EPOCH`` when set, else today."""
    from .._files import output_timestamp

    stamp = output_timestamp()
    return (stamp.date() if stamp is not None else _dt.date.today()).isoformat()
