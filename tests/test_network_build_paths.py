"""The network builder's kernels give the results of the constructions they replaced, exactly.

Distinct points come from a hash kernel (was pandas factorize) and the node order from a Hilbert
kernel (was whole-array numpy passes). Each is compared with the old construction directly, and
whole networks with networks built through the old constructions, on layers the builder was not
written for: random walks on a lattice with shuffled rows, reversed lines, repeated vertices and
near-misses, multi-lines, the demo county.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import accessibility as acc
from accessibility import routing
from accessibility.network import topology
from accessibility.routing import spatial_order

CRS = "EPSG:32649"


def _layer(seed: int, n_lines: int = 400) -> gpd.GeoDataFrame:
    """Random walks on a 100 m lattice (lines share, cross and touch each other anywhere),
    repeated vertices, some lines reversed, near-misses for the T-junction repair, rows in no
    order; a few long curvy lines (more vertices than the grouped line constructor takes)."""
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(n_lines):
        start = rng.integers(0, 20, 2) * 100.0
        steps = rng.choice([[100.0, 0], [-100.0, 0], [0, 100.0], [0, -100.0]], rng.integers(1, 6))
        pts = np.vstack([start, start + np.cumsum(steps, axis=0)])
        if rng.random() < 0.1:
            pts = np.repeat(pts, rng.integers(1, 3, len(pts)), axis=0)  # repeated vertices
        if rng.random() < 0.1:
            pts[0] += rng.uniform(-0.8, 0.8, 2)  # an end short of (or past) a junction
        if i % 50 == 0:
            t = np.linspace(0, 1, 40)
            pts = np.column_stack([start[0] + 900 * t, start[1] + 30 * np.sin(9 * t)])
        if len(np.unique(pts, axis=0)) > 1:
            lines.append(shapely.LineString(pts + 3e6))
    m = len(lines)
    return gpd.GeoDataFrame(
        {
            "road_class": rng.choice(["county", "township", "village", "track"], m),
            "oneway": rng.choice(["yes", "no", "-1"], m, p=[0.1, 0.8, 0.1]),
            "name": None,
        },
        geometry=lines,
        crs=CRS,
    )


def _multi(layer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    g = layer.geometry.to_numpy()
    merged = [shapely.multilinestrings(list(g[i : i + 3])) for i in range(0, len(g) - 2, 3)]
    return gpd.GeoDataFrame(
        layer.iloc[: 3 * len(merged) : 3].drop(columns="geometry").reset_index(drop=True),
        geometry=merged,
        crs=CRS,
    )


def _layers() -> list[tuple[str, gpd.GeoDataFrame, dict]]:
    a = _layer(0)
    demo = acc.load_demo().roads
    return [
        ("walks", a, {}),
        ("walks shuffled", a.sample(frac=1.0, random_state=2), {}),
        ("walks split", _layer(1), {"split_crossings": True, "tolerance_m": 2.0}),
        ("walks no repair", _layer(2), {"tolerance_m": 0.0, "join_t_junctions": False}),
        ("multi-lines", _multi(_layer(3)), {}),
        ("demo", demo, {}),
        ("demo shuffled", demo.sample(frac=1.0, random_state=1), {"split_crossings": True}),
    ]


def _same(a: acc.Network, b: acc.Network, what: str) -> None:
    for x, y in ((a.nodes, b.nodes), (a.edges, b.edges)):
        assert x.crs == y.crs
        assert x.index.name == y.index.name
        pd.testing.assert_frame_equal(x.to_wkb(), y.to_wkb(), check_exact=True, obj=what)
    assert a.report == b.report, what


@pytest.mark.filterwarnings("ignore")
def test_networks_are_those_of_the_old_constructions(monkeypatch):
    fast = [acc.network_from_roads(layer, **kw) for _, layer, kw in _layers()]
    # the same layers through the constructions the kernels replaced
    monkeypatch.setattr(topology, "unique_points", _factorize)
    monkeypatch.setattr(routing, "spatial_order", _hilbert_order)
    for (what, layer, kw), net in zip(_layers(), fast, strict=True):
        _same(net, acc.network_from_roads(layer, **kw), what)


def _factorize(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """unique_points as it was: pandas factorize of one complex number per point."""
    key = np.ascontiguousarray(np.asarray(xy, dtype=np.float64) + 0.0).view(np.complex128)
    inverse, _ = pd.factorize(key.ravel())
    inverse = inverse.astype(np.int64)
    seen = np.maximum.accumulate(inverse)
    return np.flatnonzero(np.r_[True, inverse[1:] > seen[:-1]]), inverse


@pytest.mark.parametrize("seed", range(3))
def test_unique_points_is_pandas_factorize(seed):
    rng = np.random.default_rng(seed)
    for xy in (
        rng.integers(-5, 5, (5000, 2)).astype(float) * 0.5,  # many repeats, -0.0 and 0.0
        np.round(rng.normal(3e6, 1e3, (20000, 2)), 1),
        rng.random((3000, 2)),
        np.array([[1.0, np.inf], [1.0, np.inf], [-np.inf, 0.0], [0.0, -0.0]]),
        np.zeros((1, 2)),
    ):
        first, inverse = topology.unique_points(xy)
        ref_first, ref_inverse = _factorize(xy)
        assert first.dtype == inverse.dtype == np.int64
        assert np.array_equal(first, ref_first)
        assert np.array_equal(inverse, ref_inverse)


def _hilbert_order(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """spatial_order as it was: the Hilbert index by whole-array numpy passes."""
    side = (1 << 16) - 1
    span = max(float(x.max() - x.min()), float(y.max() - y.min()), 1e-300)
    xi = np.floor((x - x.min()) / span * side).astype(np.int64)
    yi = np.floor((y - y.min()) / span * side).astype(np.int64)
    d = np.zeros(x.shape[0], np.int64)
    s = 1 << 15
    while s > 0:
        rx = ((xi & s) > 0).astype(np.int64)
        ry = ((yi & s) > 0).astype(np.int64)
        d += s * s * ((3 * rx) ^ ry)
        flip = ry == 0
        swap_flip = flip & (rx == 1)
        xi = np.where(swap_flip, side - xi, xi)
        yi = np.where(swap_flip, side - yi, yi)
        xi, yi = np.where(flip, yi, xi), np.where(flip, xi, yi)
        s >>= 1
    return np.argsort(d, kind="stable")


@pytest.mark.parametrize("seed", range(3))
def test_spatial_order_is_the_numpy_hilbert_curve(seed):
    rng = np.random.default_rng(seed)
    for x, y in (
        (rng.random(20000) * 1e5, rng.random(20000) * 3e4 - 7),
        (np.round(rng.random(5000) * 20), np.round(rng.random(5000) * 20)),  # ties
        (rng.normal(5e5, 10, 300), np.full(300, 3e6)),
    ):
        assert np.array_equal(spatial_order(x, y), _hilbert_order(x, y))


def _hint() -> bool | None:
    from accessibility._arrays import _hugepage_setter

    setter = _hugepage_setter()
    if setter is None:
        return None
    now = bool(setter(True))  # read it (the setter returns the setting it replaces) ...
    setter(now)  # ... and put it back
    return now


@pytest.mark.parametrize("before", [True, False])
def test_short_lived_arrays_turn_the_huge_page_hint_off_and_restore_it(before):
    from accessibility._arrays import _hugepage_setter, short_lived_arrays

    setter = _hugepage_setter()
    if setter is None:
        pytest.skip("this NumPy has no huge-page setting")
    old = setter(before)
    try:
        with short_lived_arrays():
            assert _hint() is False
            with short_lived_arrays():  # nested: the outer one restores
                assert _hint() is False
            assert _hint() is False
        assert _hint() is before
    finally:
        setter(old)


def test_short_lived_arrays_on_two_threads_restore_the_hint_when_the_last_leaves():
    import threading

    from accessibility._arrays import _hugepage_setter, short_lived_arrays

    setter = _hugepage_setter()
    if setter is None:
        pytest.skip("this NumPy has no huge-page setting")
    old = setter(True)
    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with short_lived_arrays():
            inside.set()
            leave.wait(10)

    try:
        t = threading.Thread(target=other)
        with short_lived_arrays():
            t.start()
            inside.wait(10)
        assert _hint() is False  # the other thread is still inside
        leave.set()
        t.join(10)
        assert _hint() is True
    finally:
        setter(old)


@pytest.mark.parametrize("builder", ["roads", "osm"])
def test_the_builders_make_their_arrays_with_ordinary_pages_and_restore_the_hint(
    builder, monkeypatch, tmp_path
):
    """The builders' arrays live for a step or two: NumPy's huge-page hint is off while they
    build (a fresh huge page costs milliseconds on virtual machines that return free memory to
    their host) and the caller's setting is back afterwards."""
    from accessibility.network import assemble as assemble_module
    from accessibility.network import osm, roads

    if _hint() is None:
        pytest.skip("this NumPy has no huge-page setting")
    seen = []
    real = assemble_module.assemble

    def spy(*args, **kwargs):
        seen.append(_hint())
        return real(*args, **kwargs)

    monkeypatch.setattr(roads, "assemble", spy)
    monkeypatch.setattr(osm, "assemble", spy)
    before = _hint()
    if builder == "roads":
        acc.network_from_roads(_layer(0), modes=("car",))
    else:
        path = tmp_path / "two.osm"
        path.write_text(
            "<?xml version='1.0' encoding='UTF-8'?><osm version='0.6'>"
            "<node id='1' lat='30.0' lon='114.0'/><node id='2' lat='30.0' lon='114.01'/>"
            "<way id='9'><nd ref='1'/><nd ref='2'/><tag k='highway' v='primary'/></way></osm>",
            encoding="utf-8",
        )
        acc.network_from_osm(path, modes=("car",))
    assert seen == [False]
    assert _hint() is before
