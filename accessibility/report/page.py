"""The report as one HTML page: ``templates/report.html`` filled with the report's sections.

The page's fixed text (headings, how to read it, methods) is in the template; the functions here
turn the tables of :func:`accessibility.report.report_tables` into HTML fragments (tables, notes,
charts as base64 PNG), one function per section.
"""

from __future__ import annotations

import datetime as _dt
import html
import math
from importlib import resources
from string import Template
from typing import Any

import numpy as np
import pandas as pd

from .. import equity as eq
from ..errors import InvalidValueError
from .bus import bus_section

_CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",
"WenQuanYi Micro Hei",system-ui,sans-serif;margin:0;color:#222;background:#fafafa;line-height:1.45}
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
"""


def report_html(
    tables: dict[str, Any],
    villages: pd.DataFrame,
    *,
    townships: Any = None,
    title: str = "Accessibility and equity of public services",
    subtitle: str | None = None,
    charts: bool = True,
) -> str:
    """Render the tables of :func:`report_tables` (and charts) as one HTML document."""
    from .. import charts as ch

    t = tables
    c = t["counts"]
    chart = ch if charts else None
    mode = _e(c["mode"] or "as given")
    sections = {
        "gap": _gap_section(t, chart),
        "coverage": _coverage_section(t, townships),
        "inequality": _inequality_section(t, villages, chart),
        "distributions": _distributions_section(t, villages, chart),
        "map": _map_section(t, villages, townships, chart),
        "clusters": _clusters_section(t, villages, townships, chart),
        "underserved": _underserved_section(t),
        "standards": _standards_section(t) + bus_section(villages),  # by bus (report/bus.py)
    }
    template = Template(
        resources.files("accessibility.report")
        .joinpath("templates/report.html")
        .read_text(encoding="utf-8")
    )
    return template.substitute(
        title=_e(title),
        css=_CSS,
        subtitle=f"\n<p>{_e(subtitle)}</p>" if subtitle else "",
        generated_on=_generated_on(),
        villages=c["villages"],
        population=_num(c["population"], 0),
        urban_villages=c["urban_villages"],
        urban_population=_num(c["urban_population"], 0),
        rural_villages=c["rural_villages"],
        rural_population=_num(c["rural_population"], 0),
        services=len(t["services"]),
        mode=mode,
        no_standard_note=_no_standard_note(t),
        findings=_lines(f"<li>{f}</li>" for f in _findings(t)),
        **{name: _lines(parts) for name, parts in sections.items()},
    )


def _lines(parts: Any) -> str:
    """Fragments, each on a new line after what precedes it in the template."""
    return "".join("\n" + p for p in parts)


def _gap_section(t: dict[str, Any], ch: Any) -> list[str]:
    gap = t["gap"]
    if not len(gap):
        return ["<p>No standard could be checked against this layer.</p>"]
    rows = []
    for name, g in gap.iterrows():
        rows.append(
            [
                _e(name),
                _e(_standard_label(t["evaluated"], name, "urban")),
                _rate_cell(g["coverage_urban"]),
                _e(_standard_label(t["evaluated"], name, "rural")),
                _rate_cell(g["coverage_rural"]),
                _num(g.get("coverage_gap_pp"), 1),
                _num(g.get("mean_urban"), 1),
                _num(g.get("mean_rural"), 1),
                _num(g.get("rural_to_urban_ratio"), 2),
            ]
        )
    head = ["standard", "urban standard", "urban coverage", "rural standard", "rural coverage"]
    head += ["gap (pp)", "urban mean time (min)", "rural mean time (min)", "rural / urban"]
    parts = [
        _table(head, rows),
        '<p class="small">Mean times are population-weighted over reachable villages, by the '
        "main travel mode; gap = urban minus rural coverage in percentage points.</p>",
    ]
    if ch is not None:
        parts.append(_img(ch.coverage_gap_chart(gap), "coverage urban vs rural"))
    return parts


def _coverage_section(t: dict[str, Any], townships: Any) -> list[str]:
    cov, unit = t["coverage"], t["unit"]
    parts = []
    if len(cov):
        parts.append("<h3>Overall, urban and rural</h3>")
        rows = []
        for name in dict.fromkeys(cov["standard"]):
            sub = cov[cov["standard"] == name]
            cells = [_e(name), _e(sub["population_column"].iloc[0])]
            for grouping, group in (("all", "all"), ("area_type", "urban"), ("area_type", "rural")):
                r = sub[(sub["grouping"] == grouping) & (sub["group"].astype(str) == group)]
                cells.append(_rate_cell(r["coverage_rate"].iloc[0] if len(r) else np.nan))
            allrow = sub[sub["grouping"] == "all"].iloc[0]
            cells.append(_num(allrow["population"] - allrow["population_meeting"], 0))
            cells.append(f"{int(allrow['villages'] - allrow['villages_meeting'])}")
            rows.append(cells)
        head = ["standard", "people counted", "overall", "urban", "rural"]
        head += ["people not meeting", "villages not meeting"]
        parts.append(_table(head, rows, left=2))
        if unit:
            parts.append(f"<h3>By {_e(unit)}</h3>")
            parts.append(_coverage_by_unit(cov, unit, townships))
    if len(t["skipped"]):
        parts.append(
            '<p class="note">Not evaluated: '
            + "; ".join(
                f"{_e(r.standard)} ({_e(r.area_type)}): {_e(r.reason)}"
                for r in t["skipped"].itertuples()
            )
            + ". Compute travel times for those modes and pass them with "
            "<code>standard_columns</code>, or edit the standards.</p>"
        )
    return parts


def _coverage_by_unit(cov: pd.DataFrame, unit: str, townships: Any) -> str:
    sub = cov[cov["grouping"] == unit]
    pivot = sub.pivot(index="group", columns="standard", values="coverage_rate")
    pivot = pivot[[s for s in dict.fromkeys(cov["standard"]) if s in pivot.columns]]
    names = _unit_names(townships, unit)
    rows = []
    for g, r in pivot.iterrows():
        label = _e(g) + (f" {_e(names[g])}" if g in names else "")
        rows.append([label] + [_rate_cell(v) for v in r.to_numpy()])
    return _table([_e(unit), *[_e(s) for s in pivot.columns]], rows)


def _inequality_section(t: dict[str, Any], villages: pd.DataFrame, ch: Any) -> list[str]:
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
                _e(s),
                _num(r.get("mean"), 1),
                _num(r.get("mean_urban"), 1),
                _num(r.get("mean_rural"), 1),
                _num(r.get("gini"), 3),
                _num(r.get("theil_t"), 3),
                _pct(r.get("between_share")),
                _pct(r.get("between_share_unit")) if "between_share_unit" in ineq else "–",
                _num(r.get("theil_l"), 3),
                cv_cell,
                _num(r.get("palma"), 2),
                _num(r.get("concentration_index"), 3),
            ]
        )
    head = ["service", "mean (min)", "urban", "rural", "Gini", "Theil T", "between urban/rural"]
    head += [f"between {_e(unit or 'units')}", "Theil L", "CV", "Palma", "conc. index (income)"]
    notes = [
        f"{_e(s)}: {_e(part)}"
        for s, n in ineq["notes"].items()
        for part in str(n).split("; ")
        if n and "unreachable village(s) set to" not in part
    ]
    fills = [f"{_e(s)} {_num(v, 1)} min" for s, v in t["fills"].items() if np.isfinite(v)]
    parts = [
        _table(head, rows),
        '<p class="small">Population-weighted (school services by school-age children, elder '
        "care by elderly residents, when the layer has those columns). Unreachable villages are "
        f"counted at: {', '.join(fills)}.</p>",
    ]
    if notes:
        parts.append('<p class="small">' + "<br>".join(notes) + "</p>")
    if ch is not None:
        curves = {}
        for s, col in t["columns"].items():
            try:
                v = eq.fill_unreachable(villages[col], t["fills"][s])
                curves[s] = eq.lorenz_curve(v, villages[t["populations"][s]])
            except (InvalidValueError, ValueError):
                continue
        if curves:
            parts.append(
                _img(ch.lorenz_chart(curves, title="Lorenz curves of travel time"), "Lorenz")
            )
    return parts


def _distributions_section(t: dict[str, Any], villages: pd.DataFrame, ch: Any) -> list[str]:
    if ch is None:
        return []
    mode = t["counts"]["mode"]
    thresholds = {}
    ev = t["evaluated"]
    for s in t["services"]:
        d = {}
        for area in ("urban", "rural"):
            rows_ = ev[(ev["name"] == s) & ev["area_type"].isin([area, "all"])]
            rows_ = rows_[(rows_["unit"] == "min") & (rows_["mode"] == (mode or rows_["mode"]))]
            if len(rows_):
                d[area] = float(rows_["threshold"].iloc[0])
        thresholds[s] = d
    chart = ch.distribution_chart(
        villages,
        t["columns"],
        area_type=t["area_type"],
        population=t["populations"],
        thresholds=thresholds,
    )
    return [_img(chart, "distributions")]


def _map_section(t: dict[str, Any], villages: Any, townships: Any, ch: Any) -> list[str]:
    if ch is None or not hasattr(villages, "geometry"):
        return []
    return [
        _img(ch.village_map(villages, t["columns"], units=townships), "map of travel times"),
        '<p class="small">Colours stop at the 95th percentile of each service (darkest = '
        "that or longer); crosses mark unreachable villages.</p>",
    ]


def _clusters_section(t: dict[str, Any], villages: Any, townships: Any, ch: Any) -> list[str]:
    cl = t["clusters"]
    if cl is None or not len(cl):
        return ["<p>Not computed (needs esda and libpysal, and at least 5 villages).</p>"]
    rows = [
        [
            _e(s),
            _num(r["morans_i"], 3),
            _num(r["p_sim"], 3),
            f"{int(r['hot_spot_villages'])}",
            _num(r["hot_spot_population"], 0),
        ]
        for s, r in cl.iterrows()
    ]
    head = ["service", "Moran's I", "pseudo p", "hot-spot villages", "people concerned there"]
    parts = [
        _table(head, rows),
        f'<p class="small">k = {int(cl["k"].iloc[0])} nearest neighbours, row-standardised; '
        "hot spots are High-High local clusters with pseudo p ≤ 0.05 (not corrected for "
        "multiple testing: read them as places to look at).</p>",
    ]
    if ch is not None and t["lisa"] and hasattr(villages, "geometry"):
        flags = {s: t["lisa"][s]["poor_access_cluster"] for s in t["lisa"]}
        parts.append(_img(ch.cluster_map(villages, flags, units=townships), "hot spots"))
    return parts


def _underserved_section(t: dict[str, Any]) -> list[str]:
    u, unit = t["underserved"], t["unit"]
    if not len(u):
        return ["<p>Every village meets every standard checked.</p>"]
    id_col = u.columns[1]
    parts = []
    for name in dict.fromkeys(u["standard"]):
        sub = u[u["standard"] == name]
        parts.append(f"<h3>{_e(name)}</h3>")
        rows = []
        for r in sub.itertuples(index=False):
            d = r._asdict()
            label = d.get("name") or d[id_col]
            if d.get("name_pinyin"):
                label = f"{label} ({d['name_pinyin']})"
            rows.append(
                [
                    f"{d['rank']}",
                    _e(label),
                    _e(d.get(unit, "")) if unit else "",
                    _e(d.get(t["area_type"], "")),
                    _num(d["population"], 0),
                    "unreachable" if np.isinf(d["value"]) else _num(d["value"], 1),
                    _num(d["threshold"], 0),
                    _num(d["shortfall"], 1),
                    _num(d["score"], 0),
                ]
            )
        unit_txt = _e(sub["unit"].iloc[0])
        head = ["rank", "village", _e(unit or ""), "area", "people", f"value ({unit_txt})"]
        head += ["standard", "shortfall", "people × shortfall"]
        parts.append(_table(head, rows, left=4))
    return parts


def _standards_section(t: dict[str, Any]) -> list[str]:
    rows = []
    for r in t["standards"].itertuples(index=False):
        rows.append(
            [
                _e(r.name),
                _e(r.area_type),
                _e(", ".join(r.services)),
                _e(r.mode),
                f"{r.threshold:g} {_e(r.unit)}",
                _e(r.level),
                _e(r.source) + (f'<br><span class="small">{_e(r.note)}</span>' if r.note else ""),
            ]
        )
    head = ["standard", "area", "services", "mode", "threshold", "level", "source"]
    return [_table(head, rows, left=4)]


def _rate_cell(rate: Any) -> str:
    return f'<td class="{_rate_class(rate)}">{_pct(rate)}</td>'


def _no_standard_note(t: dict[str, Any]) -> str:
    """Plain words for a report where no standard applies to any service (else "")."""
    if len(t["standards"]):
        return ""
    known = ", ".join(t.get("standard_services") or []) or "none"
    return (
        '<p class="note"><b>No standard applies to the services of this report</b> ('
        + _e(", ".join(t["services"]))
        + "), so coverage against standards (达标率) is not computed. The standards table used "
        "is written for these services: "
        + _e(known)
        + ". To check your services, write your own standards file: "
        '<code>accessibility.standards.write_default_standards("my_standards.toml")</code> '
        "writes a copy of the built-in one to edit; name an entry after your service, or list "
        "your services in its <code>services</code>. Then set "
        '<code>[equity] standards = "my_standards.toml"</code> in the project file (or pass '
        "<code>standards=</code> to <code>write_report</code>). Travel times, inequality and "
        "the maps below do not depend on standards.</p>"
    )


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _num(value: Any, digits: int = 2) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return _e(value)
    if math.isnan(v):
        return "–"
    if math.isinf(v):
        return "∞"
    if round(v, digits) == 0:
        v = 0.0  # no "-0.00"
    return f"{v:,.{digits}f}"


def _pct(value: Any) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "–"
    return "–" if math.isnan(v) else f"{100 * v:.1f}%"


def _rate_class(value: Any) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return ""
    if math.isnan(v):
        return ""
    return "good" if v >= 0.9 else ("warn" if v >= 0.6 else "bad")


def _table(header: list[str], rows: list[list[str]], *, left: int = 1) -> str:
    head = "".join(
        f'<th class="t">{h}</th>' if i < left else f"<th>{h}</th>" for i, h in enumerate(header)
    )
    body = []
    for r in rows:
        cells = []
        for i, c in enumerate(r):
            if c.startswith("<td"):
                cells.append(c)
            else:
                cells.append(f'<td class="t">{c}</td>' if i < left else f"<td>{c}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _img(fig: Any, alt: str) -> str:
    from ..charts import figure_png_base64

    data = figure_png_base64(fig)
    fig.clear()
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def _standard_label(evaluated: pd.DataFrame, name: str, area: str) -> str:
    rows = evaluated[(evaluated["name"] == name) & (evaluated["area_type"].isin([area, "all"]))]
    if not len(rows):
        return "–"
    r = rows.iloc[0]
    return f"{r['mode']} ≤ {r['threshold']:g} {r['unit']}"


def _findings(t: dict[str, Any]) -> list[str]:
    out = []
    gap = t["gap"]
    if len(gap) and "rural_to_urban_ratio" in gap.columns:
        ratios = gap["rural_to_urban_ratio"].dropna()
        if len(ratios):
            worst = ratios.idxmax()
            g = gap.loc[worst]
            out.append(
                f"The largest urban-rural gap in travel time is for <b>{_e(worst)}</b>: rural "
                f"residents need on average {_num(g['mean_rural'], 1)} min, urban residents "
                f"{_num(g['mean_urban'], 1)} min ({_num(g['rural_to_urban_ratio'], 1)} times as "
                "long)."
            )
    cov = t["coverage"]
    if len(cov):
        overall = cov[cov["grouping"] == "all"].set_index("standard")["coverage_rate"].dropna()
        if len(overall):
            low = overall.idxmin()
            out.append(
                f"Lowest coverage against its standard: <b>{_e(low)}</b>, "
                f"{_pct(overall[low])} of the people concerned meet it."
            )
            n_full = int((overall >= 0.999).sum())
            out.append(f"{n_full} of {len(overall)} standards are met by (almost) everyone.")
    ineq = t["inequality"]
    if "gini" in ineq and ineq["gini"].notna().any():
        g = ineq["gini"].dropna()
        out.append(
            f"Most unequal access (Gini of travel time): <b>{_e(g.idxmax())}</b> "
            f"({_num(g.max(), 2)}); least unequal: {_e(g.idxmin())} ({_num(g.min(), 2)})."
        )
    if len(t["underserved"]):
        u = t["underserved"]
        finite = u[np.isfinite(u["score"].astype(float))]
        if len(finite):
            top = finite.sort_values("score", ascending=False).iloc[0]
            name = top.get("name", top.iloc[1])
            out.append(
                f"Most underserved village overall: <b>{_e(name)}</b> for {_e(top['standard'])} "
                f"({_num(top['population'], 0)} people, {_num(top['shortfall'], 1)} "
                f"{_e(top['unit'])} beyond the standard)."
            )
    if len(t["skipped"]):
        out.append(
            f"{len(t['skipped'])} standard entries could not be checked (see "
            '<a href="#standards">Standards</a>).'
        )
    return out


def _unit_names(townships: Any, unit: str | None) -> dict:
    if townships is None or unit is None or unit not in getattr(townships, "columns", []):
        return {}
    if "name" not in townships.columns:
        return {}
    return dict(zip(townships[unit], townships["name"], strict=False))


def _generated_on() -> str:
    """The date the report says it was made: ``SOURCE_DATE_EPOCH`` when set, else today."""
    from .._files import output_timestamp

    stamp = output_timestamp()
    return (stamp.date() if stamp is not None else _dt.date.today()).isoformat()
