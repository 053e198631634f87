"""Reordering pair tables: :func:`accessibility.routing.order.regroup_pairs` and the merge of
same-edge pairs into a routed table agree with the plain numpy paths they replace."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accessibility.costs import _merge_direct
from accessibility.routing.order import counting_order, regroup_pairs


def _parts(
    rng: np.random.Generator, n_src: int, n_keys: int, n_parts: int, whole_sources: bool = False
) -> list[dict]:
    """Pieces as a many-to-many search yields them: sorted by source, then target (with
    ``whole_sources`` each source's rows in one piece, as the searches' chunks give them)."""
    src = np.sort(rng.integers(0, n_src, rng.integers(0, 60)))
    tgt = rng.integers(0, n_keys, src.shape[0])
    order = np.lexsort((tgt, src))
    src, tgt = src[order], tgt[order]
    keep = np.ones(src.shape[0], bool)
    keep[1:] = (src[1:] != src[:-1]) | (tgt[1:] != tgt[:-1])
    src, tgt = src[keep], tgt[keep]
    cuts = np.sort(rng.integers(0, src.shape[0] + 1, n_parts - 1))
    if whole_sources and src.shape[0]:
        cuts = np.searchsorted(src, src[np.minimum(cuts, src.shape[0] - 1)])
    bounds = [0, *cuts.tolist(), src.shape[0]]
    cost = rng.random(src.shape[0])
    cost2 = rng.random(src.shape[0])
    return [
        {"source": src[a:b], "target": tgt[a:b], "cost": cost[a:b], "cost2": cost2[a:b]}
        for a, b in itertools.pairwise(bounds)
    ]


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(1, 9),
    st.integers(1, 12),
    st.integers(1, 5),
    st.integers(1, 3),
)
def test_regroup_pairs_equals_concatenate_and_counting_order(seed, n_src, n_keys, n_parts, n_jobs):
    rng = np.random.default_rng(seed)
    parts = _parts(rng, n_src, n_keys, n_parts)
    whole = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = counting_order(whole["target"], n_keys)
    got = regroup_pairs(parts, "target", n_keys, n_jobs=n_jobs)
    assert parts == []  # the pieces were handed over
    for k, v in whole.items():
        np.testing.assert_array_equal(got[k], v[order])
        assert got[k].dtype == (np.int32 if k in ("source", "target") else v.dtype)


def test_regroup_pairs_releases_the_pieces_and_keeps_large_ids():
    # each piece's columns are handed over (its dict emptied: the arrays can be freed as they
    # are placed), and ids beyond int32 come back as int64, equal to the plain path
    rng = np.random.default_rng(5)
    parts = _parts(rng, 7, 9, 3)
    for p in parts:
        p["source"] = p["source"] + 2**40
    whole = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = counting_order(whole["target"], 9)
    dicts = list(parts)
    got = regroup_pairs(parts, "target", 9)
    assert parts == [] and all(d == {} for d in dicts)
    assert got["source"].dtype == np.int64
    for k, v in whole.items():
        np.testing.assert_array_equal(got[k], v[order])


def test_regroup_pairs_rejects_keys_out_of_range():
    part = {
        "source": np.array([0]),
        "target": np.array([3]),
        "cost": np.ones(1),
        "cost2": np.ones(1),
    }
    with pytest.raises(ValueError, match="keys must lie"):
        regroup_pairs([part], "target", 3)


def _merge_reference(cols, direct, n_d):
    """The same-edge merge as ``np.insert`` did it (the code it replaced)."""
    t = pd.DataFrame({"o": cols["o"], "d": cols["d"], "cost": cols["cost"], "cost2": cols["cost2"]})
    both = pd.concat([t.assign(r=0), direct.assign(r=1)], ignore_index=True)
    both = both.sort_values(["o", "d", "cost", "cost2", "r"], kind="stable")
    both = both.drop_duplicates(["o", "d"], keep="first")
    return {k: both[k].to_numpy() for k in ("o", "d", "cost", "cost2")}


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([np.int32, np.int64]))
def test_merge_direct_keeps_the_better_pair_and_inserts_in_order(seed, ids):
    rng = np.random.default_rng(seed)
    n_o, n_d = 6, 4
    key = np.unique(rng.integers(0, n_o * n_d, rng.integers(0, 20)))
    cols = {
        "o": (key // n_d).astype(ids),
        "d": (key % n_d).astype(ids),
        "cost": rng.integers(0, 4, key.shape[0]).astype(float),
        "cost2": rng.integers(0, 4, key.shape[0]).astype(float),
    }
    m = int(rng.integers(1, 10))
    direct = pd.DataFrame(
        {
            "o": rng.integers(0, n_o, m),
            "d": rng.integers(0, n_d, m),
            "cost": rng.integers(0, 4, m).astype(float),
            "cost2": rng.integers(0, 4, m).astype(float),
        }
    )
    want = _merge_reference({k: v.copy() for k, v in cols.items()}, direct, n_d)
    got = _merge_direct(cols, direct, n_d)
    for k in ("o", "d", "cost", "cost2"):
        np.testing.assert_array_equal(got[k], want[k])


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 5), st.integers(1, 3))
def test_same_edge_pairs_into_backward_pieces_equal_the_merge_after(seed, n_parts, n_jobs):
    """The backward path of ``travel_costs``: same-edge pairs merged into the pieces and placed by
    the regrouping give the table that merging them into the regrouped table gives."""
    from accessibility.costs import _direct_into_parts

    rng = np.random.default_rng(seed)
    n_o, n_d = 12, 9
    parts = _parts(rng, n_d, n_o, n_parts, whole_sources=True)  # source: destination
    for p in parts:
        p["cost"] = np.floor(p["cost"] * 4)  # ties with the direct pairs
        p["cost2"] = np.floor(p["cost2"] * 4)
    m = int(rng.integers(1, 12))
    direct = pd.DataFrame(
        {
            "o": rng.integers(0, n_o, m),
            "d": rng.integers(0, n_d, m),
            "cost": rng.integers(0, 4, m).astype(float),
            "cost2": rng.integers(0, 4, m).astype(float),
        }
    )
    copies = [{k: v.copy() for k, v in p.items()} for p in parts]
    whole = regroup_pairs(copies, "target", n_o)
    cols = {"o": whole["target"], "d": whole["source"], "cost": whole["cost"]}
    cols["cost2"] = whole["cost2"]
    want = _merge_direct(cols, direct, n_d)
    extra = _direct_into_parts(parts, direct)
    got = regroup_pairs(parts, "target", n_o, n_jobs=n_jobs, extra=extra)
    np.testing.assert_array_equal(got["target"], want["o"])
    np.testing.assert_array_equal(got["source"], want["d"])
    np.testing.assert_array_equal(got["cost"], want["cost"])
    np.testing.assert_array_equal(got["cost2"], want["cost2"])


def test_csr_from_arcs_counting_sort_keeps_the_stable_order(monkeypatch):
    """Large graphs order their arcs by a counting sort: the same CSR as numpy's stable sort."""
    import accessibility.routing.graph as graph_module

    rng = np.random.default_rng(3)
    n, m = 50, 2000
    tail, head = rng.integers(0, n, m), rng.integers(0, n, m)
    cost, cost2 = rng.integers(0, 3, m).astype(float), rng.random(m)
    want = graph_module.csr_from_arcs(n, tail, head, cost, cost2)
    monkeypatch.setattr(graph_module, "_COUNTING_SORT_ARCS", 1)
    got = graph_module.csr_from_arcs(n, tail, head, cost, cost2)
    for name in ("indptr", "head", "cost", "cost2", "arc_edge"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name))


