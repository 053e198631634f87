"""The project file's tiers, school audit and named indicators: ``[tiers.<group>]``, ``[audit]``
and ``[indicators]`` checked (:func:`check_tier_config`) and computed after the per-village layer
(:func:`tier_step`, called by :func:`accessibility.project.steps.finish_run`).

``[tiers.<group>]`` (e.g. ``[tiers.health]``)::

    services = ["clinic", "health_centre", "hospital"]   # the facilities of the group
    column = "level"                                       # facility column holding the tier
    values = { village = 1, township = 2, county = 3 }     # its labels -> tiers (1 = lowest)
    mode = "car"                                           # default [analysis] mode
    max_time_min = 120                                     # routing reach for the tier times
    closure = ["township"]                                 # unit columns for "不出县/不出乡"
    population = "pop_elderly"                             # default [columns] population

gives per village ``{group}_tier{k}_id``/``_min``, ``{group}_referral_min`` (the chain village ->
nearest tier 1 -> its nearest tier 2 -> ...), ``{group}_referral_tier{k}_id``,
``{group}_referral_extra_min`` and per closure unit ``{group}_tier{k}_outside_{unit}`` and
``{group}_tier{k}_extra_min_{unit}``; the layers ``referrals`` (facility-to-facility lines),
``tier_closure`` (per unit, tier and group) and ``tier_upgrades`` (every facility below the top
tier ranked by what upgrading it to the next tier would bring: people × minutes saved, people
newly reaching the tier; :func:`accessibility.tiers.upgrade_gains`).

``[audit]``: ``schools`` (path), ``schools_layer``, ``id_column`` (default ``facility_id``),
``level_column`` (``level``), ``columns`` (``{canonical = "yours"}``), ``standards`` (a TOML of
overrides, :func:`accessibility.audit.load_audit_standards`); gives the ``schools_audit`` layer
(pass/fail per indicator) and the ``school_audit_cv`` table.

``[indicators]`` (none without the section): ``use = "default"`` (the ``[indicators]`` of the
``[equity] standards`` file, or the built-in ones; ``"none"`` for none) and
``[indicators."<name as on the form>"]`` tables added to or replacing those; gives the
``named_indicators`` table.
"""

from __future__ import annotations

import logging
import math
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import ConfigError, InputWarning, ResultWarning, suggest

__all__ = [
    "AUDIT_KEYS",
    "TIER_KEYS",
    "check_tier_config",
    "group_tiers",
    "report_sections",
    "scenario_tier_columns",
    "tier_step",
]

_log = logging.getLogger(__name__)

TIER_KEYS: dict[str, Any] = {
    "services": None,
    "column": "tier",
    "values": None,
    "mode": None,
    "max_time_min": 120.0,
    "closure": [],
    "population": None,
    "label": None,
}
AUDIT_KEYS: dict[str, Any] = {
    "schools": None,
    "schools_layer": None,
    "schools_encoding": None,
    "id_column": "facility_id",
    "level_column": "level",
    "columns": {},
    "standards": None,
}


def _path(value: Any, where: str, base: Path) -> str:
    if not isinstance(value, str):
        raise ConfigError(
            f'{where} = {value!r}: must be a file path in quotes, e.g. "schools.gpkg"'
        )
    p = Path(os.path.expanduser(value))
    p = p if p.is_absolute() else base / p
    if not p.exists():
        raise ConfigError(f"{where} = {value!r}: file {str(p)!r} does not exist")
    return str(p)


def _check_group(name: str, table: Any) -> dict[str, Any]:
    where = f"[tiers.{name}]"
    if not isinstance(table, Mapping):
        raise ConfigError(f'{where} must be a table, e.g. services = ["clinic", "hospital"]')
    for k in table:
        if k not in TIER_KEYS:
            raise ConfigError(
                f"unknown key {k!r} in {where}.{suggest(k, TIER_KEYS)} Valid keys: "
                f"{', '.join(TIER_KEYS)}"
            )
    out = {**TIER_KEYS, **table}
    svc = out["services"]
    if not isinstance(svc, list) or not svc or not all(isinstance(s, str) for s in svc):
        raise ConfigError(f"{where} needs services = [...] (the facilities of the group)")
    vals = out["values"]
    if vals is not None and (
        not isinstance(vals, Mapping)
        or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in vals.values())
    ):
        raise ConfigError(f"{where} values must map labels to tiers >= 1, e.g. {{ village = 1 }}")
    t = out["max_time_min"]
    if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t) or t <= 0:
        raise ConfigError(f"{where} max_time_min = {t!r}: must be a number of minutes > 0")
    _text(out["column"], f"{where} column", none=False)
    for k in ("mode", "population", "label"):
        _text(out[k], f"{where} {k}")
    if not isinstance(out["closure"], list) or not all(isinstance(c, str) for c in out["closure"]):
        raise ConfigError(f'{where} closure must be a list of column names, e.g. ["township"]')
    return out


