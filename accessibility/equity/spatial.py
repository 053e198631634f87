"""Spatial clustering of poor access: global Moran's I and local clusters (LISA).

The examples run on the demo county with the setup of :mod:`accessibility.equity`.
"""

from __future__ import annotations

import logging
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd

from ..errors import InvalidValueError
from .inputs import align

logger = logging.getLogger(__name__)


class _KnnWeights(NamedTuple):
    """Row-standardised k-nearest-neighbour weights (as libpysal's ``KNN`` with ``transform="r"``)."""

    sparse: Any  # scipy.sparse CSR, rows in the order of the villages
    s0: float
    s1: float
    s2: float
    max_neighbors: int


def _knn_weights(locations: Any, index: pd.Index, k: int) -> _KnnWeights:
    """The k nearest villages of each village, row-standardised.

    The same neighbours, weights and moments as ``libpysal.weights.KNN.from_array(coords, k)``
    with ``transform = "r"`` (a k+1 query of a leaf-size-10 KD-tree without the village itself;
    with more than k coincident villages the last one found is dropped), without importing
    libpysal (seconds of imports).
    """
    from scipy.sparse import csr_matrix
    from scipy.spatial import cKDTree

    geoms = getattr(locations, "geometry", None)
    if geoms is None:
        raise InvalidValueError("locations must be a GeoDataFrame/GeoSeries of village points")
    if not geoms.index.equals(index):
        geoms = align(geoms, index, what="morans_i", left="values", right="locations")
    if geoms.crs is None:
        from ..errors import CRSError

        raise CRSError("locations have no CRS; set it with .set_crs(...) before clustering")
    from .._crs import to_metric

    geoms, _ = to_metric(geoms)  # k nearest in metres, never in degrees
    pts = geoms.representative_point() if not (geoms.geom_type == "Point").all() else geoms
    coords = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
    n = len(coords)
    if n < 3:
        raise InvalidValueError(f"spatial clustering needs at least 3 villages, got {n}")
    if k >= n:
        logger.warning("k=%d neighbours but only %d villages; using k=%d", k, n, n - 1)
        k = n - 1
    tree = cKDTree(coords, 10)
    _, indices = tree.query(tree.data, k=k + 1, p=2)
    not_self = indices != np.arange(n)[:, None]
    not_self[not_self.sum(axis=1) == k + 1, -1] = False  # k+1 others: drop the farthest
    col = indices[not_self].reshape(n, k)
    weight = 1.0 / float(k)  # row-standardised: each of the k ones divided by the row sum k
    data = np.full(n * k, weight)
    sparse = csr_matrix((data, (np.repeat(np.arange(n), k), col.ravel())), shape=(n, n))
    both = sparse.transpose() + sparse
    s2 = float((np.array(sparse.sum(1) + sparse.sum(0).transpose()) ** 2).sum())
    return _KnnWeights(sparse, sparse.sum(), both.multiply(both).sum() / 2.0, s2, k)


def _normal_two_sided_p(z: float) -> float:
    """Two-sided normal p-value of ``z`` as esda computes it (``2 * sf`` or ``2 * cdf``)."""
    from scipy.special import ndtr

    return float((ndtr(-z) if z > 0 else ndtr(z)) * 2.0)


def _finite_series(values: pd.Series, what: str) -> np.ndarray:
    y = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if not np.isfinite(y).all():
        raise InvalidValueError(
            f"{what}: {int((~np.isfinite(y)).sum())} missing or infinite value(s); fill them "
            "with fill_unreachable(values, fill=...) first"
        )
    if np.ptp(y) == 0:
        raise InvalidValueError(f"{what}: all values are equal; there is no pattern to test")
    return y


