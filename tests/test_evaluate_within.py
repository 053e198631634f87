"""Per-village counts and supply within each threshold (``project.evaluate``), against pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from accessibility.project.evaluate import _within_columns, threshold_label


def _reference(name, spec, costs, supply, index):
    """The counts and sums by pandas' groupby, as the package computed them before."""
    out = {}
    for t in spec["thresholds_min"]:
        within = costs[costs["travel_time_min"] <= t]
        out[f"{name}_n_{threshold_label(t)}min"] = (
            within.groupby("origin").size().reindex(index, fill_value=0).to_numpy(np.int64)
        )
        if supply is not None:
            total = within.assign(v=supply.reindex(within["destination"]).to_numpy())
            out[f"{name}_{spec['supply']}_{threshold_label(t)}min"] = (
                total.groupby("origin")["v"]
                .sum()
                .reindex(index, fill_value=0.0)
                .to_numpy(np.float64)
            )
    return out


@pytest.mark.parametrize("seed", range(6))
def test_within_columns_match_pandas_groupby(seed):
    rng = np.random.default_rng(seed)
    n_villages, n_facilities = int(rng.integers(1, 40)), int(rng.integers(1, 30))
    n_rows = int(rng.integers(0, 400))
    villages = pd.Index([f"v{i}" for i in rng.permutation(n_villages)], name="village_id")
    facility_ids = [f"f{i}" for i in range(n_facilities)]
    supply = pd.Series(
        np.where(rng.random(n_facilities) < 0.2, np.nan, rng.random(n_facilities) * 100),
        index=pd.Index(facility_ids, name="facility_id"),
    )
    if seed % 2:
        supply = supply.round()  # whole numbers: the sums are exact either way
    costs = pd.DataFrame(
        {
            # some origins are not villages and some destinations have no supply row
            "origin": rng.choice([*villages, "elsewhere"], n_rows),
            "destination": rng.choice([*facility_ids, "unknown"], n_rows),
            "travel_time_min": np.where(rng.random(n_rows) < 0.05, np.nan, rng.random(n_rows) * 70),
            "distance_m": rng.random(n_rows) * 50_000,
        }
    )
    if seed % 3 == 0:  # cost tables hold their ids as categoricals over the layers' ids
        costs["origin"] = costs["origin"].astype("category")
        costs["destination"] = costs["destination"].astype("category")
    spec = {"thresholds_min": (15, 30, 60.5), "supply": "capacity"}
    for s in (supply, None):
        got = _within_columns("clinic", spec, costs, s, villages)
        want = _reference("clinic", spec, costs, s, villages)
        assert list(got) == list(want)
        for key, expected in want.items():
            assert got[key].dtype == expected.dtype, key
            if expected.dtype.kind == "i" or seed % 2:
                np.testing.assert_array_equal(got[key], expected, err_msg=key)
            else:  # pandas sums with compensation: the last bits may differ
                np.testing.assert_allclose(got[key], expected, rtol=1e-12, err_msg=key)