def _text(value: Any, where: str, *, none: bool = True) -> None:
    if not (isinstance(value, str) or (none and value is None)):
        raise ConfigError(f"{where} = {value!r}: must be text in quotes")


def _table(cfg: Mapping[str, Any], key: str, example: str) -> dict[str, Any]:
    value = cfg.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"[{key}] must be a table, e.g. {example}; got {value!r}")
    return dict(value)


def check_tier_config(cfg: dict[str, Any], base: Path) -> None:
    """Check ``[tiers]``, ``[audit]`` and ``[indicators]`` in place (paths resolved from
    ``base``); absent sections become empty tables."""
    tiers = _table(cfg, "tiers", "[tiers.health]")
    cfg["tiers"] = {str(g): _check_group(str(g), t) for g, t in tiers.items()}
    audit = _table(cfg, "audit", '[audit] schools = "schools.gpkg"')
    for k in audit:
        if k not in AUDIT_KEYS:
            raise ConfigError(f"unknown key {k!r} in [audit].{suggest(k, AUDIT_KEYS)}")
    if audit:
        audit = {**AUDIT_KEYS, **audit}
        if not audit["schools"]:
            raise ConfigError('[audit] needs schools = "schools.gpkg" (the school table)')
        audit["schools"] = _path(audit["schools"], "[audit] schools", base)
        if audit["standards"] is not None:
            audit["standards"] = _path(audit["standards"], "[audit] standards", base)
        layer = audit["schools_layer"]
        if not (layer is None or isinstance(layer, str | int)) or isinstance(layer, bool):
            raise ConfigError(f"[audit] schools_layer = {layer!r}: a layer name in quotes")
        for k in ("schools_encoding",):
            _text(audit[k], f"[audit] {k}")
        for k in ("id_column", "level_column"):
            _text(audit[k], f"[audit] {k}", none=False)
        columns = audit["columns"]
        if not isinstance(columns, Mapping) or not all(
            isinstance(v, str) for v in columns.values()
        ):
            raise ConfigError(
                '[audit] columns must map keys to column names, e.g. { pupils = "在校生数" }'
            )
    cfg["audit"] = audit
    if cfg.get("indicators") is None:  # no [indicators] section: none computed
        cfg["indicators"] = {}
        return
    ind = _table(cfg, "indicators", '[indicators] use = "default"')
    use = ind.pop("use", "default")
    if use not in ("default", "none"):
        raise ConfigError(f'[indicators] use = {use!r}: "default" or "none"')
    from ..tiers.indicators import load_indicators

    if ind:
        load_indicators({"indicators": ind})  # checks every entry, names the problems
    cfg["indicators"] = {"use": use, **ind}


# --- computing ---------------------------------------------------------------------------------


def group_tiers(fac: pd.DataFrame, group: Mapping[str, Any], scol: str) -> pd.Series:
    """The group's tiers; facilities with an empty tier column (e.g. added by a scenario without
    it) are left out with a warning."""
    from ..tiers import facility_tiers

    tiers = facility_tiers(
        fac, column=group["column"], values=group["values"], services=group["services"],
        service_column=scol, missing="drop",
    )  # fmt: skip
    left = tiers.attrs.get("missing") or []
    if left:
        warnings.warn(
            f"{len(left)} facilities of {group['services']} have no {group['column']!r} and are "
            f"left out of the tiers: {left[:5]}. Give them one (in a scenario: "
            f'attributes = {{ {group["column"]} = "..." }} on [[add_facility]]).',
            InputWarning,
            stacklevel=3,
        )
    return tiers


def _facility_units(
    fac: pd.DataFrame, unit: str, townships: gpd.GeoDataFrame | None
) -> pd.Series | None:
    """The unit of every facility: its own column, else the township polygon it lies in."""
    if unit in fac.columns:
        return fac[unit]
    if townships is None or unit not in townships.columns:
        return None
    poly = townships.to_crs(fac.crs) if townships.crs != fac.crs else townships
    joined = gpd.sjoin(fac[[fac.geometry.name]], poly[[unit, poly.geometry.name]], how="left")
    return joined[~joined.index.duplicated()][unit].reindex(fac.index)