def morans_i(
    values: pd.Series,
    locations: Any,
    *,
    k: int = 8,
    permutations: int = 999,
    seed: int | None = 0,
) -> pd.Series:
    """Global Moran's I of a per-village measure with k-nearest-neighbour weights.

    .. math:: I = \\frac{n}{S_0} \\frac{\\sum_i \\sum_j w_{ij} z_i z_j}{\\sum_i z_i^2}

    with :math:`z` the deviations from the mean and row-standardised KNN weights (so
    :math:`S_0 = n`). I > E[I] = -1/(n-1): similar values cluster (poor access is concentrated in
    some areas); I < E[I]: neighbours differ. Equal to PySAL ``esda.Moran`` on libpysal's ``KNN``
    weights (computed without importing them); the permutation p-value uses a seeded generator so it is reproducible. Unit-free.

    Reference: Moran, P. A. P. (1950). Notes on continuous stochastic phenomena. *Biometrika*
    37(1/2), 17-23; Cliff, A. D. & Ord, J. K. (1981). *Spatial Processes*. London: Pion.

    Parameters
    ----------
    values
        Finite measure per village (fill unreachable villages first).
    locations
        GeoDataFrame/GeoSeries of the villages (same index); geographic CRSs are projected to
        local UTM for the neighbour search.
    k
        Number of nearest neighbours.
    permutations
        Random permutations for ``p_sim`` (0 to skip).
    seed
        Seed of the permutations.

    Returns
    -------
    pandas.Series
        ``I``, ``expected_I``, ``z_norm``, ``p_norm`` (two-sided, normality), ``p_sim``
        (pseudo p-value, one-sided in the direction of I, as esda), ``n``, ``k``.

    Examples
    --------
    >>> from accessibility.equity import morans_i
    >>> mi = morans_i(clinic, layer)
    >>> mi[["I", "expected_I", "p_sim"]].round(4).tolist()
    [0.3466, -0.0028, 0.001]
    """
    y = _finite_series(values, "morans_i")
    w = _knn_weights(locations, values.index, k)
    n = len(y)
    z = y - y.mean()
    # esda.Moran's statistic and its variance under normality, in esda's order of operations
    observed = n / w.s0 * (z * (w.sparse @ z)).sum() / (z * z).sum()
    expected = -1.0 / (n - 1)
    v_num = n * n * w.s1 - n * w.s2 + 3 * (w.s0 * w.s0)
    v_den = (n - 1) * (n + 1) * (w.s0 * w.s0)
    z_norm = (observed - expected) / (v_num / v_den - (1.0 / (n - 1)) ** 2) ** (1 / 2.0)
    p_sim = np.nan
    if permutations:
        rng = np.random.default_rng(seed)
        sparse = w.sparse.tocsr()
        perms = np.stack([rng.permutation(z) for _ in range(permutations)])
        num = np.einsum("ij,ij->i", perms, (sparse @ perms.T).T)
        sims = len(y) / w.s0 * num / (z @ z)
        larger = int((sims >= observed).sum())
        larger = min(larger, permutations - larger)
        p_sim = (larger + 1.0) / (permutations + 1.0)
    return pd.Series(
        {
            "I": float(observed),
            "expected_I": float(expected),
            "z_norm": float(z_norm),
            "p_norm": _normal_two_sided_p(z_norm),
            "p_sim": float(p_sim),
            "n": len(y),
            "k": int(w.max_neighbors),
        },
        name=values.name,
    )


_QUADRANTS = {1: "High-High", 2: "Low-High", 3: "Low-Low", 4: "High-Low"}


