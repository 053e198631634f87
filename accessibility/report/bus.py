"""The report's bus section: times by bus to the township health centre and the county hospital
per village, and the villages with no usable bus (:func:`bus_section`).

It reads the per-village columns a run with a ``[transit]`` timetable writes for the bus
standards (``{service}_transit_nearest_min``, see ``docs/transit.md``); without them it is empty.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .cells import escape, html_table

__all__ = ["BUS_TEXT", "bus_section"]

#: The section's words in English and Chinese.
BUS_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "heading": "By bus",
        "intro": (
            "Door-to-door times by public transport (walk to the stop, wait, ride, transfer, "
            "walk), the median over every minute of the departure window {window}. A village "
            "has no usable bus when no stop is within walking distance or no bus gets there "
            "within {limit} minutes."
        ),
        "health_centre": "township health centre",
        "hospital": "county hospital",
        "service": "to",
        "with_bus": "villages with a bus",
        "people_with_bus": "people with a bus",
        "median": "median time (min)",
        "village": "village",
        "township": "township",
        "population": "population",
        "per_village": "Bus times per village (minutes; – = no usable bus)",
        "no_bus": "Villages with no usable bus",
        "no_bus_none": "Every village has a usable bus.",
        "no_bus_count": "{n} villages ({people} people) have no usable bus to any of these.",
    },
    "zh": {
        "heading": "公交出行",
        "intro": (
            "公交门到门时间（步行至站点、候车、乘车、换乘、步行至目的地），取出发时段 {window} "
            "内每分钟出发的中位数。若步行范围内没有站点，或 {limit} 分钟内无法到达，则视为无可用公交。"
        ),
        "health_centre": "乡镇卫生院",
        "hospital": "县医院",
        "service": "前往",
        "with_bus": "有公交的村",
        "people_with_bus": "有公交的人口",
        "median": "中位时间（分钟）",
        "village": "村",
        "township": "乡镇",
        "population": "人口",
        "per_village": "各村公交时间（分钟；– 表示无可用公交）",
        "no_bus": "无可用公交的村",
        "no_bus_none": "所有村均有可用公交。",
        "no_bus_count": "{n} 个村（{people} 人）前往以上设施均无可用公交。",
    },
}


def _min(value: Any) -> str:
    v = float(value)
    return "–" if math.isnan(v) or math.isinf(v) else f"{v:.0f}"


def bus_section(
    villages: pd.DataFrame,
    lang: str = "en",
    *,
    services: Sequence[str] = ("health_centre", "hospital"),
    name: str = "name",
    township: str = "township",
    population: str = "population",
    window: Sequence[str] | None = None,
    limit_min: float | None = None,
    township_names: Mapping[str, str] | None = None,
) -> list[str]:
    """HTML lines of the report's bus section (empty without bus times).

    Parameters
    ----------
    villages
        The per-village layer with ``{service}_transit_nearest_min`` columns (NaN = no usable
        bus).
    lang
        ``"en"`` or ``"zh"``.
    services
        Services shown, in order (those without a bus column are left out).
    name, township, population
        Village columns.
    township_names
        Readers' names of the township codes (``{"baisha": "白沙镇（Baisha）"}``); codes
        without one are shown as they are.
    window, limit_min
        The departure window and the longest time searched, for the text; default
        ``villages.attrs["transit"]`` (set by a run with a timetable), else 07:00–09:00 and 120.

    Examples
    --------
    >>> import pandas as pd
    >>> v = pd.DataFrame({"name": ["上坪村", "马山村"], "population": [300, 120],
    ...     "health_centre_transit_nearest_min": [35.0, float("nan")]}, index=["V1", "V2"])
    >>> html = "\\n".join(bus_section(v, "zh"))
    >>> "无可用公交的村" in html and "马山村" in html
    True
    >>> bus_section(v.drop(columns="health_centre_transit_nearest_min"))
    []
    """
    words = BUS_TEXT.get(lang, BUS_TEXT["en"])
    given = villages.attrs.get("transit") or {}
    window = window or given.get("window") or ("07:00", "09:00")
    limit_min = float(limit_min or given.get("max_time_min") or 120.0)
    cols = {s: f"{s}_transit_nearest_min" for s in services}
    cols = {s: c for s, c in cols.items() if c in villages.columns}
    if not cols:
        return []
    times = pd.DataFrame({s: pd.to_numeric(villages[c], errors="coerce") for s, c in cols.items()})
    times = times.where(np.isfinite(times))
    pop = (
        pd.to_numeric(villages[population], errors="coerce").fillna(0)
        if population in villages.columns
        else pd.Series(0.0, index=villages.index)
    )
    label = {s: words.get(s, s) for s in cols}
    out = [
        f'<h2 id="bus">{escape(words["heading"])}</h2>',
        "<p>"
        + escape(words["intro"].format(window="–".join(window), limit=f"{limit_min:g}"))
        + "</p>",
    ]
    rows = []
    for s in cols:
        has = times[s].notna()
        rows.append(
            [
                escape(f"{words['service']} {label[s]}"),
                f"{int(has.sum())} / {len(times)}",
                f"{pop[has].sum():,.0f}",
                _min(times[s].median()),
            ]
        )
    head = ["", words["with_bus"], words["people_with_bus"], words["median"]]
    out.append(html_table([escape(h) for h in head], rows, left=1))
    names = villages[name].astype(str) if name in villages.columns else villages.index.astype(str)
    towns = villages[township].astype(str) if township in villages.columns else None
    if towns is not None and township_names:
        towns = towns.map(lambda code: township_names.get(code, code))
    order = times.min(axis=1).fillna(np.inf).sort_values(kind="stable").index
    vrows = []
    for vid in order:
        cells = [escape(names[vid])] + ([escape(towns[vid])] if towns is not None else [])
        vrows.append(cells + [_min(times.loc[vid, s]) for s in cols])
    vhead = [words["village"]] + ([words["township"]] if towns is not None else [])
    vhead += [label[s] for s in cols]
    left = 2 if towns is not None else 1
    out.append(f"<details><summary>{escape(words['per_village'])}</summary>")
    out.append(html_table([escape(h) for h in vhead], vrows, left=left))
    out.append("</details>")
    none = times.isna().all(axis=1)
    out.append(f"<h3>{escape(words['no_bus'])}</h3>")
    if not none.any():
        out.append(f"<p>{escape(words['no_bus_none'])}</p>")
        return out
    n, people = int(none.sum()), f"{pop[none].sum():,.0f}"
    out.append(f"<p>{escape(words['no_bus_count'].format(n=n, people=people))}</p>")
    ids = villages.index[none.to_numpy()]
    if towns is not None:
        items = []
        for town, grp in pd.Series(names[ids].to_numpy(), index=towns[ids].to_numpy()).groupby(
            level=0, sort=True
        ):
            items.append(f"<li>{escape(town)}: {escape('、'.join(grp.tolist()))}</li>")
        out.append("<ul>" + "".join(items) + "</ul>")
    else:
        out.append(f"<p>{escape('、'.join(names[ids].tolist()))}</p>")
    return out