def _referral_lines(
    flows: pd.DataFrame, fac: gpd.GeoDataFrame, group: str, name_col: str
) -> gpd.GeoDataFrame:
    pts = fac.geometry
    a = pts.reindex(flows["from_id"]).to_numpy()
    b = pts.reindex(flows["to_id"]).to_numpy()
    lines = [shapely.LineString([p, q]) for p, q in zip(a, b, strict=True)]
    names = fac[name_col] if name_col in fac.columns else pd.Series(dtype=object)
    out = flows.assign(
        group=group,
        from_name=names.reindex(flows["from_id"]).to_numpy(),
        to_name=names.reindex(flows["to_id"]).to_numpy(),
    )
    cols = ["group", "from_id", "from_name", "from_tier", "to_id", "to_name", "to_tier"]
    cols += ["time_min", "villages", "population"]
    return gpd.GeoDataFrame(out[cols], geometry=lines, crs=fac.crs)


def _one_group(result: Any, cfg: Mapping[str, Any], name: str, group: Mapping[str, Any],
               townships: gpd.GeoDataFrame | None) -> tuple[pd.Series, list, list]:  # fmt: skip
    from ..costs import travel_costs
    from ..tiers import (
        closure_by_village,
        closure_summary,
        nearest_by_tier,
        referral_chain,
        referral_flows,
        referral_table,
    )

    cols, net = cfg["columns"], cfg["network"]
    villages, fac = result.villages, result.facilities
    tiers = group_tiers(fac, group, cols["service"])
    members = fac.loc[tiers.index]
    mode = group["mode"] or cfg["analysis"]["mode"]
    kw = {"mode": mode, "max_time_min": float(group["max_time_min"]),
          "max_snap_m": net["max_snap_m"], "connector_speed_kmh": net["connector_speed_kmh"]}  # fmt: skip
    _log.info("tiers %s: routing %d villages to %d facilities (%s)", name, len(villages),
              len(members), mode)  # fmt: skip
    costs = travel_costs(result.network, villages, members, **kw)
    fac_costs = travel_costs(result.network, members, members, **kw)
    near = nearest_by_tier(costs, villages.index, tiers)
    refs = referral_table(fac_costs, tiers)
    chain = referral_chain(near, refs)
    pop_col = group["population"] or cols["population"]
    if pop_col not in villages.columns:
        raise ConfigError(f"[tiers.{name}] population: the villages have no column {pop_col!r}")
    pop = pd.to_numeric(villages[pop_col], errors="coerce")
    new: dict[str, Any] = {f"{name}_{c}": near[c] for c in near.columns}
    new.update({f"{name}_{c}": chain[c] for c in chain.columns})
    flows = _referral_lines(
        referral_flows(chain, near, refs, pop), members, name, cols["facility_name"]
    )
    upgrades = _upgrades(costs, near, tiers, pop, members, name, cols)
    summaries = []
    for unit in group["closure"]:
        if unit not in villages.columns:
            raise ConfigError(f"[tiers.{name}] closure: the villages have no column {unit!r}")
        fu = _facility_units(members, unit, townships)
        if fu is None:
            raise ConfigError(
                f"[tiers.{name}] closure {unit!r}: the facilities have no column {unit!r} and "
                "no townships layer with it to place them in"
            )
        per = closure_by_village(costs, near, villages[unit], tiers, fu)
        for c in per.columns:
            if c.endswith(("_outside", "_extra_min")):
                new[f"{name}_{c}_{unit}"] = per[c]
        summary = closure_summary(per, villages[unit], pop, overall=True)
        summaries.append(summary.assign(group=name, unit_column=unit))
    added = pd.DataFrame(new, index=villages.index)  # all at once: no fragmented frame
    result.villages = villages.drop(columns=added.columns, errors="ignore").join(added)
    return tiers, [flows, upgrades], summaries


def _upgrades(costs: pd.DataFrame, near: pd.DataFrame, tiers: pd.Series, pop: pd.Series,
              members: gpd.GeoDataFrame, name: str, cols: Mapping[str, Any]) -> gpd.GeoDataFrame:  # fmt: skip
    """Every facility below the top tier ranked by what its upgrade would bring (siting)."""
    from ..tiers import upgrade_gains

    parts = []
    levels = sorted(int(k) for k in tiers.unique())
    for k in levels[:-1]:
        g = upgrade_gains(costs, near, tiers, pop, tier=k)
        g.insert(0, "tier", k)
        g.insert(0, "group", name)
        g["rank"] = np.arange(1, len(g) + 1)
        parts.append(g)
    table = pd.concat(parts) if parts else pd.DataFrame()
    label = cols["facility_name"]
    if label in members.columns and len(table):
        table.insert(2, "name", members[label].reindex(table.index).to_numpy())
    geom = members.geometry.reindex(table.index).to_numpy() if len(table) else []
    return gpd.GeoDataFrame(table, geometry=geom, crs=members.crs)


