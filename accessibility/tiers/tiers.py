"""Service tiers: the nearest facility of each tier, referral chains and upgrades.

Basic public services in a Chinese county are organised in tiers, and national targets are written
per tier: village clinic (村卫生室) → township health centre (乡镇卫生院) → county hospital
("小病不出村、大病不出县"); teaching point or village school → township central school → county
school; village mutual-aid elder care → township regional elder-care centre (乡镇区域养老服务中心)
→ county institution. Tier 1 is the lowest (closest to the village).

Every function takes cost tables (``origin``, ``destination``, ``travel_time_min``, as made by
:func:`accessibility.costs.travel_costs`) and plain tables; nothing is routed here. The referral
between facilities needs a facility-to-facility cost table: ``travel_costs`` from the facilities to
the facilities.

Examples
--------
>>> import pandas as pd
>>> from accessibility.tiers import nearest_by_tier
>>> costs = pd.DataFrame({"origin": ["V1", "V1", "V2"], "destination": ["C1", "T1", "C1"],
...                       "travel_time_min": [5.0, 20.0, 12.0]})
>>> tiers = pd.Series([1, 2], index=["C1", "T1"])
>>> nearest_by_tier(costs, pd.Index(["V1", "V2"]), tiers)["tier1_min"].tolist()
[5.0, 12.0]
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InvalidValueError, MissingColumnError, suggest
from ..measures import nearest_cost, nearest_facility

__all__ = [
    "facility_tiers",
    "nearest_by_tier",
    "referral_chain",
    "referral_flows",
    "referral_table",
    "upgrade_facilities",
    "upgrade_gains",
]

COST = "travel_time_min"


def facility_tiers(
    facilities: pd.DataFrame,
    *,
    column: str = "tier",
    values: Mapping[Any, int] | None = None,
    services: Sequence[str] | None = None,
    service_column: str = "service",
    missing: str = "raise",
) -> pd.Series:
    """The tier (1 = lowest) of every facility of a group, from a column.

    Parameters
    ----------
    facilities
        Facility table (index = facility id); not modified.
    column
        Column holding the tier: whole numbers, or labels translated by ``values``.
    values
        ``{label: tier}``, e.g. ``{"village": 1, "township": 2, "county": 3}``; None when the column
        holds the tier numbers.
    services
        Keep only the facilities of these services (``service_column``); None keeps all.
    service_column
        Column of the service names.
    missing
        ``"raise"`` (default) or ``"drop"``: what to do with facilities whose tier column is
        empty (dropped ones are listed in ``result.attrs["missing"]``).

    Returns
    -------
    pandas.Series
        ``int64`` tiers indexed like the kept facilities, named ``tier``.

    Raises
    ------
    MissingColumnError
        A column is missing.
    InvalidValueError
        A value has no tier (listed), or a tier is not a whole number >= 1.

    Examples
    --------
    >>> import pandas as pd
    >>> fac = pd.DataFrame({"service": ["clinic", "hospital"], "level": ["village", "county"]},
    ...                    index=["C1", "H1"])
    >>> facility_tiers(fac, column="level", values={"village": 1, "county": 3}).tolist()
    [1, 3]
    """
    need = [column] + ([service_column] if services is not None else [])
    for c in need:
        if c not in facilities.columns:
            raise MissingColumnError(
                f"facility_tiers: no column {c!r}.{suggest(c, map(str, facilities.columns))} "
                f"Columns: {list(facilities.columns)}"
            )
    fac = facilities
    if services is not None:
        fac = fac[fac[service_column].astype(str).isin([str(s) for s in services])]
    raw = fac[column]
    empty = raw.isna() | (raw.astype(str).str.strip() == "")
    dropped: list[Any] = []
    if missing == "drop" and empty.any():
        dropped = list(raw.index[empty])
        raw = raw[~empty]
    if values is not None:
        unknown = sorted({str(v) for v in raw.dropna().unique()} - {str(k) for k in values})
        if unknown or raw.isna().any():
            missing = unknown + (["<empty>"] if raw.isna().any() else [])
            raise InvalidValueError(
                f"facility_tiers: values {missing} of column {column!r} have no tier; "
                f"tiers are given for {list(values)}. Add them to the tier values (e.g. "
                f"{{{missing[0]!r} = 1}}) or leave those facilities out of the group's services."
            )
        tiers = raw.astype(str).map({str(k): v for k, v in values.items()})
    else:
        tiers = pd.to_numeric(raw, errors="coerce")
    t = tiers.to_numpy(float)
    bad = ~np.isfinite(t) | (t < 1) | (t != np.round(t))
    if bad.any():
        shown = list(raw[bad].astype(str).unique()[:5])
        raise InvalidValueError(
            f"facility_tiers: column {column!r} must give whole tiers >= 1 (1 = lowest, e.g. the "
            f"village clinic); got {shown}. Map labels with values = {{label = tier}}."
        )
    out = pd.Series(t.astype(np.int64), index=raw.index, name="tier")
    out.attrs["missing"] = dropped
    return out


def _by_tier(tiers: pd.Series) -> dict[int, pd.Index]:
    return {int(k): tiers.index[tiers.to_numpy() == k] for k in sorted(tiers.unique())}


def nearest_by_tier(
    costs: pd.DataFrame, villages: pd.Index | pd.DataFrame, tiers: pd.Series, *, cost: str = COST
) -> pd.DataFrame:
    """Per village, the nearest facility of every tier and its travel time.

    Uses :func:`accessibility.measures.nearest_cost` and :func:`~accessibility.measures.
    nearest_facility` on the facilities of each tier; pairs to other destinations are ignored.

    Parameters
    ----------
    costs
        Village -> facility cost table.
    villages
        The villages (an index, or a table whose index is used).
    tiers
        Tier per facility (:func:`facility_tiers`).
    cost
        Cost column (minutes).

    Returns
    -------
    pandas.DataFrame
        Indexed like the villages: ``tier{k}_id`` (missing when no facility of the tier is in the
        table's reach) and ``tier{k}_min`` (``inf`` then) for every tier present, lowest first.

    Examples
    --------
    >>> import pandas as pd
    >>> costs = pd.DataFrame({"origin": ["V1", "V1"], "destination": ["C1", "T1"],
    ...                       "travel_time_min": [5.0, 20.0]})
    >>> near = nearest_by_tier(costs, pd.Index(["V1"]), pd.Series([1, 2], index=["C1", "T1"]))
    >>> near.loc["V1", "tier2_id"], float(near.loc["V1", "tier2_min"])
    ('T1', 20.0)
    """
    index = villages.index if isinstance(villages, pd.DataFrame) else pd.Index(villages)
    demand = pd.Series(1.0, index=index)
    cols: dict[str, Any] = {}
    costs = costs[costs["origin"].isin(index)]
    for k, ids in _by_tier(tiers).items():
        supply = pd.Series(1.0, index=ids)
        part = costs[costs["destination"].isin(ids)]  # the pairs to this tier
        ids_k = nearest_facility(part, demand, supply, cost=cost)
        cols[f"tier{k}_id"] = ids_k.astype(object).where(ids_k.notna(), None).to_numpy()
        cols[f"tier{k}_min"] = nearest_cost(part, demand, supply, cost=cost)
        cols[f"tier{k}_min"] = cols[f"tier{k}_min"].to_numpy(np.float64)
    return pd.DataFrame(cols, index=index)


def referral_table(fac_costs: pd.DataFrame, tiers: pd.Series, *, cost: str = COST) -> pd.DataFrame:
    """Every facility's referral: its nearest facility of the next tier up.

    The next tier is the lowest tier above the facility's own that has any facility (a group with
    tiers 1 and 3 refers from 1 to 3). Facilities of the top tier refer nowhere.

    Parameters
    ----------
    fac_costs
        Facility -> facility cost table (``travel_costs`` from the facilities to the facilities).
    tiers
        Tier per facility (:func:`facility_tiers`).
    cost
        Cost column (minutes).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``tiers``: ``tier``, ``referral_tier``, ``referral_id`` (missing at the top
        tier or when none is in reach) and ``referral_min`` (NaN at the top tier, ``inf`` when
        none is in reach).

    Examples
    --------
    >>> import pandas as pd
    >>> fc = pd.DataFrame({"origin": ["C1", "C1"], "destination": ["T1", "T2"],
    ...                    "travel_time_min": [7.0, 16.0]})
    >>> t = pd.Series([1, 2, 2], index=["C1", "T1", "T2"])
    >>> ref = referral_table(fc, t)
    >>> ref.loc["C1", "referral_id"], float(ref.loc["C1", "referral_min"])
    ('T1', 7.0)
    """
    groups = _by_tier(tiers)
    levels = sorted(groups)
    out = pd.DataFrame(
        {
            "tier": tiers.to_numpy(np.int64),
            "referral_tier": pd.array([pd.NA] * len(tiers), dtype="Int64"),
            "referral_id": pd.Series([None] * len(tiers), dtype=object).to_numpy(),
            "referral_min": np.full(len(tiers), np.nan),
        },
        index=tiers.index,
    )
    for lo, hi in itertools.pairwise(levels):
        origins = groups[lo]
        near = nearest_by_tier(fac_costs, origins, tiers[tiers == hi], cost=cost)
        out.loc[origins, "referral_tier"] = hi
        out.loc[origins, "referral_id"] = near[f"tier{hi}_id"].to_numpy()
        out.loc[origins, "referral_min"] = near[f"tier{hi}_min"].to_numpy()
    return out


def referral_chain(nearest: pd.DataFrame, referrals: pd.DataFrame) -> pd.DataFrame:
    """Per village, the referral chain: its nearest tier-1 facility, that facility's referral,
    and so on to the top tier, with the total time.

    Parameters
    ----------
    nearest
        :func:`nearest_by_tier` of the villages.
    referrals
        :func:`referral_table` of the facilities.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``nearest``: ``referral_tier{k}_id`` for every tier above the lowest (missing
        once the chain breaks), ``referral_min`` (the village's time to its nearest lowest-tier
        facility plus every referral leg; ``inf`` when a leg is out of reach) and
        ``referral_extra_min`` (``referral_min`` minus the direct time to the nearest top-tier
        facility: what going through the tiers costs, negative when the chain is shorter).

    Examples
    --------
    >>> import pandas as pd
    >>> near = pd.DataFrame({"tier1_id": ["C1"], "tier1_min": [5.0], "tier2_id": ["T1"],
    ...                      "tier2_min": [20.0]}, index=["V1"])
    >>> ref = pd.DataFrame({"tier": [1, 2], "referral_tier": [2, None],
    ...                     "referral_id": ["T1", None], "referral_min": [7.0, None]},
    ...                    index=["C1", "T1"])
    >>> float(referral_chain(near, ref).loc["V1", "referral_min"])
    12.0
    """
    levels = sorted(
        int(c[4:-3]) for c in nearest.columns if c.startswith("tier") and c.endswith("_id")
    )
    if not levels:
        raise InvalidValueError("referral_chain: `nearest` has no tier{k}_id columns")
    current = nearest[f"tier{levels[0]}_id"].astype(object)
    total = nearest[f"tier{levels[0]}_min"].to_numpy(np.float64).copy()
    cols: dict[str, Any] = {}
    ref_id = referrals["referral_id"].astype(object)
    ref_min = referrals["referral_min"].astype(float)
    for k in levels[1:]:
        known = current.notna().to_numpy()
        nxt = pd.Series(None, index=nearest.index, dtype=object)
        leg = np.full(len(nearest), np.inf)
        if known.any():
            ids = current[known].to_numpy()
            nxt[known] = ref_id.reindex(ids).to_numpy()
            leg[known] = ref_min.reindex(ids).fillna(np.inf).to_numpy()
        nxt = nxt.where(nxt.notna(), None)
        total = total + leg
        cols[f"referral_tier{k}_id"] = nxt.to_numpy()
        current = nxt
    out = pd.DataFrame(cols, index=nearest.index)
    out["referral_min"] = total
    top = nearest[f"tier{levels[-1]}_min"].to_numpy(np.float64)
    with np.errstate(invalid="ignore"):
        out["referral_extra_min"] = np.where(
            np.isfinite(total) & np.isfinite(top), total - top, np.nan
        )
    return out


def referral_flows(
    chain: pd.DataFrame, nearest: pd.DataFrame, referrals: pd.DataFrame, population: pd.Series
) -> pd.DataFrame:
    """The facility-to-facility referral table: each link of the chains with the villages and
    people referred along it.

    Parameters
    ----------
    chain
        :func:`referral_chain` of the villages.
    nearest
        :func:`nearest_by_tier` of the villages (gives each chain's first facility).
    referrals
        :func:`referral_table` of the facilities (gives each link's time).
    population
        People per village (indexed like the villages).

    Returns
    -------
    pandas.DataFrame
        One row per link: ``from_id``, ``from_tier``, ``to_id``, ``to_tier``, ``time_min`` (the
        referral leg), ``villages`` and ``population`` referred along it; sorted by tier, then
        population (largest first).

    Examples
    --------
    >>> import pandas as pd
    >>> near = pd.DataFrame({"tier1_id": ["C1"], "tier1_min": [5.0], "tier2_id": ["T1"],
    ...                      "tier2_min": [20.0]}, index=["V1"])
    >>> ch = pd.DataFrame({"referral_tier2_id": ["T1"], "referral_min": [12.0]}, index=["V1"])
    >>> ref = pd.DataFrame({"referral_min": [7.0, None]}, index=["C1", "T1"])
    >>> flows = referral_flows(ch, near, ref, pd.Series([80], index=["V1"]))
    >>> flows[["from_id", "to_id", "time_min", "population"]].values.tolist()
    [['C1', 'T1', 7.0, 80.0]]
    """
    ids = [c for c in chain.columns if c.startswith("referral_tier") and c.endswith("_id")]
    levels = sorted(int(c[len("referral_tier") : -3]) for c in ids)
    first = min(int(c[4:-3]) for c in nearest.columns if c.startswith("tier") and c.endswith("_id"))
    pop = pd.to_numeric(population.reindex(chain.index), errors="coerce").fillna(0.0).astype(float)
    steps = [(first, nearest[f"tier{first}_id"])] + [
        (k, chain[f"referral_tier{k}_id"]) for k in levels
    ]
    parts = []
    for (k0, a), (k1, b) in itertools.pairwise(steps):
        frame = pd.DataFrame(
            {"from_id": a.to_numpy(), "to_id": b.to_numpy(), "population": pop.to_numpy()}
        ).dropna(subset=["from_id", "to_id"])
        if frame.empty:
            continue
        g = frame.groupby(["from_id", "to_id"], sort=False)
        part = g["population"].agg(["size", "sum"]).reset_index()
        part.columns = ["from_id", "to_id", "villages", "population"]
        part.insert(1, "from_tier", k0)
        part.insert(3, "to_tier", k1)
        parts.append(part)
    cols = ["from_id", "from_tier", "to_id", "to_tier", "time_min", "villages", "population"]
    if not parts:
        return pd.DataFrame({c: [] for c in cols})
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(["from_tier", "population", "from_id"], ascending=[True, False, True])
    times = referrals["referral_min"].astype(float)
    out["time_min"] = times.reindex(out["from_id"]).to_numpy()
    return out.reset_index(drop=True)[cols]


def upgrade_gains(
    costs: pd.DataFrame,
    nearest: pd.DataFrame,
    tiers: pd.Series,
    population: pd.Series,
    *,
    tier: int,
    cost: str = COST,
) -> pd.DataFrame:
    """What upgrading each facility of ``tier`` to the next tier would bring: the siting question
    "which township health centre should become a county-level hospital branch?".

    A facility upgraded to the next tier ``k'`` serves its villages as one; a village gains when
    the facility is nearer than its current nearest facility of tier ``k'``.

    Parameters
    ----------
    costs
        Village -> facility cost table (with the candidates as destinations).
    nearest
        :func:`nearest_by_tier` of the villages (before any upgrade).
    tiers
        Tier per facility.
    population
        People per village.
    tier
        The tier of the candidates.
    cost
        Cost column (minutes).

    Returns
    -------
    pandas.DataFrame
        Indexed by candidate (best first): ``to_tier``, ``person_min_saved`` (people × minutes
        saved by villages that already reach tier ``k'``), ``population_better_served`` and
        ``population_newly_reached`` (people that reach no tier-``k'`` facility today).

    Raises
    ------
    InvalidValueError
        ``tier`` has no facilities, or no tier above it.

    Examples
    --------
    >>> import pandas as pd
    >>> costs = pd.DataFrame({"origin": ["V1", "V1"], "destination": ["C1", "T1"],
    ...                       "travel_time_min": [5.0, 20.0]})
    >>> t = pd.Series([1, 2], index=["C1", "T1"])
    >>> near = nearest_by_tier(costs, pd.Index(["V1"]), t)
    >>> float(upgrade_gains(costs, near, t, pd.Series([10], index=["V1"]), tier=1).loc["C1", "person_min_saved"])
    150.0
    """
    above = sorted(int(k) for k in tiers.unique() if k > tier)
    if not (tiers == tier).any() or not above:
        raise InvalidValueError(
            f"upgrade_gains: tier {tier} needs facilities and a tier above it; tiers present: "
            f"{sorted(int(k) for k in tiers.unique())}"
        )
    to = above[0]
    cands = tiers.index[tiers.to_numpy() == tier]
    pairs = costs[costs["destination"].isin(cands) & costs["origin"].isin(nearest.index)]
    now = nearest[f"tier{to}_min"].reindex(pairs["origin"]).to_numpy(np.float64)
    t = pairs[cost].to_numpy(np.float64)
    pop = pd.to_numeric(population, errors="coerce").reindex(pairs["origin"]).fillna(0).to_numpy()
    better = t < now
    frame = pd.DataFrame(
        {
            "candidate": pairs["destination"].to_numpy(),
            "saved": np.where(better & np.isfinite(now), (now - t) * pop, 0.0),
            "better": np.where(better, pop, 0.0),
            "new": np.where(better & ~np.isfinite(now), pop, 0.0),
        }
    )
    g = frame.groupby("candidate").sum().reindex(cands, fill_value=0.0)
    out = pd.DataFrame(
        {
            "to_tier": to,
            "person_min_saved": g["saved"].to_numpy(),
            "population_better_served": g["better"].to_numpy(),
            "population_newly_reached": g["new"].to_numpy(),
        },
        index=pd.Index(cands, name="facility_id"),
    )
    order = np.lexsort(
        (np.arange(len(out)), -out["person_min_saved"], -out["population_newly_reached"])
    )
    return out.iloc[order]


def upgrade_facilities(
    facilities: pd.DataFrame,
    ids: Iterable[Any],
    *,
    column: str = "tier",
    values: Mapping[Any, int] | None = None,
    service: str | None = None,
    service_column: str = "service",
) -> pd.DataFrame:
    """A copy of the facilities with ``ids`` upgraded to the next tier (the scenario's
    ``[[upgrade_facility]]``).

    Parameters
    ----------
    facilities
        Facility table; not modified.
    ids
        Facilities to upgrade.
    column, values
        The tier column and its labels, as in :func:`facility_tiers`.
    service
        New service of the upgraded facilities (e.g. ``"health_centre"`` for a clinic that becomes
        one); None keeps the service.
    service_column
        Column of the service names.

    Returns
    -------
    pandas.DataFrame
        The new table (same index and columns).

    Raises
    ------
    InvalidValueError
        An id is unknown, or a facility is already at the top tier.

    Examples
    --------
    >>> import pandas as pd
    >>> fac = pd.DataFrame({"tier": [1, 2]}, index=["C1", "T1"])
    >>> upgrade_facilities(fac, ["C1"])["tier"].tolist()
    [2, 2]
    """
    ids = list(ids)
    unknown = [i for i in ids if i not in facilities.index]
    if unknown:
        raise InvalidValueError(f"upgrade_facilities: unknown facility ids {unknown[:5]}")
    if values is None:  # the column holds the tier numbers
        present = pd.to_numeric(facilities[column], errors="coerce").dropna()
        top = int(present.max()) if len(present) else 0
        nxt: dict[Any, Any] = {k: k + 1 for k in range(1, top)}
    else:
        by_tier = {int(t): lab for lab, t in values.items()}
        nxt = {lab: by_tier.get(int(t) + 1) for lab, t in values.items()}
    out = facilities.copy()
    for i in ids:
        now = out.at[i, column]
        new = nxt.get(int(now) if values is None else now)
        if new is None:
            raise InvalidValueError(
                f"upgrade_facilities: facility {i!r} ({column} = {now!r}) is already at the top "
                "tier; there is no next tier to upgrade it to"
            )
        out.at[i, column] = new
        if service is not None:
            out.at[i, service_column] = service
    return out
