"""Pairs of an origin and a destination on the same edge (``costs._same_edge_pairs``), against
the pandas inner merge the package used before: same pairs, same order, same numbers."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from accessibility.costs import _same_edge_pairs


def _merge_reference(lo, ld, network, mode, max_time_min):
    o = lo.loc[lo["snapped"], ["edge", "fraction", "connector_min", "snap_distance_m"]]
    d = ld.loc[ld["snapped"], ["edge", "fraction", "connector_min", "snap_distance_m"]]
    o = o.assign(o_pos=np.flatnonzero(lo["snapped"].to_numpy()))
    d = d.assign(d_pos=np.flatnonzero(ld["snapped"].to_numpy()))
    m = o.merge(d, on="edge", suffixes=("_o", "_d"))
    if m.empty:
        return pd.DataFrame({"o": [], "d": [], "cost": [], "cost2": []})
    e = m["edge"].to_numpy()
    fwd = network.edges[f"{mode}_fwd_min"].to_numpy()[e]
    bwd = network.edges[f"{mode}_bwd_min"].to_numpy()[e]
    length = network.edges["length_m"].to_numpy()[e]
    dt = m["fraction_d"].to_numpy() - m["fraction_o"].to_numpy()
    with np.errstate(invalid="ignore"):
        along = np.where(dt >= 0, dt * fwd, -dt * bwd)
    ok = np.isfinite(along)
    cost = (
        m["connector_min_o"].to_numpy() + np.where(ok, along, 0) + m["connector_min_d"].to_numpy()
    )
    cost2 = (
        m["snap_distance_m_o"].to_numpy() + np.abs(dt) * length + m["snap_distance_m_d"].to_numpy()
    )
    keep = ok & (cost <= max_time_min)
    return pd.DataFrame(
        {
            "o": m["o_pos"].to_numpy()[keep],
            "d": m["d_pos"].to_numpy()[keep],
            "cost": cost[keep],
            "cost2": cost2[keep],
        }
    )


def _located(rng, n, n_edges, index):
    return pd.DataFrame(
        {
            "snapped": rng.random(n) < 0.85,
            "edge": rng.integers(0, n_edges, n),
            "fraction": rng.choice([0.0, 1.0, 0.5, *rng.random(5)], n),
            "connector_min": rng.random(n) * 3,
            "snap_distance_m": rng.random(n) * 300,
        },
        index=index,
    )


@pytest.mark.parametrize("seed", range(8))
def test_same_edge_pairs_equal_the_merge(seed):
    rng = np.random.default_rng(seed)
    n_edges = int(rng.integers(1, 12))  # few edges: many origins and destinations share one
    fwd = np.where(rng.random(n_edges) < 0.2, np.inf, rng.random(n_edges) * 5)
    bwd = np.where(rng.random(n_edges) < 0.2, np.inf, rng.random(n_edges) * 5)
    network = SimpleNamespace(
        edges=pd.DataFrame(
            {"car_fwd_min": fwd, "car_bwd_min": bwd, "length_m": rng.random(n_edges) * 2000}
        )
    )
    n_o, n_d = int(rng.integers(0, 60)), int(rng.integers(0, 60))
    lo = _located(rng, n_o, n_edges, pd.Index([f"v{i}" for i in rng.permutation(n_o)]))
    ld = _located(rng, n_d, n_edges, pd.Index(rng.permutation(n_d) * 7))
    for limit in (np.inf, 3.0):
        got = _same_edge_pairs(lo, ld, network, "car", limit)
        want = _merge_reference(lo, ld, network, "car", limit)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
