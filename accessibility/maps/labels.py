"""Text on maps: Chinese names with a pinyin fallback, halos, village labels."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InvalidValueError, MissingColumnError, suggest

logger = logging.getLogger(__name__)


def pin_fonts(fig: Any) -> None:
    """Give every text of the figure the CJK-capable font family explicitly, so the figure renders
    the same when saved or shown outside :func:`accessibility.charts.font_context`."""
    from matplotlib.text import Text

    from ..charts import cjk_font

    family = [f for f in (cjk_font(), "DejaVu Sans") if f]
    for t in fig.findobj(Text):
        if t.get_gid() != "north_arrow_label":  # Latin "N" in bold, which CJK fonts lack
            t.set_fontfamily(family)


def _halo() -> list[Any]:
    from matplotlib import patheffects

    return [patheffects.withStroke(linewidth=2.2, foreground="white")]


def bilingual(label: str) -> str:
    """'health centre 卫生院' -> itself with a CJK font, else the English part."""
    from ..charts import chart_text

    english = " ".join(w for w in label.split() if not _has_cjk(w))
    return chart_text(label, english or None)


def _has_cjk(text: str) -> bool:
    from ..charts import has_cjk

    return has_cjk(text)


def label_villages(
    ax: Any,
    villages: Any,
    geom: Any,
    labels: bool | Sequence[Any],
    label_column: str,
    label_fallback: str | None,
) -> int:
    """Village names (Chinese, or pinyin without a CJK font) with a halo; returns how many."""

    from ..charts import chart_text

    if labels is False or labels is None:
        return 0
    if label_column not in villages.columns:
        raise MissingColumnError(
            f"villages have no label column {label_column!r}."
            f"{suggest(label_column, villages.columns)} Pass label_column=..."
        )
    if labels is True:
        ids = villages.index
    else:
        ids = pd.Index(list(labels))
        missing = ids.difference(villages.index)
        if len(missing):
            raise InvalidValueError(
                f"labels name {len(missing)} id(s) that are not in the layer, e.g. "
                f"{list(missing[:3])}; pass ids from the layer's index"
            )
    fallback = villages[label_fallback] if label_fallback in villages.columns else None
    fontsize = 7.0
    to_pt = 72.0 / ax.figure.dpi
    placed: list[tuple[float, float, float, float]] = []
    # label positions tried in turn: (dx, dy) in points and the alignment that goes with them
    candidates = (
        (3, 3, "left", "bottom"),
        (3, -3, "left", "top"),
        (-3, 3, "right", "bottom"),
        (-3, -3, "right", "top"),
        (0, 6, "center", "bottom"),
        (0, -6, "center", "top"),
    )
    n = 0
    for vid in ids:
        p = geom.loc[vid]
        text = chart_text(
            villages.at[vid, label_column], None if fallback is None else fallback.loc[vid]
        )
        if not text:
            continue
        # approximate box of the text in points (CJK glyphs are square, Latin ones ~0.6 wide)
        w = 1.25 * fontsize * sum(1.0 if _has_cjk(ch) else 0.6 for ch in text)
        h = 1.25 * fontsize * 1.2
        px, py = (np.asarray(ax.transData.transform((p.x, p.y))) * to_pt).tolist()
        choice, box_ = candidates[0], None
        for cand in candidates:
            dx, dy, ha, va = cand
            x0 = px + dx - (w if ha == "right" else w / 2 if ha == "center" else 0.0)
            y0 = py + dy - (h if va == "top" else 0.0)
            b = (x0, y0, x0 + w, y0 + h)
            if box_ is None:
                box_ = b
            if not any(b[0] < q[2] and q[0] < b[2] and b[1] < q[3] and q[1] < b[3] for q in placed):
                choice, box_ = cand, b
                break
        if box_ is not None:  # always: there is at least one candidate
            placed.append(box_)
        dx, dy, ha, va = choice
        t = ax.annotate(
            text,
            (p.x, p.y),
            xytext=(dx, dy),
            textcoords="offset points",
            ha=ha,
            va=va,
            fontsize=fontsize,
            zorder=15,
            path_effects=_halo(),
        )
        t.set_gid("village_label")
        n += 1
    return n