def _closure_layer(parts: list[pd.DataFrame], townships: gpd.GeoDataFrame | None) -> pd.DataFrame:
    table = pd.concat(parts, ignore_index=True)
    cols = ["group", "unit_column", "unit", "tier", "population", "population_outside",
            "share_outside", "mean_extra_min", "population_unreachable", "population_no_inside"]  # fmt: skip
    table = table[cols]
    if townships is None:
        return table
    by = [c for c in table["unit_column"].unique() if c in townships.columns]
    if len(by) != 1 or (table["unit_column"] != by[0]).any():
        return table
    geo = townships.set_index(by[0]).geometry
    return gpd.GeoDataFrame(
        table, geometry=geo.reindex(table["unit"]).to_numpy(), crs=townships.crs
    )


def _audit(result: Any, cfg: Mapping[str, Any]) -> None:
    from ..audit import county_audit, load_audit_standards
    from ..io import read_layer

    a = cfg["audit"]
    schools = read_layer(a["schools"], layer=a["schools_layer"], encoding=a["schools_encoding"])
    if a["id_column"] in schools.columns:
        schools = schools.set_index(a["id_column"])
    std = load_audit_standards(overrides=a["standards"]) if a["standards"] else None
    res = county_audit(
        schools, level_column=a["level_column"], columns=a["columns"] or None, standards=std
    )
    layer = res.schools.copy()
    if "name" in schools.columns:
        layer.insert(0, "name", schools["name"].reindex(layer.index))
    if isinstance(schools, gpd.GeoDataFrame) and schools.geometry.notna().any():
        geom = schools.geometry.reindex(layer.index)
        layer = gpd.GeoDataFrame(layer, geometry=geom.to_numpy(), crs=schools.crs)
    elif set(layer.index) <= set(result.facilities.index):
        fac = result.facilities
        layer = gpd.GeoDataFrame(layer, geometry=fac.geometry.reindex(layer.index).to_numpy(),
                                 crs=fac.crs)  # fmt: skip
    layer.index.name = a["id_column"]
    result.extra_layers["schools_audit"] = layer
    cv = res.cv.copy()
    result.extra_layers["school_audit_cv"] = cv
    levels = res.levels.reset_index()
    levels["county_passed"] = res.passed
    result.extra_layers["school_audit_levels"] = levels


def _indicators(result: Any, cfg: Mapping[str, Any], specs: Mapping[str, Any],
                tiers: Mapping[str, pd.Series]) -> None:  # fmt: skip
    from ..tiers.indicators import load_indicators, named_indicators

    ind = dict(cfg["indicators"])
    use = ind.pop("use", "default")
    if use == "none" and not ind:
        return
    base: dict[str, Any] = {}
    if use == "default":
        std = cfg["equity"]["standards"]
        base = load_indicators(None if std in (None, "default", "none") else std)
    defs = {**base, **ind}
    if not defs:
        return
    modes = {s: spec["mode"] for s, spec in (specs or {}).items()}
    table = named_indicators(
        result.villages, defs, facilities=result.facilities,
        service_column=cfg["columns"]["service"], modes=modes, tiers=tiers,
    )  # fmt: skip
    result.extra_layers["named_indicators"] = table


def _has_members(fac: pd.DataFrame, group: Mapping[str, Any], scol: str, name: str) -> bool:
    """Whether the facilities hold any of a tier group's services (else a warning: the group's
    columns and layers are left out, the rest of the run goes on)."""
    services = [str(s) for s in group["services"]]
    if scol in fac.columns and fac[scol].astype(str).isin(services).any():
        return True
    warnings.warn(
        f"[tiers.{name}]: the facilities hold none of its services {services}; the group's tier "
        f"times, referrals and closure are left out. Check [tiers.{name}] services against the "
        f"facilities' {scol!r} column.",
        ResultWarning,
        stacklevel=3,
    )
    return False


