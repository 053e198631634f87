"""Before/after comparison of one service: time saved, coverage within thresholds and standards,
supply per head and inequality indices; the change layers of facilities and roads."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import InvalidValueError
from ..network import Network
from ..project.evaluate import threshold_label

if TYPE_CHECKING:  # pragma: no cover
    pass
from .scenario import is_number

_log = logging.getLogger(__name__)

_EPS_MIN = 1e-9


@dataclass
class State:
    """Nearest facility and cost table of one service, aligned to the villages."""

    nearest_min: pd.Series
    nearest_id: pd.Series
    nearest_m: pd.Series
    costs: pd.DataFrame
    supply: pd.Series | None

    def copy(self) -> State:
        return State(
            self.nearest_min.copy(),
            self.nearest_id.copy(),
            self.nearest_m.copy(),
            self.costs.copy(),
            None if self.supply is None else self.supply.copy(),
        )


def standard_thresholds(
    villages: pd.DataFrame,
    service: str,
    mode: str,
    table: pd.DataFrame | None,
    *,
    area_type: str,
    override: Mapping[str, float],
) -> tuple[pd.Series, str]:
    """Threshold (minutes) applying to each village for ``service``, and where it comes from."""
    if service in override:
        return pd.Series(float(override[service]), index=villages.index), "given"
    out = pd.Series(np.nan, index=villages.index)
    if table is None:
        return out, "none"
    rows = table[
        (table["unit"] == "min")
        & table["services"].map(lambda s: tuple(s) == (service,))
        & (table["name"] == service)
    ]
    used = []
    area = (
        villages[area_type].astype("string").str.strip().str.lower()
        if area_type in villages.columns
        else pd.Series(pd.NA, index=villages.index, dtype="string")
    )
    for row in rows.itertuples(index=False):
        if row.mode != mode:
            _log.info(
                "standard %s/%s is for mode %r but %s is routed by %r: not applied",
                service,
                row.area_type,
                row.mode,
                service,
                mode,
            )
            continue
        applies = (
            pd.Series(True, index=villages.index)
            if row.area_type == "all"
            else (area == row.area_type).fillna(False).astype(bool)
        )
        out[applies] = float(row.threshold)
        used.append(f"{row.area_type} {row.threshold:g} min")
    return out, ", ".join(used) if used else "none"


def _safe_index(func: Any, values: pd.Series, weights: pd.Series) -> float:
    try:
        return float(func(values, weights))
    except InvalidValueError:
        return math.nan


def _equity_rows(
    service: str,
    before: pd.Series,
    after: pd.Series,
    weights: pd.Series,
    groups: pd.Series | None,
    cap: float,
) -> list[dict[str, Any]]:
    from ..equity import coefficient_of_variation, gini, theil_t

    b = before.where(np.isfinite(before), cap)
    a = after.where(np.isfinite(after), cap)
    sets: dict[str, pd.Series] = {"all": pd.Series(True, index=before.index)}
    if groups is not None:
        for g in sorted(map(str, pd.unique(groups.dropna().astype(str)))):
            sets[g] = (groups.astype(str) == g).fillna(False)
    rows = []
    for gname, m in sets.items():
        w = weights[m]
        if not (w > 0).any():
            continue
        for iname, func in (("gini", gini), ("cv", coefficient_of_variation), ("theil_t", theil_t)):
            vb, va = _safe_index(func, b[m], w), _safe_index(func, a[m], w)
            rows.append(
                {
                    "service": service,
                    "group": gname,
                    "index": iname,
                    "before": vb,
                    "after": va,
                    "change": va - vb,
                }
            )
    return rows


def _wmean(values: pd.Series, weights: pd.Series) -> float:
    ok = np.isfinite(values) & (weights > 0)
    return float((values[ok] * weights[ok]).sum() / weights[ok].sum()) if ok.any() else math.nan


def compare_service(
    s: str,
    spec: Mapping[str, Any],
    before: State,
    after: State,
    villages: gpd.GeoDataFrame,
    thresholds: pd.Series,
    standard_note: str,
    out: dict[str, Any],
    *,
    area_type: str,
    catchment_min: float,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    dcol = spec.get("demand") or "population"
    if dcol not in villages.columns:
        dcol = "population" if "population" in villages.columns else None
    pop = (
        pd.to_numeric(villages[dcol], errors="coerce").fillna(0.0).astype(float)
        if dcol
        else pd.Series(1.0, index=villages.index)
    )
    tb, ta = before.nearest_min.astype(float), after.nearest_min.astype(float)
    rb, ra = np.isfinite(tb), np.isfinite(ta)
    saved = (tb - ta).where(rb & ra)
    out[f"{s}_nearest_id_before"] = before.nearest_id.astype(object)
    out[f"{s}_nearest_id_after"] = after.nearest_id.astype(object)
    out[f"{s}_nearest_min_before"] = tb.where(rb)
    out[f"{s}_nearest_min_after"] = ta.where(ra)
    out[f"{s}_reachable_before"] = rb
    out[f"{s}_reachable_after"] = ra
    out[f"{s}_saved_min"] = saved
    improved = (saved > _EPS_MIN) | (~rb & ra)
    worse = (saved < -_EPS_MIN) | (rb & ~ra)
    row: dict[str, Any] = {
        "mode": spec["mode"],
        "population_column": dcol,
        "villages_improved": int(improved.sum()),
        "villages_worse": int(worse.sum()),
        "population_improved": float(pop[improved].sum()),
        "population_worse": float(pop[worse].sum()),
        "villages_newly_reachable": int((~rb & ra).sum()),
        "villages_newly_unreachable": int((rb & ~ra).sum()),
        "mean_saved_min": _wmean(saved, pop),
        "mean_saved_min_improved": _wmean(saved[improved], pop[improved]),
        "max_saved_min": float(saved.max()) if saved.notna().any() else math.nan,
        "max_lost_min": float(max(0.0, -saved.min())) if saved.notna().any() else math.nan,
        "mean_nearest_min_before": _wmean(tb, pop),
        "mean_nearest_min_after": _wmean(ta, pop),
    }
    for t in spec["thresholds_min"]:
        lab = threshold_label(t)
        inb, ina = tb <= t, ta <= t
        out[f"{s}_newly_within_{lab}min"] = ~inb & ina
        out[f"{s}_lost_within_{lab}min"] = inb & ~ina
        row[f"population_newly_within_{lab}min"] = float(pop[~inb & ina].sum())
        row[f"population_lost_within_{lab}min"] = float(pop[inb & ~ina].sum())
    applies = thresholds.notna()
    mb = pd.Series(pd.NA, index=villages.index, dtype="boolean")
    ma = mb.copy()
    mb[applies] = (tb <= thresholds)[applies]
    ma[applies] = (ta <= thresholds)[applies]
    out[f"{s}_standard_min"] = thresholds
    out[f"{s}_meets_standard_before"] = mb
    out[f"{s}_meets_standard_after"] = ma
    newly = (~mb & ma).fillna(False).astype(bool)
    loses = (mb & ~ma).fillna(False).astype(bool)
    out[f"{s}_newly_meets_standard"] = newly
    out[f"{s}_loses_standard"] = loses
    subject = float(pop[applies].sum())
    row.update(
        {
            "standard": standard_note,
            "villages_newly_meeting_standard": int(newly.sum()),
            "population_newly_meeting_standard": float(pop[newly].sum()),
            "population_losing_standard": float(pop[loses].sum()),
            "standard_coverage_before": float(pop[mb.fillna(False).astype(bool)].sum()) / subject
            if subject > 0
            else math.nan,
            "standard_coverage_after": float(pop[ma.fillna(False).astype(bool)].sum()) / subject
            if subject > 0
            else math.nan,
        }
    )
    if before.supply is not None or after.supply is not None:
        from ..measures import two_sfca

        vals = {}
        for tag, st in (("before", before), ("after", after)):
            sup = st.supply if st.supply is not None else pd.Series(dtype=float)
            c = st.costs[st.costs["destination"].isin(sup.index)]
            if len(sup) == 0 or len(c) == 0 or not (pop > 0).any():
                vals[tag] = pd.Series(0.0, index=villages.index)
            else:
                vals[tag] = 1000.0 * two_sfca(
                    c, pop, sup, catchment_min=catchment_min, unknown_ids="drop"
                ).reindex(villages.index).fillna(0.0)
        out[f"{s}_2sfca_before"] = vals["before"]
        out[f"{s}_2sfca_after"] = vals["after"]
        out[f"{s}_2sfca_change"] = vals["after"] - vals["before"]
        row["supply_column"] = spec.get("supply")
        row["catchment_min"] = catchment_min
        row["mean_2sfca_before"] = _wmean(vals["before"], pop)
        row["mean_2sfca_after"] = _wmean(vals["after"], pop)
    finite = pd.concat([tb[rb], ta[ra]])
    cap = max(float(spec["max_time_min"]), float(finite.max()) if len(finite) else 0.0)
    groups = villages[area_type] if area_type in villages.columns else None
    eq = _equity_rows(s, tb, ta, pop, groups, cap)
    for r in eq:
        if r["group"] == "all":
            row[f"{r['index']}_before"] = r["before"]
            row[f"{r['index']}_after"] = r["after"]
    return row, eq


def catchment(spec: Mapping[str, Any], catchment_min: Any, service: str) -> float:
    if isinstance(catchment_min, Mapping) and service in catchment_min:
        return float(catchment_min[service])
    if is_number(catchment_min):
        return float(catchment_min)
    for m in spec.get("measures") or []:
        if isinstance(m, Mapping) and str(m.get("measure", "")).lower() == "2sfca":
            for key in ("catchment_min", "limit_min"):  # limit_min: the old name
                if is_number(m.get(key)):
                    return float(m[key])
    return float(spec["max_time_min"])


def facility_change_layer(
    before: gpd.GeoDataFrame, after: gpd.GeoDataFrame, change: Mapping[Any, str]
) -> gpd.GeoDataFrame:
    gone = [k for k, v in change.items() if v in ("closed", "merged_away") and k in before.index]
    layer = pd.concat([after, before.loc[gone]]) if gone else after.copy()
    layer = gpd.GeoDataFrame(layer, geometry=after.geometry.name, crs=after.crs)
    layer["change"] = [change.get(k, "unchanged") for k in layer.index]
    return layer


def road_change_layer(
    before: Network, after: Network, edge_change: np.ndarray
) -> gpd.GeoDataFrame | None:
    sel = edge_change != ""
    if not sel.any():
        return None
    e = after.edges
    cols = {"change": edge_change[sel], "road_class": e["road_class"].to_numpy()[sel]}
    if "name" in e:
        cols["name"] = e["name"].to_numpy()[sel]
    cols["length_m"] = e["length_m"].to_numpy()[sel]
    src = e["source_id"].to_numpy()[sel] if "source_id" in e else np.flatnonzero(sel)
    for mode in after.modes:
        old = before.edges[f"{mode}_speed_kmh"].to_numpy()
        has = src >= 0
        bsp = np.full(int(sel.sum()), np.nan)
        bsp[has] = old[np.where(has, src, 0)[has]] if len(old) else np.nan
        cols[f"{mode}_speed_kmh_before"] = bsp
        cols[f"{mode}_speed_kmh_after"] = e[f"{mode}_speed_kmh"].to_numpy()[sel]
    return gpd.GeoDataFrame(cols, geometry=e.geometry.to_numpy()[sel], crs=after.crs)
