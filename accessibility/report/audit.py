"""Report section of the compulsory-education audit (优质均衡, 教督〔2017〕6号).

:func:`audit_section` takes the tables of :func:`accessibility.audit.county_audit` (or the
``school_audit_levels``, ``school_audit_cv`` and ``schools_audit`` layers of a run) and ``lang``
and returns HTML lines.

Examples
--------
>>> import pandas as pd
>>> from accessibility.audit import county_audit
>>> from accessibility.report.audit import audit_section
>>> schools = pd.DataFrame(
...     {"level": ["primary", "primary"], "pupils": [500, 300],
...      "qualified_teachers": [25, 14], "key_teachers": [6, 3], "pe_teachers": [3, 2],
...      "art_teachers": [2, 1], "teaching_space_m2": [2500, 1500],
...      "sports_space_m2": [4000, 2400], "equipment_value_yuan": [1_100_000, 660_000],
...      "multimedia_rooms": [12, 7], "max_class_pupils": [45, 40]}, index=["S1", "S2"])
>>> res = county_audit(schools)
>>> lines = audit_section(res.levels.reset_index(), res.cv, res.schools, lang="zh")
>>> lines[0]
'<h2 id="school-audit">义务教育优质均衡督导评估（资源配置）</h2>'
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import pandas as pd

from ..audit import INDICATOR_NAMES_ZH, INDICATORS
from .tiers import fmt_num, html_table

__all__ = ["TEXT", "audit_section"]

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Compulsory-education audit (优质均衡, resource indicators)",
        "intro": (
            "The seven resource indicators of 教督〔2017〕6号 第六条 per school: every school must meet "
            "at least six and none may fall below 85 % of its standard; the inter-school "
            "coefficient of variation (差异系数, pupil-weighted) of every indicator must be at most "
            "0.50 (primary) and 0.45 (junior). Class and school sizes per 第七条. Thresholds and "
            "their sources: accessibility/standards/school_audit.toml."
        ),
        "level": "Level",
        "primary": "Primary",
        "junior": "Junior",
        "schools": "Schools",
        "meeting": "Meeting 6 of 7",
        "cv_ok": "All CVs within limit",
        "size_ok": "School sizes",
        "class_ok": "Class sizes",
        "passed": "Passed",
        "county": "County verdict",
        "indicator": "Indicator",
        "cv": "CV",
        "limit": "Limit",
        "standard": "Standard",
        "mean": "County mean",
        "n_meeting": "Schools meeting",
        "failing": "Schools not meeting the resource rule",
        "school": "School",
        "met": "Indicators met",
        "lowest": "Lowest share of standard",
        "missed": "Missed",
        "yes": "yes",
        "no": "no",
        "unknown": "not checked",
        "more": "… and {n} more (see the schools_audit layer).",
    },
    "zh": {
        "title": "义务教育优质均衡督导评估（资源配置）",
        "intro": (
            "依据教督〔2017〕6号第六条的7项资源配置指标：每所学校至少6项达到要求，余项不低于要求的85%；"
            "各项指标校际差异系数（按学生数加权）小学≤0.50、初中≤0.45。学校规模与班额依据第七条。"
            "阈值及出处见 accessibility/standards/school_audit.toml。"
        ),
        "level": "学段",
        "primary": "小学",
        "junior": "初中",
        "schools": "学校数",
        "meeting": "至少6项达标",
        "cv_ok": "差异系数全部达标",
        "size_ok": "学校规模",
        "class_ok": "班额",
        "passed": "达标",
        "county": "全县结论",
        "indicator": "指标",
        "cv": "差异系数",
        "limit": "要求",
        "standard": "标准值",
        "mean": "全县均值",
        "n_meeting": "达标学校数",
        "failing": "资源配置未达标的学校",
        "school": "学校",
        "met": "达标项数",
        "lowest": "最低达标比例",
        "missed": "未达标指标",
        "yes": "是",
        "no": "否",
        "unknown": "未核查",
        "more": "……另有{n}所（见 schools_audit 图层）。",
    },
}
_SHORT_EN = {
    "qualified_teachers_per_100_pupils": "qualified teachers /100 pupils",
    "key_teachers_per_100_pupils": "key teachers /100 pupils",
    "pe_art_teachers_per_100_pupils": "PE and art teachers /100 pupils",
    "teaching_space_m2_per_pupil": "teaching space m²/pupil",
    "sports_space_m2_per_pupil": "sports space m²/pupil",
    "equipment_yuan_per_pupil": "equipment yuan/pupil",
    "multimedia_rooms_per_100_pupils": "multimedia rooms /100 pupils",
}


def _yn(value: object, tx: Mapping[str, str]) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return tx["unknown"]
    return tx["yes"] if bool(value) else tx["no"]


def _name(indicator: str, lang: str) -> str:
    return INDICATOR_NAMES_ZH[indicator] if lang == "zh" else _SHORT_EN.get(indicator, indicator)


def audit_section(
    levels: pd.DataFrame,
    cv: pd.DataFrame,
    schools: pd.DataFrame,
    *,
    names: pd.Series | None = None,
    county_passed: bool | None = None,
    top: int = 20,
    lang: str = "en",
) -> list[str]:
    """HTML lines of the school-audit section: the verdict per level, the CV of every indicator and
    the schools that miss the resource rule.

    Parameters
    ----------
    levels
        One row per level (``level``, ``schools``, ``schools_meeting_resource_rule``,
        ``all_cv_ok``, ``all_school_sizes_ok``, ``all_class_sizes_ok``, ``passed``).
    cv
        :attr:`accessibility.audit.CountyAudit.cv`.
    schools
        :attr:`accessibility.audit.CountyAudit.schools` (a ``name`` column is used when present).
    names
        School names by index (default the ``name`` column of ``schools``).
    county_passed
        The county's verdict (shown when not None).
    top
        Failing schools listed.
    lang
        ``"en"`` or ``"zh"``.
    """
    tx = TEXT.get(lang, TEXT["en"])
    out = [f'<h2 id="school-audit">{tx["title"]}</h2>', f"<p>{tx['intro']}</p>"]
    head = [tx["level"], tx["schools"], tx["meeting"], tx["cv_ok"], tx["size_ok"], tx["class_ok"]]
    head.append(tx["passed"])
    rows = [
        [
            tx.get(str(r["level"]), str(r["level"])),
            str(int(r["schools"])),
            str(int(r["schools_meeting_resource_rule"])),
            _yn(r["all_cv_ok"], tx),
            _yn(r["all_school_sizes_ok"], tx),
            _yn(r["all_class_sizes_ok"], tx),
            _yn(r["passed"], tx),
        ]
        for _, r in levels.iterrows()
    ]
    out.append(html_table(head, rows, left=1))
    if county_passed is not None:
        out.append(f"<p><b>{tx['county']}</b>: {_yn(county_passed, tx)}</p>")
    head = [tx["indicator"], tx["level"], tx["standard"], tx["mean"], tx["cv"], tx["limit"]]
    head.append(tx["n_meeting"])
    rows = []
    for _, r in cv.iterrows():
        ok = bool(r["cv_ok"])
        cell = f'<span class="{"good" if ok else "bad"}">{fmt_num(r["cv"], 3)}</span>'
        rows.append(
            [
                html.escape(_name(str(r["indicator"]), lang)),
                tx.get(str(r["level"]), str(r["level"])),
                fmt_num(r["standard"], 1),
                fmt_num(r["mean"], 2),
                cell,
                fmt_num(r["cv_limit"], 2),
                f"{int(r['schools_meeting_standard'])}/{int(r['schools'])}",
            ]
        )
    out.append(html_table(head, rows, left=2))
    failing = schools[~schools["meets_resource_rule"].astype(bool)]
    if len(failing):
        names = names if names is not None else schools.get("name")
        out.append(f"<h3>{tx['failing']}</h3>")
        head = [tx["school"], tx["level"], tx["met"], tx["lowest"], tx["missed"]]
        failing = failing.sort_values(["indicators_met", "lowest_share_of_standard"])
        rows = []
        for sid, r in failing.head(top).iterrows():
            missed = [_name(i, lang) for i in INDICATORS if not bool(r[f"{i}_met"])]
            label = sid if names is None else f"{names.get(sid, sid)} ({sid})"
            rows.append(
                [
                    html.escape(str(label)),
                    tx.get(str(r["level"]), str(r["level"])),
                    str(int(r["indicators_met"])),
                    f"{100 * float(r['lowest_share_of_standard']):.0f}%",
                    html.escape("、".join(missed) if lang == "zh" else "; ".join(missed)),
                ]
            )
        out.append(html_table(head, rows, left=2))
        if len(failing) > top:
            out.append(f'<p class="small">{tx["more"].format(n=len(failing) - top)}</p>')
    return out
