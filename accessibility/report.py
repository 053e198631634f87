"""One self-contained HTML report on balance and equity of access (no external resources).

:func:`report_tables` computes every table of the report from the per-village layer (so the CLI can
also write them to CSV or a GeoPackage); :func:`report_html` renders them with charts embedded as
base64 PNG; :func:`write_report` writes the file atomically.

Sections: key findings; how to read the report; the urban-rural gap per service; coverage against
the planning standards (overall, urban, rural, by township); inequality indices with Lorenz
curves; urban vs rural distributions; a per-village map of travel times; spatial clusters of poor
access; the most underserved villages; the standards and methods used.

Examples
--------
>>> import accessibility as acc
>>> from accessibility.report import write_report
>>> demo = acc.load_demo()  # doctest: +SKIP
>>> layer = acc.accessibility_layer(acc.network_from_roads(demo.roads), demo.villages,
...                                 demo.facilities)  # doctest: +SKIP
>>> write_report("report.html", layer, townships=demo.townships)  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
import html
import logging
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import equity as eq
from ._files import atomic_path, final_path
from .errors import InvalidValueError, MissingColumnError

__all__ = ["report_html", "report_tables", "write_report"]

logger = logging.getLogger(__name__)

_SERVICE_ORDER = (
    "hospital",
    "health_centre",
    "clinic",
    "primary_school",
    "junior_school",
    "elder_care",
    "day_care",
)


# --------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------


def _services(villages: pd.DataFrame, time_column: str, services: Iterable[str] | None) -> list:
    if services is not None:
        found = list(services)
        missing = [s for s in found if time_column.format(service=s, mode="") not in villages]
        if missing:
            raise MissingColumnError(
                f"report: no time column for service(s) {missing} (pattern {time_column!r})"
            )
        return found
    prefix, _, suffix = time_column.partition("{service}")
    found = [
        c[len(prefix) : len(c) - len(suffix)]
        for c in villages.columns
        if isinstance(c, str)
        and c.startswith(prefix)
        and c.endswith(suffix)
        and len(c) > len(prefix + suffix)
    ]
    known = [s for s in found if s in _SERVICE_ORDER]
    # "clinic_walk" from "clinic_walk_nearest_min" is a variant of "clinic", not a service
    found = known + [
        s for s in found if s not in known and not any(s.startswith(k + "_") for k in found)
    ]
    if not found:
        raise MissingColumnError(
            f"report: the villages have no columns matching {time_column!r}; pass time_column= "
            "to match your per-village layer (e.g. '{service}_nearest_min')"
        )
    order = {s: i for i, s in enumerate(_SERVICE_ORDER)}
    return sorted(set(found), key=lambda s: (order.get(s, 99), s))


def report_tables(
    villages: pd.DataFrame,
    *,
    standards: pd.DataFrame | str | os.PathLike | None = None,
    services: Iterable[str] | None = None,
    time_column: str = "{service}_nearest_min",
    standard_columns: str | Mapping[str, str] | None = None,
    mode: str | None = "car",
    unit: str = "township",
    population: str = "population",
    area_type: str = "area_type",
    rank_by: str | None = "income_yuan",
    unreachable_fill_min: float | None = None,
    top: int = 15,
    clusters: bool = True,
    k: int = 8,
    permutations: int = 499,
) -> dict[str, Any]:
    """Compute every table of the report.

    Parameters
    ----------
    villages
        Per-village layer (index = village id) with ``time_column`` per service, ``area_type``,
        the population column(s), optionally ``unit`` (township), ``rank_by`` (income) and
        ``name``/``name_pinyin``.
    standards
        Standards table or TOML path (``None``: the built-in Chinese standards).
    services
        Services to report; default: every service with a ``time_column``.
    time_column
        Pattern of the main travel-time columns (minutes), used for inequality, distributions,
        maps and clusters.
    standard_columns
        Column pattern(s) for checking standards (see
        :func:`accessibility.equity.standards_compliance`); default ``time_column`` with the
        layer's ``mode``, so standards for other modes are listed as not evaluated.
    mode
        Travel mode of ``time_column`` ("car"); ``None`` compares every standard with it.
    unit
        Admin-unit column for the per-unit tables (skipped if absent).
    unreachable_fill_min
        Time given to unreachable villages in inequality indices and clusters; default: the
        longest reachable time of that service (a lower bound: they are at least that far).
    top
        Villages per service in the underserved list.
    clusters, k, permutations
        Whether to compute Moran's I / LISA (needs esda and libpysal), neighbours, permutations.

    Returns
    -------
    dict
        Keys ``services``, ``standards``, ``compliance``, ``coverage`` (stacked
        overall/area/unit), ``gap``, ``inequality``, ``unit_summary`` (or None),
        ``underserved``, ``clusters`` (per-service Moran table or None), ``lisa`` (service ->
        per-village LISA frame), ``fills`` (service -> fill used), ``skipped`` (standards not
        evaluated, with reasons), ``populations`` (service -> population column), ``counts``.
    """
    from .standards import load_standards

    if len(villages) == 0:
        raise InvalidValueError("report: the villages layer is empty")
    table = load_standards(standards)
    svc = _services(villages, time_column, services)
    cols = {s: time_column.format(service=s, mode=mode or "") for s in svc}
    # the services any standard is written for (to say so when none of them is reported)
    standard_services = sorted({x for row in table["services"] for x in row})
    # only standards whose services are all reported (a boolean mask: an empty list would
    # select no columns rather than no rows)
    mask = np.array([all(x in svc for x in row) for row in table["services"]], dtype=bool)
    table = table.loc[mask].reset_index(drop=True)
    if not len(table):
        logger.warning(
            "report: no standard applies to the services %s; the standards are written for %s",
            svc,
            standard_services,
        )
    pattern = standard_columns if standard_columns is not None else time_column
    check_mode = mode if standard_columns is None else None
    skipped = []
    keep = []
    for row in table.itertuples(index=False):
        reason = _skip_reason(row, villages, pattern, check_mode)
        if reason:
            skipped.append({"standard": row.name, "area_type": row.area_type, "reason": reason})
        keep.append(reason is None)
    evaluated = table.loc[np.array(keep, dtype=bool)].reset_index(drop=True)
    if len(evaluated):
        compliance = eq.standards_compliance(
            villages,
            evaluated,
            time_column=pattern,
            area_type=area_type,
            mode=check_mode,
            missing="skip",
        )
    else:
        compliance = pd.DataFrame(index=villages.index)
    populations = {}
    for s in svc:
        rows = table[table["name"] == s]
        wanted = [p for p in rows["population"].dropna().unique() if p in villages.columns]
        populations[s] = wanted[0] if wanted else population
    has_unit = unit in villages.columns and villages[unit].notna().all()
    groupings = ["area_type"] if area_type == "area_type" else [area_type]
    if has_unit:
        groupings.append(unit)
    has_rules = any(c.endswith("_meets") for c in compliance.columns)
    coverage = (
        eq.coverage_table(
            villages, compliance, groupings=groupings, population=population, standards=evaluated
        )
        if has_rules
        else pd.DataFrame()
    )
    gap = (
        eq.urban_rural_gap(
            villages,
            compliance,
            column=time_column.replace("{mode}", mode or ""),
            area_type=area_type,
            population=population,
            standards=evaluated,
        )
        if has_rules
        else pd.DataFrame()
    )
    fills = {}
    for s, c in cols.items():
        v = pd.to_numeric(villages[c], errors="coerce")
        finite = v[np.isfinite(v)]
        if unreachable_fill_min is not None:
            fills[s] = float(unreachable_fill_min)
        else:
            fills[s] = float(finite.max()) if len(finite) else math.nan
    inequality = pd.concat(
        [
            eq.inequality_table(
                villages,
                [c],
                population=populations[s],
                groups=area_type if area_type in villages.columns else None,
                rank_by=rank_by if rank_by and rank_by in villages.columns else None,
                unreachable_fill=fills[s] if math.isfinite(fills[s]) else None,
            )
            for s, c in cols.items()
        ]
    )
    inequality.index = list(cols)
    if has_unit:
        shares = {}
        for s, c in cols.items():
            try:
                d = eq.theil_decomposition(
                    eq.fill_unreachable(villages[c], fills[s]),
                    villages[unit],
                    villages[populations[s]],
                )
                shares[s] = d.loc["total", "between_share"]
            except (InvalidValueError, ValueError) as exc:
                logger.info("report: no township decomposition for %s: %s", s, exc)
                shares[s] = math.nan
        inequality["between_share_unit"] = pd.Series(shares)
    summary = (
        eq.unit_summary(
            villages,
            compliance,
            by=unit,
            population=population,
            standards=evaluated,
            value_columns=list(cols.values()),
        )
        if has_unit and has_rules
        else None
    )
    under = (
        eq.underserved(
            villages,
            compliance,
            population=population,
            standards=evaluated,
            top=top,
            columns=("name", "name_pinyin", unit, area_type),
        )
        if has_rules
        else pd.DataFrame()
    )
    moran_rows, lisa = {}, {}
    if clusters and len(villages) >= 5 and hasattr(villages, "geometry"):
        try:
            import esda  # noqa: F401
            import libpysal  # noqa: F401
        except ImportError:
            logger.warning("report: esda/libpysal not installed; spatial clusters skipped")
        else:
            for s, c in cols.items():
                v = eq.fill_unreachable(villages[c], fills[s]) if math.isfinite(fills[s]) else None
                if v is None or v.nunique() < 2:
                    continue
                m = eq.morans_i(v, villages, k=k, permutations=permutations)
                local = eq.local_clusters(v, villages, k=k, permutations=permutations)
                lisa[s] = local
                pop = pd.to_numeric(villages[populations[s]], errors="coerce").fillna(0)
                hot = local["poor_access_cluster"]
                moran_rows[s] = {
                    "morans_i": m["I"],
                    "p_sim": m["p_sim"],
                    "hot_spot_villages": int(hot.sum()),
                    "hot_spot_population": float(pop[hot].sum()),
                    "k": int(m["k"]),
                }
    pop_all = pd.to_numeric(villages[population], errors="coerce").fillna(0)
    area = (
        villages[area_type].astype("string").str.strip().str.lower()
        if (area_type in villages.columns)
        else pd.Series("unknown", index=villages.index)
    )
    counts = {
        "villages": len(villages),
        "population": float(pop_all.sum()),
        "urban_villages": int((area == "urban").sum()),
        "rural_villages": int((area == "rural").sum()),
        "urban_population": float(pop_all[(area == "urban").fillna(False)].sum()),
        "rural_population": float(pop_all[(area == "rural").fillna(False)].sum()),
        "units": int(villages[unit].nunique()) if has_unit else 0,
        "mode": mode,
    }
    return {
        "services": svc,
        "columns": cols,
        "standards": table,
        "evaluated": evaluated,
        "compliance": compliance,
        "coverage": coverage,
        "gap": gap,
        "inequality": inequality,
        "unit_summary": summary,
        "underserved": under,
        "clusters": pd.DataFrame.from_dict(moran_rows, orient="index") if moran_rows else None,
        "lisa": lisa,
        "fills": fills,
        "skipped": pd.DataFrame(skipped, columns=["standard", "area_type", "reason"]),
        "populations": populations,
        "counts": counts,
        "unit": unit if has_unit else None,
        "area_type": area_type,
        "standard_services": standard_services,
    }


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


def _skip_reason(
    row: Any, villages: pd.DataFrame, pattern: str | Mapping[str, str], mode: str | None
) -> str | None:
    """Why a standard entry cannot be checked against this layer (None if it can)."""
    if row.unit == "m":
        p = "{service}_nearest_km"
    elif isinstance(pattern, Mapping):
        if row.mode not in pattern:
            return f"no {row.mode} times given"
        p = pattern[row.mode]
    else:
        if mode is not None and "{mode}" not in pattern and row.mode != mode:
            return f"needs {row.mode} times; the layer has {mode} times"
        p = pattern
    absent = [
        c
        for c in (p.format(service=s, mode=row.mode) for s in row.services)
        if c not in villages.columns
    ]
    return f"column(s) {absent} missing" if absent else None


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

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
    from .charts import figure_png_base64

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


_HOW_TO_READ = """
<ul>
<li><b>Travel time</b> is the time from each village to its nearest facility of a service over the
road network ({mode}). Lower is better. Villages that reach no facility are <i>unreachable</i>; for
inequality indices they count as being as far as the farthest reachable village (a lower bound).</li>
<li><b>Coverage rate (达标率)</b> is the share of the people concerned (all residents, school-age
children or elderly people, as the standard says) living in villages that meet the planning
standard for their area type. Urban and rural villages are measured against <i>their own</i>
standards, which differ (urban life-circle norms are walking times), so compare each with its
standard, not with each other. Green ≥ 90 %, amber 60–90 %, red &lt; 60 %.</li>
<li><b>Gini</b> (0 = everyone has the same travel time, 1 = maximal inequality) and <b>Theil T</b>
measure how unequal travel times are across people. The <b>between share</b> is the part of Theil T
due to differences between urban and rural averages (or between townships); the rest is inequality
inside each group. <b>CV</b> (coefficient of variation) is the yardstick of China's compulsory
education balance audits, which require at most 0.50 for primary and 0.45 for junior schools
(there applied to school resources; here a reference only). <b>Palma</b> is the travel time borne
by the 10 % worst-served people over that of the 40 % best-served. The <b>concentration index</b>
ranks villages by income: below 0 means poorer villages travel longer.</li>
<li><b>Lorenz curves</b> sag further below the diagonal the more unequal access is.</li>
<li><b>Distributions</b> show, for urban and rural residents separately, the share of people whose
nearest facility is within x minutes; a curve further to the left is better served. Dashed lines
mark the standards that use the same travel mode.</li>
<li><b>Hot spots</b> (local Moran's I, High-High) are groups of neighbouring villages that all have
long travel times: candidates for new or mobile services.</li>
<li>The <b>underserved</b> list ranks villages by people × minutes beyond the standard: where one
new facility would help most people most.</li>
</ul>
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
    from . import charts as ch

    t = tables
    svc, cols = t["services"], t["columns"]
    c = t["counts"]
    unit = t["unit"]
    parts: list[str] = []
    add = parts.append
    add('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">')
    add('<meta name="viewport" content="width=device-width, initial-scale=1">')
    add(f"<title>{_e(title)}</title><style>{_CSS}</style></head><body><main>")
    add(f"<h1>{_e(title)}</h1>")
    if subtitle:
        add(f"<p>{_e(subtitle)}</p>")
    add(
        f'<p class="small">Generated {_generated_on()} by accessibility. '
        f"{c['villages']} villages, {_num(c['population'], 0)} residents "
        f"({c['urban_villages']} urban villages with {_num(c['urban_population'], 0)} residents, "
        f"{c['rural_villages']} rural with {_num(c['rural_population'], 0)}); "
        f"{len(svc)} services; travel mode of the main times: {_e(c['mode'] or 'as given')}.</p>"
    )
    sections = [
        ("findings", "Key findings"),
        ("read", "How to read this report"),
        ("gap", "Urban–rural gap"),
        ("coverage", "Coverage against standards"),
        ("inequality", "Inequality"),
        ("distributions", "Distributions"),
        ("map", "Map"),
        ("clusters", "Hot spots"),
        ("underserved", "Underserved villages"),
        ("standards", "Standards and methods"),
    ]
    add("<nav>" + "".join(f'<a href="#{a}">{_e(b)}</a>' for a, b in sections) + "</nav>")

    add('<h2 id="findings">Key findings</h2>')
    add(_no_standard_note(t))
    add("<ul>")
    for f in _findings(t):
        add(f"<li>{f}</li>")
    add("</ul>")
    add('<h2 id="read">How to read this report</h2>')
    add(_HOW_TO_READ.format(mode=_e(c["mode"] or "as given")))

    # --- gap
    add('<h2 id="gap">Urban–rural gap per service</h2>')
    gap = t["gap"]
    if len(gap):
        rows = []
        for name, g in gap.iterrows():
            rows.append(
                [
                    _e(name),
                    _e(_standard_label(t["evaluated"], name, "urban")),
                    f'<td class="{_rate_class(g["coverage_urban"])}">{_pct(g["coverage_urban"])}</td>',
                    _e(_standard_label(t["evaluated"], name, "rural")),
                    f'<td class="{_rate_class(g["coverage_rural"])}">{_pct(g["coverage_rural"])}</td>',
                    _num(g.get("coverage_gap_pp"), 1),
                    _num(g.get("mean_urban"), 1),
                    _num(g.get("mean_rural"), 1),
                    _num(g.get("rural_to_urban_ratio"), 2),
                ]
            )
        add(
            _table(
                [
                    "standard",
                    "urban standard",
                    "urban coverage",
                    "rural standard",
                    "rural coverage",
                    "gap (pp)",
                    "urban mean time (min)",
                    "rural mean time (min)",
                    "rural / urban",
                ],
                rows,
            )
        )
        add(
            '<p class="small">Mean times are population-weighted over reachable villages, by the '
            "main travel mode; gap = urban minus rural coverage in percentage points.</p>"
        )
        if charts:
            add(_img(ch.coverage_gap_chart(gap), "coverage urban vs rural"))
    else:
        add("<p>No standard could be checked against this layer.</p>")

    # --- coverage
    add('<h2 id="coverage">Coverage against standards (达标率)</h2>')
    add(_no_standard_note(t))
    cov = t["coverage"]
    if len(cov):
        add("<h3>Overall, urban and rural</h3>")
        rows = []
        for name in dict.fromkeys(cov["standard"]):
            sub = cov[cov["standard"] == name]
            cells = [_e(name), _e(sub["population_column"].iloc[0])]
            for grouping, group in (("all", "all"), ("area_type", "urban"), ("area_type", "rural")):
                r = sub[(sub["grouping"] == grouping) & (sub["group"].astype(str) == group)]
                rate = r["coverage_rate"].iloc[0] if len(r) else np.nan
                cells.append(f'<td class="{_rate_class(rate)}">{_pct(rate)}</td>')
            allrow = sub[sub["grouping"] == "all"].iloc[0]
            cells.append(_num(allrow["population"] - allrow["population_meeting"], 0))
            cells.append(f"{int(allrow['villages'] - allrow['villages_meeting'])}")
            rows.append(cells)
        add(
            _table(
                [
                    "standard",
                    "people counted",
                    "overall",
                    "urban",
                    "rural",
                    "people not meeting",
                    "villages not meeting",
                ],
                rows,
                left=2,
            )
        )
        if unit:
            add(f"<h3>By {_e(unit)}</h3>")
            sub = cov[cov["grouping"] == unit]
            pivot = sub.pivot(index="group", columns="standard", values="coverage_rate")
            pivot = pivot[[s for s in dict.fromkeys(cov["standard"]) if s in pivot.columns]]
            names = _unit_names(townships, unit)
            rows = []
            for g, r in pivot.iterrows():
                label = _e(g) + (f" {_e(names[g])}" if g in names else "")
                rows.append(
                    [label] + [f'<td class="{_rate_class(v)}">{_pct(v)}</td>' for v in r.to_numpy()]
                )
            add(_table([_e(unit), *[_e(s) for s in pivot.columns]], rows))
    if len(t["skipped"]):
        add(
            '<p class="note">Not evaluated: '
            + "; ".join(
                f"{_e(r.standard)} ({_e(r.area_type)}): {_e(r.reason)}"
                for r in t["skipped"].itertuples()
            )
            + ". Compute travel times for those modes and pass them with "
            "<code>standard_columns</code>, or edit the standards.</p>"
        )

    # --- inequality
    add('<h2 id="inequality">Inequality of travel time</h2>')
    ineq = t["inequality"]
    rows = []
    for s in svc:
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
    add(
        _table(
            [
                "service",
                "mean (min)",
                "urban",
                "rural",
                "Gini",
                "Theil T",
                "between urban/rural",
                f"between {_e(unit or 'units')}",
                "Theil L",
                "CV",
                "Palma",
                "conc. index (income)",
            ],
            rows,
        )
    )
    notes = [
        f"{_e(s)}: {_e(part)}"
        for s, n in ineq["notes"].items()
        for part in str(n).split("; ")
        if n and "unreachable village(s) set to" not in part
    ]
    fills = [f"{_e(s)} {_num(v, 1)} min" for s, v in t["fills"].items() if np.isfinite(v)]
    add(
        '<p class="small">Population-weighted (school services by school-age children, elder '
        "care by elderly residents, when the layer has those columns). Unreachable villages are "
        f"counted at: {', '.join(fills)}.</p>"
    )
    if notes:
        add('<p class="small">' + "<br>".join(notes) + "</p>")
    if charts:
        curves = {}
        for s, col in cols.items():
            try:
                v = eq.fill_unreachable(villages[col], t["fills"][s])
                curves[s] = eq.lorenz_curve(v, villages[t["populations"][s]])
            except (InvalidValueError, ValueError):
                continue
        if curves:
            add(_img(ch.lorenz_chart(curves, title="Lorenz curves of travel time"), "Lorenz"))

    # --- distributions
    add('<h2 id="distributions">Urban vs rural distributions</h2>')
    if charts:
        thresholds = {}
        ev = t["evaluated"]
        for s in svc:
            d = {}
            for area in ("urban", "rural"):
                rows_ = ev[(ev["name"] == s) & ev["area_type"].isin([area, "all"])]
                rows_ = rows_[
                    (rows_["unit"] == "min") & (rows_["mode"] == (c["mode"] or rows_["mode"]))
                ]
                if len(rows_):
                    d[area] = float(rows_["threshold"].iloc[0])
            thresholds[s] = d
        add(
            _img(
                ch.distribution_chart(
                    villages,
                    cols,
                    area_type=t["area_type"],
                    population=t["populations"],
                    thresholds=thresholds,
                ),
                "distributions",
            )
        )

    # --- map
    add('<h2 id="map">Map: travel time to the nearest facility</h2>')
    if charts and hasattr(villages, "geometry"):
        add(_img(ch.village_map(villages, cols, units=townships), "map of travel times"))
        add(
            '<p class="small">Colours stop at the 95th percentile of each service (darkest = '
            "that or longer); crosses mark unreachable villages.</p>"
        )

    # --- clusters
    add('<h2 id="clusters">Hot spots of poor access</h2>')
    cl = t["clusters"]
    if cl is not None and len(cl):
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
        add(
            _table(
                ["service", "Moran's I", "pseudo p", "hot-spot villages", "people concerned there"],
                rows,
            )
        )
        add(
            f'<p class="small">k = {int(cl["k"].iloc[0])} nearest neighbours, row-standardised; '
            "hot spots are High-High local clusters with pseudo p ≤ 0.05 (not corrected for "
            "multiple testing: read them as places to look at).</p>"
        )
        if charts and t["lisa"] and hasattr(villages, "geometry"):
            flags = {s: t["lisa"][s]["poor_access_cluster"] for s in t["lisa"]}
            add(_img(ch.cluster_map(villages, flags, units=townships), "hot spots"))
    else:
        add("<p>Not computed (needs esda and libpysal, and at least 5 villages).</p>")

    # --- underserved
    add('<h2 id="underserved">Most underserved villages</h2>')
    u = t["underserved"]
    if len(u):
        id_col = u.columns[1]
        for name in dict.fromkeys(u["standard"]):
            sub = u[u["standard"] == name]
            add(f"<h3>{_e(name)}</h3>")
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
            add(
                _table(
                    [
                        "rank",
                        "village",
                        _e(unit or ""),
                        "area",
                        "people",
                        f"value ({unit_txt})",
                        "standard",
                        "shortfall",
                        "people × shortfall",
                    ],
                    rows,
                    left=4,
                )
            )
    else:
        add("<p>Every village meets every standard checked.</p>")

    # --- standards
    add('<h2 id="standards">Standards and methods</h2>')
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
    add(
        _table(
            ["standard", "area", "services", "mode", "threshold", "level", "source"], rows, left=4
        )
    )
    add(
        '<p class="small">Level: <b>national</b> = a number in a national standard or document; '
        "<b>policy</b> = a national policy goal; <b>typical</b> = a common planning value, not a "
        "national number (check your provincial and county plans); <b>local</b> = your own.</p>"
    )
    add(
        '<p class="small">Methods: Gini, Theil T/L and their group decomposition (Shorrocks '
        "1980), population-weighted; coefficient of variation as in the compulsory-education "
        "audit (教督〔2017〕6号); Palma ratio; concentration index with weighted fractional ranks "
        "(O'Donnell et al. 2008); Moran's I and local Moran (Anselin 1995) with PySAL esda. "
        "Travel times over the road network; see the project documentation.</p>"
    )
    add("</main></body></html>\n")
    return "\n".join(parts)


def _unit_names(townships: Any, unit: str | None) -> dict:
    if townships is None or unit is None or unit not in getattr(townships, "columns", []):
        return {}
    if "name" not in townships.columns:
        return {}
    return dict(zip(townships[unit], townships["name"], strict=False))


def _generated_on() -> str:
    """The date the report says it was made: ``SOURCE_DATE_EPOCH`` when set, else today."""
    from ._files import output_timestamp

    stamp = output_timestamp()
    return (stamp.date() if stamp is not None else _dt.date.today()).isoformat()


def write_report(
    path: str | os.PathLike,
    villages: pd.DataFrame,
    *,
    townships: Any = None,
    title: str = "Accessibility and equity of public services",
    subtitle: str | None = None,
    overwrite: bool = True,
    charts: bool = True,
    **options: Any,
) -> Path:
    """Write the equity report as one self-contained HTML file (atomically).

    Parameters
    ----------
    path
        Output ``.html`` file.
    villages
        Per-village layer (see :func:`report_tables`).
    townships
        Optional GeoDataFrame of township polygons (outlines and labels on maps; Chinese names
        in tables from its ``name`` column).
    title, subtitle
        Headings.
    overwrite
        Replace an existing file.
    charts
        Embed charts (PNG, base64); False gives a tables-only report quickly.
    **options
        Passed to :func:`report_tables` (``standards``, ``services``, ``time_column``,
        ``standard_columns``, ``mode``, ``unit``, ``population``, ``area_type``, ``rank_by``,
        ``unreachable_fill_min``, ``top``, ``clusters``, ``k``, ``permutations``).

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> from accessibility.report import write_report
    >>> write_report("out/report.html", layer, townships=demo.townships)  # doctest: +SKIP
    """
    tables = report_tables(villages, **options)
    text = report_html(
        tables, villages, townships=townships, title=title, subtitle=subtitle, charts=charts
    )
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
    logger.info("report written to %s", final_path(path))
    return final_path(path)