def _local_moran_p_sim(y: np.ndarray, w: Any, permutations: int, seed: int | None) -> np.ndarray:
    """Conditional-permutation pseudo p-values of local Moran's I (Anselin 1995; as esda).

    For village *i* the other n - 1 values are shuffled and k_i of them become its neighbours;
    ``p = (min(larger, P - larger) + 1) / (P + 1)``, with ``larger`` the number of simulated
    statistics >= the observed one (a folded, "directed" test, esda's default). One table of
    random draws is shared by all villages (esda does the same).
    """
    z = (y - y.mean()) / y.std()
    n = len(z)
    sparse = w.sparse.tocsr()
    observed = (n - 1) * z * (sparse @ z) / (z @ z)
    counts = np.diff(sparse.indptr)
    k_max = int(counts.max())
    rng = np.random.default_rng(seed)
    draws = np.stack([rng.choice(n - 1, size=k_max, replace=False) for _ in range(permutations)])
    p = np.empty(n)
    scale = (n - 1) / (z @ z)
    chunk = max(1, 2_000_000 // max(1, permutations * k_max))
    for start in range(0, n, chunk):
        ids = np.arange(start, min(n, start + chunk))
        for k_i in np.unique(counts[ids]):
            sel = ids[counts[ids] == k_i]
            j = draws[None, :, :k_i]
            j = j + (j >= sel[:, None, None])  # skip village i itself
            wts = np.stack([sparse.data[sparse.indptr[i] : sparse.indptr[i + 1]] for i in sel])
            lag = np.einsum("npk,nk->np", z[j], wts)
            sims = scale * z[sel, None] * lag
            larger = (sims >= observed[sel, None]).sum(axis=1)
            larger = np.minimum(larger, permutations - larger)
            p[sel] = (larger + 1.0) / (permutations + 1.0)
    return p


def local_clusters(
    values: pd.Series,
    locations: Any,
    *,
    k: int = 8,
    permutations: int = 999,
    alpha: float = 0.05,
    seed: int | None = 0,
    poor: Literal["high", "low"] = "high",
) -> pd.DataFrame:
    """Local Moran's I (LISA) clusters: where poor access is concentrated.

    Each village gets its local statistic, its quadrant (High-High: high value among high
    neighbours, ...), a conditional-permutation pseudo p-value (as ``esda.Moran_Local``) and a cluster
    label that is ``"not significant"`` when ``p_sim > alpha``. Local statistics equal
    ``esda.Moran_Local``'s; the permutation p-values follow esda's conditional randomisation,
    computed with numpy. For travel times (``poor="high"``)
    High-High villages are hot spots of poor access; for supply ratios use ``poor="low"``.

    .. math:: I_i = (n - 1) \\frac{z_i \\sum_j w_{ij} z_j}{\\sum_k z_k^2}

    with :math:`z` the deviations from the mean and row-standardised k-nearest-neighbour weights
    (esda's form). Unit-free.

    Reference: Anselin, L. (1995). Local indicators of spatial association - LISA.
    *Geographical Analysis* 27(2), 93-115.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``values``: ``local_i``, ``quadrant``, ``p_sim``, ``cluster``,
        ``poor_access_cluster`` (bool).

    Examples
    --------
    >>> from accessibility.equity import local_clusters
    >>> lisa = local_clusters(clinic, layer, permutations=99)
    >>> lisa["cluster"].value_counts().sort_index()
    cluster
    High-High           16
    High-Low             7
    Low-High             4
    Low-Low             66
    not significant    261
    Name: count, dtype: int64
    >>> lisa.loc["V216", "cluster"], bool(lisa.loc["V216", "poor_access_cluster"])
    ('High-High', True)
    """
    if poor not in ("high", "low"):
        raise InvalidValueError(f"local_clusters: poor must be 'high' or 'low', got {poor!r}")
    y = _finite_series(values, "local_clusters")
    w = _knn_weights(locations, values.index, k)
    # local statistics and quadrants as esda.Moran_Local; the permutation test follows esda's
    # conditional randomisation but in numpy (esda's numba kernel takes ~45 s to compile)
    z = y - y.mean()
    z /= y.std()
    lag = w.sparse @ z
    local_i = (len(y) - 1) * z * lag / (z * z).sum()
    up, lag_up = z > 0, lag > 0
    q = 1 * (up & lag_up) + 2 * (~up & lag_up) + 3 * (~up & ~lag_up) + 4 * (up & ~lag_up)
    p_values = _local_moran_p_sim(y, w, int(permutations), seed) if permutations else np.nan
    quadrant = pd.Series(q, index=values.index).map(_QUADRANTS)
    p_sim = pd.Series(p_values, index=values.index, dtype=float)
    cluster = quadrant.where(p_sim <= alpha, "not significant")
    target = "High-High" if poor == "high" else "Low-Low"
    return pd.DataFrame(
        {
            "local_i": np.asarray(local_i, dtype=float),
            "quadrant": quadrant,
            "p_sim": p_sim,
            "cluster": cluster,
            "poor_access_cluster": cluster == target,
        },
        index=values.index,
    )