@pytest.mark.parametrize("n_targets", [64, 5_000, 200_000])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_targets_come_out_in_order_from_both_paths(n_targets, seed):
    # a row's settled targets are put in order from the bit set (dense rows) or by a heapsort
    # (sparse rows); both must give the sorted targets and leave the bit set empty
    from accessibility.routing import search

    rng = np.random.default_rng(seed)
    words = (n_targets + 63) // 64
    for nt in (0, 1, 2, 7, words // 8 - 1, words // 8 + 1, min(n_targets, 3 * words)):
        if nt < 0:
            continue
        ts = rng.choice(n_targets, size=nt, replace=False).astype(np.int64)
        bits = np.zeros(words, np.uint64)
        for t in ts:
            bits[t >> 6] |= np.uint64(1) << np.uint64(t & 63)
        touched = np.full(nt + 3, -7, np.int64)
        touched[:nt] = ts
        search._in_order(touched, np.int64(nt), bits)
        assert touched[:nt].tolist() == sorted(ts.tolist())
        assert touched[nt:].tolist() == [-7, -7, -7]
        assert not bits.any()


@pytest.mark.parametrize("big", [False, True])
def test_many_to_many_parts_hold_ids_as_int32_when_they_fit(big):
    """The pieces travel_costs piles up hold their ids in 4 bytes when every id fits (8 bytes a
    pair less at the peak), with the same values as the searches' pieces; many_to_many still
    returns int64 ids, the same table either way."""
    from accessibility.routing import csr_from_arcs, iter_many_to_many, many_to_many
    from accessibility.routing.tables import many_to_many_parts

    rng = np.random.default_rng(5)
    n = 300
    tail, head = rng.integers(0, n, 1500), rng.integers(0, n, 1500)
    g = csr_from_arcs(n, tail, head, rng.random(1500), cost2=rng.random(1500))
    offset = 2**31 if big else 0
    kw = dict(
        source_id=np.arange(40) + offset,
        source_node=rng.integers(0, n, 40),
        target_id=np.arange(60),
        target_node=rng.integers(0, n, 60),
        max_cost=3.0,
        n_jobs=2,
        sources_per_chunk=7,
    )
    ref = list(iter_many_to_many(g, **kw))
    del kw["sources_per_chunk"]
    parts = many_to_many_parts(g, **kw)
    got = {c: np.concatenate([p[c] for p in parts]) for c in ("source", "target", "cost")}
    want = {c: np.concatenate([p[c] for p in ref]) for c in ("source", "target", "cost")}
    assert got["source"].shape[0] > 100
    assert parts[0]["source"].dtype == (np.int64 if big else np.int32)
    assert parts[0]["target"].dtype == np.int32
    for c in got:
        np.testing.assert_array_equal(got[c], want[c])
    table = many_to_many(g, **kw)
    assert table["source"].dtype == np.int64 and table["target"].dtype == np.int64
    for c in got:
        np.testing.assert_array_equal(table[c], want[c])
