"""County and township closure: is the nearest facility of a tier inside one's own unit?

"小病不出村、大病不出县": the nearest facility of a tier should lie in the village's own county (or
township). :func:`closure_by_village` says, per village and tier, whether the nearest facility
lies outside the village's unit and how much longer the nearest one inside would take;
:func:`closure_summary` gives the share of people per unit (and for all units together).

Examples
--------
>>> import pandas as pd
>>> from accessibility.tiers import closure_by_village, nearest_by_tier
>>> costs = pd.DataFrame({"origin": ["V1", "V1"], "destination": ["T1", "T2"],
...                       "travel_time_min": [10.0, 25.0]})
>>> tiers = pd.Series([2, 2], index=["T1", "T2"])
>>> near = nearest_by_tier(costs, pd.Index(["V1"]), tiers)
>>> per = closure_by_village(costs, near, pd.Series(["A"], index=["V1"]), tiers,
...                          pd.Series(["B", "A"], index=["T1", "T2"]))
>>> bool(per.loc["V1", "tier2_outside"]), float(per.loc["V1", "tier2_extra_min"])
(True, 15.0)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .tiers import COST

__all__ = ["closure_by_village", "closure_summary"]


def closure_by_village(
    costs: pd.DataFrame,
    nearest: pd.DataFrame,
    units: pd.Series,
    tiers: pd.Series,
    facility_units: pd.Series,
    *,
    cost: str = COST,
) -> pd.DataFrame:
    """Per village and tier: is the nearest facility outside the village's unit, and what would the
    nearest one inside cost?

    Parameters
    ----------
    costs
        Village -> facility cost table.
    nearest
        :func:`~accessibility.tiers.nearest_by_tier` of the villages.
    units
        The unit (township, county) of every village.
    tiers
        Tier per facility.
    facility_units
        The unit of every facility (indexed like ``tiers``).
    cost
        Cost column (minutes).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``nearest``, per tier ``k``: ``tier{k}_outside`` (nullable boolean, ``<NA>``
        when no facility of the tier is in reach), ``tier{k}_inside_min`` (time to the nearest
        facility of the tier in the village's own unit; ``inf`` when there is none in reach) and
        ``tier{k}_extra_min`` (``inside - nearest`` for the villages outside; 0 inside; NaN when
        unknown).
    """
    index = nearest.index
    own = units.reindex(index).astype(object).to_numpy()
    fac_unit = facility_units.astype(object)
    cols: dict[str, object] = {}
    levels = sorted(
        int(c[4:-3]) for c in nearest.columns if c.startswith("tier") and c.endswith("_id")
    )
    for k in levels:
        ids = nearest[f"tier{k}_id"]
        known = ids.notna().to_numpy()
        outside = pd.array([pd.NA] * len(index), dtype="boolean")
        unit_of_nearest = fac_unit.reindex(ids[known].to_numpy()).to_numpy()
        outside[known] = unit_of_nearest != own[known]
        of_tier = tiers.index[tiers.to_numpy() == k]
        pairs = costs[costs["destination"].isin(of_tier) & costs["origin"].isin(index)]
        same = (
            fac_unit.reindex(pairs["destination"]).to_numpy()
            == pd.Series(own, index=index).reindex(pairs["origin"]).to_numpy()
        )
        inside = pairs[same].groupby("origin")[cost].min().reindex(index)
        inside_min = inside.fillna(np.inf).to_numpy(np.float64)
        near_min = nearest[f"tier{k}_min"].to_numpy(np.float64)
        out_np = outside.to_numpy(dtype=bool, na_value=False)
        with np.errstate(invalid="ignore"):
            extra = np.where(out_np, inside_min - near_min, 0.0)
        extra = np.where(known, extra, np.nan)
        cols[f"tier{k}_outside"] = outside
        cols[f"tier{k}_inside_min"] = inside_min
        cols[f"tier{k}_extra_min"] = extra
    return pd.DataFrame(cols, index=index)


def closure_summary(
    per_village: pd.DataFrame,
    units: pd.Series,
    population: pd.Series,
    *,
    overall: bool = False,
) -> pd.DataFrame:
    """The share of people per unit whose nearest facility of each tier lies outside the unit.

    Parameters
    ----------
    per_village
        :func:`closure_by_village`.
    units
        The unit of every village.
    population
        People per village.
    overall
        Also one row per tier for all units together (``unit = "all"``).

    Returns
    -------
    pandas.DataFrame
        One row per unit and tier: ``unit``, ``tier``, ``population``, ``population_outside``,
        ``share_outside`` (of all the unit's people; those that reach no facility of the tier are
        counted apart in ``population_unreachable``), ``mean_extra_min`` (population-weighted
        over the people outside whose unit has a facility of the tier in reach; NaN when none),
        ``population_no_inside`` (people outside whose unit has none in reach).
    """
    index = per_village.index
    pop = pd.to_numeric(population.reindex(index), errors="coerce").fillna(0.0).to_numpy()
    unit = units.reindex(index).astype(object).to_numpy()
    levels = sorted(int(c[4:-8]) for c in per_village.columns if c.endswith("_outside"))
    rows = []
    for k in levels:
        outside = per_village[f"tier{k}_outside"]
        known = outside.notna().to_numpy()
        out = outside.to_numpy(dtype=bool, na_value=False)
        extra = per_village[f"tier{k}_extra_min"].to_numpy(np.float64)
        finite = out & np.isfinite(extra)
        frame = pd.DataFrame(
            {
                "unit": unit,
                "population": pop,
                "population_outside": np.where(out, pop, 0.0),
                "population_unreachable": np.where(known, 0.0, pop),
                "population_no_inside": np.where(out & ~np.isfinite(extra), pop, 0.0),
                "w": np.where(finite, pop, 0.0),
                "wx": np.where(finite, pop * np.where(finite, extra, 0.0), 0.0),
            }
        )
        groups = [frame.groupby("unit", sort=True).sum()]
        if overall:
            groups.append(frame.drop(columns="unit").sum().to_frame("all").T)
        for g in groups:
            for name, r in g.iterrows():
                rows.append(
                    {
                        "unit": name,
                        "tier": k,
                        "population": r["population"],
                        "population_outside": r["population_outside"],
                        "share_outside": r["population_outside"] / r["population"]
                        if r["population"] > 0
                        else np.nan,
                        "mean_extra_min": r["wx"] / r["w"] if r["w"] > 0 else np.nan,
                        "population_unreachable": r["population_unreachable"],
                        "population_no_inside": r["population_no_inside"],
                    }
                )
    return pd.DataFrame(rows)
