"""Report sections for service tiers, referral chains, closure and the named form indicators.

Each section is a function of plain data and ``lang`` (``"en"`` or ``"zh"``) returning HTML lines;
:func:`accessibility.report.write_report` appends them to the page (``sections=``). The strings are
in :data:`TEXT`, with the official Chinese terms.

Examples
--------
>>> import pandas as pd
>>> from accessibility.report.tiers import indicator_section
>>> table = pd.DataFrame({"indicator": ["社区小学步行10分钟覆盖率"], "value": [24.4],
...     "unit": ["%"], "value_text": ["24.4%"], "definition": ["share of population ..."],
...     "source": ["城市体检"], "verified": [False], "missing": [""]})
>>> any("24.4%" in line for line in indicator_section(table, lang="zh"))
True
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .cells import fmt_num, fmt_pct, html_table

__all__ = ["TEXT", "fmt_num", "fmt_pct", "html_table", "indicator_section", "tier_section"]

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "tiers": "Service tiers and referral chains",
        "tiers_intro": (
            "Time to the nearest facility of each tier (tier 1 = village level), and the referral "
            "chain: village → its nearest tier-1 facility → that facility's nearest tier-2 "
            "facility → … Population-weighted."
        ),
        "group": "Group",
        "tier": "Tier",
        "mean_min": "Mean time (min)",
        "median_min": "Median (min)",
        "within": "Within {t} min",
        "chain": "Referral chain",
        "extra": "Chain minus direct to the top tier (min)",
        "closure": "Nearest facility outside one's own {unit}",
        "closure_intro": (
            "Share of people whose nearest facility of the tier lies in another {unit} "
            "(\u201c小病不出村、大病不出县\u201d), and how much longer the nearest one inside "
            "takes (mean over those people). The top tier usually serves the whole county: its "
            "row per {unit} is expected to be high; read its \u201cAll\u201d column against a "
            "county boundary for \u201c不出县\u201d."
        ),
        "unit": "Unit",
        "all": "All",
        "share_outside": "Share outside",
        "extra_inside": "Extra min to the nearest inside",
        "none_inside": "People whose {unit} has none",
        "links": "Busiest referral links",
        "from": "From",
        "to": "To",
        "time": "Time (min)",
        "villages": "Villages",
        "population": "People",
        "upgrades": "Which facility to upgrade to the next tier",
        "upgrades_intro": (
            "The three best candidates per group and tier: what upgrading each one alone would "
            "bring to the villages whose nearest facility of the next tier is farther away "
            "(all candidates: tier_upgrades layer; try one with [[upgrade_facility]] in a "
            "scenario)."
        ),
        "facility": "Facility",
        "saved": "People × minutes saved",
        "better": "People served sooner",
        "new": "People newly reaching the tier",
        "indicators": "Indicators for the forms",
        "indicators_intro": (
            "Named exactly as the inspection forms name them; the value column can be copied "
            "into the form. Check the definition against your form: entries marked "
            "\u201cnot verified\u201d were not checked against the document's own text."
        ),
        "indicator": "Indicator",
        "value": "Value",
        "definition": "Definition",
        "source": "Source",
        "verified": "Verified",
        "yes": "yes",
        "no": "not verified",
        "missing": "not computed: {why}",
    },
    "zh": {
        "tiers": "分级服务与转诊链",
        "tiers_intro": (
            "各级设施的最近出行时间（1级 = 村级），以及转诊链：村 → 最近的1级设施 → 该设施最近的2级"
            "设施 → …；按人口加权。"
        ),
        "group": "类别",
        "tier": "级别",
        "mean_min": "平均时间（分钟）",
        "median_min": "中位数（分钟）",
        "within": "{t}分钟内",
        "chain": "转诊链",
        "extra": "转诊链比直达最高级多用（分钟）",
        "closure": "最近设施不在本{unit}内",
        "closure_intro": (
            "最近的该级设施位于其他{unit}的人口比例（“小病不出村、大病不出县”），以及改去本{unit}内"
            "最近设施平均多用的时间。最高一级设施通常服务全县，按{unit}统计的外出比例自然较高；"
            "“不出县”请按县界统计。"
        ),
        "unit": "单元",
        "all": "合计",
        "share_outside": "外出比例",
        "extra_inside": "去本单元内最近设施多用（分钟）",
        "none_inside": "本{unit}内无此级设施的人口",
        "links": "转诊量最大的设施对",
        "from": "转出",
        "to": "转入",
        "time": "时间（分钟）",
        "villages": "村数",
        "population": "人口",
        "upgrades": "升级为上一级设施的候选",
        "upgrades_intro": (
            "每类每级收益最大的三个候选设施：单独将其升级为上一级后，上一级设施更近的村庄所节省的"
            "时间（全部候选见 tier_upgrades 图层；可在情景中用 [[upgrade_facility]] 试算）。"
        ),
        "facility": "设施",
        "saved": "节省人·分钟",
        "better": "受益人口",
        "new": "新覆盖人口",
        "indicators": "填报指标",
        "indicators_intro": (
            "指标名称与填报表格一致，数值可直接复制填报。请对照本地表格核对定义：标注“未核实”的"
            "条目未能对照文件原文核实。"
        ),
        "indicator": "指标",
        "value": "数值",
        "definition": "定义",
        "source": "依据",
        "verified": "核实",
        "yes": "已核实",
        "no": "未核实",
        "missing": "未计算：{why}",
    },
}
_UNIT_ZH = {"township": "乡镇", "county": "县"}


def _t(lang: str) -> Mapping[str, str]:
    return TEXT.get(lang, TEXT["en"])


def _wstats(t: np.ndarray, w: np.ndarray, thresholds: Sequence[float]) -> list[str]:
    ok = np.isfinite(t)
    tot = w.sum()
    if tot <= 0:
        return ["–"] * (2 + len(thresholds))
    mean = (t[ok] * w[ok]).sum() / w[ok].sum() if w[ok].sum() > 0 else np.nan
    order = np.argsort(np.where(ok, t, np.inf))
    cum = np.cumsum(w[order])
    med = np.where(ok, t, np.inf)[order][np.searchsorted(cum, tot / 2)]
    cells = [fmt_num(mean), fmt_num(med)]
    cells += [fmt_pct(w[ok & (np.nan_to_num(t, nan=np.inf) <= x)].sum() / tot) for x in thresholds]
    return cells


#: Readers' names of the usual tier groups, when the project file gives no ``label``.
GROUP_NAMES: dict[str, dict[str, str]] = {
    "zh": {"health": "医疗卫生", "school": "义务教育", "schools": "义务教育", "elder": "养老服务",
           "elder_care": "养老服务"},
    "en": {"health": "health care", "school": "schools", "schools": "schools",
           "elder": "elder care", "elder_care": "elder care"},
}  # fmt: skip


def group_label(group: str, spec: Any, lang: str) -> str:
    """The reader's name of a tier group: its ``label``, else the usual name, else its key.

    Examples
    --------
    >>> group_label("health", {}, "zh"), group_label("x", {"label": "X"}, "zh")
    ('医疗卫生', 'X')
    """
    label = spec.get("label") if isinstance(spec, Mapping) else None
    return str(label or GROUP_NAMES.get(lang, {}).get(group, group))


def tier_section(
    villages: pd.DataFrame,
    groups: Mapping[str, Any],
    *,
    population: str = "population",
    closure: pd.DataFrame | None = None,
    referrals: pd.DataFrame | None = None,
    upgrades: pd.DataFrame | None = None,
    thresholds_min: Sequence[float] = (15, 30, 60),
    top: int = 10,
    lang: str = "en",
) -> list[str]:
    """HTML lines of the tiers section: times per tier and of the referral chain, closure per unit
    and the busiest referral links.

    Parameters
    ----------
    villages
        Per-village layer with ``{group}_tier{k}_min``, ``{group}_referral_min`` and
        ``{group}_referral_extra_min``.
    groups
        The group names (keys; values may hold a ``label`` and a ``population`` column).
    population
        Village population column (for groups without their own).
    closure
        The ``tier_closure`` layer (``group``, ``unit_column``, ``unit``, ``tier``,
        ``share_outside``, ``mean_extra_min``, ``population_no_inside``, ``population``).
    referrals
        The ``referrals`` layer.
    upgrades
        The ``tier_upgrades`` layer (the best candidates per group and tier are shown).
    thresholds_min
        Columns "within t min".
    top
        Referral links shown per group.
    lang
        ``"en"`` or ``"zh"``.
    """
    tx = _t(lang)
    out = [f'<h2 id="tiers">{tx["tiers"]}</h2>', f"<p>{tx['tiers_intro']}</p>"]
    head = [tx["group"], tx["tier"], tx["mean_min"], tx["median_min"]]
    head += [tx["within"].format(t=f"{x:g}") for x in thresholds_min]
    rows = []
    for g, spec in groups.items():
        spec = spec if isinstance(spec, Mapping) else {}
        label = html.escape(group_label(g, spec, lang))
        col = spec.get("population") or population
        w = pd.to_numeric(villages[col], errors="coerce").fillna(0).to_numpy(float)
        tiers = sorted(
            int(c[len(g) + 5 : -4])
            for c in villages.columns
            if c.startswith(f"{g}_tier") and c.endswith("_min") and c[len(g) + 5 : -4].isdigit()
        )
        for k in tiers:
            t = villages[f"{g}_tier{k}_min"].to_numpy(float)
            rows.append([label, str(k), *_wstats(t, w, thresholds_min)])
        if f"{g}_referral_min" in villages.columns:
            t = villages[f"{g}_referral_min"].to_numpy(float)
            rows.append([label, tx["chain"], *_wstats(t, w, thresholds_min)])
    out.append(html_table(head, rows, left=2))
    if closure is not None and len(closure):
        out += _closure_lines(closure, groups, tx, lang)
    if referrals is not None and len(referrals):
        out.append(f"<h3>{tx['links']}</h3>")
        head = [tx["group"], tx["from"], tx["to"], tx["time"], tx["villages"], tx["population"]]
        rows = []
        for g in groups:
            part = referrals[referrals["group"] == g].sort_values("population", ascending=False)
            for _, r in part.head(top).iterrows():
                rows.append(
                    [
                        html.escape(group_label(g, groups[g], lang)),
                        html.escape(f"{r['from_name'] or r['from_id']} ({r['from_tier']})"),
                        html.escape(f"{r['to_name'] or r['to_id']} ({r['to_tier']})"),
                        fmt_num(r["time_min"]),
                        str(int(r["villages"])),
                        fmt_num(r["population"], 0),
                    ]
                )
        out.append(html_table(head, rows, left=3))
    if upgrades is not None and len(upgrades):
        out += _upgrade_lines(upgrades, tx, groups, lang)
    return out


def _upgrade_lines(
    upgrades: pd.DataFrame, tx: Mapping[str, str], groups: Mapping[str, Any], lang: str
) -> list[str]:
    out = [f"<h3>{tx['upgrades']}</h3>", f"<p>{tx['upgrades_intro']}</p>"]
    head = [tx["group"], tx["tier"], tx["facility"], tx["saved"], tx["better"], tx["new"]]
    rows = []
    for (g, k), part in upgrades.groupby(["group", "tier"], sort=False):
        for fid, r in part.sort_values("rank").head(3).iterrows():
            name = r.get("name") or fid
            rows.append(
                [
                    html.escape(group_label(g, groups.get(g), lang)),
                    f"{int(k)} → {int(r['to_tier'])}",
                    html.escape(f"{name} ({fid})"),
                    fmt_num(r["person_min_saved"], 0),
                    fmt_num(r["population_better_served"], 0),
                    fmt_num(r["population_newly_reached"], 0),
                ]
            )
    out.append(html_table(head, rows, left=3))
    return out


def _closure_lines(
    closure: pd.DataFrame, groups: Mapping[str, Any], tx: Mapping[str, str], lang: str
) -> list[str]:
    out = []
    for unit_col in closure["unit_column"].unique():
        unit = _UNIT_ZH.get(unit_col, unit_col) if lang == "zh" else unit_col
        out.append(f"<h3>{tx['closure'].format(unit=html.escape(unit))}</h3>")
        out.append(f"<p>{tx['closure_intro'].format(unit=html.escape(unit))}</p>")
        part = closure[closure["unit_column"] == unit_col]
        head = [tx["group"], tx["tier"], tx["share_outside"], tx["extra_inside"]]
        head.append(tx["none_inside"].format(unit=html.escape(unit)))
        units = sorted(u for u in part["unit"].unique() if u != "all")
        head += [html.escape(str(u)) for u in units]
        rows = []
        for g in groups:
            for k in sorted(part.loc[part["group"] == g, "tier"].unique()):
                rk = part[(part["group"] == g) & (part["tier"] == k)].set_index("unit")
                if "all" not in rk.index:
                    continue
                a = rk.loc["all"]
                row = [
                    html.escape(group_label(g, groups[g], lang)),
                    str(int(k)),
                    fmt_pct(a["share_outside"]),
                ]
                row += [fmt_num(a["mean_extra_min"]), fmt_num(a["population_no_inside"], 0)]
                row += [fmt_pct(rk["share_outside"].get(u, np.nan)) for u in units]
                rows.append(row)
        out.append(html_table(head, rows, left=2))
    return out


def indicator_section(table: pd.DataFrame, *, lang: str = "en") -> list[str]:
    """HTML lines of the named-indicator table, ready to copy into a form: the indicator exactly
    as the form names it, the value (a percentage with ``%``, or a number), the definition used,
    the source and whether it was verified.

    Parameters
    ----------
    table
        :func:`accessibility.tiers.indicators.named_indicators`.
    lang
        ``"en"`` or ``"zh"``.
    """
    tx = _t(lang)
    out = [f'<h2 id="indicators">{tx["indicators"]}</h2>', f"<p>{tx['indicators_intro']}</p>"]
    head = [tx["indicator"], tx["value"], tx["definition"], tx["source"], tx["verified"]]
    rows = []
    for _, r in table.iterrows():
        value = r["value_text"] or tx["missing"].format(why=r.get("missing", ""))
        rows.append(
            [
                html.escape(str(r["indicator"])),
                html.escape(str(value)),
                html.escape(str(r["definition"])),
                html.escape(str(r["source"])),
                tx["yes"] if bool(r["verified"]) else tx["no"],
            ]
        )
    out.append(html_table(head, rows, left=1))
    return out
