"""Spatial clustering of poor access: global Moran's I and local clusters (LISA).

The examples run on the demo county with the setup of :mod:`accessibility.equity`.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..errors import InvalidValueError
from .inputs import align

logger = logging.getLogger(__name__)


def _knn_weights(locations: Any, index: pd.Index, k: int) -> Any:
    try:
        from libpysal.weights import KNN
    except ImportError as exc:  # pragma: no cover - optional dependency
        raise ImportError(
            "spatial clustering needs libpysal and esda: pip install 'accessibility[equity]'"
        ) from exc
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
    w = KNN.from_array(coords, k=k, ids=list(range(n)))
    w.transform = "r"
    return w


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
    some areas); I < E[I]: neighbours differ. Computed with PySAL ``esda.Moran``; the permutation
    p-value uses a seeded generator so it is reproducible. Unit-free.

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
    from esda.moran import Moran

    y = _finite_series(values, "morans_i")
    w = _knn_weights(locations, values.index, k)
    mi = Moran(y, w, transformation="r", permutations=0)
    p_sim = np.nan
    if permutations:
        rng = np.random.default_rng(seed)
        z = y - y.mean()
        sparse = w.sparse.tocsr()
        perms = np.stack([rng.permutation(z) for _ in range(permutations)])
        num = np.einsum("ij,ij->i", perms, (sparse @ perms.T).T)
        sims = len(y) / w.s0 * num / (z @ z)
        larger = int((sims >= mi.I).sum())
        larger = min(larger, permutations - larger)
        p_sim = (larger + 1.0) / (permutations + 1.0)
    return pd.Series(
        {
            "I": float(mi.I),
            "expected_I": float(mi.EI),
            "z_norm": float(mi.z_norm),
            "p_norm": float(mi.p_norm),
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
    neighbours, ...), a conditional-permutation pseudo p-value (``esda.Moran_Local``) and a cluster
    label that is ``"not significant"`` when ``p_sim > alpha``. Local statistics come from
    ``esda.Moran_Local``; the permutation p-values follow esda's conditional randomisation,
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
    from esda.moran import Moran_Local

    if poor not in ("high", "low"):
        raise InvalidValueError(f"local_clusters: poor must be 'high' or 'low', got {poor!r}")
    y = _finite_series(values, "local_clusters")
    w = _knn_weights(locations, values.index, k)
    # esda gives the local statistics and quadrants; the permutation test below follows esda's
    # conditional randomisation but in numpy (esda's numba kernel takes ~45 s to compile)
    lisa = Moran_Local(y, w, transformation="r", permutations=0)
    p_values = _local_moran_p_sim(y, w, int(permutations), seed) if permutations else np.nan
    quadrant = pd.Series(lisa.q, index=values.index).map(_QUADRANTS)
    p_sim = pd.Series(p_values, index=values.index, dtype=float)
    cluster = quadrant.where(p_sim <= alpha, "not significant")
    target = "High-High" if poor == "high" else "Low-Low"
    return pd.DataFrame(
        {
            "local_i": np.asarray(lisa.Is, dtype=float),
            "quadrant": quadrant,
            "p_sim": p_sim,
            "cluster": cluster,
            "poor_access_cluster": cluster == target,
        },
        index=values.index,
    )
