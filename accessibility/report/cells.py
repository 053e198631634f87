"""Table cells of the report: escaped text, numbers, shares and plain HTML tables.

Examples
--------
>>> fmt_num(1234.5), fmt_num(float("nan")), fmt_pct(0.125)
('1,234.5', '–', '12.5%')
>>> html_table(["村", "min"], [["A", fmt_num(3.0)]])
'<table><thead><tr><th class="t">村</th><th>min</th></tr></thead><tbody><tr><td class="t">A</td><td>3.0</td></tr></tbody></table>'
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

__all__ = ["escape", "fmt_num", "fmt_pct", "html_table"]


def escape(value: Any) -> str:
    """``value`` as HTML text (``None`` as an empty cell)."""
    return html.escape("" if value is None else str(value))


def fmt_num(value: Any, digits: int = 1) -> str:
    """A number for a table cell: ``–`` for missing, ``∞`` for infinite."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return html.escape(str(value))
    if math.isnan(v):
        return "–"
    if math.isinf(v):
        return "∞"
    return f"{v:,.{digits}f}"


def fmt_pct(share: Any) -> str:
    """A share (0-1) as a percentage with one decimal."""
    try:
        v = float(share)
    except (TypeError, ValueError):
        return "–"
    return "–" if math.isnan(v) else f"{100 * v:.1f}%"


def html_table(header: Sequence[str], rows: Sequence[Sequence[str]], *, left: int = 1) -> str:
    """A table; the first ``left`` columns are text (left-aligned). A cell that is already a
    ``<td ...>`` element is kept as it is."""
    cls = [' class="t"' if i < left else "" for i in range(len(header))]
    head = "".join(f"<th{cls[i]}>{h}</th>" for i, h in enumerate(header))
    body = "".join(
        "<tr>"
        + "".join(
            c if c.startswith("<td") else f"<td{cls[i] if i < len(cls) else ''}>{c}</td>"
            for i, c in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