def tier_step(
    result: Any,
    cfg: Mapping[str, Any],
    specs: Mapping[str, Any] | None,
    townships: gpd.GeoDataFrame | None,
) -> None:
    """Tier times, referral chains, closure, the school audit and the named indicators of a run:
    new per-village columns on ``result.villages`` and new layers in ``result.extra_layers``."""
    tiers: dict[str, pd.Series] = {}
    flows, closure = [], []
    for name, group in (cfg.get("tiers") or {}).items():
        if not _has_members(result.facilities, group, cfg["columns"]["service"], name):
            continue
        tiers[name], f, c = _one_group(result, cfg, name, group, townships)
        flows += f
        closure += c
    if flows:  # per group: its referral lines, then its upgrade candidates
        result.extra_layers["referrals"] = pd.concat(flows[0::2], ignore_index=True)
        result.extra_layers["tier_upgrades"] = pd.concat(flows[1::2])
    if closure:
        result.extra_layers["tier_closure"] = _closure_layer(closure, townships)
    if cfg.get("audit"):
        _audit(result, cfg)
    if cfg.get("indicators"):
        _indicators(result, cfg, specs or {}, tiers)


def report_sections(result: Any, cfg: Mapping[str, Any], lang: str = "en") -> list[str]:
    """The report's HTML lines for the tiers, the school audit and the named indicators of a run
    (none when the project has none), in ``lang`` (``"zh"`` or ``"en"``)."""
    from ..report.audit import audit_section
    from ..report.tiers import indicator_section, tier_section

    extra = getattr(result, "extra_layers", None) or {}
    out: list[str] = []
    if cfg.get("tiers") and "referrals" in extra:  # the tier step ran
        out += tier_section(
            result.villages, cfg["tiers"], population=cfg["columns"]["population"],
            closure=extra.get("tier_closure"), referrals=extra.get("referrals"),
            upgrades=extra.get("tier_upgrades"), lang=lang,
        )  # fmt: skip
    if "schools_audit" in extra:
        levels = extra["school_audit_levels"]
        passed = levels["county_passed"].iloc[0] if len(levels) else None
        out += audit_section(
            levels, extra["school_audit_cv"], extra["schools_audit"],
            county_passed=None if pd.isna(passed) else bool(passed), lang=lang,
        )  # fmt: skip
    if "named_indicators" in extra:
        out += indicator_section(extra["named_indicators"], lang=lang)
    return out


def _tier_times(network: Any, villages: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame,
                cfg: Mapping[str, Any]) -> pd.DataFrame:  # fmt: skip
    """Per village and ``[tiers]`` group: ``{g}_tier{k}_min`` and ``{g}_referral_min``."""
    from ..costs import travel_costs
    from ..tiers import nearest_by_tier, referral_chain, referral_table

    net = cfg["network"]
    out = pd.DataFrame(index=villages.index)
    for name, group in cfg["tiers"].items():
        tiers = group_tiers(facilities, group, cfg["columns"]["service"])
        members = facilities.loc[tiers.index]
        kw = {"mode": group["mode"] or cfg["analysis"]["mode"],
              "max_time_min": float(group["max_time_min"]), "max_snap_m": net["max_snap_m"],
              "connector_speed_kmh": net["connector_speed_kmh"]}  # fmt: skip
        near = nearest_by_tier(
            travel_costs(network, villages, members, **kw), villages.index, tiers
        )
        refs = referral_table(travel_costs(network, members, members, **kw), tiers)
        for c in near.columns:
            if c.endswith("_min"):
                out[f"{name}_{c}"] = near[c]
        out[f"{name}_referral_min"] = referral_chain(near, refs)["referral_min"]
    return out


def scenario_tier_columns(before: Any, after: Any, cfg: Mapping[str, Any]) -> pd.DataFrame:
    """The tier times of a scenario, before and after (for ``[[upgrade_facility]]`` and every
    other change): per village ``{g}_tier{k}_min_before``/``_after``,
    ``{g}_referral_min_before``/``_after`` and ``{g}_referral_saved_min``.

    ``before`` and ``after`` are :class:`accessibility.planning.PlanningInputs` (network,
    villages, facilities); empty when the project has no ``[tiers]``.
    """
    if not cfg.get("tiers"):
        return pd.DataFrame(index=before.villages.index)
    a = _tier_times(before.network, before.villages, before.facilities, cfg)
    b = _tier_times(after.network, after.villages, after.facilities, cfg)
    out = pd.DataFrame(index=a.index)
    for c in a.columns:
        out[f"{c}_before"] = a[c]
        out[f"{c}_after"] = b[c].reindex(a.index)
    for name in cfg["tiers"]:
        with np.errstate(invalid="ignore"):
            saved = a[f"{name}_referral_min"] - b[f"{name}_referral_min"].reindex(a.index)
        out[f"{name}_referral_saved_min"] = saved.where(np.isfinite(saved))
    return out
